#!/usr/bin/python3
"""Hand-written float32 PyTorch reference for HF Llama/Mistral/MixtralForCausalLM (xfc e2e tests).

Reads a checkpoint directory (config.json + model.safetensors, or the shards
listed in model.safetensors.index.json) and computes the logits and greedy
continuations that HF transformers would, in float32 and without a KV cache.
Positions are 0..S-1 for a sequence of S tokens (no padding, no offset):

  h = embed_tokens[ids]
  cos, sin [S, hd]: inv_freq = 1 / rope_theta ** (arange(0, hd, 2) / hd);
                    freqs = outer(positions, inv_freq); emb = cat(freqs, freqs)
  per layer:
    x = rms_norm(h, input_layernorm)
        rms_norm(x, w) = w * (x * rsqrt(mean(x^2, -1) + rms_norm_eps))
    q = x @ q_proj^T -> [nh, S, hd];  k, v = x @ k_proj^T, x @ v_proj^T -> [kv, S, hd]
    q, k = q * cos + rotate_half(q) * sin, ...     rotate_half(x) = cat(-x[hd/2:], x[:hd/2])
    query head j uses key/value head j // (nh / kv)            (repeat_kv)
    scores = q @ k^T * hd**-0.5 + mask; softmax (float32); @ v; merge heads; @ o_proj^T
        mask: 0 where key j may be seen from query i, finfo(float32).min elsewhere;
        j <= i (causal), and for mistral / mixtral with sliding_window w (not null) also
        i - j < w (w keys including the query's own position; llama ignores sliding_window)
    h = h + attn
    x = rms_norm(h, post_attention_layernorm)
    h = h + down_proj(silu(gate_proj(x)) * up_proj(x))          (llama, mistral)
    h = h + moe(x)                                               (mixtral)
        MixtralSparseMoeBlock, E = num_local_experts, k = num_experts_per_tok:
        router_logits = x @ gate^T                       [S, E]
        routing = softmax(router_logits, -1, float32)
        weights, selected = topk(routing, k)             (per token; largest first)
        weights = weights / weights.sum(-1, keepdim)     (renormalised over the k chosen)
        moe(x)[t] = sum_j weights[t, j] * expert_{selected[t, j]}(x[t])
        expert_e(x) = w2_e(silu(w1_e(x)) * w3_e(x))
  logits = rms_norm(h, model.norm) @ lm_head^T    (embed_tokens when tie_word_embeddings)

Config: head_dim (default hidden_size / num_attention_heads), num_key_value_heads
(default num_attention_heads), rms_norm_eps (default 1e-6), rope_theta
(default 10000), tie_word_embeddings (default false, as in LlamaConfig and
MistralConfig; MixtralConfig too), num_local_experts (default 8) and
num_experts_per_tok (default 2) for mixtral. Rejected with a ValueError:
model_type other than llama / mistral / mixtral, rope_scaling not null (or rope_parameters with a rope_type other than
"default"), hidden_act other than silu, attention_bias / mlp_bias true, odd
head_dim, num_experts_per_tok outside [1, num_local_experts].

Library use:  m = load(dir); logits(m, [1, 2, 3]) -> numpy [S, V];
              greedy(m, [1, 2, 3], n, eos_ids) -> new token ids;
              router_trace(m, [1, 2, 3]) -> per mixtral layer: router logits,
              chosen experts and their weights (see there).
CLI:          llama_reference.py --model DIR --input-ids "1,2,3;4,5" [--max-new-tokens N]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors  # noqa: E402

torch.set_num_threads(1)  # the test machine is small and shared; also keeps results deterministic

SUPPORTED_MODEL_TYPES = ("llama", "mistral", "mixtral")


class Llama:
    """Weights and hyper-parameters of one checkpoint (plain attributes, no nn.Module)."""

    def __init__(self, config, weights):
        self.config = config
        self.model_type = config.get("model_type")
        if self.model_type not in SUPPORTED_MODEL_TYPES:
            raise ValueError(f"unsupported model_type {self.model_type!r} "
                             f"(want one of {', '.join(SUPPORTED_MODEL_TYPES)})")
        self.n_layer = int(config["num_hidden_layers"])
        self.hidden = int(config["hidden_size"])
        self.intermediate = int(config["intermediate_size"])
        self.n_head = int(config["num_attention_heads"])
        kv = config.get("num_key_value_heads")
        self.n_kv_head = int(kv) if kv is not None else self.n_head
        self.vocab_size = int(config["vocab_size"])
        self.max_positions = config.get("max_position_embeddings")
        self.eps = float(config.get("rms_norm_eps", 1e-6))
        self.rope_theta = float(config.get("rope_theta", 10000.0))

        rope_scaling = config.get("rope_scaling")
        if rope_scaling is not None:
            raise ValueError(f"unsupported rope_scaling {json.dumps(rope_scaling)} "
                             f"(only null, plain rotary embeddings, is supported)")
        rope_parameters = config.get("rope_parameters")  # transformers >= 5 spelling
        if rope_parameters is not None:
            rope_type = rope_parameters.get("rope_type", rope_parameters.get("type", "default"))
            if rope_type != "default":
                raise ValueError(f"unsupported rope_parameters {json.dumps(rope_parameters)} "
                                 f"(only rope_type 'default' is supported)")
            self.rope_theta = float(rope_parameters.get("rope_theta", self.rope_theta))
        act = config.get("hidden_act", "silu")
        if act != "silu":
            raise ValueError(f"unsupported hidden_act {act!r} (only 'silu' is supported)")
        for flag in ("attention_bias", "mlp_bias"):
            if config.get(flag, False):
                raise ValueError(f"unsupported {flag}: true (only bias-free projections)")

        if self.n_head % self.n_kv_head:
            raise ValueError(f"num_attention_heads {self.n_head} is not a multiple of "
                             f"num_key_value_heads {self.n_kv_head}")
        hd = config.get("head_dim")
        if hd is None:
            if self.hidden % self.n_head:
                raise ValueError("hidden_size is not divisible by num_attention_heads")
            hd = self.hidden // self.n_head
        self.head_dim = int(hd)
        if self.head_dim <= 0 or self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim} must be positive and even")
        # Llama has no sliding window (HF ignores the key); Mistral / Mixtral use it unless null.
        self.sliding_window = None
        if self.model_type in ("mistral", "mixtral") and config.get("sliding_window") is not None:
            self.sliding_window = int(config["sliding_window"])
            if self.sliding_window <= 0:
                raise ValueError(f"sliding_window {self.sliding_window} must be positive")
        self.eos_ids = eos_ids_from_config(config)
        self.moe = self.model_type == "mixtral"
        self.n_experts = self.top_k = 0
        if self.moe:
            self.n_experts = int(config.get("num_local_experts", 8))
            self.top_k = int(config.get("num_experts_per_tok", 2))
            if self.n_experts <= 0 or not 1 <= self.top_k <= self.n_experts:
                raise ValueError(f"num_experts_per_tok {self.top_k} must be in "
                                 f"[1, num_local_experts {self.n_experts}]")

        w = {name: t.to(torch.float32).contiguous() for name, t in weights.items()}

        def take(name, shape):
            if name not in w:
                raise ValueError(f"missing tensor {name!r}")
            t = w.pop(name)
            if list(t.shape) != list(shape):
                raise ValueError(f"tensor {name!r} has shape {list(t.shape)}, expected {list(shape)}")
            return t

        H, V, I = self.hidden, self.vocab_size, self.intermediate
        qd, kvd = self.n_head * self.head_dim, self.n_kv_head * self.head_dim
        self.embed = take("model.embed_tokens.weight", [V, H])
        self.layers = []
        for i in range(self.n_layer):
            p = f"model.layers.{i}."
            lw = {
                "q": take(p + "self_attn.q_proj.weight", [qd, H]),
                "k": take(p + "self_attn.k_proj.weight", [kvd, H]),
                "v": take(p + "self_attn.v_proj.weight", [kvd, H]),
                "o": take(p + "self_attn.o_proj.weight", [H, qd]),
                "ln1": take(p + "input_layernorm.weight", [H]),
                "ln2": take(p + "post_attention_layernorm.weight", [H]),
            }
            if self.moe:
                moe = p + "block_sparse_moe."
                lw["router"] = take(moe + "gate.weight", [self.n_experts, H])
                lw["experts"] = [{
                    "w1": take(moe + f"experts.{e}.w1.weight", [I, H]),
                    "w2": take(moe + f"experts.{e}.w2.weight", [H, I]),
                    "w3": take(moe + f"experts.{e}.w3.weight", [I, H]),
                } for e in range(self.n_experts)]
            else:
                lw["gate"] = take(p + "mlp.gate_proj.weight", [I, H])
                lw["up"] = take(p + "mlp.up_proj.weight", [I, H])
                lw["down"] = take(p + "mlp.down_proj.weight", [H, I])
            self.layers.append(lw)
        self.norm = take("model.norm.weight", [H])
        tied = bool(config.get("tie_word_embeddings", False))
        if tied:
            if "lm_head.weight" in w:
                extra = take("lm_head.weight", [V, H])
                if not torch.equal(extra, self.embed):
                    raise ValueError("tie_word_embeddings is true but lm_head.weight differs "
                                     "from model.embed_tokens.weight")
            self.lm_head = self.embed
        else:
            if "lm_head.weight" not in w:
                raise ValueError("tie_word_embeddings is false but there is no lm_head.weight")
            self.lm_head = take("lm_head.weight", [V, H])
        if w:
            raise ValueError(f"unexpected tensors: {sorted(w)}")


def eos_ids_from_config(config):
    """config eos_token_id (int, list or null/missing) -> list of ints."""
    eos = config.get("eos_token_id")
    if eos is None:
        return []
    if isinstance(eos, list):
        return [int(e) for e in eos]
    return [int(eos)]


def load_weights(model_dir):
    """All tensors of a checkpoint: model.safetensors, else the shards of the index file."""
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):  # HF from_pretrained also prefers the single file
        return read_safetensors(single)
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index_path):
        raise ValueError(f"{model_dir}: neither model.safetensors nor model.safetensors.index.json")
    with open(index_path, encoding="utf-8") as f:
        weight_map = json.load(f)["weight_map"]
    weights = {}
    for fname in sorted(set(weight_map.values())):
        for name, t in read_safetensors(os.path.join(model_dir, fname)).items():
            if weight_map.get(name) != fname:
                raise ValueError(f"{fname}: tensor {name!r} is not mapped to this file in the index")
            if name in weights:
                raise ValueError(f"tensor {name!r} appears in two shards")
            weights[name] = t
    missing = sorted(set(weight_map) - set(weights))
    if missing:
        raise ValueError(f"index lists tensors that no shard holds: {missing}")
    return weights


def load(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return Llama(config, load_weights(model_dir))


def rms_norm(x, weight, eps):
    """LlamaRMSNorm / MistralRMSNorm, float32 throughout."""
    x = x.to(torch.float32)
    variance = x.pow(2).mean(-1, keepdim=True)
    x = x * torch.rsqrt(variance + eps)
    return weight * x


def rotary_cos_sin(S, head_dim, theta):
    """cos, sin [S, head_dim] for positions 0..S-1 (HF default rotary embedding)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    positions = torch.arange(S, dtype=torch.int64).float()
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def attention_mask(S, sliding_window):
    """Additive [S, S] float32 mask: 0 where query i sees key j, finfo.min elsewhere."""
    i = torch.arange(S).view(S, 1)
    j = torch.arange(S).view(1, S)
    allowed = j <= i
    if sliding_window is not None:
        allowed = allowed & (i - j < sliding_window)
    mask = torch.zeros(S, S, dtype=torch.float32)
    return mask.masked_fill(~allowed, torch.finfo(torch.float32).min)


