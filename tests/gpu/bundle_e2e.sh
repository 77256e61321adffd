#!/usr/bin/env bash
# The GPU machine's flow, here: tests/gpu/prepare.sh makes an OpenCL bundle
# (its references checked against PyTorch), tests/gpu/run.sh checks it on
# pocl, and catches a reference that is off; run.sh without a bundle fails
# with a message, and a CUDA bundle on a machine without an NVIDIA GPU is
# skipped with exit status 0.
# Usage: bundle_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$WORK"
mkdir -p "$WORK"
bash "$HERE/prepare.sh" "$BIN" "$WORK/bundle" opencl
bash "$HERE/run.sh" "$WORK/bundle" | tee "$WORK/run.out"
[ "$(grep -c "logits and tokens match the reference" "$WORK/run.out")" -eq 6 ]

# A reference 1 % off, and a token changed: run.sh must catch both.
/usr/bin/python3 - "$WORK/bundle/ref" <<'PYEOF'
import sys, numpy
d = sys.argv[1]
a = numpy.load(f"{d}/gpt2.npy")
numpy.save(f"{d}/gpt2.npy", a * 1.01)
with open(f"{d}/bert.json", "w") as f:
    f.write("{}\n")
PYEOF
set +e
bash "$HERE/run.sh" "$WORK/bundle" > "$WORK/bad.out" 2> "$WORK/bad.err"
rc=$?
set -e
cat "$WORK/bad.out" "$WORK/bad.err" >&2
[ "$rc" -eq 1 ] && grep -q "gpt2.npy.*MISMATCH" "$WORK/bad.out" && grep -q "FAIL bert: stdout" "$WORK/bad.err"

set +e
bash "$HERE/run.sh" "$WORK/none" 2> "$WORK/none.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "no bundle in $WORK/none" "$WORK/none.err"
if ! command -v nvidia-smi > /dev/null; then
  mkdir -p "$WORK/cuda"
  echo cuda > "$WORK/cuda/api"
  : > "$WORK/cuda/cases.txt"
  bash "$HERE/run.sh" "$WORK/cuda" 2> "$WORK/cuda.err"
  grep -q "no NVIDIA GPU here (no driver or no device): skipped" "$WORK/cuda.err"
fi
echo "gpu bundle e2e: all checks passed" >&2
