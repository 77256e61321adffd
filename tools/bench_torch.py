#!/usr/bin/env python3
"""PyTorch side of tools/bench.sh (Debian's torch, CPU, every core).

  bench_torch.py roofline                   -> {"gemm_gflops": .., "stream_gbs": ..}
  bench_torch.py sgemm                      -> {"gemm_gflops": ..}
  bench_torch.py FAMILY MODEL_DIR SEQ RUNS  -> {"prompt_ms": ..}

FAMILY is gpt2, llama, bert or t5 (t5: the encoder alone). The models are the
hand-written Hugging Face references of tests/e2e (eager PyTorch, torch.no_grad),
timed as the median of RUNS after one warm-up. The roofline is the best of a few
2048^3 SGEMMs (torch.mm) and of a 256 MiB tensor copy (bytes read + written).
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


def roofline():
    gemm = sgemm()["gemm_gflops"]
    src = torch.ones(64 * 1024 * 1024)  # 256 MiB of f32
    dst = torch.empty_like(src)
    best = min(median_ms(lambda: dst.copy_(src), 1) for _ in range(5))
    stream = 2.0 * src.numel() * 4 / (best / 1000.0) / 1e9
    return {"gemm_gflops": gemm, "stream_gbs": stream}


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
    m = ref.load(model_dir)
    random.seed(0)
    ids = [random.randrange(m.vocab_size) for _ in range(seq)]
    with torch.no_grad():
        return {"prompt_ms": median_ms(lambda: fwd(m, ids), runs)}


def main(argv):
    if argv[:1] == ["roofline"]:
        out = roofline()
    elif argv[:1] == ["sgemm"]:
        out = sgemm()
    elif len(argv) == 4:
        out = prompt(argv[0], argv[1], int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
