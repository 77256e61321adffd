#!/usr/bin/python3
"""Self-test of the Mixtral parts of make_llama.py, llama_reference.py and check_causal_lm.py.

CPU only, one thread, well under a minute. llama_reference.py's
MixtralSparseMoeBlock (torch.topk of the softmax probabilities, renormalised,
each expert run on the tokens that chose it, index_add) is compared with
llama_reference_selftest.py's independent float64 numpy model, whose alt_moe
runs every expert on every token and masks them with a per-token weight vector
built from a stable argsort of the router logits and a softmax over the chosen
logits only. Cases: 4 experts top-2 (F32, untied), 8 experts top-2 (BF16,
tied, 2 shards), top-1 (F16), top-k == experts (3 of 3), a sliding window of 4
with MQA. Greedy tokens must be identical and logits within 1e-5 relative L2.

Also:
  * the routing really varies: per layer, over a few prompts, every expert is
    chosen and at least 3 different expert sets occur; the k-th expert's weight
    exceeds 0.1 for a quarter of the tokens or more; the prompts of the e2e test
    have no near-tie (router logit gap between the k-th and (k+1)-th expert
    > 1e-3), so a float32 implementation picks the same experts;
  * sensitivity: deliberately wrong routings (no renormalisation, top-1 only,
    uniform weights, the k worst experts) move the logits by far more than the
    1e-4 tolerance of check_causal_lm.py;
  * greedy continuations depend on the context;
  * config.json has the MixtralConfig keys, sliding_window null by default,
    and a window limits attention as in Mistral;
  * the same arguments give the same bytes; --tie shares every other tensor;
  * bad configs and flags are rejected;
  * check_causal_lm.py --family llama accepts a correct fake executable for a
    Mixtral checkpoint and rejects wrong logits / tokens.

Usage: mixtral_reference_selftest.py [WORK_DIR]   (default: a temporary directory)
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llama_reference as ref  # noqa: E402  (sets torch to one thread)
import llama_reference_selftest as lst  # noqa: E402
import make_llama  # noqa: E402

PY = lst.PY
check = lst.check
make = lst.make
rel_l2 = lst.rel_l2

# The ids llama_e2e.sh uses; a Mixtral e2e step should use them with these seeds.
E2E_IDS = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [7, 8]]
P12 = [1, 17, 42, 5, 99, 63, 8, 30, 77, 12, 54, 3]


def mixtral(out, *args):
    """make_llama.py --model-type mixtral, run in this process (saves a torch import)."""
    make_llama.main(["--out", out, "--model-type", "mixtral"] + [str(a) for a in args])
    return out


def test_crosscheck(work):
    prompts = [P12, [1, 7, 9]]
    lst.crosscheck("mixtral E4 top2 untied F32", mixtral(f"{work}/a", "--seed", 0), prompts)
    lst.crosscheck("mixtral E8 top2 tied BF16 2 shards",
                   mixtral(f"{work}/b", "--experts", 8, "--tie", "--dtype", "BF16", "--shards", 2,
                           "--seed", 1), prompts)
    lst.crosscheck("mixtral E4 top1 F16", mixtral(f"{work}/c", "--top-k", 1, "--dtype", "F16",
                                                  "--seed", 2), prompts)
    lst.crosscheck("mixtral E3 top3 (every expert) 3 layers",
                   mixtral(f"{work}/d", "--experts", 3, "--top-k", 3, "--layers", 3, "--seed", 3),
                   [P12])
    lst.crosscheck("mixtral window 4 MQA",
                   mixtral(f"{work}/e", "--sliding-window", 4, "--kv-heads", 1, "--seed", 4), [P12])


def routing_stats(m, prompts):
    """Per layer: set of chosen expert sets, experts used; all k-th weights; min gap."""
    sets = [set() for _ in range(m.n_layer)]
    kth, gaps = [], []
    for ids in prompts:
        for layer, t in enumerate(ref.router_trace(m, ids)):
            sets[layer] |= {tuple(sorted(int(e) for e in row)) for row in t["selected"]}
            kth += [float(w) for w in t["weights"][:, -1]]
            gaps.append(float(t["margin"].min()))
    return sets, np.array(kth), min(gaps)


def test_routing_varies(work):
    rng = random.Random(1)
    prompts = [[rng.randrange(101) for _ in range(12)] for _ in range(4)]
    for name, args in (("E4 top2", ["--seed", 0]), ("E8 top2", ["--experts", 8, "--seed", 1])):
        m = ref.load(mixtral(f"{work}/route-{name.replace(' ', '')}", *args))
        sets, kth, _ = routing_stats(m, prompts)
        used = [sorted({e for s in layer for e in s}) for layer in sets]
        check(all(len(s) >= 3 for s in sets) and all(u == list(range(m.n_experts)) for u in used),
              f"{name}: per layer {[len(s) for s in sets]} different expert sets over 48 tokens, "
              f"experts used {used}")
        frac = float((kth > 0.1).mean())
        check(frac >= 0.25, f"{name}: the k-th expert's weight is > 0.1 for {frac:.0%} of tokens "
                            f"(median {np.median(kth):.3f})")
        # the chosen experts really change between neighbouring tokens of one prompt
        sel = ref.router_trace(m, P12)[0]["selected"]
        changes = sum(set(sel[i]) != set(sel[i - 1]) for i in range(1, len(sel)))
        check(changes >= 4, f"{name}: layer 0 changes its expert set {changes} times over 12 tokens")

    # The checkpoint and prompts suggested for the e2e test route without near-ties,
    # over the prompt and the 12-token reference continuation.
    for seed in (5, 10):  # 5: llama_e2e.sh's mixtral checkpoint
        m = ref.load(mixtral(f"{work}/e2e-{seed}", "--seed", seed, "--eos", "none"))
        gap = min(routing_stats(m, [ids + ref.greedy(m, ids, 12)])[2] for ids in E2E_IDS)
        check(gap > 1e-3, f"e2e mixtral (--seed {seed}, E2E ids + 12 new tokens): smallest router "
                          f"logit gap between k-th and (k+1)-th expert {gap:.2e} > 1e-3")


def test_sensitivity(work):
    d = mixtral(f"{work}/sens", "--seed", 0)
    alt = lst.alt_load(d)
    good = lst.alt_logits(alt, P12)
    for variant in ("no-renorm", "top1", "uniform", "bottom"):
        err = rel_l2(lst.alt_logits(alt, P12, moe_variant=variant), good)
        check(err > 1e-2, f"a wrong routing ({variant}) changes the logits by rel L2 {err:.2e} "
                          f"(>> tolerance 1e-4)")


def test_context_dependence(work):
    rng = random.Random(0)
    for tie in ("--no-tie", "--tie"):
        m = ref.load(mixtral(f"{work}/ctx{tie}", tie, "--eos", "none", "--seed", 5))
        nexts, distinct = set(), []
        for _ in range(6):
            prompt = [rng.randrange(3, 101) for _ in range(7)] + [50]
            gen = ref.greedy(m, prompt, 10)
            nexts.add(gen[0])
            distinct.append(len(set(gen)))
        check(len(nexts) >= 3 and min(distinct) >= 3,
              f"mixtral {tie}: 6 prompts ending in token 50 give {len(nexts)} different next "
              f"tokens; 10-token continuations have {distinct} distinct tokens")


def test_config_and_window(work):
    d = mixtral(f"{work}/cfg", "--experts", 6, "--top-k", 3, "--seed", 6)
    cfg = json.load(open(f"{d}/config.json"))
    want = {"model_type": "mixtral", "architectures": ["MixtralForCausalLM"],
            "num_local_experts": 6, "num_experts_per_tok": 3, "sliding_window": None,
            "output_router_logits": False, "router_aux_loss_coef": 0.02,
            "router_jitter_noise": 0.0, "hidden_act": "silu"}
    check(all(cfg.get(k, "MISSING") == v for k, v in want.items()),
          f"mixtral config.json has {({k: cfg.get(k, 'MISSING') for k in want})}")
    hdr = lst.alt_read_file(f"{d}/model.safetensors")
    names = set(hdr)
    check(not any(".mlp." in n for n in names)
          and "model.layers.1.block_sparse_moe.gate.weight" in names
          and hdr["model.layers.1.block_sparse_moe.gate.weight"].shape == (6, 64)
          and hdr["model.layers.0.block_sparse_moe.experts.5.w1.weight"].shape == (96, 64)
          and hdr["model.layers.0.block_sparse_moe.experts.5.w2.weight"].shape == (64, 96)
          and hdr["model.layers.0.block_sparse_moe.experts.5.w3.weight"].shape == (96, 64)
          and len(names) == 1 + 2 * (4 + 1 + 3 * 6 + 2) + 1 + 1,
          f"mixtral tensors: {len(names)} names, block_sparse_moe gate [E, H], experts w1/w3 [I, H], "
          f"w2 [H, I], no dense mlp")

    # a window of 4 changes exactly the rows past the first 4, like Mistral
    w4 = mixtral(f"{work}/w4", "--sliding-window", 4, "--seed", 6)
    nw = mixtral(f"{work}/wnone", "--seed", 6)
    a, b = ref.logits(ref.load(w4), P12), ref.logits(ref.load(nw), P12)
    # Not bit for bit: each expert's GEMM takes the tokens routed to it, and the
    # rows past the window route differently, so a BLAS that blocks by shape
    # (OpenBLAS) rounds row 0 differently, by far less than the 1e-5 that
    # separates it from the rows the window changes.
    diff = [i for i in range(12) if not np.allclose(a[i], b[i], rtol=0, atol=1e-5)]
    check(diff == list(range(4, 12)), f"mixtral window 4: rows {diff} differ from no window")

    same = lst.file_hashes(mixtral(f"{work}/h1", "--seed", 7, "--dtype", "BF16")) == \
        lst.file_hashes(mixtral(f"{work}/h2", "--seed", 7, "--dtype", "BF16"))
    check(same, "mixtral: same arguments give the same bytes")
    t1 = ref.load(mixtral(f"{work}/t1", "--tie", "--seed", 3))
    t2 = ref.load(mixtral(f"{work}/t2", "--seed", 3))
    check(all(np.array_equal(x["router"].numpy(), y["router"].numpy())
              and np.array_equal(x["experts"][-1]["w2"].numpy(), y["experts"][-1]["w2"].numpy())
              for x, y in zip(t1.layers, t2.layers)),
          "mixtral --tie and --no-tie share every tensor but lm_head")


def test_rejections(work):
    d = mixtral(f"{work}/rk", "--seed", 8)
    cfg = json.load(open(f"{d}/config.json"))
    cfg["num_experts_per_tok"] = 5
    json.dump(cfg, open(f"{d}/config.json", "w"))
    lst.expect_reject(d, "num_experts_per_tok 5 must be in", "top-k larger than the expert count")
    d = make(f"{work}/rm", "--model-type", "llama", "--seed", 8)
    cfg = json.load(open(f"{d}/config.json"))
    cfg["model_type"] = "mixtral"
    json.dump(cfg, open(f"{d}/config.json", "w"))
    lst.expect_reject(d, "block_sparse_moe.gate.weight", "mixtral config over dense llama tensors")
    lst.expect_reject(mixtral(f"{work}/ra", "--hidden-act", "gelu"), "unsupported hidden_act",
                      "mixtral with hidden_act gelu")
    for bad, text in ((["--model-type", "llama", "--experts", "4"], "only apply to --model-type mixtral"),
                      (["--model-type", "mixtral", "--top-k", "5"], "1 <= --top-k <= --experts"),
                      (["--model-type", "llama", "--sliding-window", "4"], "only applies")):
        r = subprocess.run([PY, os.path.join(HERE, "make_llama.py"), "--out", f"{work}/rx"] + bad,
                           capture_output=True, text=True)
        check(r.returncode == 2 and text in r.stderr, f"make_llama.py refuses {' '.join(bad)}")


def test_checker(work):
    fake = os.path.join(work, "fake_exe.py")
    with open(fake, "w") as f:
        f.write(lst.FAKE_EXE.format(here=HERE))
    model = mixtral(f"{work}/chk", "--seed", 10, "--eos", "none")
    exe = model + ".exe"
    with open(exe, "w") as f:
        f.write(f"#!/bin/sh\nexec {PY} {fake} --model {model} \"$@\"\n")
    os.chmod(exe, 0o755)
    ids = ";".join(",".join(map(str, s)) for s in E2E_IDS)

    def run(*args):
        r = subprocess.run([PY, os.path.join(HERE, "check_causal_lm.py"), "--family", "llama",
                            "--model", model, "--exe", exe, "--input-ids", ids] + list(args),
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    rc, out = run("--max-new-tokens", "6")
    check(rc == 0 and "PASS" in out and "router_min_gap=" in out and "NEAR-TIE" not in out,
          "check_causal_lm.py --family llama accepts a correct Mixtral executable "
          "(and reports the router gap)")
    for brk, text in (("logits", "rel L2 error"), ("tokens", "generated")):
        rc, out = run("--max-new-tokens", "4", "--extra-args", "--break", brk)
        check(rc == 1 and text in out, f"check_causal_lm.py rejects a Mixtral executable with wrong {brk}")


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="mixtral_selftest_")
    os.makedirs(work, exist_ok=True)
    try:
        test_crosscheck(work)
        test_routing_varies(work)
        test_sensitivity(work)
        test_context_dependence(work)
        test_config_and_window(work)
        test_rejections(work)
        test_checker(work)
    finally:
        if len(sys.argv) <= 1:
            shutil.rmtree(work, ignore_errors=True)
    if lst.FAILURES:
        print(f"{len(lst.FAILURES)} check(s) failed:\n  " + "\n  ".join(lst.FAILURES))
        return 1
    print("mixtral reference self-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
