#!/usr/bin/python3
"""Run an xfc-compiled encoder-decoder executable (T5) and check it against the PyTorch reference.

    check_seq2seq.py --model DIR --exe PATH --input-ids "1,2,3;4,5"
                     [--decoder-input-ids "0;0,7"] [--max-new-tokens 5]
                     [--tol 1e-4] [--timeout S] [--extra-args ARG...]

runs  PATH --input-ids IDS [--decoder-input-ids DEC] --max-new-tokens N
           --output TMP/out.npy [ARG...]
(--decoder-input-ids is passed only when given; the executable's default is
the decoder start token alone, decoder_start_token_id) and checks:
  * exit status 0;
  * TMP/out.npy is float32, shape [batch, Ld, vocab], Ld = longest decoder
    sequence (1 without --decoder-input-ids): the decoder logits at every
    decoder input position; for sequence b with m decoder ids, rows [0, m)
    match t5_reference.logits(input_ids[b], decoder_ids[b]) with relative L2
    error <= tol over the [m, vocab] block, and rows [m, Ld) are exactly zero;
  * stdout is exactly one line of JSON {"generated_ids": [[...], ...]}: per
    sequence the greedy continuation after its decoder ids (new tokens only,
    stopping after an eos_token_id, which is included), equal to
    t5_reference.greedy.
Each encoder input and each decoder prefix is its own computation (no padding
tokens). --decoder-input-ids must have as many sequences as --input-ids.
--extra-args must come last (see check_causal_lm.py). For a run that must
fail, use check_causal_lm.py --expect-fail, which does not load the model.

Exit status: 0 when every check passes, 1 on any mismatch (with a message).
"""

import argparse
import os
import shlex
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_causal_lm import CheckFailed, _show, describe_status, parse_generated, run_exe  # noqa: E402


def check_run(args, extra):
    import t5_reference as ref  # imports torch; only needed here

    seqs = ref.parse_input_ids(args.input_ids)
    model = ref.load(args.model)
    if args.decoder_input_ids is not None:
        decs = ref.parse_input_ids(args.decoder_input_ids)
        if len(decs) != len(seqs):
            raise CheckFailed(f"--decoder-input-ids has {len(decs)} sequences, --input-ids {len(seqs)}")
    else:
        decs = [[model.decoder_start_id] for _ in seqs]
    batch, Ld, V = len(seqs), max(len(d) for d in decs), model.vocab_size

    with tempfile.TemporaryDirectory(prefix="check_seq2seq_") as tmp:
        out_path = os.path.join(tmp, "out.npy")
        cmd = [args.exe, "--input-ids", args.input_ids]
        if args.decoder_input_ids is not None:
            cmd += ["--decoder-input-ids", args.decoder_input_ids]
        cmd += ["--max-new-tokens", str(args.max_new_tokens), "--output", out_path] + extra
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
    if list(out.shape) != [batch, Ld, V]:
        raise CheckFailed(f"output shape is {list(out.shape)}, expected {[batch, Ld, V]} "
                          f"(batch, longest decoder sequence, vocab)")
    gen = parse_generated(stdout, batch)

    failures = []
    for b, (ids, dec) in enumerate(zip(seqs, decs)):
        n = len(dec)
        want = ref.logits(model, ids, dec)
        got = out[b, :n, :]
        if not np.all(np.isfinite(got)):
            err = max_abs = float("inf")
        else:
            err = float(np.linalg.norm((got - want).astype(np.float64))
                        / max(np.linalg.norm(want.astype(np.float64)), 1e-30))
            max_abs = float(np.max(np.abs(got.astype(np.float64) - want)))
        pad_ok = bool(np.all(out[b, n:, :] == 0))
        want_gen = ref.greedy(model, ids, args.max_new_tokens, dec)
        verdict = []
        if not err <= args.tol:
            verdict.append(f"logits rel L2 error {err:.3e} > tol {args.tol:.1e}"
                           if np.isfinite(err) else "logits contain NaN or inf")
        if not pad_ok:
            verdict.append(f"{int(np.count_nonzero(out[b, n:, :]))} nonzero values in padding "
                           f"rows [{n}, {Ld})")
        if gen[b] != want_gen:
            verdict.append(f"generated {gen[b]} != reference {want_gen}")
        print(f"seq {b}: len={len(ids)} decoder_len={n} rel_l2={err:.3e} max_abs={max_abs:.3e} "
              f"generated={gen[b]} reference={want_gen} {'OK' if not verdict else 'FAIL'}")
        failures += [f"seq {b}: {v}" for v in verdict]
    if failures:
        raise CheckFailed("\n".join(failures))
    print(f"PASS: seq2seq, {batch} sequence(s), tol {args.tol:g}, eos {model.eos_ids}")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check an xfc-compiled encoder-decoder executable.")
    ap.add_argument("--model", required=True, help="checkpoint directory")
    ap.add_argument("--exe", required=True, help="compiled executable")
    ap.add_argument("--input-ids", required=True, help='encoder inputs, e.g. "1,2,3;4,5"')
    ap.add_argument("--decoder-input-ids", default=None,
                    help='decoder prefixes, e.g. "0;0,7" (default: the start token alone)')
    ap.add_argument("--max-new-tokens", type=int, default=5)
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative L2 error of the logits")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for the executable")
    ap.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[],
                    help="must be last: further arguments for the executable")
    args = ap.parse_args(argv)
    if args.max_new_tokens < 0:
        ap.error("--max-new-tokens must be >= 0")
    extra = []
    for a in args.extra_args:
        extra += shlex.split(a) if (" " in a or "\t" in a) else [a]
    try:
        check_run(args, extra)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
