#!/usr/bin/python3
"""Trains the demo model that tools/demo.sh compiles: a small byte-level GPT-2.

Corpus: the text files of Debian's `fortunes` package (/usr/share/games/fortunes,
installed by tools/install-deps.sh), each file split at its "%" lines into
fortunes; the ASCII-art files are left out. Every fortune becomes its UTF-8
bytes (ids 0..255) followed by the end-of-text id 256, and the model learns to
continue that stream. There is no tokenizer file: a byte-level model's ids are
its bytes, which is how xfc's executables read --prompt for it.

The model is a GPT2LMHeadModel (learned positions, pre-LayerNorm blocks,
gelu_new, tied lm_head) written as Hugging Face's config.json and F16
model.safetensors, so `xfc build` imports it like any GPT-2 checkpoint. The
run is seeded: the same arguments on the same machine give the same weights.

    /usr/bin/python3 tools/train_demo_model.py --out examples/fortune-gpt2
    /usr/bin/python3 tools/train_demo_model.py --out /tmp/smoke --steps 3   # a quick check

Defaults take about 20 minutes on two cores of the build machine (with OpenBLAS,
installed by tools/install-deps.sh --bench; the reference BLAS is 20x slower).
"""

import argparse
import glob
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from safetensors_io import write_safetensors  # noqa: E402

EOS = 256
VOCAB = 257
SKIPPED_FILES = {"art", "ascii-art"}


def read_corpus(root):
    """The fortunes as one id stream, and how many there were."""
    ids, count = [], 0
    for path in sorted(glob.glob(os.path.join(root, "*"))):
        name = os.path.basename(path)
        if "." in name or name in SKIPPED_FILES or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            text = f.read()
        for fortune in text.split(b"\n%\n"):
            fortune = fortune.strip(b"\n%")
            if not fortune.strip():
                continue
            ids.extend(fortune)
            ids.append(EOS)
            count += 1
    if not ids:
        sys.exit(f"train_demo_model: no fortunes under {root} (is Debian's 'fortunes' installed?)")
    return torch.tensor(ids, dtype=torch.long), count


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        split = lambda t: t.view(b, s, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        causal = torch.ones(s, s, dtype=torch.bool).triu(1)
        a = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v
        x = x + self.attn_proj(a.transpose(1, 2).reshape(b, s, d))
        return x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))


class GPT2(nn.Module):
    def __init__(self, layers, d, heads, positions):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, d)
        self.wpe = nn.Embedding(positions, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        for blk in self.h:  # GPT-2's scaled init of the residual projections
            nn.init.normal_(blk.attn_proj.weight, std=0.02 / math.sqrt(2 * layers))
            nn.init.normal_(blk.mlp_proj.weight, std=0.02 / math.sqrt(2 * layers))

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for blk in self.h:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied lm_head


def hf_state_dict(model):
    """GPT2LMHeadModel's tensor names; Conv1D weights stored [in, out]."""
    w = {"transformer.wte.weight": model.wte.weight, "transformer.wpe.weight": model.wpe.weight}
    for i, blk in enumerate(model.h):
        p = f"transformer.h.{i}."
        for name, mod in (("ln_1", blk.ln_1), ("ln_2", blk.ln_2)):
            w[p + name + ".weight"], w[p + name + ".bias"] = mod.weight, mod.bias
        for name, lin in (("attn.c_attn", blk.c_attn), ("attn.c_proj", blk.attn_proj),
                          ("mlp.c_fc", blk.c_fc), ("mlp.c_proj", blk.mlp_proj)):
            w[p + name + ".weight"], w[p + name + ".bias"] = lin.weight.t(), lin.bias
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = model.ln_f.weight, model.ln_f.bias
    return {k: v.detach().contiguous().float() for k, v in w.items()}


def config(args):
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
        "bos_token_id": EOS, "eos_token_id": EOS, "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2", "n_ctx": args.positions, "n_embd": args.embd,
        "n_head": args.heads, "n_inner": None, "n_layer": args.layers,
        "n_positions": args.positions, "scale_attn_weights": True,
        "tie_word_embeddings": True, "torch_dtype": "float16", "vocab_size": VOCAB,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="checkpoint directory to write")
    ap.add_argument("--corpus", default="/usr/share/games/fortunes")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--embd", type=int, default=192)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--positions", type=int, default=256)
    ap.add_argument("--context", type=int, default=128, help="training window")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data, count = read_corpus(args.corpus)
    split = int(len(data) * 0.98)
    train, held = data[:split], data[split:]
    model = GPT2(args.layers, args.embd, args.heads, args.positions)
    params = sum(p.numel() for p in model.parameters())
    print(f"corpus: {count} fortunes, {len(data)} bytes; model: {params / 1e6:.2f} M parameters",
          file=sys.stderr)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)

    def batch(source, n, gen=None):
        starts = torch.randint(0, len(source) - args.context - 1, (n,), generator=gen)
        rows = torch.stack([source[s:s + args.context + 1] for s in starts.tolist()])
        return rows[:, :-1], rows[:, 1:]

    def held_loss():
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            x, y = batch(held, 64, gen)
            return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1)).item()

    start = time.time()
    for step in range(1, args.steps + 1):
        lr = args.lr * min(step / warmup,
                           0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, args.steps - warmup))))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(train, args.batch)
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps:
            print(f"step {step}/{args.steps}: train loss {loss.item():.3f}, held-out "
                  f"{held_loss():.3f} nats/byte, {time.time() - start:.0f} s", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, ".model.safetensors.tmp")
    write_safetensors(tmp, hf_state_dict(model), dtype="F16")
    os.replace(tmp, os.path.join(args.out, "model.safetensors"))
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config(args), f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}/config.json and model.safetensors", file=sys.stderr)


if __name__ == "__main__":
    main()
