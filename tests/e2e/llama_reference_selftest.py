#!/usr/bin/python3
"""Self-test of make_llama.py, llama_reference.py and check_causal_lm.py (CPU only, about a minute).

llama_reference.py is compared with an independent float64 numpy computation
written differently on purpose: its own safetensors / shard-index reader, one
attention head at a time with the key/value head picked as h * kv // nh, the
rotary embedding as a complex multiplication of the pairs (x[i], x[i + hd/2])
by exp(i * pos * theta^(-2i/hd)), and the attention window as an explicit list
of visible keys per query (no additive mask). Cases: llama with kv_heads <
heads (tied and untied), MQA and MHA, an explicit head_dim, mistral with a
window of 4 under a 12-token prompt, F16 and BF16, 3 shards. Greedy tokens
must be identical and logits within 1e-5 relative L2.

Mixtral (sparse mixture of experts) has its own self-test,
mixtral_reference_selftest.py, which reuses this file's independent model
(alt_moe: dense experts masked by a top-k of the router logits).

Also: same arguments give the same bytes; the shard index is consistent and
sharded logits equal single-file logits bit for bit; the sliding window
changes exactly the rows it should; unsupported configs are rejected; greedy
continuations depend on the context; check_causal_lm.py (family llama and
gpt2) and the check_gpt2.py wrapper accept a correct fake executable and
reject a wrong one.

Usage: llama_reference_selftest.py [WORK_DIR]   (default: a temporary directory)
"""

import hashlib
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llama_reference as ref  # noqa: E402  (sets torch to one thread)

PY = "/usr/bin/python3"
TOL = 1e-5
FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def make(out, *args):
    subprocess.run([PY, os.path.join(HERE, "make_llama.py"), "--out", out] + [str(a) for a in args],
                   check=True)
    return out


# ---------------------------------------------------------------- independent reader

