#!/usr/bin/env python3
"""PyTorch side of tools/bench.sh (Debian's torch, CPU, every core).

  bench_torch.py roofline                   -> {"gemm_gflops": .., "stream_gbs": ..}
  bench_torch.py sgemm                      -> {"gemm_gflops": ..}
  bench_torch.py probe                      -> {"gemm_gflops": .., "read_gbs": ..}
  bench_torch.py decode FAMILY MODEL_DIR SEQ STEPS -> {"decode_ms_per_token": ..}
  bench_torch.py FAMILY MODEL_DIR SEQ RUNS  -> {"prompt_ms": .., "eager_ms": .., "torchscript_ms": ..}

FAMILY is gpt2, llama, bert or t5 (t5: the encoder alone). The models are the
hand-written Hugging Face references of tests/e2e (torch.no_grad), timed as the
median of RUNS after one warm-up; the prompt both eager and as TorchScript
(torch.jit.trace + torch.jit.freeze), prompt_ms the faster; decode is one token at a time
with a KV-cache after a SEQ-token prompt (T5: after encoding SEQ tokens, cross
K/V computed once), median of STEPS. The roofline is the best of a few
2048^3 SGEMMs (torch.mm), of a 256 MiB tensor copy (bytes read + written) and
of a sum over it (bytes read).
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
sys.dont_write_bytecode = True

import torch  # noqa: E402


def threads():
    torch.set_num_threads(os.cpu_count() or 1)


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times)


def sgemm():
    threads()
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = min(median_ms(lambda: torch.mm(a, b), 1) for _ in range(5))
    return {"gemm_gflops": 2.0 * n ** 3 / (best / 1000.0) / 1e9}


def read_gbs(src):
    """Read-only stream (a sum) of `src`: what a decode step does with its weights."""
    threads()
    best = min(median_ms(lambda: src.sum(), 1) for _ in range(5))
    return src.numel() * 4 / (best / 1000.0) / 1e9


def roofline():
    gemm = sgemm()["gemm_gflops"]
    src = torch.ones(64 * 1024 * 1024)  # 256 MiB of f32
    dst = torch.empty_like(src)
    best = min(median_ms(lambda: dst.copy_(src), 1) for _ in range(5))
    stream = 2.0 * src.numel() * 4 / (best / 1000.0) / 1e9
    return {"gemm_gflops": gemm, "stream_gbs": stream, "read_gbs": read_gbs(src)}


def fastest_ops(ref, m):
    """PyTorch's best configuration of the same model: GPT-2's gelu_new (HF's
    NewGELUActivation, a tanh formula; Debian's torch.tanh takes ~5 ms for
    3072 values here) as the fused F.gelu(approximate="tanh"), equal to it
    to rounding."""
    if getattr(ref, "_gelu_new", None) is not None and getattr(m, "act", None) is ref._gelu_new:
        m.act = lambda x: torch.nn.functional.gelu(x, approximate="tanh")
    return m


def prompt(family, model_dir, seq, runs):
    import random
    if family == "gpt2":
        import gpt2_reference as ref
        fwd = ref._forward
    elif family == "llama":
        import llama_reference as ref
        fwd = ref._forward
    elif family == "bert":
        import bert_reference as ref
        fwd = ref._forward
    elif family == "t5":
        import t5_reference as ref
        fwd = ref._encode
    else:
        raise SystemExit(f"unknown family {family}")
    threads()  # after the import: the references start with one thread
    m = fastest_ops(ref, ref.load(model_dir))
    random.seed(0)
    ids = [random.randrange(m.vocab_size) for _ in range(seq)]
    with torch.no_grad():
        eager = median_ms(lambda: fwd(m, ids), runs)
        traced, why = traced_forward(fwd, m, seq)
        idx = torch.tensor(ids, dtype=torch.long)
        jit = median_ms(lambda: traced(idx), runs) if traced else None
    best = "torchscript" if jit is not None and jit < eager else "eager"
    return {"prompt_ms": jit if best == "torchscript" else eager, "eager_ms": eager,
            "torchscript_ms": jit, "torch_mode": best, "torchscript_note": why}


def traced_forward(fwd, m, seq):
    """The forward as TorchScript: torch.jit.trace over a [seq] id tensor, then
    torch.jit.freeze. Checked against the eager forward on ids other than the
    ones it was traced with (a trace that recorded the ids as constants, or
    folded the model away, fails that). Returns (module or None, why not)."""
    import random
    import warnings

    class Forward(torch.nn.Module):
        def forward(self, idx):
            return fwd(m, idx)

    rng = random.Random(1)
    example = torch.tensor([rng.randrange(m.vocab_size) for _ in range(seq)], dtype=torch.long)
    other = torch.tensor([rng.randrange(m.vocab_size) for _ in range(seq)], dtype=torch.long)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings: the reference's checks of the ids
            frozen = torch.jit.freeze(torch.jit.trace(Forward().eval(), (example,), check_trace=False))
        want = fwd(m, other.tolist())
        got = frozen(other)
    except Exception as e:  # noqa: BLE001 - any failure means eager only
        return None, f"trace failed: {type(e).__name__}: {e}"[:300]
    if not torch.allclose(got, want, rtol=1e-4, atol=1e-4):
        return None, "traced forward differs from eager"
    return frozen, ""


def gpt2_step(ref, m, cache, token, pos):
    """One GPT-2 decode step with a KV-cache (lists of [H, pos, hd] per layer)."""
    F = torch.nn.functional
    H, hd, D = m.n_head, m.head_dim, m.n_embd
    h = m.wte[token].view(1, D) + m.wpe[pos].view(1, D)
    for layer, b in enumerate(m.blocks):
        a = F.layer_norm(h, (D,), b["ln_1.weight"], b["ln_1.bias"], m.eps)
        q, k, v = ref._conv1d(a, b["c_attn.weight"], b["c_attn.bias"]).split(D, dim=1)
        q, k, v = (t.view(1, H, hd).transpose(0, 1) for t in (q, k, v))  # [H, 1, hd]
        cache[layer] = [torch.cat([cache[layer][0], k], 1), torch.cat([cache[layer][1], v], 1)]
        keys, values = cache[layer]
        scores = torch.matmul(q, keys.transpose(-1, -2))
        if m.scale_attn_weights:
            scores = scores / (hd ** 0.5)
        if m.scale_by_layer:
            scores = scores / float(layer + 1)
        ctx = torch.matmul(torch.softmax(scores, dim=-1), values).transpose(0, 1).reshape(1, D)
        h = h + ref._conv1d(ctx, b["attn.c_proj.weight"], b["attn.c_proj.bias"])
        x = F.layer_norm(h, (D,), b["ln_2.weight"], b["ln_2.bias"], m.eps)
        h = h + ref._conv1d(m.act(ref._conv1d(x, b["c_fc.weight"], b["c_fc.bias"])),
                            b["mlp.c_proj.weight"], b["mlp.c_proj.bias"])
    h = F.layer_norm(h, (D,), m.ln_f_weight, m.ln_f_bias, m.eps)
    return torch.matmul(h, m.lm_head.t())


def llama_step(ref, m, cache, token, pos):
    """One LLaMA decode step with a KV-cache of [kv_heads, pos, hd] per layer."""
    F = torch.nn.functional
    nh, kvh, hd = m.n_head, m.n_kv_head, m.head_dim
    n_rep = nh // kvh
    cos, sin = ref.rotary_cos_sin(pos + 1, hd, m.rope_theta)
    cos, sin = cos[pos:pos + 1], sin[pos:pos + 1]
    h = m.embed[token].view(1, -1)
    for layer, lw in enumerate(m.layers):
        x = ref.rms_norm(h, lw["ln1"], m.eps)
        q = F.linear(x, lw["q"]).view(1, nh, hd).transpose(0, 1)
        k = F.linear(x, lw["k"]).view(1, kvh, hd).transpose(0, 1)
        v = F.linear(x, lw["v"]).view(1, kvh, hd).transpose(0, 1)
        q = q * cos + ref.rotate_half(q) * sin
        k = k * cos + ref.rotate_half(k) * sin
        cache[layer] = [torch.cat([cache[layer][0], k], 1), torch.cat([cache[layer][1], v], 1)]
        keys, values = cache[layer]
        n = keys.shape[1]
        keys = keys[:, None].expand(kvh, n_rep, n, hd).reshape(nh, n, hd)
        values = values[:, None].expand(kvh, n_rep, n, hd).reshape(nh, n, hd)
        scores = torch.matmul(q, keys.transpose(1, 2)) * hd ** -0.5
        ctx = torch.matmul(torch.softmax(scores, dim=-1), values).transpose(0, 1).reshape(1, nh * hd)
        h = h + F.linear(ctx, lw["o"])
        x = ref.rms_norm(h, lw["ln2"], m.eps)
        h = h + F.linear(F.silu(F.linear(x, lw["gate"])) * F.linear(x, lw["up"]), lw["down"])
    return F.linear(ref.rms_norm(h, m.norm, m.eps), m.lm_head)


def t5_step(ref, m, cross, cache, token, pos):
    """One T5 decoder step: self-attention K/V cached, cross K/V computed once."""
    F = torch.nn.functional
    nh, dk = m.n_head, m.d_kv
    h = m.shared[token].view(1, -1)
    rel = torch.arange(pos + 1, dtype=torch.long)[None, :] - pos  # keys 0..pos from query pos
    buckets = ref.relative_position_bucket(rel, False, m.num_buckets, m.max_distance)
    bias = m.dec_rel_bias[buckets].permute(2, 0, 1)  # [nh, 1, pos + 1]

    def attend(q, keys, values, bias):
        scores = torch.matmul(q, keys.transpose(1, 2))
        if bias is not None:
            scores = scores + bias
        return torch.matmul(torch.softmax(scores, dim=-1), values).transpose(0, 1).reshape(1, nh * dk)

    for layer, b in enumerate(m.dec_blocks):
        x = ref.rms_norm(h, b["ln0"], m.eps)
        q, k, v = (F.linear(x, b["sa"][n]).view(1, nh, dk).transpose(0, 1) for n in ("q", "k", "v"))
        cache[layer] = [torch.cat([cache[layer][0], k], 1), torch.cat([cache[layer][1], v], 1)]
        h = h + F.linear(attend(q, cache[layer][0], cache[layer][1], bias), b["sa"]["o"])
        x = ref.rms_norm(h, b["ln1"], m.eps)
        q = F.linear(x, b["ca"]["q"]).view(1, nh, dk).transpose(0, 1)
        h = h + F.linear(attend(q, cross[layer][0], cross[layer][1], None), b["ca"]["o"])
        h = h + ref.feed_forward(m, b["ff"], ref.rms_norm(h, b["ln2"], m.eps))
    h = ref.rms_norm(h, m.dec_final, m.eps)
    if m.tied:
        h = h * (m.d_model ** -0.5)
    return F.linear(h, m.lm_head)


def t5_decode(seq, steps, model_dir):
    """T5: the encoder over `seq` tokens and every layer's cross K/V once (as xfc's
    @encode), then decoder steps from the start token; checked against the
    reference's full decoder first."""
    import random
    import t5_reference as ref
    F = torch.nn.functional
    threads()
    m = ref.load(model_dir)
    random.seed(0)
    enc_ids = [random.randrange(m.vocab_size) for _ in range(seq)]
    dec_ids = [m.decoder_start_id] + [random.randrange(m.vocab_size) for _ in range(steps)]
    nh, dk = m.n_head, m.d_kv
    with torch.no_grad():
        enc = ref._encode(m, enc_ids)
        cross = [[F.linear(enc, b["ca"][n]).view(-1, nh, dk).transpose(0, 1) for n in ("k", "v")]
                 for b in m.dec_blocks]

        def fresh():
            return [[torch.zeros(nh, 0, dk), torch.zeros(nh, 0, dk)] for _ in m.dec_blocks]
        cache, check = fresh(), min(8, len(dec_ids))
        for pos in range(check):
            out = t5_step(ref, m, cross, cache, dec_ids[pos], pos)
        full = ref._decode(m, enc, dec_ids[:check])[-1:]
        if not torch.allclose(out, full, rtol=1e-3, atol=1e-3):
            raise SystemExit(f"cached T5 decode differs from the full decoder: "
                             f"max |diff| {(out - full).abs().max().item()}")
        cache, times = fresh(), []
        for pos in range(len(dec_ids)):
            t = time.perf_counter()
            t5_step(ref, m, cross, cache, dec_ids[pos], pos)
            times.append((time.perf_counter() - t) * 1000.0)
    return {"decode_ms_per_token": statistics.median(times[1:])}


