#!/usr/bin/python3
"""Run an xfc-compiled encoder-only executable (BERT) and check it against the PyTorch reference.

    check_encoder.py --model DIR --exe PATH --input-ids "1,2,3;4,5"
                     [--tol 1e-4] [--timeout S] [--generate-message TEXT] [--extra-args ARG...]

1. runs  PATH --input-ids IDS --output TMP/out.npy [ARG...]  and checks:
    * exit status 0 and nothing at all on stdout (an encoder generates nothing);
    * TMP/out.npy is float32, shape [batch, L, hidden], L = longest sequence;
      for sequence b of length n, rows [0, n) are BertModel's last_hidden_state
      of that sequence alone (positions 0..n-1, token_type_ids 0, no padding)
      with relative L2 error ||out - ref|| / ||ref|| <= tol over the [n, hidden]
      block, and rows [n, L) are exactly zero.
2. runs  PATH --input-ids 1 --max-new-tokens 3 [ARG...]  and checks that it
   fails: exit status 1 or 2, nothing on stdout, a message on stderr (containing
   TEXT when --generate-message is given), since an encoder-only model cannot
   generate.

--extra-args must come last (see check_causal_lm.py). The model family comes
from config.json's model_type; only "bert" (bert_reference.py) for now.
For a run that must fail as a whole (unsupported config and the like), use
check_causal_lm.py --expect-fail, which does not load the model.

Exit status: 0 when every check passes, 1 on any mismatch (with a message).
"""

import argparse
import importlib
import json
import os
import shlex
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_causal_lm import CheckFailed, _show, describe_status, run_exe  # noqa: E402

FAMILIES = {"bert": "bert_reference"}


def rel_l2(got, want):
    if not np.all(np.isfinite(got)):
        return float("inf")
    return float(np.linalg.norm((got - want).astype(np.float64))
                 / max(np.linalg.norm(want.astype(np.float64)), 1e-30))


def check_run(args, extra):
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        model_type = json.load(f).get("model_type")
    if model_type not in FAMILIES:
        raise CheckFailed(f"no encoder reference for model_type {model_type!r}")
    ref = importlib.import_module(FAMILIES[model_type])
    seqs = ref.parse_input_ids(args.input_ids)
    model = ref.load(args.model)
    batch, L, H = len(seqs), max(len(s) for s in seqs), model.hidden

    with tempfile.TemporaryDirectory(prefix="check_encoder_") as tmp:
        out_path = os.path.join(tmp, "out.npy")
        rc, stdout, stderr = run_exe([args.exe, "--input-ids", args.input_ids,
                                      "--output", out_path] + extra, args.timeout)
        if rc != 0:
            raise CheckFailed(f"executable failed ({describe_status(rc)})\n" + _show("stderr", stderr)
                              + ("\n" + _show("stdout", stdout) if stdout else ""))
        if stderr.strip():
            print(_show("exe stderr", stderr))
        if stdout:
            raise CheckFailed("an encoder must print nothing on stdout\n" + _show("stdout", stdout))
        if not os.path.exists(out_path):
            raise CheckFailed(f"executable exited 0 but did not write {out_path}")
        try:
            out = np.load(out_path, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - any parse error is a contract failure
            raise CheckFailed(f"cannot read output .npy: {e}")

    if out.dtype != np.float32:
        raise CheckFailed(f"output dtype is {out.dtype}, expected float32")
    if list(out.shape) != [batch, L, H]:
        raise CheckFailed(f"output shape is {list(out.shape)}, expected {[batch, L, H]} "
                          f"(batch, longest sequence, hidden_size)")
    failures = []
    for b, ids in enumerate(seqs):
        n = len(ids)
        want = ref.hidden(model, ids)
        got = out[b, :n, :]
        err = rel_l2(got, want)
        max_abs = float(np.max(np.abs(got.astype(np.float64) - want))) if np.isfinite(err) else float("inf")
        pad_ok = bool(np.all(out[b, n:, :] == 0))
        verdict = []
        if not err <= args.tol:
            verdict.append(f"hidden state rel L2 error {err:.3e} > tol {args.tol:.1e}"
                           if np.isfinite(err) else "hidden state contains NaN or inf")
        if not pad_ok:
            verdict.append(f"{int(np.count_nonzero(out[b, n:, :]))} nonzero values in padding "
                           f"rows [{n}, {L})")
        print(f"seq {b}: len={n} rel_l2={err:.3e} max_abs={max_abs:.3e} "
              f"{'OK' if not verdict else 'FAIL'}")
        failures += [f"seq {b}: {v}" for v in verdict]
    if failures:
        raise CheckFailed("\n".join(failures))


def check_no_generate(args, extra):
    cmd = [args.exe, "--input-ids", "1", "--max-new-tokens", "3"] + extra
    rc, stdout, stderr = run_exe(cmd, args.timeout)
    if rc not in (1, 2):
        raise CheckFailed(f"--max-new-tokens on an encoder: expected exit status 1 or 2, got "
                          f"{describe_status(rc)}\n" + _show("stderr", stderr) + "\n"
                          + _show("stdout", stdout))
    if stdout:
        raise CheckFailed("--max-new-tokens on an encoder: expected nothing on stdout\n"
                          + _show("stdout", stdout))
    if not stderr.strip():
        raise CheckFailed("--max-new-tokens on an encoder: no error message on stderr")
    if args.generate_message is not None and args.generate_message not in stderr:
        raise CheckFailed(f"--max-new-tokens on an encoder: stderr does not contain "
                          f"{args.generate_message!r}\n" + _show("stderr", stderr))
    print(f"generation refused as expected (exit status {rc}): {stderr.strip()[:300]}")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check an xfc-compiled encoder executable.")
    ap.add_argument("--model", required=True, help="checkpoint directory")
    ap.add_argument("--exe", required=True, help="compiled executable")
    ap.add_argument("--input-ids", required=True, help='batch of token ids, e.g. "1,2,3;4,5"')
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative L2 error per sequence")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per run")
    ap.add_argument("--generate-message", default=None,
                    help="text the --max-new-tokens refusal must have on stderr")
    ap.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[],
                    help="must be last: further arguments for the executable")
    args = ap.parse_args(argv)
    extra = []
    for a in args.extra_args:
        extra += shlex.split(a) if (" " in a or "\t" in a) else [a]
    try:
        check_run(args, extra)
        check_no_generate(args, extra)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"PASS: encoder, {len(args.input_ids.split(';'))} sequence(s), tol {args.tol:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
