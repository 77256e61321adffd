#!/usr/bin/python3
"""Hand-written float32 PyTorch reference for HF T5ForConditionalGeneration (xfc e2e tests).

Reads a checkpoint directory (config.json + model.safetensors, or the shards
listed in model.safetensors.index.json) and computes, as HF transformers does
in eval mode (no dropout, no KV cache) in float32, the decoder logits for one
unpadded encoder input and one decoder prefix, and greedy continuations.

  rms(x, w) = w * (x * rsqrt(mean(x^2, -1) + layer_norm_epsilon))   (T5LayerNorm:
              no mean subtraction, no bias, computed in float32)
  attn(x, kv, bias) = o(softmax(q(x) @ k(kv)^T + bias, -1, float32) @ v(kv)),
              per head (inner = num_heads * d_kv), NOT scaled by 1/sqrt(d_kv)
  bias_enc[h, i, j] = enc_rel_bias[bucket(j - i, bidirectional=True), h]
  bias_dec[h, i, j] = dec_rel_bias[bucket(j - i, bidirectional=False), h]
                      + (0 if j <= i else finfo(float32).min)         (causal)
     enc_rel_bias / dec_rel_bias = {encoder,decoder}.block.0.layer.0.SelfAttention
     .relative_attention_bias.weight [num_buckets, num_heads]; computed once in
     block 0 and shared by every block of that stack.
  bucket(n, bidirectional), HF _relative_position_bucket with
     B = relative_attention_num_buckets, M = relative_attention_max_distance:
       if bidirectional: B //= 2; base = B if n > 0 else 0; n = |n|
       else:             base = 0; n = max(-n, 0)      (only past keys remain)
       exact = B // 2
       n < exact: base + n
       else:      base + min(B - 1, exact + int(log(n / exact) / log(M / exact) * (B - exact)))
                  (float32 log, truncation toward zero, as torch computes it)
  encoder: h = shared[input_ids]
           per block: h += attn(rms(h, ln0), same, bias_enc); h += ff(rms(h, ln1))
           enc = rms(h, encoder.final_layer_norm)
  decoder: h = shared[decoder_ids]
           per block: h += attn(rms(h, ln0), same, bias_dec)
                      h += attn(rms(h, ln1), enc, 0)        (EncDecAttention: no bias, no mask)
                      h += ff(rms(h, ln2))
           h = rms(h, decoder.final_layer_norm)
  logits = (h * d_model**-0.5) @ shared^T     tie_word_embeddings true (v1.0)
         = h @ lm_head^T                      tie_word_embeddings false (v1.1)
  ff(x) = wo(relu(wi(x)))                              feed_forward_proj "relu"
        = wo(gelu_new(wi_0(x)) * wi_1(x))              feed_forward_proj "gated-gelu"
        gelu_new(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))

Config defaults as in T5Config: num_decoder_layers = num_layers,
relative_attention_num_buckets 32, relative_attention_max_distance 128,
layer_norm_epsilon 1e-6, feed_forward_proj "relu", tie_word_embeddings true,
eos_token_id 1, pad_token_id 0, decoder_start_token_id = pad_token_id.
Rejected with a ValueError: model_type other than t5, feed_forward_proj other
than "relu" / "gated-gelu", dense_act_fn / is_gated_act that contradict it,
encoder/decoder.embed_tokens.weight (or a tied lm_head.weight) different from
shared.weight.

Library use:  m = load(dir)
              logits(m, input_ids, decoder_ids) -> numpy float32 [len(decoder_ids), V]
              greedy(m, input_ids, n, decoder_ids=None, eos_ids=None) -> new token ids
                (decoder_ids default [decoder_start_token_id]; stops after an eos,
                 which is included; eos_ids default: the config's eos_token_id)
              encode(m, input_ids) -> numpy float32 [S, d_model]
              relative_position_bucket(rel, bidirectional, num_buckets, max_distance)
CLI:          t5_reference.py --model DIR --input-ids "1,2,3;4,5" [--max-new-tokens N]
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
from llama_reference import eos_ids_from_config, load_weights, parse_input_ids  # noqa: E402,F401

torch.set_num_threads(1)  # the test machine is small and shared; also keeps results deterministic

FEED_FORWARD = {"relu": ("relu", False), "gated-gelu": ("gelu_new", True)}


class T5:
    """Weights and hyper-parameters of one checkpoint (plain attributes, no nn.Module)."""

    def __init__(self, config, weights):
        self.config = config
        if config.get("model_type") != "t5":
            raise ValueError(f"unsupported model_type {config.get('model_type')!r} (want 't5')")
        self.d_model = int(config["d_model"])
        self.d_kv = int(config["d_kv"])
        self.d_ff = int(config["d_ff"])
        self.n_head = int(config["num_heads"])
        self.n_enc = int(config["num_layers"])
        ndl = config.get("num_decoder_layers")
        self.n_dec = int(ndl) if ndl is not None else self.n_enc
        self.vocab_size = int(config["vocab_size"])
        self.num_buckets = int(config.get("relative_attention_num_buckets", 32))
        self.max_distance = int(config.get("relative_attention_max_distance", 128))
        self.eps = float(config.get("layer_norm_epsilon", 1e-6))
        self.tied = bool(config.get("tie_word_embeddings", True))
        self.pad_id = int(config.get("pad_token_id", 0))
        start = config.get("decoder_start_token_id")
        self.decoder_start_id = int(start) if start is not None else self.pad_id
        self.eos_ids = eos_ids_from_config({"eos_token_id": config.get("eos_token_id", 1)})

        ff = config.get("feed_forward_proj", "relu")
        if ff not in FEED_FORWARD:
            raise ValueError(f"unsupported feed_forward_proj {ff!r} (want 'relu' or 'gated-gelu')")
        act, gated = FEED_FORWARD[ff]
        if config.get("dense_act_fn", act) != act or bool(config.get("is_gated_act", gated)) != gated:
            raise ValueError(f"dense_act_fn {config.get('dense_act_fn')!r} / is_gated_act "
                             f"{config.get('is_gated_act')!r} contradict feed_forward_proj {ff!r}")
        self.feed_forward_proj, self.gated = ff, gated

        w = {name: t.to(torch.float32).contiguous() for name, t in weights.items()}

        def take(name, shape):
            if name not in w:
                raise ValueError(f"missing tensor {name!r}")
            t = w.pop(name)
            if list(t.shape) != list(shape):
                raise ValueError(f"tensor {name!r} has shape {list(t.shape)}, expected {list(shape)}")
            return t

        D, V, Fd = self.d_model, self.vocab_size, self.d_ff
        inner = self.n_head * self.d_kv
        self.shared = take("shared.weight", [V, D])
        for name in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
            if name in w and not torch.equal(take(name, [V, D]), self.shared):
                raise ValueError(f"{name} differs from shared.weight (they are tied in T5)")

        def attention(p):
            return {"q": take(p + "q.weight", [inner, D]), "k": take(p + "k.weight", [inner, D]),
                    "v": take(p + "v.weight", [inner, D]), "o": take(p + "o.weight", [D, inner])}

        def feed_forward(p):
            p += "DenseReluDense."
            if gated:
                d = {"wi_0": take(p + "wi_0.weight", [Fd, D]), "wi_1": take(p + "wi_1.weight", [Fd, D])}
            else:
                d = {"wi": take(p + "wi.weight", [Fd, D])}
            d["wo"] = take(p + "wo.weight", [D, Fd])
            return d

        rb = [self.num_buckets, self.n_head]
        self.enc_rel_bias = take("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", rb)
        self.dec_rel_bias = take("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", rb)
        self.enc_blocks = []
        for i in range(self.n_enc):
            p = f"encoder.block.{i}.layer."
            self.enc_blocks.append({
                "sa": attention(p + "0.SelfAttention."), "ln0": take(p + "0.layer_norm.weight", [D]),
                "ff": feed_forward(p + "1."), "ln1": take(p + "1.layer_norm.weight", [D])})
        self.enc_final = take("encoder.final_layer_norm.weight", [D])
        self.dec_blocks = []
        for i in range(self.n_dec):
            p = f"decoder.block.{i}.layer."
            self.dec_blocks.append({
                "sa": attention(p + "0.SelfAttention."), "ln0": take(p + "0.layer_norm.weight", [D]),
                "ca": attention(p + "1.EncDecAttention."), "ln1": take(p + "1.layer_norm.weight", [D]),
                "ff": feed_forward(p + "2."), "ln2": take(p + "2.layer_norm.weight", [D])})
        self.dec_final = take("decoder.final_layer_norm.weight", [D])
        if self.tied:
            if "lm_head.weight" in w and not torch.equal(take("lm_head.weight", [V, D]), self.shared):
                raise ValueError("tie_word_embeddings is true but lm_head.weight differs from shared.weight")
            self.lm_head = self.shared
        else:
            if "lm_head.weight" not in w:
                raise ValueError("tie_word_embeddings is false but there is no lm_head.weight")
            self.lm_head = take("lm_head.weight", [V, D])
        if w:
            raise ValueError(f"unexpected tensors: {sorted(w)}")


def load(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return T5(config, load_weights(model_dir))


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """HF T5Attention._relative_position_bucket, op for op (int64 tensor in, int64 tensor out)."""
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    relative_position_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    relative_position_if_large = torch.min(
        relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1))
    relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
    return relative_buckets


def position_bias(m, table, q_len, k_len, bidirectional):
    """T5Attention.compute_bias: [nh, q_len, k_len] float32."""
    context = torch.arange(q_len, dtype=torch.long)[:, None]
    memory = torch.arange(k_len, dtype=torch.long)[None, :]
    buckets = relative_position_bucket(memory - context, bidirectional, m.num_buckets, m.max_distance)
    return table[buckets].permute(2, 0, 1)


def rms_norm(x, weight, eps):
    """T5LayerNorm: no mean subtraction, no bias; float32 variance."""
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def attention(m, aw, x, kv, bias):
    """x [Sq, D], kv [Sk, D], bias [nh, Sq, Sk] or None -> [Sq, D]. No 1/sqrt(d_kv) scaling."""
    nh, dk = m.n_head, m.d_kv
    Sq, Sk = x.shape[0], kv.shape[0]
    q = F.linear(x, aw["q"]).view(Sq, nh, dk).transpose(0, 1)
    k = F.linear(kv, aw["k"]).view(Sk, nh, dk).transpose(0, 1)
    v = F.linear(kv, aw["v"]).view(Sk, nh, dk).transpose(0, 1)
    scores = torch.matmul(q, k.transpose(1, 2))
    if bias is not None:
        scores = scores + bias
    probs = torch.softmax(scores.float(), dim=-1).type_as(scores)
    ctx = torch.matmul(probs, v).transpose(0, 1).reshape(Sq, nh * dk)
    return F.linear(ctx, aw["o"])


def feed_forward(m, fw, x):
    if m.gated:
        h = gelu_new(F.linear(x, fw["wi_0"])) * F.linear(x, fw["wi_1"])
    else:
        h = F.relu(F.linear(x, fw["wi"]))
    return F.linear(h, fw["wo"])


def _check_ids(m, ids, what):
    ids = [int(t) for t in ids]
    if not ids:
        raise ValueError(f"empty {what}")
    bad = [t for t in ids if not 0 <= t < m.vocab_size]
    if bad:
        raise ValueError(f"{what} {bad} out of range [0, {m.vocab_size})")
    return ids


def _encode(m, input_ids):
    # A 1-D id tensor is used as it is (tools/bench_torch.py traces the forward over it).
    given = input_ids if isinstance(input_ids, torch.Tensor) else None
    ids = _check_ids(m, input_ids, "input ids")
    S = len(ids)
    h = m.shared[given if given is not None else torch.tensor(ids, dtype=torch.long)]
    bias = position_bias(m, m.enc_rel_bias, S, S, bidirectional=True)
    for b in m.enc_blocks:
        x = rms_norm(h, b["ln0"], m.eps)
        h = h + attention(m, b["sa"], x, x, bias)
        h = h + feed_forward(m, b["ff"], rms_norm(h, b["ln1"], m.eps))
    return rms_norm(h, m.enc_final, m.eps)


def _decode(m, enc, decoder_ids):
    ids = _check_ids(m, decoder_ids, "decoder ids")
    S = len(ids)
    h = m.shared[torch.tensor(ids, dtype=torch.long)]
    i = torch.arange(S)[:, None]
    j = torch.arange(S)[None, :]
    causal = torch.zeros(S, S, dtype=torch.float32).masked_fill(j > i, torch.finfo(torch.float32).min)
    bias = position_bias(m, m.dec_rel_bias, S, S, bidirectional=False) + causal
    for b in m.dec_blocks:
        x = rms_norm(h, b["ln0"], m.eps)
        h = h + attention(m, b["sa"], x, x, bias)
        h = h + attention(m, b["ca"], rms_norm(h, b["ln1"], m.eps), enc, None)
        h = h + feed_forward(m, b["ff"], rms_norm(h, b["ln2"], m.eps))
    h = rms_norm(h, m.dec_final, m.eps)
    if m.tied:
        h = h * (m.d_model ** -0.5)
    return F.linear(h, m.lm_head)


def encode(m, input_ids):
    """Encoder output (after encoder.final_layer_norm): numpy float32 [S, d_model]."""
    with torch.no_grad():
        return _encode(m, input_ids).numpy().astype(np.float32)


def logits(m, input_ids, decoder_ids):
    """Decoder logits at every decoder position: numpy float32 [len(decoder_ids), V]."""
    with torch.no_grad():
        return _decode(m, _encode(m, input_ids), decoder_ids).numpy().astype(np.float32)


def greedy(m, input_ids, n, decoder_ids=None, eos_ids=None):
    """Up to n greedily chosen new decoder tokens after decoder_ids (full recompute per step).

    decoder_ids defaults to [decoder_start_token_id]; stops right after a token in
    eos_ids (included), which defaults to the config's eos_token_id. Ties pick the
    lowest id.
    """
    if decoder_ids is None:
        decoder_ids = [m.decoder_start_id]
    if eos_ids is None:
        eos_ids = m.eos_ids
    eos_ids = set(int(e) for e in eos_ids)
    seq = [int(t) for t in decoder_ids]
    new = []
    with torch.no_grad():
        enc = _encode(m, input_ids)
        for _ in range(int(n)):
            tok = int(torch.argmax(_decode(m, enc, seq)[-1]).item())
            new.append(tok)
            seq.append(tok)
            if tok in eos_ids:
                break
    return new


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print reference decoder logits summary and greedy tokens.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--input-ids", required=True)
    ap.add_argument("--decoder-input-ids", default=None)
    ap.add_argument("--max-new-tokens", type=int, default=5)
    args = ap.parse_args(argv)
    m = load(args.model)
    seqs = parse_input_ids(args.input_ids)
    decs = parse_input_ids(args.decoder_input_ids) if args.decoder_input_ids else \
        [[m.decoder_start_id]] * len(seqs)
    for i, (ids, dec) in enumerate(zip(seqs, decs)):
        lg = logits(m, ids, dec)
        gen = greedy(m, ids, args.max_new_tokens, dec)
        print(f"seq {i}: ids={ids} decoder={dec} logits[-1][:4]={lg[-1][:4].tolist()} "
              f"argmax={int(lg[-1].argmax())} generated={gen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