def decode(family, model_dir, seq, steps):
    """Median time of one decode step after a prompt of `seq` tokens, with a
    KV-cache (what HF's generate does), for GPT-2 and LLaMA. The cached steps
    are checked against the reference's full forward pass first."""
    import random
    if family == "gpt2":
        import gpt2_reference as ref
        step = gpt2_step
        layers = lambda m: len(m.blocks)  # noqa: E731
        kv = lambda m: m.n_head  # noqa: E731
    elif family == "llama":
        import llama_reference as ref
        step = llama_step
        layers = lambda m: len(m.layers)  # noqa: E731
        kv = lambda m: m.n_kv_head  # noqa: E731
    elif family == "t5":
        return t5_decode(seq, steps, model_dir)
    else:
        raise SystemExit(f"no cached decode for {family}")
    threads()
    m = fastest_ops(ref, ref.load(model_dir))
    random.seed(0)
    ids = [random.randrange(m.vocab_size) for _ in range(seq + steps)]
    with torch.no_grad():
        def fresh():
            return [[torch.zeros(kv(m), 0, m.head_dim), torch.zeros(kv(m), 0, m.head_dim)]
                    for _ in range(layers(m))]
        # Check: the cached steps give the full forward's logits (a short prefix).
        cache, check = fresh(), min(8, seq)
        for pos in range(check):
            out = step(ref, m, cache, ids[pos], pos)
        full = ref._forward(m, ids[:check])[-1:]
        if not torch.allclose(out, full, rtol=1e-3, atol=1e-3):
            raise SystemExit(f"cached decode differs from the forward pass: "
                             f"max |diff| {(out - full).abs().max().item()}")
        # The prompt fills the cache (one step per token: set-up, not timed).
        cache = fresh()
        for pos in range(seq):
            step(ref, m, cache, ids[pos], pos)
        times = []
        for pos in range(seq, seq + steps):
            t = time.perf_counter()
            step(ref, m, cache, ids[pos], pos)
            times.append((time.perf_counter() - t) * 1000.0)
    return {"decode_ms_per_token": statistics.median(times)}


def main(argv):
    if argv[:1] == ["roofline"]:
        out = roofline()
    elif argv[:1] == ["sgemm"]:
        out = sgemm()
    elif argv[:1] == ["probe"]:  # the bounds beside a row, in one process
        out = dict(sgemm(), read_gbs=read_gbs(torch.ones(64 * 1024 * 1024)))
    elif len(argv) == 5 and argv[0] == "decode":
        out = decode(argv[1], argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 4:
        out = prompt(argv[0], argv[1], int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
