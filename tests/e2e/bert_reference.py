#!/usr/bin/python3
"""Hand-written float32 PyTorch reference for HF BertModel (xfc e2e tests).

Reads a checkpoint directory (config.json + model.safetensors, or the shards
listed in model.safetensors.index.json) and computes BertModel's
last_hidden_state for one unpadded sequence, as HF transformers does in eval
mode (no dropout), in float32:

  positions 0..S-1, token_type_ids all 0 (unless given)
  h = LayerNorm_emb(word[ids] + token_type[tt] + position[pos])
  per layer (post-LN):
    q, k, v = h @ W^T + b  (query, key, value)  -> [nh, S, hd], hd = H / nh
    probs = softmax(q @ k^T / sqrt(hd), -1)      bidirectional: no mask at all
    a = LayerNorm_attn(h + (probs @ v merged) @ Wo^T + bo)   (attention.output.*)
    h = LayerNorm_out(a + act(a @ Wi^T + bi) @ Wd^T + bd)    (intermediate.dense, output.*)
    LayerNorm(x) = (x - mean) / sqrt(var + layer_norm_eps) * weight + bias
                   (biased variance over the last axis)
  last_hidden_state = h                         (the pooler is not applied)

act is HF's ACT2FN[hidden_act]: "gelu" = x * 0.5 * (1 + erf(x / sqrt(2))) (exact,
not the tanh approximation), "gelu_new" / "gelu_pytorch_tanh" = the tanh
approximation, "relu". Other values are rejected with a ValueError, as are
position_embedding_type other than "absolute" and is_decoder true.

Tensor names: those of BertModel (embeddings.*, encoder.layer.{i}.*), or the
same under "bert." (BertFor* checkpoints; chosen when
bert.embeddings.word_embeddings.weight exists). The pooler and anything
outside the encoder's prefix (cls.*, classifier.*, ...) is ignored; an unknown
tensor under the prefix is an error.

Library use:  m = load(dir); hidden(m, [1, 2, 3]) -> numpy float32 [S, H].
CLI:          bert_reference.py --model DIR --input-ids "1,2,3;4,5"
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
from llama_reference import load_weights, parse_input_ids  # noqa: E402,F401

torch.set_num_threads(1)  # the test machine is small and shared; also keeps results deterministic


def _gelu_erf(x):
    return F.gelu(x)  # exact erf form (torch's default approximate='none')


def _gelu_tanh(x):
    # HF NewGELUActivation (gelu_new); gelu_pytorch_tanh is the same function
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"gelu": _gelu_erf, "gelu_new": _gelu_tanh, "gelu_pytorch_tanh": _gelu_tanh,
               "relu": F.relu}


class Bert:
    """Weights and hyper-parameters of one checkpoint (plain attributes, no nn.Module)."""

    def __init__(self, config, weights):
        self.config = config
        if config.get("model_type") != "bert":
            raise ValueError(f"unsupported model_type {config.get('model_type')!r} (want 'bert')")
        self.n_layer = int(config["num_hidden_layers"])
        self.hidden = int(config["hidden_size"])
        self.intermediate = int(config["intermediate_size"])
        self.n_head = int(config["num_attention_heads"])
        self.vocab_size = int(config["vocab_size"])
        self.max_positions = int(config.get("max_position_embeddings", 512))
        self.type_vocab_size = int(config.get("type_vocab_size", 2))
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        act = config.get("hidden_act", "gelu")
        if act not in ACTIVATIONS:
            raise ValueError(f"unsupported hidden_act {act!r} (want one of {', '.join(ACTIVATIONS)})")
        self.act_name, self.act = act, ACTIVATIONS[act]
        pet = config.get("position_embedding_type", "absolute")
        if pet != "absolute":
            raise ValueError(f"unsupported position_embedding_type {pet!r} (only 'absolute')")
        if config.get("is_decoder", False):
            raise ValueError("unsupported is_decoder: true (only the bidirectional encoder)")
        if self.hidden % self.n_head:
            raise ValueError("hidden_size is not divisible by num_attention_heads")
        self.head_dim = self.hidden // self.n_head

        pre = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self.prefix = pre
        w = {n[len(pre):]: t.to(torch.float32).contiguous()
             for n, t in weights.items() if n.startswith(pre)}
        for n in [n for n in w if n.startswith("pooler.")]:
            del w[n]
        if not pre:  # BertModel names: drop anything that is not the encoder (heads, buffers)
            for n in [n for n in w if not n.startswith(("embeddings.", "encoder."))]:
                del w[n]
        w.pop("embeddings.position_ids", None)  # a buffer some old checkpoints carry

        def take(name, shape):
            if name not in w:
                raise ValueError(f"missing tensor {pre + name!r}")
            t = w.pop(name)
            if list(t.shape) != list(shape):
                raise ValueError(f"tensor {pre + name!r} has shape {list(t.shape)}, "
                                 f"expected {list(shape)}")
            return t

        H, I = self.hidden, self.intermediate

        def linear(name, n_out, n_in):
            return take(name + ".weight", [n_out, n_in]), take(name + ".bias", [n_out])

        def norm(name):
            return take(name + ".weight", [H]), take(name + ".bias", [H])

        self.word = take("embeddings.word_embeddings.weight", [self.vocab_size, H])
        self.pos = take("embeddings.position_embeddings.weight", [self.max_positions, H])
        self.tok_type = take("embeddings.token_type_embeddings.weight", [self.type_vocab_size, H])
        self.emb_ln = norm("embeddings.LayerNorm")
        self.layers = []
        for i in range(self.n_layer):
            p = f"encoder.layer.{i}."
            self.layers.append({
                "q": linear(p + "attention.self.query", H, H),
                "k": linear(p + "attention.self.key", H, H),
                "v": linear(p + "attention.self.value", H, H),
                "o": linear(p + "attention.output.dense", H, H),
                "ln1": norm(p + "attention.output.LayerNorm"),
                "up": linear(p + "intermediate.dense", I, H),
                "down": linear(p + "output.dense", H, I),
                "ln2": norm(p + "output.LayerNorm"),
            })
        if w:
            raise ValueError(f"unexpected tensors: {sorted(pre + n for n in w)}")


def load(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return Bert(config, load_weights(model_dir))


def _forward(m, ids, token_type_ids=None):
    # A 1-D id tensor is used as it is (tools/bench_torch.py traces the forward over it).
    given = ids if isinstance(ids, torch.Tensor) else None
    ids = [int(t) for t in ids]
    S = len(ids)
    if S == 0:
        raise ValueError("empty token sequence")
    bad = [t for t in ids if not 0 <= t < m.vocab_size]
    if bad:
        raise ValueError(f"token ids {bad} out of range [0, {m.vocab_size})")
    if S > m.max_positions:
        raise ValueError(f"sequence of {S} tokens exceeds max_position_embeddings {m.max_positions}")
    tt = [0] * S if token_type_ids is None else [int(t) for t in token_type_ids]
    if len(tt) != S or not all(0 <= t < m.type_vocab_size for t in tt):
        raise ValueError(f"bad token_type_ids {tt}")
    nh, hd = m.n_head, m.head_dim

    h = (m.word[given if given is not None else torch.tensor(ids, dtype=torch.long)]
         + m.tok_type[torch.tensor(tt, dtype=torch.long)]
         + m.pos[torch.arange(S)])
    h = F.layer_norm(h, (m.hidden,), *m.emb_ln, eps=m.eps)
    for lw in m.layers:
        q = F.linear(h, *lw["q"]).view(S, nh, hd).transpose(0, 1)   # [nh, S, hd]
        k = F.linear(h, *lw["k"]).view(S, nh, hd).transpose(0, 1)
        v = F.linear(h, *lw["v"]).view(S, nh, hd).transpose(0, 1)
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(hd)
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        ctx = torch.matmul(probs, v).transpose(0, 1).reshape(S, m.hidden)
        a = F.layer_norm(F.linear(ctx, *lw["o"]) + h, (m.hidden,), *lw["ln1"], eps=m.eps)
        ff = F.linear(m.act(F.linear(a, *lw["up"])), *lw["down"])
        h = F.layer_norm(ff + a, (m.hidden,), *lw["ln2"], eps=m.eps)
    return h


def hidden(m, ids, token_type_ids=None):
    """last_hidden_state of one unpadded sequence: numpy float32 [S, H]."""
    with torch.no_grad():
        return _forward(m, ids, token_type_ids).numpy().astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print a summary of BertModel's last hidden state.")
    ap.add_argument("--model", required=True)
    ap.add_argument("--input-ids", required=True)
    args = ap.parse_args(argv)
    m = load(args.model)
    for i, ids in enumerate(parse_input_ids(args.input_ids)):
        h = hidden(m, ids)
        print(f"seq {i}: ids={ids} hidden[0][:4]={h[0][:4].tolist()} "
              f"hidden[-1][:4]={h[-1][:4].tolist()} norm={float(np.linalg.norm(h)):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
