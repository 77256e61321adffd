#!/usr/bin/python3
"""Run an xfc-compiled GPT-2 executable and check it against the PyTorch reference (xfc e2e test).

A thin wrapper: `check_gpt2.py ARGS` is `check_causal_lm.py --family gpt2 ARGS`
(gpt2 is also check_causal_lm.py's default family). See check_causal_lm.py for
the run contract and the flags:

    check_gpt2.py --model DIR --exe PATH --input-ids "1,2,3;4,5" [--max-new-tokens 5]
                  [--tol 1e-4] [--timeout S] [--extra-args ARG...]
    check_gpt2.py --exe PATH --expect-fail --expect-message TEXT
                  [--input-ids IDS] [--max-new-tokens N] [--omit-output] [--extra-args ARG...]

Exit status: 0 when every check passes, 1 on any mismatch (with a message).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_causal_lm  # noqa: E402

if __name__ == "__main__":
    sys.exit(check_causal_lm.main(sys.argv[1:], prog="check_gpt2.py"))
