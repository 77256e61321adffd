#!/usr/bin/python3
"""Generate a small random T5 checkpoint in Hugging Face layout for xfc's e2e tests.

Writes DIR/config.json (the keys HF's T5Config save_pretrained writes) and the
weights of T5ForConditionalGeneration as DIR/model.safetensors. The same
arguments always produce the same bytes.

Example:
    make_t5.py --out /tmp/t5-tiny --variant v1.1 --layers 2 --d-model 64 --d-kv 16 \
               --heads 4 --d-ff 128 --vocab 101 --dtype BF16

--variant v1.0 (the original T5): feed_forward_proj "relu", tied word
embeddings (no lm_head.weight; the decoder output is scaled by d_model**-0.5
before the shared embedding projects it). --variant v1.1 (T5 v1.1, Flan-T5):
feed_forward_proj "gated-gelu" (gelu_new, the tanh approximation, times a
linear gate), an untied lm_head.weight and no rescaling.

Tensors (D = d_model, inner = heads * d_kv, F = d_ff, V = vocab, B = buckets,
nh = heads; nn.Linear weights are stored [out, in]; there are no biases and
the layer norms have weights only):
    shared.weight                                            [V, D]
    encoder.embed_tokens.weight                              [V, D] (= shared)
    encoder.block.{i}.layer.0.SelfAttention.{q,k,v}.weight   [inner, D]
    encoder.block.{i}.layer.0.SelfAttention.o.weight         [D, inner]
    encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight [B, nh]
                                                             (block 0 only)
    encoder.block.{i}.layer.0.layer_norm.weight              [D]
    encoder.block.{i}.layer.1.DenseReluDense.wi.weight       [F, D]   (v1.0)
    encoder.block.{i}.layer.1.DenseReluDense.wi_0.weight     [F, D]   (v1.1, gelu branch)
    encoder.block.{i}.layer.1.DenseReluDense.wi_1.weight     [F, D]   (v1.1, linear branch)
    encoder.block.{i}.layer.1.DenseReluDense.wo.weight       [D, F]
    encoder.block.{i}.layer.1.layer_norm.weight              [D]
    encoder.final_layer_norm.weight                          [D]
    decoder.embed_tokens.weight                              [V, D] (= shared)
    decoder.block.{i}.layer.0.SelfAttention.*                as in the encoder
                                                             (relative_attention_bias in block 0)
    decoder.block.{i}.layer.0.layer_norm.weight              [D]
    decoder.block.{i}.layer.1.EncDecAttention.{q,k,v,o}.weight  (shapes as SelfAttention)
    decoder.block.{i}.layer.1.layer_norm.weight              [D]
    decoder.block.{i}.layer.2.DenseReluDense.*               as in the encoder's layer.1
    decoder.block.{i}.layer.2.layer_norm.weight              [D]
    decoder.final_layer_norm.weight                          [D]
    lm_head.weight                                           [V, D]   (v1.1 only)
--no-embed-copies leaves out encoder/decoder.embed_tokens.weight (they are
tied to shared.weight; some checkpoints store only shared.weight).

Random weights, all from one seeded generator, drawn in the order above:
shared normal(0, 0.5); q normal(0, 0.05) and k, v, o normal(0, 0.2), so that
the unscaled attention scores spread over a few units and attention is peaked;
relative_attention_bias normal(0, 1.0), so that the position buckets move the
scores visibly; wi / wi_0 / wi_1 normal(0, 0.2); wo normal(0, 0.2) for v1.1
and, for v1.0, normal(0, 0.5) minus its mean over each row (so that relu's
positive mean does not add the same vector to every position, which with tied
embeddings makes a few tokens win everywhere and greedy decoding fall into
repeats); layer norm weights 1 + 0.1 * normal(0, 1); the untied lm_head
normal(0, 0.5). t5_reference_selftest.py checks that greedy continuations
depend on the encoder input and on the decoder prefix. (Randomly initialised
v1.0 decoders still repeat themselves more than v1.1 ones.)

--feed-forward-proj overrides the variant's value in config.json only (not
validated, for negative tests).
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

_TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}

SHARED_STD = 0.5
Q_STD = 0.05
PROJ_STD = 0.2
WO_RELU_STD = 0.5
REL_BIAS_STD = 1.0
NORM_STD = 0.1
LM_HEAD_STD = 0.5


def make_config(args):
    v10 = args.variant == "v1.0"
    ff = args.feed_forward_proj or ("relu" if v10 else "gated-gelu")
    act = ff.split("-")[-1]
    cfg = {
        "architectures": ["T5ForConditionalGeneration"],
        "classifier_dropout": 0.0,
        "d_ff": args.d_ff,
        "d_kv": args.d_kv,
        "d_model": args.d_model,
        "decoder_start_token_id": 0,
        "dense_act_fn": "gelu_new" if ff == "gated-gelu" else act,
        "dropout_rate": 0.1,
        "eos_token_id": 1,
        "feed_forward_proj": ff,
        "initializer_factor": 1.0,
        "is_encoder_decoder": True,
        "is_gated_act": ff.startswith("gated-"),
        "layer_norm_epsilon": 1e-6,
        "model_type": "t5",
        "num_decoder_layers": args.decoder_layers,
        "num_heads": args.heads,
        "num_layers": args.layers,
        "pad_token_id": 0,
        "relative_attention_max_distance": args.max_distance,
        "relative_attention_num_buckets": args.buckets,
        "tie_word_embeddings": v10,
        "torch_dtype": _TORCH_DTYPE_NAME[args.dtype],
        "transformers_version": "4.44.2",
        "use_cache": True,
        "vocab_size": args.vocab,
    }
    return cfg


def make_weights(args):
    """Name -> float32 tensor in HF state-dict order, drawn from one seeded generator."""
    D, F, V = args.d_model, args.d_ff, args.vocab
    inner = args.heads * args.d_kv
    gated = args.variant == "v1.1"
    g = torch.Generator().manual_seed(args.seed)

    def normal(shape, std):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std

    def norm_weight():
        return 1.0 + NORM_STD * torch.randn(D, generator=g, dtype=torch.float32)

    def attention(w, p, rel_bias):
        w[p + "q.weight"] = normal((inner, D), Q_STD)
        w[p + "k.weight"] = normal((inner, D), PROJ_STD)
        w[p + "v.weight"] = normal((inner, D), PROJ_STD)
        w[p + "o.weight"] = normal((D, inner), PROJ_STD)
        if rel_bias:
            w[p + "relative_attention_bias.weight"] = normal((args.buckets, args.heads), REL_BIAS_STD)

    def feed_forward(w, p):
        if gated:
            w[p + "DenseReluDense.wi_0.weight"] = normal((F, D), PROJ_STD)
            w[p + "DenseReluDense.wi_1.weight"] = normal((F, D), PROJ_STD)
        else:
            w[p + "DenseReluDense.wi.weight"] = normal((F, D), PROJ_STD)
        if gated:
            w[p + "DenseReluDense.wo.weight"] = normal((D, F), PROJ_STD)
        else:  # zero row means: relu's positive mean adds no token-independent vector
            wo = normal((D, F), WO_RELU_STD)
            w[p + "DenseReluDense.wo.weight"] = wo - wo.mean(dim=1, keepdim=True)
        w[p + "layer_norm.weight"] = norm_weight()

    w = {}
    shared = normal((V, D), SHARED_STD)
    w["shared.weight"] = shared
    if args.embed_copies:
        w["encoder.embed_tokens.weight"] = shared.clone()
    for i in range(args.layers):
        p = f"encoder.block.{i}.layer."
        attention(w, p + "0.SelfAttention.", i == 0)
        w[p + "0.layer_norm.weight"] = norm_weight()
        feed_forward(w, p + "1.")
    w["encoder.final_layer_norm.weight"] = norm_weight()
    if args.embed_copies:
        w["decoder.embed_tokens.weight"] = shared.clone()
    for i in range(args.decoder_layers):
        p = f"decoder.block.{i}.layer."
        attention(w, p + "0.SelfAttention.", i == 0)
        w[p + "0.layer_norm.weight"] = norm_weight()
        attention(w, p + "1.EncDecAttention.", False)
        w[p + "1.layer_norm.weight"] = norm_weight()
        feed_forward(w, p + "2.")
    w["decoder.final_layer_norm.weight"] = norm_weight()
    if args.variant == "v1.1":
        w["lm_head.weight"] = normal((V, D), LM_HEAD_STD)
    return w


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--variant", choices=["v1.0", "v1.1"], default="v1.0")
    ap.add_argument("--layers", type=int, default=2, help="num_layers (encoder)")
    ap.add_argument("--decoder-layers", type=int, default=None,
                    help="num_decoder_layers (default: --layers)")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--d-kv", type=int, default=16)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=101)
    ap.add_argument("--buckets", type=int, default=32, help="relative_attention_num_buckets")
    ap.add_argument("--max-distance", type=int, default=128, help="relative_attention_max_distance")
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32",
                    help="F16 is allowed but T5 is not meant for it (HF clamps inf in fp16)")
    ap.add_argument("--embed-copies", action=argparse.BooleanOptionalAction, default=True,
                    help="also write encoder/decoder.embed_tokens.weight (copies of shared.weight)")
    ap.add_argument("--feed-forward-proj", default=None,
                    help="override feed_forward_proj in config.json (not validated)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.decoder_layers is None:
        args.decoder_layers = args.layers

    if min(args.layers, args.decoder_layers, args.d_model, args.d_kv, args.heads, args.d_ff,
           args.vocab, args.buckets, args.max_distance) <= 0:
        ap.error("sizes must be positive")
    if args.vocab < 2:
        ap.error("--vocab must be at least 2 (pad/start 0, eos 1)")

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(make_config(args), indent=2, sort_keys=True) + "\n")
    write_safetensors(os.path.join(args.out, "model.safetensors"), make_weights(args), args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
