#!/usr/bin/python3
"""Self-test of make_t5.py, t5_reference.py and check_seq2seq.py (CPU only, one thread, well under a minute).

t5_reference.py is compared with an independent float64 numpy T5 written
differently on purpose: its own safetensors reader (llama_reference_selftest's),
relative position buckets from a scalar formula in Python floats (math.log,
int()), position biases looked up per (head, query, key), attention one head
and one query at a time with an explicit list of visible keys (no additive
mask), T5LayerNorm per row, gelu_new written out. Cases: v1.0 (relu, tied,
rescaled) and v1.1 (gated-gelu, untied), F32 / BF16 / F16, the default 32
buckets / distance 128 with a 12-token input and a 20-token decoder prefix
(both reach the logarithmic buckets), 8 buckets / distance 12 (the clamp to
the last bucket), 3 encoder and 2 decoder layers, heads * d_kv != d_model, no
embed_tokens copies. Logits must agree within 1e-5 relative L2 and greedy
tokens must be identical.

Also: the bucket function equals the scalar formula for every offset in
[-300, 300] under several bucket configurations, and a few hand-computed
values; plausible implementation mistakes (1/sqrt(d_kv) scaling, no d_model**-0.5
rescale, erf GELU, swapped bucket directions, the sign of the offset, bias only
in block 0, bias in cross-attention, no causal mask, mean-subtracting norm,
rounding instead of truncating the log bucket) move the logits by more than
check_seq2seq.py's 1e-4 tolerance; continuations depend on the encoder input
and on the decoder prefix; the decoder is causal and the encoder
bidirectional; the suggested e2e cases have no near-ties between the best two
logits; bad configs are rejected; the same arguments give the same bytes;
check_seq2seq.py accepts a correct fake executable and rejects wrong logits,
tokens, padding and shapes.

Usage: t5_reference_selftest.py [WORK_DIR]   (default: a temporary directory)
"""

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_t5  # noqa: E402
import t5_reference as ref  # noqa: E402  (sets torch to one thread)
from llama_reference_selftest import alt_read_file, file_hashes, rel_l2  # noqa: E402

PY = "/usr/bin/python3"
TOL = 1e-5
FAILURES = []

# Suggested inputs for t5 e2e runs (see test_e2e_cases).
E2E_INPUT = "5,6,7,8,9,10,11,12,13,14,15,16;20,30,40"
E2E_DECODER = "0;0,7,3,9"


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def make(out, *args):
    """make_t5.py, run in this process (saves a torch import per checkpoint)."""
    make_t5.main(["--out", out] + [str(a) for a in args])
    return out


# ---------------------------------------------------------------- independent model

def alt_load(d):
    return json.load(open(os.path.join(d, "config.json"))), alt_read_file(os.path.join(d, "model.safetensors"))


def alt_bucket(n, bidirectional, num_buckets, max_distance, mistake=None):
    """Bucket of one offset n = key - query, in Python floats."""
    base = 0
    if bidirectional:
        num_buckets //= 2
        if n > 0:
            base = num_buckets
        n = abs(n)
    else:
        n = max(-n, 0)
    exact = num_buckets // 2
    if n < exact:
        return base + n
    x = exact + math.log(n / exact) / math.log(max_distance / exact) * (num_buckets - exact)
    b = int(round(x)) if mistake == "round-bucket" else int(x)
    return base + min(b, num_buckets - 1)