def alt_read_file(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack_from("<Q", blob, 0)[0]
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = blob[base + b: base + e]
        if info["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4").astype(np.float64)
        elif info["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2").astype(np.float64)
        elif info["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view("<f4").astype(np.float64)
        else:
            raise ValueError(info["dtype"])
        out[name] = a.reshape(info["shape"])
    return out


def alt_load(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    if os.path.exists(os.path.join(d, "model.safetensors")):
        w = alt_read_file(os.path.join(d, "model.safetensors"))
    else:
        idx = json.load(open(os.path.join(d, "model.safetensors.index.json")))
        w = {}
        for fname in set(idx["weight_map"].values()):
            w.update(alt_read_file(os.path.join(d, fname)))
    return cfg, w


# ---------------------------------------------------------------- independent forward

def alt_moe(cfg, W, p, m, variant="hf"):
    """Mixtral sparse MoE on m [S, H], float64, written differently from the reference:
    every expert runs densely on every token, then a per-token weight vector that
    is zero outside the top k masks them. The k experts come from a stable argsort
    of the router logits (not torch.topk of the probabilities), and their weights
    are a softmax over the chosen logits alone (which equals HF's renormalised
    top-k probabilities). `variant` deliberately breaks it (sensitivity tests):
    "no-renorm" (full-softmax probabilities of the chosen), "top1" (only the best
    expert, weight 1), "uniform" (weight 1/k each), "bottom" (the k worst experts).
    """
    E, k = cfg.get("num_local_experts", 8), cfg.get("num_experts_per_tok", 2)
    moe = p + "block_sparse_moe."
    r = m @ W[moe + "gate.weight"].T                                    # [S, E]
    dense = []
    for e in range(E):
        a = m @ W[moe + f"experts.{e}.w1.weight"].T
        b = m @ W[moe + f"experts.{e}.w3.weight"].T
        dense.append((a / (1.0 + np.exp(-a)) * b) @ W[moe + f"experts.{e}.w2.weight"].T)
    dense = np.stack(dense)                                             # [E, S, H]
    coef = np.zeros(r.shape)                                            # [S, E]
    for t in range(r.shape[0]):
        order = np.argsort(-r[t], kind="stable")
        chosen = order[-k:] if variant == "bottom" else order[:k]
        if variant == "top1":
            chosen = order[:1]
        z = np.exp(r[t][chosen] - r[t][chosen].max())
        if variant == "no-renorm":
            z = np.exp(r[t][chosen] - r[t].max()) / np.exp(r[t] - r[t].max()).sum()
        elif variant == "uniform":
            z = np.ones(len(chosen))
        else:
            z = z / z.sum()
        coef[t, chosen] = z / len(chosen) if variant == "uniform" else z
    return np.einsum("se,esh->sh", coef, dense)


def alt_logits(model, ids, moe_variant="hf"):
    cfg, W = model
    H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or H // nh
    half = hd // 2
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    window = cfg.get("sliding_window") if cfg["model_type"] in ("mistral", "mixtral") else None
    S = len(ids)

    def rmsnorm(x, w):
        return np.stack([w * r / math.sqrt(float(np.dot(r, r)) / r.size + eps) for r in x])

    # rotary: complex pairs (x[i], x[i + half]) times exp(1j * pos * theta^(-2i/hd))
    rot = np.array([[np.exp(1j * p * theta ** (-2.0 * i / hd)) for i in range(half)]
                    for p in range(S)])

    def rope(m):
        z = (m[:, :half] + 1j * m[:, half:]) * rot
        return np.concatenate([z.real, z.imag], axis=1)

    x = np.stack([W["model.embed_tokens.weight"][t] for t in ids])
    for layer in range(L):
        p = f"model.layers.{layer}."
        a = rmsnorm(x, W[p + "input_layernorm.weight"])
        attn = np.zeros((S, H))
        for h in range(nh):
            g = h * nkv // nh
            rows = slice(h * hd, (h + 1) * hd)
            kvrows = slice(g * hd, (g + 1) * hd)
            q = rope(a @ W[p + "self_attn.q_proj.weight"][rows].T)
            k = rope(a @ W[p + "self_attn.k_proj.weight"][kvrows].T)
            v = a @ W[p + "self_attn.v_proj.weight"][kvrows].T
            ctx = np.zeros((S, hd))
            for i in range(S):
                visible = [j for j in range(S) if j <= i and (window is None or i - j < window)]
                s = np.array([float(q[i] @ k[j]) for j in visible]) / math.sqrt(hd)
                e = np.exp(s - s.max())
                e /= e.sum()
                for pj, j in zip(e, visible):
                    ctx[i] += pj * v[j]
            attn += ctx @ W[p + "self_attn.o_proj.weight"][:, rows].T
        x = x + attn
        m = rmsnorm(x, W[p + "post_attention_layernorm.weight"])
        if cfg["model_type"] == "mixtral":
            x = x + alt_moe(cfg, W, p, m, moe_variant)
            continue
        gate = m @ W[p + "mlp.gate_proj.weight"].T
        up = m @ W[p + "mlp.up_proj.weight"].T
        x = x + ((gate / (1.0 + np.exp(-gate))) * up) @ W[p + "mlp.down_proj.weight"].T
    x = rmsnorm(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ head.T


def alt_greedy(model, ids, n):
    seq = list(ids)
    for _ in range(n):
        seq.append(int(np.argmax(alt_logits(model, seq)[-1])))
    return seq[len(ids):]


def rel_l2(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def crosscheck(name, d, prompts, n_new=8):
    m = ref.load(d)
    alt = alt_load(d)
    for ids in prompts:
        err = rel_l2(ref.logits(m, ids), alt_logits(alt, ids))
        g_ref = ref.greedy(m, ids, n_new, eos_ids=[])
        g_alt = alt_greedy(alt, ids, n_new)
        # the logits of the whole generated sequence too (positions past the prompt)
        err_full = rel_l2(ref.logits(m, ids + g_ref), alt_logits(alt, ids + g_ref))
        check(err <= TOL and err_full <= TOL and g_ref == g_alt,
              f"{name}: prompt {len(ids)} tokens rel_l2 {err:.1e} (with continuation "
              f"{err_full:.1e}), greedy {g_ref} {'==' if g_ref == g_alt else '!='} {g_alt}")


# ---------------------------------------------------------------- the tests

def test_crosscheck(work):
    p12 = [1, 17, 42, 5, 99, 63, 8, 30, 77, 12, 54, 3]
    prompts = [p12, [1, 7, 9]]
    crosscheck("llama kv2<h4 untied F32", make(f"{work}/a", "--model-type", "llama", "--seed", 0), prompts)
    crosscheck("llama kv2<h4 tied F32", make(f"{work}/b", "--model-type", "llama", "--tie", "--seed", 1), prompts)
    crosscheck("llama MQA kv1 head_dim 32 F32",
               make(f"{work}/c", "--model-type", "llama", "--kv-heads", 1, "--head-dim", 32,
                    "--seed", 2, "--rope-theta", 500000.0, "--rms-eps", 1e-5), prompts)
    crosscheck("llama MHA kv4 3 layers F16",
               make(f"{work}/d", "--model-type", "llama", "--kv-heads", 4, "--layers", 3,
                    "--dtype", "F16", "--seed", 3), prompts)
    crosscheck("mistral window 4 untied F32",
               make(f"{work}/e", "--model-type", "mistral", "--sliding-window", 4, "--seed", 4), [p12])
    crosscheck("mistral window 4 tied BF16",
               make(f"{work}/f", "--model-type", "mistral", "--sliding-window", 4, "--tie",
                    "--dtype", "BF16", "--seed", 5), [p12])
    crosscheck("mistral default window (8) F16",
               make(f"{work}/g", "--model-type", "mistral", "--dtype", "F16", "--seed", 6), [p12])
    crosscheck("llama 3 shards BF16",
               make(f"{work}/h", "--model-type", "llama", "--shards", 3, "--dtype", "BF16", "--seed", 7),
               prompts)
    crosscheck("mistral window 4 3 shards tied F32",
               make(f"{work}/i", "--model-type", "mistral", "--sliding-window", 4, "--shards", 3,
                    "--tie", "--seed", 8), [p12])


def file_hashes(d):
    return {f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
            for f in sorted(os.listdir(d))}


def test_determinism_and_shards(work):
    args = ["--model-type", "llama", "--dtype", "BF16", "--seed", 7]
    one = make(f"{work}/s1", *args)
    sharded = make(f"{work}/s3", *args, "--shards", 3)
    again = make(f"{work}/s3b", *args, "--shards", 3)
    check(file_hashes(sharded) == file_hashes(again), "same arguments give the same bytes (3 shards)")
    check(file_hashes(one) == file_hashes(make(f"{work}/s1b", *args)), "same arguments give the same bytes (1 file)")
    check(file_hashes(one)["model.safetensors"] != file_hashes(
        make(f"{work}/s1c", "--model-type", "llama", "--dtype", "BF16", "--seed", 8))["model.safetensors"],
        "another seed gives other weights")

    files = sorted(os.listdir(sharded))
    want = ["config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors", "model.safetensors.index.json"]
    check(files == want, f"3-shard directory holds {files}")
    idx = json.load(open(os.path.join(sharded, "model.safetensors.index.json")))
    wm = idx["weight_map"]
    total = 0
    names_in_files = {}
    for f in want[1:4]:
        hdr_len = struct.unpack("<Q", open(os.path.join(sharded, f), "rb").read(8))[0]
        hdr = json.loads(open(os.path.join(sharded, f), "rb").read(8 + hdr_len)[8:])
        hdr.pop("__metadata__", None)
        names_in_files.update({n: f for n in hdr})
        total += sum(v["data_offsets"][1] - v["data_offsets"][0] for v in hdr.values())
        check(len(hdr) > 0, f"{f} holds {len(hdr)} tensors")
    check(wm == names_in_files, "weight_map maps every tensor to the shard that holds it")
    check(idx["metadata"]["total_size"] == total, f"metadata.total_size {idx['metadata']['total_size']} "
          f"== sum of tensor bytes {total}")
    ids = [1, 5, 9, 33, 2, 71]
    same = np.array_equal(ref.logits(ref.load(one), ids), ref.logits(ref.load(sharded), ids))
    check(same, "sharded and single-file checkpoints give bit-identical logits")

    # --tie only drops lm_head; the other tensors are the same draws
    tied = ref.load(make(f"{work}/t1", "--model-type", "llama", "--tie", "--seed", 3))
    untied = ref.load(make(f"{work}/t2", "--model-type", "llama", "--seed", 3))
    check(all(np.array_equal(a["q"].numpy(), b["q"].numpy()) for a, b in zip(tied.layers, untied.layers))
          and np.array_equal(tied.norm.numpy(), untied.norm.numpy()),
          "--tie and --no-tie share every tensor but lm_head")


def test_window(work):
    d = make(f"{work}/w4", "--model-type", "mistral", "--sliding-window", 4, "--seed", 4)
    full = f"{work}/wnull"
    shutil.copytree(d, full)
    cfg = json.load(open(f"{full}/config.json"))
    cfg["sliding_window"] = None
    json.dump(cfg, open(f"{full}/config.json", "w"), indent=2)
    ids = [1, 17, 42, 5, 99, 63, 8, 30, 77, 12, 54, 3]
    a, b = ref.logits(ref.load(d), ids), ref.logits(ref.load(full), ids)
    check(np.array_equal(a[:4], b[:4]), "window 4: rows 0..3 equal those of sliding_window null")
    diff = [int(i) for i in range(4, 12) if not np.allclose(a[i], b[i], rtol=0, atol=1e-3)]
    check(diff == list(range(4, 12)), f"window 4: rows 4..11 differ from null window (rows {diff})")
    # a window as long as the sequence is no window at all
    w12 = f"{work}/w12"
    shutil.copytree(d, w12)
    cfg["sliding_window"] = 12
    json.dump(cfg, open(f"{w12}/config.json", "w"), indent=2)
    check(np.array_equal(ref.logits(ref.load(w12), ids), b), "window 12 over 12 tokens == no window")
    cfg["sliding_window"] = 11
    json.dump(cfg, open(f"{w12}/config.json", "w"), indent=2)
    c = ref.logits(ref.load(w12), ids)
    check(np.array_equal(c[:11], b[:11]) and not np.array_equal(c[11], b[11]),
          "window 11: only the last of 12 rows loses a key (w keys including itself)")
    # llama ignores sliding_window, as HF LlamaForCausalLM does
    lw = f"{work}/llama_w"
    shutil.copytree(make(f"{work}/llama_nw", "--model-type", "llama", "--seed", 4), lw)
    cfg = json.load(open(f"{lw}/config.json"))
    cfg["sliding_window"] = 2
    json.dump(cfg, open(f"{lw}/config.json", "w"), indent=2)
    check(np.array_equal(ref.logits(ref.load(lw), ids), ref.logits(ref.load(f"{work}/llama_nw"), ids)),
          "llama ignores a sliding_window key")


def expect_reject(d, text, what):
    try:
        ref.load(d)
    except ValueError as e:
        check(text in str(e), f"{what}: rejected with {str(e)!r}")
        return
    check(False, f"{what}: was accepted")


def test_rejections(work):
    expect_reject(make(f"{work}/r1", "--model-type", "llama", "--rope-scaling-type", "linear"),
                  "unsupported rope_scaling", "rope_scaling linear")
    expect_reject(make(f"{work}/r2", "--model-type", "mistral", "--rope-scaling-type", "dynamic"),
                  "unsupported rope_scaling", "rope_scaling dynamic (mistral)")
    expect_reject(make(f"{work}/r3", "--model-type", "llama", "--hidden-act", "gelu"),
                  "unsupported hidden_act 'gelu'", "hidden_act gelu")
    d = make(f"{work}/r4", "--model-type", "llama", "--no-tie")
    cfg = json.load(open(f"{d}/config.json"))
    cfg["tie_word_embeddings"] = True
    json.dump(cfg, open(f"{d}/config.json", "w"))
    expect_reject(d, "lm_head.weight differs", "tied config with a different lm_head.weight")
    d = make(f"{work}/r5", "--model-type", "llama", "--tie")
    cfg = json.load(open(f"{d}/config.json"))
    del cfg["tie_word_embeddings"]  # LlamaConfig's default is false
    json.dump(cfg, open(f"{d}/config.json", "w"))
    expect_reject(d, "no lm_head.weight", "no tie_word_embeddings key and no lm_head")
    r = subprocess.run([PY, os.path.join(HERE, "make_llama.py"), "--out", f"{work}/r6", "--model-type",
                        "llama", "--sliding-window", "4"], capture_output=True, text=True)
    check(r.returncode == 2 and "only applies to --model-type mistral" in r.stderr,
          "make_llama.py refuses --sliding-window for llama")


def test_context_dependence(work):
    rng = random.Random(0)
    for mt in ("llama", "mistral"):
        for tie in ("--no-tie", "--tie"):
            m = ref.load(make(f"{work}/ctx-{mt}{tie}", "--model-type", mt, tie, "--eos", "none"))
            nexts, distinct, repeats, steps = set(), [], 0, 0
            for _ in range(6):
                prompt = [rng.randrange(3, 101) for _ in range(7)] + [50]
                gen = ref.greedy(m, prompt, 12)
                nexts.add(gen[0])
                distinct.append(len(set(gen)))
                seq = prompt + gen
                repeats += sum(seq[i] == seq[i - 1] for i in range(len(prompt), len(seq)))
                steps += len(gen)
            check(len(nexts) >= 3 and min(distinct) >= 3 and repeats <= steps // 3,
                  f"{mt} {tie}: 6 prompts ending in token 50 give {len(nexts)} different next tokens; "
                  f"12-token continuations have {distinct} distinct tokens; "
                  f"{repeats}/{steps} steps repeat the previous token")


FAKE_EXE = r'''
import argparse, json, os, sys
import numpy as np
sys.path.insert(0, {here!r})
ap = argparse.ArgumentParser()
ap.add_argument("--model"); ap.add_argument("--input-ids"); ap.add_argument("--output")
ap.add_argument("--max-new-tokens", type=int, default=5); ap.add_argument("--break", dest="brk", default="")
a = ap.parse_args()
if a.brk == "usage":
    print("error: unsupported rope_scaling", file=sys.stderr); sys.exit(2)
family = json.load(open(os.path.join(a.model, "config.json")))["model_type"]
import gpt2_reference, llama_reference
ref = gpt2_reference if family == "gpt2" else llama_reference
m = ref.load(a.model)
seqs = ref.parse_input_ids(a.input_ids)
out = np.zeros((len(seqs), max(map(len, seqs)), m.vocab_size), np.float32)
gen = []
for b, ids in enumerate(seqs):
    out[b, :len(ids)] = ref.logits(m, ids)
    gen.append(ref.greedy(m, ids, a.max_new_tokens))
if a.brk == "logits":
    out[0, 0, 0] += 1.0
if a.brk == "tokens":
    gen[-1] = gen[-1][:-1]
np.save(a.output, out)
print(json.dumps({{"generated_ids": gen}}))
'''


def test_checker(work):
    fake = os.path.join(work, "fake_exe.py")
    with open(fake, "w") as f:
        f.write(FAKE_EXE.format(here=HERE))

    def exe_for(model):
        path = model + ".exe"
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\nexec {PY} {fake} --model {model} \"$@\"\n")
        os.chmod(path, 0o755)
        return path

    def run(script, *args):
        r = subprocess.run([PY, os.path.join(HERE, script)] + list(args), capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    llama = make(f"{work}/chk-llama", "--model-type", "mistral", "--sliding-window", 4, "--eos", "2,7",
                 "--shards", 2)
    ids = "1,17,42,5,99,63,8,30,77,12;4,5"
    exe = exe_for(llama)
    rc, out = run("check_causal_lm.py", "--family", "llama", "--model", llama, "--exe", exe,
                  "--input-ids", ids, "--max-new-tokens", "6")
    check(rc == 0 and "PASS" in out, "check_causal_lm.py --family llama accepts a correct executable")
    for brk, text in (("logits", "rel L2 error"), ("tokens", "generated")):
        rc, out = run("check_causal_lm.py", "--family", "llama", "--model", llama, "--exe", exe,
                      "--input-ids", ids, "--extra-args", "--break", brk)
        check(rc == 1 and text in out, f"check_causal_lm.py --family llama rejects wrong {brk}")
    rc, out = run("check_causal_lm.py", "--family", "llama", "--exe", exe, "--expect-fail",
                  "--expect-message", "unsupported rope_scaling", "--input-ids", "1",
                  "--extra-args", "--break usage")
    check(rc == 0 and "failed as expected" in out, "check_causal_lm.py --expect-fail mode")
    rc, out = run("check_causal_lm.py", "--model", llama, "--exe", exe, "--input-ids", ids)
    check(rc != 0, "the default family (gpt2) cannot load a llama checkpoint")

    gpt2 = f"{work}/chk-gpt2"
    subprocess.run([PY, os.path.join(HERE, "make_gpt2.py"), "--out", gpt2, "--untied-lm-head",
                    "--eos", "84", "--seed", "1"], check=True)
    gexe = exe_for(gpt2)
    rc, out = run("check_gpt2.py", "--model", gpt2, "--exe", gexe, "--input-ids", "1,2,3;4,5",
                  "--max-new-tokens", "6")
    check(rc == 0 and "PASS" in out, "check_gpt2.py (wrapper) accepts a correct GPT-2 executable")
    rc, out = run("check_gpt2.py", "--model", gpt2, "--exe", gexe, "--input-ids", "1,2,3;4,5",
                  "--extra-args", "--break logits")
    check(rc == 1 and "rel L2 error" in out, "check_gpt2.py (wrapper) rejects wrong logits")
    rc, out = run("check_causal_lm.py", "--family", "gpt2", "--model", gpt2, "--exe", gexe,
                  "--input-ids", "7,8,9,10;11", "--max-new-tokens", "3")
    check(rc == 0 and "PASS" in out, "check_causal_lm.py --family gpt2 accepts it too")


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="llama_selftest_")
    os.makedirs(work, exist_ok=True)
    try:
        test_crosscheck(work)
        test_determinism_and_shards(work)
        test_window(work)
        test_rejections(work)
        test_context_dependence(work)
        test_checker(work)
    finally:
        if len(sys.argv) <= 1:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed:\n  " + "\n  ".join(FAILURES))
        return 1
    print("llama reference self-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
