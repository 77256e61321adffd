#!/usr/bin/python3
"""Hand-written float32 PyTorch reference for Hugging Face GPT2LMHeadModel, for xfc's e2e tests.

Reads a checkpoint directory (config.json + model.safetensors) and computes the
logits and greedy continuations that HF transformers would, in float32 and
without a KV cache:

  h = wte[ids] + wpe[0..S-1]
  per block:  a = ln_1(h); qkv = a @ c_attn.W + c_attn.b; split q, k, v; split heads
              scores = q @ k^T / sqrt(head_dim)    (scale_attn_weights, default true;
                                                   also / (layer_idx+1) when
                                                   scale_attn_by_inverse_layer_idx)
              scores[j > i] = finfo(float32).min; softmax; @ v; merge heads
              h = h + (attn @ c_proj.W + c_proj.b)
              m = ln_2(h); m = act(m @ c_fc.W + c_fc.b); h = h + (m @ c_proj.W + c_proj.b)
  logits = ln_f(h) @ wte^T        (or lm_head.weight^T when the file has one)

Tensor names may carry the "transformer." prefix or not; attn.bias and
attn.masked_bias buffers are ignored. Activations: gelu_new (tanh
approximation), gelu_pytorch_tanh (same formula), gelu (erf), relu.

Library use:  m = load(dir); logits(m, [1, 2, 3]) -> numpy [S, V];
              greedy(m, [1, 2, 3], n, eos_ids) -> new token ids.
CLI:          gpt2_reference.py --model DIR --input-ids "1,2,3;4,5" [--max-new-tokens N]
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors  # noqa: E402

torch.set_num_threads(1)  # the test machine is small and shared; also keeps results deterministic

_IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def _gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


_ACTIVATIONS = {
    "gelu_new": _gelu_new,
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu": F.gelu,
    "relu": F.relu,
}


class GPT2:
    """Weights and hyper-parameters of one checkpoint (plain attributes, no nn.Module)."""

    def __init__(self, config, weights):
        self.config = config
        self.n_layer = int(config["n_layer"])
        self.n_embd = int(config["n_embd"])
        self.n_head = int(config["n_head"])
        self.n_positions = int(config.get("n_positions", config.get("n_ctx")))
        self.vocab_size = int(config["vocab_size"])
        self.eps = float(config.get("layer_norm_epsilon", 1e-5))
        self.scale_attn_weights = bool(config.get("scale_attn_weights", True))
        self.scale_by_layer = bool(config.get("scale_attn_by_inverse_layer_idx", False))
        act = config.get("activation_function", "gelu_new")
        if act not in _ACTIVATIONS:
            raise ValueError(f"unsupported activation_function {act!r}")
        self.act = _ACTIVATIONS[act]
        if self.n_embd % self.n_head:
            raise ValueError("n_embd is not divisible by n_head")
        self.head_dim = self.n_embd // self.n_head
        self.eos_ids = eos_ids_from_config(config)

        w = {}
        for name, t in weights.items():
            if name.endswith(_IGNORED_SUFFIXES):
                continue
            if name.startswith("transformer."):
                name = name[len("transformer."):]
            if name in w:
                raise ValueError(f"tensor {name!r} appears both with and without 'transformer.'")
            w[name] = t.to(torch.float32).contiguous()

        def take(name, shape):
            if name not in w:
                raise ValueError(f"missing tensor {name!r}")
            t = w.pop(name)
            if shape is not None and list(t.shape) != list(shape):
                raise ValueError(f"tensor {name!r} has shape {list(t.shape)}, expected {list(shape)}")
            return t

        D, V, P = self.n_embd, self.vocab_size, self.n_positions
        inner = int(config.get("n_inner") or 4 * D)  # n_inner null means 4 * n_embd
        self.wte = take("wte.weight", [V, D])
        self.wpe = take("wpe.weight", [P, D])
        self.blocks = []
        for i in range(self.n_layer):
            p = f"h.{i}."
            b = {}
            b["ln_1.weight"] = take(p + "ln_1.weight", [D])
            b["ln_1.bias"] = take(p + "ln_1.bias", [D])
            b["c_attn.weight"] = take(p + "attn.c_attn.weight", [D, 3 * D])
            b["c_attn.bias"] = take(p + "attn.c_attn.bias", [3 * D])
            b["attn.c_proj.weight"] = take(p + "attn.c_proj.weight", [D, D])
            b["attn.c_proj.bias"] = take(p + "attn.c_proj.bias", [D])
            b["ln_2.weight"] = take(p + "ln_2.weight", [D])
            b["ln_2.bias"] = take(p + "ln_2.bias", [D])
            b["c_fc.weight"] = take(p + "mlp.c_fc.weight", [D, inner])
            b["c_fc.bias"] = take(p + "mlp.c_fc.bias", [inner])
            b["mlp.c_proj.weight"] = take(p + "mlp.c_proj.weight", [inner, D])
            b["mlp.c_proj.bias"] = take(p + "mlp.c_proj.bias", [D])
            self.blocks.append(b)
        self.ln_f_weight = take("ln_f.weight", [D])
        self.ln_f_bias = take("ln_f.bias", [D])
        if "lm_head.weight" in w:
            self.lm_head = take("lm_head.weight", [V, D])
        elif config.get("tie_word_embeddings", True) is False:
            raise ValueError("tie_word_embeddings is false but there is no lm_head.weight")
        else:
            self.lm_head = self.wte
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


def load(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    return GPT2(config, weights)


def _conv1d(x, weight, bias):
    # HF Conv1D: out = x @ W + b with W stored [in, out].
    return torch.addmm(bias, x, weight)


def _forward(m, ids):
    """ids: list of ints (or a 1-D long tensor) -> float32 logits tensor [S, V]."""
    # A 1-D id tensor is used as it is (tools/bench_torch.py traces the forward over it).
    given = ids if isinstance(ids, torch.Tensor) else None
    ids = [int(t) for t in ids]
    S = len(ids)
    if S == 0:
        raise ValueError("empty token sequence")
    if S > m.n_positions:
        raise ValueError(f"sequence length {S} exceeds n_positions {m.n_positions}")
    bad = [t for t in ids if not 0 <= t < m.vocab_size]
    if bad:
        raise ValueError(f"token ids {bad} out of range [0, {m.vocab_size})")

    H, hd, D = m.n_head, m.head_dim, m.n_embd
    idx = given if given is not None else torch.tensor(ids, dtype=torch.long)
    h = m.wte[idx] + m.wpe[:S]
    causal = torch.tril(torch.ones(S, S, dtype=torch.bool))
    mask_value = torch.finfo(torch.float32).min
    for layer, b in enumerate(m.blocks):
        a = F.layer_norm(h, (D,), b["ln_1.weight"], b["ln_1.bias"], m.eps)
        qkv = _conv1d(a, b["c_attn.weight"], b["c_attn.bias"])
        q, k, v = qkv.split(D, dim=1)
        q = q.view(S, H, hd).transpose(0, 1)  # [H, S, hd]
        k = k.view(S, H, hd).transpose(0, 1)
        v = v.view(S, H, hd).transpose(0, 1)
        scores = torch.matmul(q, k.transpose(-1, -2))
        if m.scale_attn_weights:
            scores = scores / torch.full([], v.size(-1) ** 0.5, dtype=scores.dtype)
        if m.scale_by_layer:
            scores = scores / float(layer + 1)
        scores = torch.where(causal, scores, torch.tensor(mask_value, dtype=scores.dtype))
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(0, 1).reshape(S, D)
        h = h + _conv1d(ctx, b["attn.c_proj.weight"], b["attn.c_proj.bias"])
        x = F.layer_norm(h, (D,), b["ln_2.weight"], b["ln_2.bias"], m.eps)
        x = m.act(_conv1d(x, b["c_fc.weight"], b["c_fc.bias"]))
        h = h + _conv1d(x, b["mlp.c_proj.weight"], b["mlp.c_proj.bias"])
    h = F.layer_norm(h, (D,), m.ln_f_weight, m.ln_f_bias, m.eps)
    return torch.matmul(h, m.lm_head.t())


def logits(m, ids):
    """Logits of every position of one sequence: numpy float32 [S, V]."""
    with torch.no_grad():
        return _forward(m, ids).numpy().astype(np.float32)


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
