#!/usr/bin/python3
"""Generate a small random GPT-2 checkpoint in Hugging Face layout for xfc's end-to-end tests.

Writes DIR/config.json (the keys HF's GPT2Config.save_pretrained writes) and
DIR/model.safetensors (GPT2LMHeadModel state dict with random weights, lm_head
tied to wte and therefore not stored). The same arguments always produce the
same bytes.

Example:
    make_gpt2.py --out /tmp/gpt2-tiny --layers 2 --embd 64 --heads 4 --vocab 101 \
                 --positions 64 --dtype BF16

Tensors (with --prefix every name gets a leading "transformer."); D = embd,
P = positions, V = vocab; Conv1D weights are stored [in, out]:
    wte.weight [V, D]            wpe.weight [P, D]
    h.{i}.ln_1.weight/bias [D]
    h.{i}.attn.c_attn.weight [D, 3D]   h.{i}.attn.c_attn.bias [3D]
    h.{i}.attn.c_proj.weight [D, D]    h.{i}.attn.c_proj.bias [D]
    h.{i}.ln_2.weight/bias [D]
    h.{i}.mlp.c_fc.weight [D, 4D]      h.{i}.mlp.c_fc.bias [4D]
    h.{i}.mlp.c_proj.weight [4D, D]    h.{i}.mlp.c_proj.bias [D]
    ln_f.weight/bias [D]
  --legacy-buffers adds per layer h.{i}.attn.bias [1, 1, P, P] (lower-triangular
  ones) and h.{i}.attn.masked_bias [] (-1e4), as old checkpoints carry.
  --untied-lm-head adds lm_head.weight [V, D] (never prefixed) and writes
  "tie_word_embeddings": false.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

_TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def parse_eos(text):
    """'100' -> 100, '5,7' -> [5, 7], 'none'/'null' -> None."""
    t = text.strip().lower()
    if t in ("none", "null", ""):
        return None
    if "," in t:
        return [int(x) for x in t.split(",")]
    return int(t)


def make_config(args):
    eos = args.eos
    bos = eos[0] if isinstance(eos, list) else eos
    cfg = {
        "activation_function": args.activation,
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": bos,
        "embd_pdrop": 0.1,
        "eos_token_id": eos,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": args.positions,
        "n_embd": args.embd,
        "n_head": args.heads,
        "n_inner": None,
        "n_layer": args.layers,
        "n_positions": args.positions,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": _TORCH_DTYPE_NAME[args.dtype],
        "transformers_version": "4.40.0",
        "use_cache": True,
        "vocab_size": args.vocab,
    }
    if args.untied_lm_head:
        cfg["tie_word_embeddings"] = False
    return cfg


def make_weights(args):
    """Ordered name -> float32 tensor, drawn from one seeded generator."""
    D, P, V, L = args.embd, args.positions, args.vocab, args.layers
    g = torch.Generator().manual_seed(args.seed)

    def normal(shape, std):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std

    def ln_weight():
        return 1.0 + 0.1 * torch.randn(D, generator=g, dtype=torch.float32)

    def ln_bias():
        return 0.1 * torch.randn(D, generator=g, dtype=torch.float32)

    w = {}
    w["wte.weight"] = normal((V, D), 0.1)
    w["wpe.weight"] = normal((P, D), 0.1)
    for i in range(L):
        p = f"h.{i}."
        w[p + "ln_1.weight"] = ln_weight()
        w[p + "ln_1.bias"] = ln_bias()
        w[p + "attn.c_attn.weight"] = normal((D, 3 * D), 0.02)
        w[p + "attn.c_attn.bias"] = normal((3 * D,), 0.02)
        w[p + "attn.c_proj.weight"] = normal((D, D), 0.02)
        w[p + "attn.c_proj.bias"] = normal((D,), 0.02)
        w[p + "ln_2.weight"] = ln_weight()
        w[p + "ln_2.bias"] = ln_bias()
        w[p + "mlp.c_fc.weight"] = normal((D, 4 * D), 0.02)
        w[p + "mlp.c_fc.bias"] = normal((4 * D,), 0.02)
        w[p + "mlp.c_proj.weight"] = normal((4 * D, D), 0.02)
        w[p + "mlp.c_proj.bias"] = normal((D,), 0.02)
        if args.legacy_buffers:
            w[p + "attn.bias"] = torch.tril(torch.ones(P, P, dtype=torch.float32)).view(1, 1, P, P)
            w[p + "attn.masked_bias"] = torch.tensor(-1e4, dtype=torch.float32)
    w["ln_f.weight"] = ln_weight()
    w["ln_f.bias"] = ln_bias()

    prefix = "transformer." if args.prefix else ""
    out = {prefix + k: v for k, v in w.items()}
    if args.untied_lm_head:
        # Drawn last so that the other tensors are identical with or without it.
        out["lm_head.weight"] = normal((V, D), 0.1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=101)
    ap.add_argument("--positions", type=int, default=64)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32")
    ap.add_argument("--prefix", action=argparse.BooleanOptionalAction, default=True,
                    help="prefix names with 'transformer.' (default) as GPT2LMHeadModel does")
    ap.add_argument("--legacy-buffers", action="store_true",
                    help="also write attn.bias / attn.masked_bias per layer")
    ap.add_argument("--untied-lm-head", action="store_true",
                    help="write a separate lm_head.weight and tie_word_embeddings=false")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eos", type=parse_eos, default=100,
                    help="eos_token_id: an int, a comma list (e.g. 5,7) or 'none'")
    ap.add_argument("--activation", default="gelu_new",
                    help="activation_function written to config.json (not validated, so "
                         "unsupported values can be used for negative tests)")
    args = ap.parse_args(argv)

    if min(args.layers, args.embd, args.heads, args.vocab, args.positions) <= 0:
        ap.error("--layers/--embd/--heads/--vocab/--positions must be positive")
    if args.embd % args.heads:
        ap.error(f"--embd {args.embd} is not divisible by --heads {args.heads}")

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(make_config(args), indent=2, sort_keys=True) + "\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), make_weights(args), args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
