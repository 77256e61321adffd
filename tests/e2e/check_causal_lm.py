#!/usr/bin/python3
"""Run an xfc-compiled causal LM executable and check it against the PyTorch reference (xfc e2e test).

--family selects the reference (default gpt2):
    gpt2   gpt2_reference.py   (GPT2LMHeadModel)
    llama  llama_reference.py  (LlamaForCausalLM, MistralForCausalLM and
                                MixtralForCausalLM; which one comes from
                                config.json's model_type)

Normal mode:
    check_causal_lm.py [--family gpt2|llama] --model DIR --exe PATH --input-ids "1,2,3;4,5"
                       [--max-new-tokens 5] [--tol 1e-4] [--extra-args ARG...]
  runs  PATH --input-ids IDS --output TMP/out.npy --max-new-tokens N [ARG...]
  and checks the run contract:
    * exit status 0;
    * TMP/out.npy is float32, shape [batch, L, V], L = longest sequence;
      for sequence b of length n, rows [0, n) match the reference logits with
      relative L2 error ||out - ref|| / ||ref|| <= tol (over the whole [n, V]
      block), and rows [n, L) are exactly zero;
    * stdout is exactly one line of JSON {"generated_ids": [[...], ...]} whose
      lists equal the reference greedy continuations (new tokens only, stopping
      after an eos_token_id, which is included).
  Every sequence is its own computation: positions 0..n-1, no padding tokens.

Failure mode:
    check_causal_lm.py --exe PATH --expect-fail --expect-message TEXT
                       [--input-ids IDS] [--max-new-tokens N] [--omit-output] [--extra-args ARG...]
  checks that the executable exits with status 1 or 2, writes nothing to
  stdout, and that its stderr contains TEXT. The model is not loaded, and
  --input-ids / --max-new-tokens are passed only if given (verbatim).

--extra-args must come last: everything after it is appended to the command;
an argument containing spaces is split shell-style, so both
`--extra-args --threads 1` and `--extra-args "--threads 1"` work.

check_gpt2.py is this script with --family gpt2 as the default.

Exit status: 0 when every check passes, 1 on any mismatch (with a message).
"""

import argparse
import importlib
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


FAMILIES = {"gpt2": "gpt2_reference", "llama": "llama_reference"}


class CheckFailed(Exception):
    pass


def _show(label, text, limit=4000):
    text = text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more chars)"
    return f"--- {label} ---\n{text.rstrip()}\n--- end {label} ---"


