#!/usr/bin/python3
"""Self-test of make_bert.py, bert_reference.py and check_encoder.py (CPU only, one thread, seconds).

bert_reference.py is compared with an independent float64 numpy BertModel
written differently on purpose: its own safetensors reader (the one of
llama_reference_selftest.py), the checkpoint's prefix found by stripping
whatever precedes "embeddings.word_embeddings.weight", LayerNorm from an
explicit two-pass mean and variance, GELU via math.erf element by element, and
attention one head and one query at a time with a max-subtracted softmax.
Cases: BertModel names F32, BertForPreTraining names (bert.* + cls.* heads)
BF16, F16 with 3 layers and 2 heads, gelu_new and relu activations, a
sequence as long as max_position_embeddings, and token_type_ids 1.
Hidden states must agree within 1e-5 relative L2.

Also: --prefix and --no-prefix give bit-identical hidden states; the encoder is
bidirectional (a later token changes every row) and position-aware; plausible
implementation mistakes (tanh GELU, no 1/sqrt(hd), a causal mask, pre-LN, no
position or token-type embedding) move the hidden state by more than the 1e-4
tolerance; unsupported configs are rejected; the same arguments give the same
bytes; check_encoder.py accepts a correct fake executable and rejects wrong
values, nonzero padding, output on stdout, and an executable that generates.

Usage: bert_reference_selftest.py [WORK_DIR]   (default: a temporary directory)
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bert_reference as ref  # noqa: E402  (sets torch to one thread)
import make_bert  # noqa: E402
from llama_reference_selftest import alt_read_file, file_hashes, rel_l2  # noqa: E402

PY = "/usr/bin/python3"
TOL = 1e-5
FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def make(out, *args):
    """make_bert.py, run in this process (saves a torch import per checkpoint)."""
    make_bert.main(["--out", out] + [str(a) for a in args])
    return out


# ---------------------------------------------------------------- independent model

def alt_load(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    W = alt_read_file(os.path.join(d, "model.safetensors"))
    key = next(n for n in W if n.endswith("embeddings.word_embeddings.weight"))
    pre = key[: -len("embeddings.word_embeddings.weight")]
    return cfg, {n[len(pre):]: a for n, a in W.items() if n.startswith(pre)}


_erf = np.vectorize(math.erf)


def alt_hidden(model, ids, token_types=None, mistake=None):
    """mistake: None, or one of "tanh-gelu", "no-scale", "causal", "pre-ln", "no-position",
    "no-token-type" to compute a deliberately wrong model."""
    cfg, W = model
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = H // nh
    eps = cfg["layer_norm_eps"]
    act = cfg["hidden_act"]
    S = len(ids)
    tt = token_types or [0] * S

    def ln(x, name):
        out = np.empty_like(x)
        for r in range(x.shape[0]):
            mu = sum(x[r]) / H
            var = sum((x[r] - mu) ** 2) / H
            out[r] = (x[r] - mu) / math.sqrt(var + eps)
        return out * W[name + ".weight"] + W[name + ".bias"]

    def lin(x, name):
        return x @ W[name + ".weight"].T + W[name + ".bias"]

    def activation(x):
        if act == "relu":
            return np.maximum(x, 0.0)
        if act in ("gelu_new", "gelu_pytorch_tanh") or mistake == "tanh-gelu":
            return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        assert act == "gelu", act
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))

    x = np.array([W["embeddings.word_embeddings.weight"][t] for t in ids])
    if mistake != "no-position":
        x = x + W["embeddings.position_embeddings.weight"][:S]
    if mistake != "no-token-type":
        x = x + np.array([W["embeddings.token_type_embeddings.weight"][t] for t in tt])
    x = ln(x, "embeddings.LayerNorm")
    for layer in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        a_in = ln(x, p + "attention.output.LayerNorm") if mistake == "pre-ln" else x
        q = lin(a_in, p + "attention.self.query")
        k = lin(a_in, p + "attention.self.key")
        v = lin(a_in, p + "attention.self.value")
        ctx = np.zeros((S, H))
        for h in range(nh):
            c = slice(h * hd, (h + 1) * hd)
            for i in range(S):
                keys = range(i + 1) if mistake == "causal" else range(S)
                s = np.array([q[i, c] @ k[j, c] for j in keys])
                if mistake != "no-scale":
                    s = s / math.sqrt(hd)
                e = np.exp(s - s.max())
                ctx[i, c] = sum(pj * v[j, c] for pj, j in zip(e / e.sum(), keys))
        o = lin(ctx, p + "attention.output.dense")
        if mistake == "pre-ln":  # (a wrong model: reuse the LayerNorms as pre-norms)
            x = x + o
            f = lin(activation(lin(ln(x, p + "output.LayerNorm"), p + "intermediate.dense")),
                    p + "output.dense")
            x = x + f
            continue
        a = ln(x + o, p + "attention.output.LayerNorm")
        f = lin(activation(lin(a, p + "intermediate.dense")), p + "output.dense")
        x = ln(a + f, p + "output.LayerNorm")
    return x


# ---------------------------------------------------------------- the tests

P12 = [2, 17, 42, 5, 99, 63, 8, 30, 77, 12, 54, 3]


def crosscheck(name, d, prompts, token_types=None):
    m, alt = ref.load(d), alt_load(d)
    for ids in prompts:
        tt = token_types[: len(ids)] if token_types else None
        err = rel_l2(ref.hidden(m, ids, tt), alt_hidden(alt, ids, tt))
        check(err <= TOL, f"{name}: {len(ids)} tokens rel_l2 {err:.1e}")


def test_crosscheck(work):
    crosscheck("BertModel names F32", make(f"{work}/a", "--seed", 0), [P12, [5], [1, 2]])
    crosscheck("bert.* + cls heads BF16", make(f"{work}/b", "--prefix", "--dtype", "BF16",
                                               "--seed", 1), [P12])
    crosscheck("F16 3 layers 2 heads hidden 48",
               make(f"{work}/c", "--layers", 3, "--heads", 2, "--hidden", 48, "--intermediate", 80,
                    "--dtype", "F16", "--seed", 2), [P12])
    crosscheck("gelu_new", make(f"{work}/d", "--hidden-act", "gelu_new", "--seed", 3), [P12])
    crosscheck("relu, eps 1e-5", make(f"{work}/e", "--hidden-act", "relu", "--layer-norm-eps", 1e-5,
                                      "--seed", 4), [P12])
    crosscheck("sequence as long as max_position_embeddings (16)",
               make(f"{work}/f", "--positions", 16, "--seed", 5), [P12 + [7, 8, 9, 10]])
    crosscheck("token_type_ids 0,0,0,1,1,...", f"{work}/a", [P12], token_types=[0] * 3 + [1] * 9)


def test_structure(work):
    a = make(f"{work}/s-plain", "--seed", 7)
    b = make(f"{work}/s-prefix", "--seed", 7, "--prefix")
    c = make(f"{work}/s-nopool", "--seed", 7, "--no-pooler")
    ha = ref.hidden(ref.load(a), P12)
    check(np.array_equal(ha, ref.hidden(ref.load(b), P12))
          and np.array_equal(ha, ref.hidden(ref.load(c), P12)),
          "--prefix, --no-prefix and --no-pooler give bit-identical hidden states")
    names_a, names_b = set(alt_read_file(f"{a}/model.safetensors")), set(alt_read_file(f"{b}/model.safetensors"))
    heads = sorted(n for n in names_b if n.startswith("cls."))
    check({"bert." + n for n in names_a} == names_b - set(heads)
          and "pooler.dense.weight" in names_a and len(names_a) == 5 + 16 * 2 + 2
          and heads == ["cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias",
                        "cls.predictions.transform.LayerNorm.weight",
                        "cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight",
                        "cls.seq_relationship.bias", "cls.seq_relationship.weight"],
          f"tensor names: {len(names_a)} BertModel names; --prefix puts them under bert. and adds {heads}")
    cfg = json.load(open(f"{a}/config.json"))
    want = {"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 128, "hidden_act": "gelu", "max_position_embeddings": 64,
            "type_vocab_size": 2, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
            "pad_token_id": 0, "vocab_size": 101, "architectures": ["BertModel"]}
    check(all(cfg.get(k, "MISSING") == v for k, v in want.items()), f"config.json: {cfg}")
    check(json.load(open(f"{b}/config.json"))["architectures"] == ["BertForPreTraining"],
          "--prefix config names BertForPreTraining")
    check(file_hashes(a) == file_hashes(make(f"{work}/s-plain2", "--seed", 7)),
          "same arguments give the same bytes")

    m = ref.load(a)
    changed = ref.hidden(m, P12[:-1] + [4])
    rows = [i for i in range(12) if not np.allclose(changed[i], ha[i], rtol=0, atol=1e-4)]
    check(rows == list(range(12)), f"bidirectional: changing the last token changes rows {rows}")
    swapped = ref.hidden(m, [P12[1], P12[0]] + P12[2:])
    check(not np.allclose(swapped[0], ha[1], atol=1e-3) and not np.allclose(swapped[1], ha[0], atol=1e-3),
          "position-aware: swapping the first two tokens does not just swap their rows")
    check(np.all(np.abs(ha.mean(1)) < 0.5) and 0.5 < float(ha.std()) < 2.0,
          f"hidden states are post-LayerNorm scale (row means within 0.5 of 0, std {ha.std():.2f})")


def test_sensitivity(work):
    d = f"{work}/a"
    alt = alt_load(d)
    good = alt_hidden(alt, P12)
    # The tanh approximation of GELU differs from erf GELU by at most ~5e-4 (absolute), so
    # it moves the hidden state by only a few times the tolerance; the others by far more.
    for mistake, floor in (("tanh-gelu", 1.5e-4), ("no-scale", 1e-2), ("causal", 1e-2),
                           ("pre-ln", 1e-2), ("no-position", 1e-2), ("no-token-type", 1e-2)):
        err = rel_l2(alt_hidden(alt, P12, mistake=mistake), good)
        check(err > floor, f"mistake {mistake!r} moves the hidden state by rel L2 {err:.2e} "
                           f"(> {floor:g}; check_encoder.py's tolerance is 1e-4)")


def expect_reject(d, text, what, ids=None):
    try:
        m = ref.load(d)
        if ids is not None:
            ref.hidden(m, ids)
    except ValueError as e:
        check(text in str(e), f"{what}: rejected with {str(e)!r}")
        return
    check(False, f"{what}: was accepted")


def test_rejections(work):
    expect_reject(make(f"{work}/r1", "--hidden-act", "quick_gelu"), "unsupported hidden_act",
                  "hidden_act quick_gelu")
    expect_reject(make(f"{work}/r2", "--position-embedding-type", "relative_key"),
                  "unsupported position_embedding_type", "relative_key positions")
    expect_reject(make(f"{work}/r3", "--positions", 8), "exceeds max_position_embeddings",
                  "9 tokens with 8 positions", ids=list(range(1, 10)))
    d = make(f"{work}/r4", "--seed", 9)
    cfg = json.load(open(f"{d}/config.json"))
    cfg["intermediate_size"] = 96
    json.dump(cfg, open(f"{d}/config.json", "w"))
    expect_reject(d, "'encoder.layer.0.intermediate.dense.weight' has shape [128, 64], expected [96, 64]",
                  "intermediate_size not matching the tensors")
    d = make(f"{work}/r5", "--seed", 9)
    cfg = json.load(open(f"{d}/config.json"))
    cfg["num_hidden_layers"] = 3
    json.dump(cfg, open(f"{d}/config.json", "w"))
    expect_reject(d, "missing tensor 'encoder.layer.2.", "3 layers in config, 2 in the file")


FAKE_EXE = r'''
import argparse, os, sys
import numpy as np
sys.path.insert(0, {here!r})
ap = argparse.ArgumentParser()
ap.add_argument("--model"); ap.add_argument("--input-ids"); ap.add_argument("--output")
ap.add_argument("--max-new-tokens", type=int, default=None); ap.add_argument("--break", dest="brk", default="")
a = ap.parse_args()
if a.max_new_tokens is not None and a.brk != "generates":
    print("error: an encoder-only model cannot generate (--max-new-tokens)", file=sys.stderr); sys.exit(2)
if a.output is None:  # --break generates: behave like a causal LM
    print('{{"generated_ids": [[5, 6, 7]]}}'); sys.exit(0)
import bert_reference as ref
m = ref.load(a.model)
seqs = ref.parse_input_ids(a.input_ids)
out = np.zeros((len(seqs), max(map(len, seqs)), m.hidden), np.float32)
for b, ids in enumerate(seqs):
    out[b, :len(ids)] = ref.hidden(m, ids)
if a.brk == "values":
    out[0, 1, 3] += 0.05
if a.brk == "padding":
    out[-1, -1, 0] = 1e-30
if a.brk == "stdout":
    print("{{}}")
if a.brk == "shape":
    out = out[:, :, :-1]
np.save(a.output, out)
'''


def test_checker(work):
    fake = os.path.join(work, "fake_bert.py")
    with open(fake, "w") as f:
        f.write(FAKE_EXE.format(here=HERE))
    model = make(f"{work}/chk", "--prefix", "--seed", 11)
    exe = model + ".exe"
    with open(exe, "w") as f:
        f.write(f"#!/bin/sh\nexec {PY} {fake} --model {model} \"$@\"\n")
    os.chmod(exe, 0o755)

    def run(*extra):
        args = [PY, os.path.join(HERE, "check_encoder.py"), "--model", model, "--exe", exe,
                "--input-ids", "2,17,42,5,99,63,8,30;4,5"]
        if extra:
            args += ["--extra-args"] + list(extra)
        r = subprocess.run(args, capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    rc, out = run()
    check(rc == 0 and "PASS" in out and "generation refused" in out,
          "check_encoder.py accepts a correct executable")
    for brk, text in (("values", "rel L2 error"), ("padding", "nonzero values in padding"),
                      ("stdout", "nothing on stdout"), ("shape", "output shape"),
                      ("generates", "expected exit status 1 or 2")):
        rc, out = run("--break", brk)
        check(rc == 1 and text in out, f"check_encoder.py rejects --break {brk} ({text!r})")


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="bert_selftest_")
    os.makedirs(work, exist_ok=True)
    try:
        test_crosscheck(work)
        test_structure(work)
        test_sensitivity(work)
        test_rejections(work)
        test_checker(work)
    finally:
        if len(sys.argv) <= 1:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed:\n  " + "\n  ".join(FAILURES))
        return 1
    print("bert reference self-test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
