#!/usr/bin/python3
"""Generate a small random BERT checkpoint in Hugging Face layout for xfc's e2e tests.

Writes DIR/config.json (the keys HF's BertConfig save_pretrained writes) and
DIR/model.safetensors. The same arguments always produce the same bytes.

Example:
    make_bert.py --out /tmp/bert-tiny --layers 2 --hidden 64 --heads 4 \
                 --intermediate 128 --vocab 101 --dtype BF16 --prefix

Tensors of BertModel (H = hidden, I = intermediate, V = vocab, P = positions,
T = type-vocab; nn.Linear weights are stored [out, in], every Linear and
LayerNorm has a bias):
    embeddings.word_embeddings.weight                     [V, H]
    embeddings.position_embeddings.weight                 [P, H]
    embeddings.token_type_embeddings.weight               [T, H]
    embeddings.LayerNorm.weight / .bias                   [H]
    encoder.layer.{i}.attention.self.query.weight / .bias [H, H] / [H]
    encoder.layer.{i}.attention.self.key.weight / .bias   [H, H] / [H]
    encoder.layer.{i}.attention.self.value.weight / .bias [H, H] / [H]
    encoder.layer.{i}.attention.output.dense.weight / .bias     [H, H] / [H]
    encoder.layer.{i}.attention.output.LayerNorm.weight / .bias [H]
    encoder.layer.{i}.intermediate.dense.weight / .bias   [I, H] / [I]
    encoder.layer.{i}.output.dense.weight / .bias         [H, I] / [H]
    encoder.layer.{i}.output.LayerNorm.weight / .bias     [H]
    pooler.dense.weight / .bias                           [H, H] / [H]  (unless --no-pooler)

--no-prefix (default) writes these names as they are (a BertModel checkpoint,
architectures ["BertModel"]). --prefix writes them under "bert." and adds the
pre-training heads of BertForPreTraining, which an encoder must ignore:
    cls.predictions.bias                                  [V]
    cls.predictions.transform.dense.weight / .bias        [H, H] / [H]
    cls.predictions.transform.LayerNorm.weight / .bias    [H]
    cls.seq_relationship.weight / .bias                   [2, H] / [2]
(cls.predictions.decoder.weight is tied to the word embeddings, so HF's
save_pretrained leaves it out, and so does this script.)

Random weights, all from one seeded generator, drawn in the order above
(pooler, then the heads, last, so that every flag shares the encoder tensors):
the three embedding tables normal(0, 0.5), so that position and token type
matter next to the word; every Linear weight normal(0, 0.2) (peaked attention,
GELU inputs well outside its linear range) and bias normal(0, 0.1); LayerNorm
weight 1 + 0.1 * normal(0, 1) and bias 0.1 * normal(0, 1).

--hidden-act and --position-embedding-type are written to config.json as
given (not validated), so that unsupported values can be used for negative
tests.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

_TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}

EMBED_STD = 0.5
PROJ_STD = 0.2
BIAS_STD = 0.1
NORM_STD = 0.1


def make_config(args):
    return {
        "architectures": ["BertForPreTraining" if args.prefix else "BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": args.hidden_act,
        "hidden_dropout_prob": 0.1,
        "hidden_size": args.hidden,
        "initializer_range": 0.02,
        "intermediate_size": args.intermediate,
        "layer_norm_eps": args.layer_norm_eps,
        "max_position_embeddings": args.positions,
        "model_type": "bert",
        "num_attention_heads": args.heads,
        "num_hidden_layers": args.layers,
        "pad_token_id": 0,
        "position_embedding_type": args.position_embedding_type,
        "torch_dtype": _TORCH_DTYPE_NAME[args.dtype],
        "transformers_version": "4.44.2",
        "type_vocab_size": args.type_vocab,
        "use_cache": True,
        "vocab_size": args.vocab,
    }


def make_weights(args):
    """Name -> float32 tensor in HF state-dict order, drawn from one seeded generator."""
    H, I, V = args.hidden, args.intermediate, args.vocab
    g = torch.Generator().manual_seed(args.seed)

    def normal(shape, std):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std

    def linear(w, name, n_out, n_in):
        w[name + ".weight"] = normal((n_out, n_in), PROJ_STD)
        w[name + ".bias"] = normal((n_out,), BIAS_STD)

    def layer_norm(w, name):
        w[name + ".weight"] = 1.0 + normal((H,), NORM_STD)
        w[name + ".bias"] = normal((H,), NORM_STD)

    pre = "bert." if args.prefix else ""
    w = {}
    w[pre + "embeddings.word_embeddings.weight"] = normal((V, H), EMBED_STD)
    w[pre + "embeddings.position_embeddings.weight"] = normal((args.positions, H), EMBED_STD)
    w[pre + "embeddings.token_type_embeddings.weight"] = normal((args.type_vocab, H), EMBED_STD)
    layer_norm(w, pre + "embeddings.LayerNorm")
    for i in range(args.layers):
        p = f"{pre}encoder.layer.{i}."
        linear(w, p + "attention.self.query", H, H)
        linear(w, p + "attention.self.key", H, H)
        linear(w, p + "attention.self.value", H, H)
        linear(w, p + "attention.output.dense", H, H)
        layer_norm(w, p + "attention.output.LayerNorm")
        linear(w, p + "intermediate.dense", I, H)
        linear(w, p + "output.dense", H, I)
        layer_norm(w, p + "output.LayerNorm")
    if args.pooler:
        linear(w, pre + "pooler.dense", H, H)
    if args.prefix:
        w["cls.predictions.bias"] = normal((V,), BIAS_STD)
        linear(w, "cls.predictions.transform.dense", H, H)
        layer_norm(w, "cls.predictions.transform.LayerNorm")
        linear(w, "cls.seq_relationship", 2, H)
    return w


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=101)
    ap.add_argument("--positions", type=int, default=64, help="max_position_embeddings")
    ap.add_argument("--type-vocab", type=int, default=2, help="type_vocab_size")
    ap.add_argument("--layer-norm-eps", type=float, default=1e-12)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32")
    ap.add_argument("--prefix", action=argparse.BooleanOptionalAction, default=False,
                    help="--prefix: BertForPreTraining names (bert.* plus cls.* heads); "
                         "--no-prefix (default): BertModel names")
    ap.add_argument("--pooler", action=argparse.BooleanOptionalAction, default=True,
                    help="write the pooler (default yes, as BertModel does)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden-act", default="gelu",
                    help="hidden_act written to config.json (not validated)")
    ap.add_argument("--position-embedding-type", default="absolute",
                    help="position_embedding_type written to config.json (not validated)")
    args = ap.parse_args(argv)

    if min(args.layers, args.hidden, args.heads, args.intermediate, args.vocab,
           args.positions, args.type_vocab) <= 0:
        ap.error("--layers/--hidden/--heads/--intermediate/--vocab/--positions/--type-vocab "
                 "must be positive")
    if args.hidden % args.heads:
        ap.error(f"--hidden {args.hidden} is not divisible by --heads {args.heads}")

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(make_config(args), indent=2, sort_keys=True) + "\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), make_weights(args), args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