def run_exe(cmd, timeout):
    print("running: " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CheckFailed(f"executable timed out after {timeout} s\n"
                          + _show("stderr", (e.stderr or b"").decode("utf-8", "replace")))
    except OSError as e:
        raise CheckFailed(f"cannot run executable: {e}")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def describe_status(rc):
    return f"killed by signal {-rc}" if rc < 0 else f"exit status {rc}"


def parse_generated(stdout, batch):
    if not stdout:
        raise CheckFailed("stdout is empty; expected one line of JSON {\"generated_ids\": ...}")
    body = stdout[:-1] if stdout.endswith("\n") else stdout
    if "\n" in body or "\r" in body:
        raise CheckFailed("stdout is not exactly one line\n" + _show("stdout", stdout))
    try:
        obj = json.loads(body)
    except json.JSONDecodeError as e:
        raise CheckFailed(f"stdout is not valid JSON ({e})\n" + _show("stdout", stdout))
    if not isinstance(obj, dict) or set(obj) != {"generated_ids"}:
        raise CheckFailed("stdout JSON must be an object with exactly the key 'generated_ids'\n"
                          + _show("stdout", stdout))
    gen = obj["generated_ids"]
    ok = isinstance(gen, list) and all(
        isinstance(row, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in row)
        for row in gen)
    if not ok:
        raise CheckFailed("generated_ids must be a list of lists of integers\n" + _show("stdout", stdout))
    if len(gen) != batch:
        raise CheckFailed(f"generated_ids has {len(gen)} sequences, expected {batch}")
    return gen


def check_run(args, extra):
    ref = importlib.import_module(FAMILIES[args.family])  # imports torch; only needed here

    seqs = ref.parse_input_ids(args.input_ids)
    model = ref.load(args.model)
    batch, L, V = len(seqs), max(len(s) for s in seqs), model.vocab_size
    eos_ids = model.eos_ids

    with tempfile.TemporaryDirectory(prefix="check_causal_lm_") as tmp:
        out_path = os.path.join(tmp, "out.npy")
        cmd = [args.exe, "--input-ids", args.input_ids, "--output", out_path,
               "--max-new-tokens", str(args.max_new_tokens)] + extra
        rc, stdout, stderr = run_exe(cmd, args.timeout)
        if rc != 0:
            raise CheckFailed(f"executable failed ({describe_status(rc)})\n" + _show("stderr", stderr)
                              + ("\n" + _show("stdout", stdout) if stdout else ""))
        if stderr.strip():
            print(_show("exe stderr", stderr))
        if not os.path.exists(out_path):
            raise CheckFailed(f"executable exited 0 but did not write {out_path}")
        try:
            out = np.load(out_path, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - any parse error is a contract failure
            raise CheckFailed(f"cannot read output .npy: {e}")

    if out.dtype != np.float32:
        raise CheckFailed(f"output dtype is {out.dtype}, expected float32")
    if list(out.shape) != [batch, L, V]:
        raise CheckFailed(f"output shape is {list(out.shape)}, expected {[batch, L, V]} "
                          f"(batch, longest sequence, vocab)")
    gen = parse_generated(stdout, batch)

    failures = []
    for b, ids in enumerate(seqs):
        n = len(ids)
        want = ref.logits(model, ids)
        got = out[b, :n, :]
        if not np.all(np.isfinite(got)):
            err = float("inf")
        else:
            err = float(np.linalg.norm((got - want).astype(np.float64))
                        / max(np.linalg.norm(want.astype(np.float64)), 1e-30))
        max_abs = float(np.max(np.abs(got.astype(np.float64) - want))) if np.isfinite(err) else float("inf")
        pad_ok = bool(np.all(out[b, n:, :] == 0))
        want_gen = ref.greedy(model, ids, args.max_new_tokens, eos_ids)
        verdict = []
        if not err <= args.tol:
            if np.isfinite(err):
                verdict.append(f"logits rel L2 error {err:.3e} > tol {args.tol:.1e}")
            else:
                verdict.append("logits contain NaN or inf")
        if not pad_ok:
            nz = int(np.count_nonzero(out[b, n:, :]))
            verdict.append(f"{nz} nonzero values in padding rows [{n}, {L})")
        if gen[b] != want_gen:
            verdict.append(f"generated {gen[b]} != reference {want_gen}")
        status = "OK" if not verdict else "FAIL"
        router = ""
        if getattr(model, "moe", False):
            # Mixtral: how close the reference came to choosing other experts
            gap = min(float(t["margin"].min()) for t in ref.router_trace(model, ids + want_gen))
            router = f" router_min_gap={gap:.2e}" + (" (NEAR-TIE: expert choice is fragile)"
                                                     if gap < 1e-4 else "")
        print(f"seq {b}: len={n} rel_l2={err:.3e} max_abs={max_abs:.3e} "
              f"generated={gen[b]} reference={want_gen}{router} {status}")
        failures += [f"seq {b}: {v}" for v in verdict]
    if failures:
        raise CheckFailed("\n".join(failures))
    print(f"PASS: {args.family}, {batch} sequence(s), tol {args.tol:g}, eos {eos_ids}")


def check_fail(args, extra):
    with tempfile.TemporaryDirectory(prefix="check_causal_lm_") as tmp:
        cmd = [args.exe]
        if args.input_ids is not None:
            cmd += ["--input-ids", args.input_ids]
        if not args.omit_output:
            cmd += ["--output", os.path.join(tmp, "out.npy")]
        if args.max_new_tokens is not None:
            cmd += ["--max-new-tokens", str(args.max_new_tokens)]
        cmd += extra
        rc, stdout, stderr = run_exe(cmd, args.timeout)
    if rc not in (1, 2):
        raise CheckFailed(f"expected exit status 1 or 2, got {describe_status(rc)}\n"
                          + _show("stderr", stderr) + "\n" + _show("stdout", stdout))
    if stdout:
        raise CheckFailed("expected nothing on stdout for a failing run\n" + _show("stdout", stdout))
    if args.expect_message not in stderr:
        raise CheckFailed(f"stderr does not contain {args.expect_message!r}\n" + _show("stderr", stderr))
    print(f"PASS: failed as expected (exit status {rc}); stderr: {stderr.strip()[:500]}")


def main(argv=None, prog=None):
    ap = argparse.ArgumentParser(
        prog=prog, description="Check an xfc-compiled causal LM executable against the reference.")
    ap.add_argument("--family", choices=sorted(FAMILIES), default="gpt2",
                    help="which reference to compare with (default gpt2)")
    ap.add_argument("--model", help="checkpoint directory (config.json + safetensors)")
    ap.add_argument("--exe", required=True, help="compiled executable")
    ap.add_argument("--input-ids", help='batch of token ids, e.g. "1,2,3;4,5"')
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default 5 (normal mode)")
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative L2 error of the logits")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for the executable")
    ap.add_argument("--expect-fail", action="store_true", help="expect the executable to fail")
    ap.add_argument("--expect-message", help="text that stderr must contain (with --expect-fail)")
    ap.add_argument("--omit-output", action="store_true",
                    help="with --expect-fail: do not pass --output (usage-error tests)")
    ap.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[],
                    help="must be last: further arguments for the executable")
    args = ap.parse_args(argv)

    extra = []
    for a in args.extra_args:
        extra += shlex.split(a) if (" " in a or "\t" in a) else [a]

    if args.expect_fail:
        if args.expect_message is None:
            ap.error("--expect-fail needs --expect-message")
    else:
        if args.expect_message is not None or args.omit_output:
            ap.error("--expect-message/--omit-output only make sense with --expect-fail")
        if args.model is None or args.input_ids is None:
            ap.error("--model and --input-ids are required (unless --expect-fail)")
        if args.max_new_tokens is None:
            args.max_new_tokens = 5
        if args.max_new_tokens < 0:
            ap.error("--max-new-tokens must be >= 0")

    try:
        if args.expect_fail:
            check_fail(args, extra)
        else:
            check_run(args, extra)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
