#!/usr/bin/python3
"""Generate a small random Llama, Mistral or Mixtral checkpoint in Hugging Face layout for xfc's e2e tests.

Writes DIR/config.json (the keys HF's LlamaConfig / MistralConfig / MixtralConfig
save_pretrained writes) and the weights of LlamaForCausalLM / MistralForCausalLM /
MixtralForCausalLM as safetensors:
DIR/model.safetensors, or with --shards N > 1 the files
DIR/model-00001-of-0000N.safetensors ... plus DIR/model.safetensors.index.json
({"metadata": {"total_size": BYTES}, "weight_map": {tensor: file}}), as HF's
sharded save does. The same arguments always produce the same bytes.

Example:
    make_llama.py --out /tmp/llama-tiny --model-type llama --layers 2 --hidden 64 \
                  --heads 4 --kv-heads 2 --intermediate 96 --vocab 101 --dtype BF16

Tensors (H = hidden, V = vocab, I = intermediate, hd = head_dim, which is
--head-dim or H / heads; nh = heads, kv = kv-heads; nn.Linear weights are
stored [out, in], there are no biases):
    model.embed_tokens.weight                     [V, H]
    model.layers.{i}.self_attn.q_proj.weight      [nh * hd, H]
    model.layers.{i}.self_attn.k_proj.weight      [kv * hd, H]
    model.layers.{i}.self_attn.v_proj.weight      [kv * hd, H]
    model.layers.{i}.self_attn.o_proj.weight      [H, nh * hd]
    model.layers.{i}.mlp.gate_proj.weight         [I, H]
    model.layers.{i}.mlp.up_proj.weight           [I, H]
    model.layers.{i}.mlp.down_proj.weight         [H, I]
    model.layers.{i}.input_layernorm.weight       [H]
    model.layers.{i}.post_attention_layernorm.weight [H]
    model.norm.weight                             [H]
    lm_head.weight                                [V, H]   (only without --tie)

Mixtral (--model-type mixtral, E = --experts, default 4; k = --top-k, default 2)
has, in every layer, a sparse mixture of E SiLU-gated experts in place of the
three mlp tensors (drawn in this order, right after o_proj):
    model.layers.{i}.block_sparse_moe.gate.weight           [E, H]  (router)
    model.layers.{i}.block_sparse_moe.experts.{e}.w1.weight [I, H]  (like gate_proj)
    model.layers.{i}.block_sparse_moe.experts.{e}.w2.weight [H, I]  (like down_proj)
    model.layers.{i}.block_sparse_moe.experts.{e}.w3.weight [I, H]  (like up_proj)
and config.json adds num_local_experts = E, num_experts_per_tok = k,
output_router_logits false, router_aux_loss_coef 0.02, router_jitter_noise 0.0
and sliding_window (null unless --sliding-window is given).

Random weights, all from one seeded generator, drawn in the order above
(lm_head last, so --tie and --no-tie share every other tensor): embeddings
and the untied lm_head normal(0, 0.5), so that logits are not flat; RMSNorm
weights 1 + 0.1 * normal(0, 1); every projection normal(0, 0.2), so that
attention is peaked and the attention and MLP outputs outweigh the token's own
embedding in the residual stream. (With the customary 0.02 the greedy next
token depends on the last token only, and with tied embeddings it is always
the last token again; with 0.2 continuations depend on the context, tied or
not.) The Mixtral router weights are normal(0, 0.5): a token's router logits
then spread over several units (std about 4 at H = 64), so that its top-k
experts differ from token to token and near-ties are rare, while the k-th
expert keeps a weight above 0.1 for about half the tokens. (With 1.0 the
softmax is so peaked that the second expert's weight is mostly below 0.02 and
the weighting is hardly tested; mixtral_reference_selftest.py checks both.)

--rope-scaling-type TYPE writes rope_scaling {"type": TYPE, "factor": 2.0},
and --hidden-act lets config.json name another activation: both make configs
that xfc and llama_reference.py must reject (negative tests).
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import _ITEMSIZE, write_safetensors  # noqa: E402

_TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}

# Standard deviations of the random weights (see the module docstring).
EMBED_STD = 0.5
PROJ_STD = 0.2
NORM_STD = 0.1
LM_HEAD_STD = 0.5
ROUTER_STD = 0.5


_UNSET = object()  # --sliding-window not given (argparse does not run `type` on it)


def parse_token_ids(text):
    """'2' -> 2, '2,7' -> [2, 7], 'none'/'null' -> None."""
    t = text.strip().lower()
    if t in ("none", "null", ""):
        return None
    if "," in t:
        return [int(x) for x in t.split(",")]
    return int(t)


def parse_bos(text):
    t = text.strip().lower()
    return None if t in ("none", "null", "") else int(t)


def parse_window(text):
    t = text.strip().lower()
    return None if t in ("none", "null") else int(t)


def head_dim_of(args):
    return args.head_dim if args.head_dim is not None else args.hidden // args.heads


def make_config(args):
    llama = args.model_type == "llama"
    arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
            "mixtral": "MixtralForCausalLM"}[args.model_type]
    cfg = {
        "architectures": [arch],
        "attention_dropout": 0.0,
        "bos_token_id": args.bos,
        "eos_token_id": args.eos,
        "hidden_act": args.hidden_act,
        "hidden_size": args.hidden,
        "initializer_range": 0.02,
        "intermediate_size": args.intermediate,
        "max_position_embeddings": args.positions,
        "model_type": args.model_type,
        "num_attention_heads": args.heads,
        "num_hidden_layers": args.layers,
        "num_key_value_heads": args.kv_heads,
        "rms_norm_eps": args.rms_eps,
        "rope_scaling": None,
        "rope_theta": args.rope_theta,
        "tie_word_embeddings": bool(args.tie),
        "torch_dtype": _TORCH_DTYPE_NAME[args.dtype],
        "transformers_version": "4.44.2",
        "use_cache": True,
        "vocab_size": args.vocab,
    }
    if llama:
        cfg["attention_bias"] = False
        cfg["mlp_bias"] = False
        cfg["pretraining_tp"] = 1
    else:
        cfg["sliding_window"] = args.sliding_window
    if args.model_type == "mixtral":
        cfg["num_local_experts"] = args.experts
        cfg["num_experts_per_tok"] = args.top_k
        cfg["output_router_logits"] = False
        cfg["router_aux_loss_coef"] = 0.02
        cfg["router_jitter_noise"] = 0.0
    if args.rope_scaling_type is not None:
        cfg["rope_scaling"] = {"type": args.rope_scaling_type, "factor": 2.0}
    if args.head_dim is not None:
        cfg["head_dim"] = args.head_dim
    return cfg


def make_weights(args):
    """Name -> float32 tensor in HF state-dict order, drawn from one seeded generator."""
    H, V, I, L = args.hidden, args.vocab, args.intermediate, args.layers
    hd = head_dim_of(args)
    nh, kv = args.heads, args.kv_heads
    g = torch.Generator().manual_seed(args.seed)

    def normal(shape, std):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std

    def norm_weight():
        return 1.0 + NORM_STD * torch.randn(H, generator=g, dtype=torch.float32)

    w = {}
    w["model.embed_tokens.weight"] = normal((V, H), EMBED_STD)
    for i in range(L):
        p = f"model.layers.{i}."
        w[p + "self_attn.q_proj.weight"] = normal((nh * hd, H), PROJ_STD)
        w[p + "self_attn.k_proj.weight"] = normal((kv * hd, H), PROJ_STD)
        w[p + "self_attn.v_proj.weight"] = normal((kv * hd, H), PROJ_STD)
        w[p + "self_attn.o_proj.weight"] = normal((H, nh * hd), PROJ_STD)
        if args.model_type == "mixtral":
            moe = p + "block_sparse_moe."
            w[moe + "gate.weight"] = normal((args.experts, H), ROUTER_STD)
            for e in range(args.experts):
                w[moe + f"experts.{e}.w1.weight"] = normal((I, H), PROJ_STD)
                w[moe + f"experts.{e}.w2.weight"] = normal((H, I), PROJ_STD)
                w[moe + f"experts.{e}.w3.weight"] = normal((I, H), PROJ_STD)
        else:
            w[p + "mlp.gate_proj.weight"] = normal((I, H), PROJ_STD)
            w[p + "mlp.up_proj.weight"] = normal((I, H), PROJ_STD)
            w[p + "mlp.down_proj.weight"] = normal((H, I), PROJ_STD)
        w[p + "input_layernorm.weight"] = norm_weight()
        w[p + "post_attention_layernorm.weight"] = norm_weight()
    w["model.norm.weight"] = norm_weight()
    if not args.tie:
        # Drawn last so that the other tensors are identical with or without it.
        w["lm_head.weight"] = normal((V, H), LM_HEAD_STD)
    return w


def split_shards(names, sizes, n):
    """Split the ordered tensor list into n contiguous, non-empty, size-balanced groups."""
    total = sum(sizes)
    count = len(names)
    bounds = [0]
    cum = 0
    targets = [total * k / n for k in range(1, n)]
    cums = []
    for s in sizes:
        cum += s
        cums.append(cum)
    for k, target in enumerate(targets, start=1):
        # first index whose cumulative size (inclusive) reaches the target, + 1
        b = next((i + 1 for i, c in enumerate(cums) if c >= target), count)
        b = max(b, bounds[-1] + 1)          # non-empty
        b = min(b, count - (n - k))         # leave one tensor for every later shard
        bounds.append(b)
    bounds.append(count)
    return [names[bounds[k]:bounds[k + 1]] for k in range(n)]


def write_checkpoint(args, out_dir):
    weights = make_weights(args)
    if args.shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), weights, args.dtype)
        return
    names = list(weights)
    if args.shards > len(names):
        raise SystemExit(f"make_llama.py: --shards {args.shards} exceeds the number of "
                         f"tensors ({len(names)})")
    item = _ITEMSIZE[args.dtype]
    sizes = [weights[k].numel() * item for k in names]
    groups = split_shards(names, sizes, args.shards)
    weight_map = {}
    for k, group in enumerate(groups, start=1):
        fname = f"model-{k:05d}-of-{args.shards:05d}.safetensors"
        write_safetensors(os.path.join(out_dir, fname), {n: weights[n] for n in group}, args.dtype)
        for n in group:
            weight_map[n] = fname
    index = {"metadata": {"total_size": sum(sizes)}, "weight_map": weight_map}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--model-type", choices=["llama", "mistral", "mixtral"], required=True)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=96)
    ap.add_argument("--vocab", type=int, default=101)
    ap.add_argument("--positions", type=int, default=64, help="max_position_embeddings")
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--rms-eps", type=float, default=1e-6)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32")
    ap.add_argument("--tie", action=argparse.BooleanOptionalAction, default=False,
                    help="tie_word_embeddings (no lm_head.weight); default --no-tie")
    ap.add_argument("--shards", type=int, default=1,
                    help="number of safetensors files (> 1 also writes the index json)")
    ap.add_argument("--sliding-window", type=parse_window, default=_UNSET,
                    help="mistral / mixtral only: sliding_window (an int or 'none' for null); "
                         "default 8 for mistral, none for mixtral")
    ap.add_argument("--experts", type=int, default=None,
                    help="mixtral only: num_local_experts (default 4)")
    ap.add_argument("--top-k", type=int, default=None,
                    help="mixtral only: num_experts_per_tok (default 2)")
    ap.add_argument("--eos", type=parse_token_ids, default=2,
                    help="eos_token_id: an int, a comma list (e.g. 2,7) or 'none'")
    ap.add_argument("--bos", type=parse_bos, default=1, help="bos_token_id: an int or 'none'")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rope-scaling-type", default=None,
                    help='write rope_scaling {"type": TYPE, "factor": 2.0} (unsupported config)')
    ap.add_argument("--head-dim", type=int, default=None,
                    help="write an explicit head_dim (default: hidden / heads, not written)")
    ap.add_argument("--hidden-act", default="silu",
                    help="hidden_act written to config.json (not validated, so unsupported "
                         "values can be used for negative tests)")
    args = ap.parse_args(argv)

    if min(args.layers, args.hidden, args.heads, args.kv_heads, args.intermediate,
           args.vocab, args.positions, args.shards) <= 0:
        ap.error("--layers/--hidden/--heads/--kv-heads/--intermediate/--vocab/--positions/"
                 "--shards must be positive")
    if args.heads % args.kv_heads:
        ap.error(f"--heads {args.heads} is not a multiple of --kv-heads {args.kv_heads}")
    if args.head_dim is None and args.hidden % args.heads:
        ap.error(f"--hidden {args.hidden} is not divisible by --heads {args.heads} "
                 f"(pass --head-dim)")
    if head_dim_of(args) <= 0 or head_dim_of(args) % 2:
        ap.error(f"head_dim {head_dim_of(args)} must be positive and even (rotary embedding)")
    if args.model_type in ("mistral", "mixtral"):
        if args.sliding_window is _UNSET:
            args.sliding_window = 8 if args.model_type == "mistral" else None
        if args.sliding_window is not None and args.sliding_window <= 0:
            ap.error("--sliding-window must be positive (or 'none')")
    elif args.sliding_window is not _UNSET:
        ap.error("--sliding-window only applies to --model-type mistral or mixtral")
    if args.model_type == "mixtral":
        args.experts = 4 if args.experts is None else args.experts
        args.top_k = 2 if args.top_k is None else args.top_k
        if args.experts <= 0 or not 1 <= args.top_k <= args.experts:
            ap.error(f"need --experts >= 1 and 1 <= --top-k <= --experts "
                     f"(got {args.experts}, {args.top_k})")
    elif args.experts is not None or args.top_k is not None:
        ap.error("--experts / --top-k only apply to --model-type mixtral")
    for name in ("eos", "bos"):
        v = getattr(args, name)
        for t in (v if isinstance(v, list) else [v]):
            if t is not None and not 0 <= t < args.vocab:
                ap.error(f"--{name} {t} is outside the vocabulary [0, {args.vocab})")

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(make_config(args), indent=2, sort_keys=True) + "\n")
    write_checkpoint(args, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
