#!/usr/bin/env bash
# The e2e checks on a GPU machine, over a bundle made by tests/gpu/prepare.sh
# (GPU executables, checkpoints, reference outputs checked against PyTorch):
# each executable's logits must match the reference (relative L2 <= 1e-4, by
# the bundle's static xfc-npy-compare) and its greedy tokens must be the
# reference's exactly. Needs no xfc, apt or Python here. Without a device for
# the bundle's API (no NVIDIA driver or GPU for a CUDA bundle, no OpenCL
# loader for an OpenCL one) it says so and exits 0.
# Usage: tests/gpu/run.sh [BUNDLE_DIR]   (default: build/gpu-bundle)
#   make one: tests/gpu/prepare.sh build/bin build/gpu-bundle [cuda|cuda-sm90|opencl]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$ROOT/build/gpu-bundle}
if [ ! -f "$B/cases.txt" ] || [ ! -f "$B/api" ]; then
  echo "tests/gpu/run.sh: no bundle in $B (make one with tests/gpu/prepare.sh)" >&2
  exit 1
fi
API=$(cat "$B/api")
has_lib() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1" || [ -e "/usr/lib/x86_64-linux-gnu/$1" ]; }
if [ "$API" = cuda ]; then
  if ! has_lib libcuda.so.1 || ! command -v nvidia-smi > /dev/null || ! nvidia-smi -L > /dev/null 2>&1; then
    echo "tests/gpu/run.sh: no NVIDIA GPU here (no driver or no device): skipped" >&2
    exit 0
  fi
  nvidia-smi -L >&2
elif ! has_lib libOpenCL.so.1; then
  echo "tests/gpu/run.sh: no OpenCL loader here: skipped" >&2
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failed=0
while IFS=$'\t' read -r name ids new; do
  args=(--input-ids "$ids" --weights "$B/models/$name" --output "$WORK/$name.npy")
  [ "$new" -gt 0 ] && args+=(--max-new-tokens "$new")
  start=$(date +%s%N)
  if ! "$B/bin/$name" "${args[@]}" > "$WORK/$name.json" 2> "$WORK/$name.err"; then
    echo "FAIL $name: exit status $? ($(head -c 400 "$WORK/$name.err"))" >&2
    failed=1
    continue
  fi
  ms=$((($(date +%s%N) - start) / 1000000))
  if ! "$B/xfc-npy-compare" "$B/ref/$name.npy" "$WORK/$name.npy" 1e-4; then
    failed=1
  elif ! cmp -s "$B/ref/$name.json" "$WORK/$name.json"; then
    got=$(cat "$WORK/$name.json") want=$(cat "$B/ref/$name.json")
    echo "FAIL $name: stdout '${got:-(nothing)}', reference '${want:-(nothing)}'" >&2
    failed=1
  else
    echo "$name ($API): logits and tokens match the reference, ${ms} ms"
  fi
done < "$B/cases.txt"
[ "$failed" -eq 0 ] || { echo "tests/gpu/run.sh: FAILED" >&2; exit 1; }
echo "tests/gpu/run.sh: all $(wc -l < "$B/cases.txt") models pass on $API" >&2