def sparse_moe(x, lw, top_k, trace=None):
    """MixtralSparseMoeBlock.forward (eval: no jitter) on x [S, H] -> [S, H].

    Like HF: each expert runs on the tokens that chose it, and its weighted
    output is index_add-ed into the result, experts in index order. When trace
    is a list, appends {"router_logits" [S, E], "selected" [S, k] (largest
    routing probability first), "weights" [S, k] (renormalised),
    "probs" [S, E] (softmax before top-k)}.
    """
    router_logits = F.linear(x, lw["router"])                        # [S, E]
    probs = torch.softmax(router_logits, dim=-1, dtype=torch.float32)
    weights, selected = torch.topk(probs, top_k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    out = torch.zeros_like(x)
    for e, ew in enumerate(lw["experts"]):
        tok, slot = torch.where(selected == e)
        if tok.numel() == 0:
            continue
        xe = x[tok]
        ye = F.linear(F.silu(F.linear(xe, ew["w1"])) * F.linear(xe, ew["w3"]), ew["w2"])
        out.index_add_(0, tok, ye * weights[tok, slot, None])
    if trace is not None:
        trace.append({"router_logits": router_logits, "probs": probs,
                      "selected": selected, "weights": weights})
    return out


def _forward(m, ids, trace=None):
    """ids: list of ints (or a 1-D long tensor) -> float32 logits tensor [S, V]."""
    # A 1-D id tensor is used as it is (tools/bench_torch.py traces the forward over it).
    given = ids if isinstance(ids, torch.Tensor) else None
    ids = [int(t) for t in ids]
    S = len(ids)
    if S == 0:
        raise ValueError("empty token sequence")
    bad = [t for t in ids if not 0 <= t < m.vocab_size]
    if bad:
        raise ValueError(f"token ids {bad} out of range [0, {m.vocab_size})")

    nh, kvh, hd = m.n_head, m.n_kv_head, m.head_dim
    n_rep = nh // kvh
    scaling = hd ** -0.5
    cos, sin = rotary_cos_sin(S, hd, m.rope_theta)
    mask = attention_mask(S, m.sliding_window)

    h = m.embed[given if given is not None else torch.tensor(ids, dtype=torch.long)]
    for lw in m.layers:
        x = rms_norm(h, lw["ln1"], m.eps)
        q = F.linear(x, lw["q"]).view(S, nh, hd).transpose(0, 1)   # [nh, S, hd]
        k = F.linear(x, lw["k"]).view(S, kvh, hd).transpose(0, 1)  # [kv, S, hd]
        v = F.linear(x, lw["v"]).view(S, kvh, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # repeat_kv: [kv, S, hd] -> [kv, n_rep, S, hd] -> [nh, S, hd]
        k = k[:, None].expand(kvh, n_rep, S, hd).reshape(nh, S, hd)
        v = v[:, None].expand(kvh, n_rep, S, hd).reshape(nh, S, hd)
        scores = torch.matmul(q, k.transpose(1, 2)) * scaling + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        ctx = torch.matmul(probs, v).transpose(0, 1).reshape(S, nh * hd)
        h = h + F.linear(ctx, lw["o"])
        x = rms_norm(h, lw["ln2"], m.eps)
        if m.moe:
            h = h + sparse_moe(x, lw, m.top_k, trace)
        else:
            h = h + F.linear(F.silu(F.linear(x, lw["gate"])) * F.linear(x, lw["up"]), lw["down"])
    h = rms_norm(h, m.norm, m.eps)
    return F.linear(h, m.lm_head)


def logits(m, ids):
    """Logits of every position of one sequence: numpy float32 [S, V]."""
    with torch.no_grad():
        return _forward(m, ids).numpy().astype(np.float32)


def router_trace(m, ids):
    """Mixtral routing of one sequence: a list with one dict per layer of numpy arrays
    router_logits [S, E], probs [S, E], selected [S, k] (int64, best first),
    weights [S, k] (renormalised) and margin [S]: the gap between the k-th and the
    (k+1)-th largest router logit (inf when k == E); a margin near float32 rounding
    (say below 1e-4) means another implementation may choose other experts.
    Empty for llama / mistral."""
    trace = []
    with torch.no_grad():
        _forward(m, ids, trace)
    out = []
    for t in trace:
        logits_ = t["router_logits"]
        srt = torch.sort(logits_, dim=-1, descending=True).values
        if m.top_k < m.n_experts:
            margin = (srt[:, m.top_k - 1] - srt[:, m.top_k]).numpy()
        else:
            margin = np.full(logits_.shape[0], np.inf, dtype=np.float32)
        out.append({k: v.numpy() for k, v in t.items()} | {"margin": margin})
    return out


def greedy(m, ids, n, eos_ids=None):
    """Up to n greedily chosen new tokens (full recompute per step).

    Stops right after producing a token in eos_ids (that token is included).
    eos_ids defaults to the config's eos_token_id. Ties pick the lowest id.
    """
    if eos_ids is None:
        eos_ids = m.eos_ids
    eos_ids = set(int(e) for e in eos_ids)
    seq = [int(t) for t in ids]
    new = []
    with torch.no_grad():
        for _ in range(int(n)):
            last = _forward(m, seq)[-1]
            tok = int(torch.argmax(last).item())
            new.append(tok)
            seq.append(tok)
            if tok in eos_ids:
                break
    return new


def parse_input_ids(text):
    """'1,2,3;4,5' -> [[1, 2, 3], [4, 5]]."""
    seqs = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            raise ValueError(f"empty sequence in --input-ids {text!r}")
        seqs.append([int(x) for x in part.split(",")])
    return seqs


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print reference logits summary and greedy tokens.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--input-ids", required=True)
    ap.add_argument("--max-new-tokens", type=int, default=5)
    args = ap.parse_args(argv)
    m = load(args.model)
    for i, ids in enumerate(parse_input_ids(args.input_ids)):
        lg = logits(m, ids)
        gen = greedy(m, ids, args.max_new_tokens)
        print(f"seq {i}: ids={ids} logits[-1][:4]={lg[-1][:4].tolist()} "
              f"argmax={int(lg[-1].argmax())} generated={gen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