def alt_logits(model, input_ids, decoder_ids, mistake=None):
    """float64 [len(decoder_ids), V]. mistake: None or a name from MISTAKES (a wrong model)."""
    cfg, W = model
    D, nh, dk = cfg["d_model"], cfg["num_heads"], cfg["d_kv"]
    B, M = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
    eps = cfg["layer_norm_epsilon"]
    gated = cfg["feed_forward_proj"] == "gated-gelu"
    tied = cfg["tie_word_embeddings"]
    E = W["shared.weight"]

    def norm(x, w):
        rows = []
        for r in x:
            if mistake == "mean-norm":
                r = r - r.mean()
            rows.append(w * r / math.sqrt(float(r @ r) / r.size + eps))
        return np.array(rows)

    def gelu_new(x):
        if mistake == "erf-gelu":
            return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    def ff(x, p):
        if gated:
            h = gelu_new(x @ W[p + "wi_0.weight"].T) * (x @ W[p + "wi_1.weight"].T)
        else:
            h = np.maximum(x @ W[p + "wi.weight"].T, 0)
        return h @ W[p + "wo.weight"].T

    def attend(x, kv, p, table, bidirectional, causal):
        """table: [B, nh] bias table or None."""
        out = np.zeros((x.shape[0], nh * dk))
        for h in range(nh):
            c = slice(h * dk, (h + 1) * dk)
            q = x @ W[p + "q.weight"][c].T
            k = kv @ W[p + "k.weight"][c].T
            v = kv @ W[p + "v.weight"][c].T
            for i in range(x.shape[0]):
                keys = [j for j in range(kv.shape[0]) if not causal or j <= i]
                s = []
                for j in keys:
                    score = float(q[i] @ k[j])
                    if mistake == "scaled":
                        score /= math.sqrt(dk)
                    if table is not None:
                        n = i - j if mistake == "offset-sign" else j - i
                        score += table[alt_bucket(n, bidirectional, B, M, mistake), h]
                    s.append(score)
                s = np.array(s)
                e = np.exp(s - s.max())
                out[i, c] = (e / e.sum()) @ v[keys]
        return out @ W[p + "o.weight"].T

    enc_table = W["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
    dec_table = W["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]
    enc_bi = mistake != "swapped-directions"
    dec_bi = mistake == "swapped-directions"

    x = E[list(input_ids)]
    for i in range(cfg["num_layers"]):
        p = f"encoder.block.{i}.layer."
        tab = enc_table if i == 0 or mistake != "bias-block0-only" else None
        x = x + attend(norm(x, W[p + "0.layer_norm.weight"]), norm(x, W[p + "0.layer_norm.weight"]),
                       p + "0.SelfAttention.", tab, enc_bi, False)
        x = x + ff(norm(x, W[p + "1.layer_norm.weight"]), p + "1.DenseReluDense.")
    enc = norm(x, W["encoder.final_layer_norm.weight"])

    y = E[list(decoder_ids)]
    for i in range(cfg["num_decoder_layers"]):
        p = f"decoder.block.{i}.layer."
        tab = dec_table if i == 0 or mistake != "bias-block0-only" else None
        a = norm(y, W[p + "0.layer_norm.weight"])
        y = y + attend(a, a, p + "0.SelfAttention.", tab, dec_bi, mistake != "no-causal-mask")
        y = y + attend(norm(y, W[p + "1.layer_norm.weight"]), enc, p + "1.EncDecAttention.",
                       dec_table if mistake == "bias-in-cross" else None, False, False)
        y = y + ff(norm(y, W[p + "2.layer_norm.weight"]), p + "2.DenseReluDense.")
    y = norm(y, W["decoder.final_layer_norm.weight"])
    if tied:
        if mistake != "no-rescale":
            y = y / math.sqrt(D)
        return y @ E.T
    return y @ W["lm_head.weight"].T


def alt_greedy(model, input_ids, n, decoder_ids):
    seq = list(decoder_ids)
    for _ in range(n):
        seq.append(int(np.argmax(alt_logits(model, input_ids, seq)[-1])))
    return seq[len(decoder_ids):]


# ---------------------------------------------------------------- the tests

IN12 = [5, 17, 42, 9, 33, 71, 2, 60, 88, 13, 24, 50]
DEC20 = [0, 44, 7, 91, 3, 58, 12, 36, 80, 19, 65, 27, 4, 99, 51, 8, 73, 30, 62, 15]


def crosscheck(name, d, cases, n_new=6):
    m, alt = ref.load(d), alt_load(d)
    for ids, dec in cases:
        err = rel_l2(ref.logits(m, ids, dec), alt_logits(alt, ids, dec))
        g_ref = ref.greedy(m, ids, n_new, dec, eos_ids=[])
        g_alt = alt_greedy(alt, ids, n_new, dec)
        check(err <= TOL and g_ref == g_alt,
              f"{name}: input {len(ids)} / decoder {len(dec)} tokens rel_l2 {err:.1e}, "
              f"greedy {g_ref} {'==' if g_ref == g_alt else '!='} {g_alt}")


def test_crosscheck(work):
    both = [(IN12, DEC20), ([7, 8, 1], [0])]
    crosscheck("v1.0 F32 (relu, tied, rescaled)", make(f"{work}/a", "--variant", "v1.0", "--seed", 0), both)
    crosscheck("v1.1 BF16 (gated-gelu, untied)", make(f"{work}/b", "--variant", "v1.1", "--dtype", "BF16",
                                                      "--seed", 1), both)
    crosscheck("v1.0 8 buckets / distance 12, 3+2 layers, 2 heads x d_kv 8",
               make(f"{work}/c", "--variant", "v1.0", "--buckets", 8, "--max-distance", 12, "--layers", 3,
                    "--decoder-layers", 2, "--heads", 2, "--d-kv", 8, "--seed", 2), [(IN12 + IN12, DEC20)])
    crosscheck("v1.1 F16, no embed_tokens copies, 6 buckets / distance 9",
               make(f"{work}/d", "--variant", "v1.1", "--dtype", "F16", "--no-embed-copies",
                    "--buckets", 6, "--max-distance", 9, "--seed", 3), [(IN12, DEC20[:14])])


def test_buckets(work):
    bad = []
    for B, M in ((32, 128), (8, 12), (16, 32), (6, 9), (64, 256), (10, 20)):
        for bi in (True, False):
            got = ref.relative_position_bucket(torch.arange(-300, 301), bi, B, M).tolist()
            want = [alt_bucket(n, bi, B, M) for n in range(-300, 301)]
            bad += [(B, M, bi, n) for n, g, w in zip(range(-300, 301), got, want) if g != w]
    check(not bad, f"bucket function == scalar formula for offsets -300..300, 6 configurations "
                   f"x 2 directions (mismatches: {bad[:5]})")
    # hand-computed (32 buckets, distance 128): key - query -> bucket
    bi = {0: 0, -1: 1, -7: 7, -8: 8, -12: 9, -16: 10, -60: 13, -127: 15, -128: 15, -500: 15,
          1: 17, 7: 23, 8: 24, 16: 26, 64: 30, 128: 31, 1000: 31}
    causal = {5: 0, 0: 0, -1: 1, -15: 15, -16: 16, -20: 17, -127: 31, -128: 31, -1000: 31}
    got_bi = {n: int(ref.relative_position_bucket(torch.tensor(n), True, 32, 128)) for n in bi}
    got_c = {n: int(ref.relative_position_bucket(torch.tensor(n), False, 32, 128)) for n in causal}
    check(got_bi == bi and got_c == causal, f"hand-computed buckets: bidirectional {got_bi}, causal {got_c}")


MISTAKES = ("scaled", "no-rescale", "erf-gelu", "swapped-directions", "offset-sign", "bias-block0-only",
            "bias-in-cross", "no-causal-mask", "mean-norm", "round-bucket")


def test_sensitivity(work):
    v10, v11 = alt_load(f"{work}/a"), alt_load(f"{work}/b")
    c = alt_load(f"{work}/c")
    dec = DEC20[:10]
    for mistake in MISTAKES:
        if mistake == "erf-gelu":
            model = v11
        elif mistake == "round-bucket":
            model = c  # 8 buckets: log buckets from offset 2 on
        else:
            model = v10
        ids = IN12 + IN12 if model is c else IN12
        good = alt_logits(model, ids, dec)
        err = rel_l2(alt_logits(model, ids, dec, mistake=mistake), good)
        floor = 3e-4 if mistake == "erf-gelu" else 1e-2
        check(err > floor, f"mistake {mistake!r} moves the logits by rel L2 {err:.2e} (> {floor:g}; "
                           f"check_seq2seq.py's tolerance is 1e-4)")


def test_structure(work):
    m = ref.load(f"{work}/a")
    enc = ref.encode(m, IN12)
    enc2 = ref.encode(m, IN12[:-1] + [3])
    rows = [i for i in range(12) if not np.allclose(enc[i], enc2[i], rtol=0, atol=1e-5)]
    check(rows == list(range(12)), f"encoder is bidirectional: a new last token changes rows {rows}")
    a = ref.logits(m, IN12, DEC20[:10])
    b = ref.logits(m, IN12, DEC20[:6] + [1, 2, 3, 4])
    check(np.allclose(a[:6], b[:6], rtol=0, atol=1e-5) and not np.allclose(a[6:], b[6:], atol=1e-3),
          "decoder is causal: rows before a changed decoder token keep their logits")
    c = ref.logits(m, IN12[:-1] + [3], DEC20[:10])
    check(all(not np.allclose(a[i], c[i], atol=1e-3) for i in range(10)),
          "cross-attention: a new last encoder token changes the logits of every decoder row")
    names = set(alt_read_file(f"{work}/a/model.safetensors"))
    names11 = set(alt_read_file(f"{work}/b/model.safetensors"))
    rb = "layer.0.SelfAttention.relative_attention_bias.weight"
    check("lm_head.weight" not in names and "lm_head.weight" in names11
          and {n for n in names if rb in n} == {"encoder.block.0." + rb, "decoder.block.0." + rb}
          and "encoder.embed_tokens.weight" in names and "decoder.block.1.layer.2.DenseReluDense.wi.weight" in names
          and "decoder.block.1.layer.2.DenseReluDense.wi_1.weight" in names11
          # shared + 2 copies; per encoder block 8, per decoder block 13; 2 biases; 2 final norms
          and len(names) == 3 + 2 * 8 + 2 * 13 + 2 + 2
          and len(names11) == len(names) + 2 * 2 + 1,
          f"tensor names: v1.0 {len(names)} (tied, wi), v1.1 {len(names11)} (wi_0/wi_1, lm_head), "
          f"relative_attention_bias only in block 0")
    cfg0, cfg1 = json.load(open(f"{work}/a/config.json")), json.load(open(f"{work}/b/config.json"))
    want0 = {"model_type": "t5", "d_model": 64, "d_kv": 16, "d_ff": 128, "num_layers": 2,
             "num_decoder_layers": 2, "num_heads": 4, "relative_attention_num_buckets": 32,
             "relative_attention_max_distance": 128, "layer_norm_epsilon": 1e-6,
             "feed_forward_proj": "relu", "tie_word_embeddings": True, "decoder_start_token_id": 0,
             "eos_token_id": 1, "pad_token_id": 0, "vocab_size": 101, "dense_act_fn": "relu",
             "is_gated_act": False}
    want1 = dict(want0, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                 dense_act_fn="gelu_new", is_gated_act=True)
    check(all(cfg0.get(k, "MISSING") == v for k, v in want0.items())
          and all(cfg1.get(k, "MISSING") == v for k, v in want1.items()),
          f"config.json keys: v1.0 {cfg0}; v1.1 differs in "
          f"{ {k: cfg1[k] for k in cfg1 if cfg1[k] != cfg0.get(k)} }")
    check(file_hashes(f"{work}/b") == file_hashes(make(f"{work}/b2", "--variant", "v1.1", "--dtype", "BF16",
                                                        "--seed", 1)),
          "same arguments give the same bytes")
    no_copies = ref.load(make(f"{work}/nc", "--variant", "v1.0", "--no-embed-copies", "--seed", 0))
    check(np.array_equal(ref.logits(no_copies, IN12, DEC20[:5]), ref.logits(m, IN12, DEC20[:5])),
          "--no-embed-copies only drops the embed_tokens copies")


def continuation_stats(m, seed):
    rng = random.Random(seed)
    firsts, distinct, reps, steps = set(), [], 0, 0
    for _ in range(6):
        ids = [rng.randrange(2, 101) for _ in range(8)]
        g = ref.greedy(m, ids, 12, eos_ids=[])
        firsts.add(g[0])
        distinct.append(len(set(g)))
        reps += sum(g[i] == g[i - 1] for i in range(1, len(g)))
        steps += len(g) - 1
    return firsts, distinct, reps, steps


def test_context_dependence(work):
    for variant, d, min_first, max_rep in (("v1.1", f"{work}/b", 4, 0.25), ("v1.0", f"{work}/a", 4, 0.6)):
        m = ref.load(d)
        firsts, distinct, reps, steps = continuation_stats(m, 0)
        check(len(firsts) >= min_first and sum(distinct) >= 2 * len(distinct) and reps <= max_rep * steps,
              f"{variant}: 6 random inputs give {len(firsts)} different first tokens; 12-token "
              f"continuations have {distinct} distinct tokens; {reps}/{steps} steps repeat the previous")
        nexts = {ref.greedy(m, IN12, 1, [0, t], eos_ids=[])[0] for t in (3, 9, 27, 44, 70, 95)}
        check(len(nexts) >= 3, f"{variant}: 6 decoder prefixes [0, t] over one input give "
                               f"{len(nexts)} different next tokens")


def test_e2e_cases(work):
    """Checkpoints and inputs suggested for t5 e2e runs: no near-ties, lively continuations."""
    seqs = ref.parse_input_ids(E2E_INPUT)
    decs = ref.parse_input_ids(E2E_DECODER)
    for variant, args in (("v1.0", ["--variant", "v1.0", "--seed", 1]),
                          ("v1.1", ["--variant", "v1.1", "--dtype", "BF16", "--seed", 2]),
                          ("v1.0 8 buckets", ["--variant", "v1.0", "--buckets", 8, "--max-distance", 12,
                                              "--seed", 3])):
        m = ref.load(make(f"{work}/e2e-{variant.replace(' ', '')}", *args))
        gaps, gens = [], []
        for ids in seqs:
            for dec in (decs[0], decs[1]):
                gen = ref.greedy(m, ids, 12, dec)
                gens.append(gen)
                lg = ref.logits(m, ids, dec + gen)
                top2 = np.sort(lg[len(dec) - 1:], axis=1)[:, -2:]
                gaps.append(float((top2[:, 1] - top2[:, 0]).min()))
        lively = sum(len(set(g)) >= 3 for g in gens)
        check(min(gaps) > 1e-3 and lively >= 2,
              f"e2e {variant} (make_t5.py {' '.join(map(str, args))}; --input-ids {E2E_INPUT!r}, "
              f"decoder start or {decs[1]}): smallest top-2 logit gap {min(gaps):.2e}; "
              f"continuations {gens}")


def expect_reject(d, text, what):
    try:
        ref.load(d)
    except ValueError as e:
        check(text in str(e), f"{what}: rejected with {str(e)!r}")
        return
    check(False, f"{what}: was accepted")


def edit_config(d, **changes):
    cfg = json.load(open(f"{d}/config.json"))
    cfg.update(changes)
    json.dump(cfg, open(f"{d}/config.json", "w"))
    return d


def test_rejections(work):
    expect_reject(make(f"{work}/r1", "--feed-forward-proj", "gated-silu"), "unsupported feed_forward_proj",
                  "feed_forward_proj gated-silu")
    expect_reject(edit_config(make(f"{work}/r2", "--variant", "v1.1"), dense_act_fn="gelu"),
                  "contradict feed_forward_proj", "dense_act_fn gelu with gated-gelu")
    d = make(f"{work}/r3", "--variant", "v1.1")
    expect_reject(edit_config(d, tie_word_embeddings=True), "lm_head.weight differs", "v1.1 weights, tied config")
    expect_reject(edit_config(make(f"{work}/r4", "--variant", "v1.0"), tie_word_embeddings=False),
                  "no lm_head.weight", "v1.0 weights, untied config")
    expect_reject(edit_config(make(f"{work}/r5", "--variant", "v1.0"), feed_forward_proj="gated-gelu",
                              dense_act_fn="gelu_new", is_gated_act=True),
                  "missing tensor 'encoder.block.0.layer.1.DenseReluDense.wi_0.weight'", "gated config, relu weights")
    expect_reject(edit_config(make(f"{work}/r6"), relative_attention_num_buckets=16),
                  "relative_attention_bias.weight' has shape [32, 4], expected [16, 4]", "bucket count mismatch")


FAKE_EXE = r'''
import argparse, json, sys
import numpy as np
sys.path.insert(0, {here!r})
import t5_reference as ref
ap = argparse.ArgumentParser()
ap.add_argument("--model"); ap.add_argument("--input-ids"); ap.add_argument("--decoder-input-ids")
ap.add_argument("--output"); ap.add_argument("--max-new-tokens", type=int, default=5)
ap.add_argument("--break", dest="brk", default="")
a = ap.parse_args()
m = ref.load(a.model)
seqs = ref.parse_input_ids(a.input_ids)
decs = ref.parse_input_ids(a.decoder_input_ids) if a.decoder_input_ids else [[m.decoder_start_id]] * len(seqs)
out = np.zeros((len(seqs), max(map(len, decs)), m.vocab_size), np.float32)
gen = []
for b, (ids, dec) in enumerate(zip(seqs, decs)):
    out[b, :len(dec)] = ref.logits(m, ids, dec)
    gen.append(ref.greedy(m, ids, a.max_new_tokens, dec))
if a.brk == "logits":
    out[-1, 0, 5] += 0.5
if a.brk == "tokens":
    gen[0] = gen[0][:-1]
if a.brk == "padding":
    out[-1, -1, 0] = 1.0
if a.brk == "shape":
    out = out[:, :1]
np.save(a.output, out)
print(json.dumps({{"generated_ids": gen}}))
'''


def test_checker(work):
    fake = os.path.join(work, "fake_t5.py")
    with open(fake, "w") as f:
        f.write(FAKE_EXE.format(here=HERE))
    model = make(f"{work}/chk", "--variant", "v1.1", "--seed", 4)
    exe = model + ".exe"
    with open(exe, "w") as f:
        f.write(f"#!/bin/sh\nexec {PY} {fake} --model {model} \"$@\"\n")
    os.chmod(exe, 0o755)

    def run(*args):
        r = subprocess.run([PY, os.path.join(HERE, "check_seq2seq.py"), "--model", model, "--exe", exe,
                            "--input-ids", "5,6,7,8;9,10"] + list(args), capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    rc, out = run("--max-new-tokens", "4")
    check(rc == 0 and "PASS" in out and "decoder_len=1" in out,
          "check_seq2seq.py accepts a correct executable (default decoder start)")
    rc, out = run("--decoder-input-ids", "0,4,9;0", "--max-new-tokens", "3")
    check(rc == 0 and "PASS" in out and "decoder_len=3" in out,
          "check_seq2seq.py accepts a correct executable (explicit decoder prefixes)")
    for brk, text in (("logits", "rel L2 error"), ("tokens", "generated"), ("padding", "nonzero values"),
                      ("shape", "output shape")):
        rc, out = run("--decoder-input-ids", "0,4,9;0", "--max-new-tokens", "3", "--extra-args", "--break", brk)
        check(rc == 1 and text in out, f"check_seq2seq.py rejects --break {brk} ({text!r})")
    rc, out = run("--decoder-input-ids", "0")
    check(rc == 1 and "has 1 sequences" in out, "check_seq2seq.py refuses mismatched batch sizes")


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="t5_selftest_")
    os.makedirs(work, exist_ok=True)
    try:
        test_crosscheck(work)
        test_buckets(work)
        test_sensitivity(work)
        test_structure(work)
        test_context_dependence(work)
        test_e2e_cases(work)
        test_rejections(work)
        test_checker(work)
    finally:
        if len(sys.argv) <= 1:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed:\n  " + "\n  ".join(FAILURES))
        return 1
    print("t5 reference self-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
