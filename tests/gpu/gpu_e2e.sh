#!/usr/bin/env bash
# GPU end to end: every family's random-weight checkpoint compiled with a GPU
# target (the GPU schedules of every kernel kind; weights, activations and
# KV-cache in device memory) and run through the same PyTorch checks as the
# x86-64 e2e tests (tests/e2e/families.sh), and the library form.
# TARGET `opencl` runs the GPU schedules here, on Debian's pocl (the CPU as an
# OpenCL device); on a GPU machine, see tests/gpu/prepare.sh and run.sh.
# Usage: gpu_e2e.sh BIN_DIR WORK_DIR [TARGET]   (TARGET: opencl by default)
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
TARGET=${3:-opencl}
source "$(dirname "$0")/../e2e/families.sh"
rm -rf "$WORK"
mkdir -p "$WORK"

write_checkpoints "$WORK"
for f in "${FAMILIES[@]}"; do
  step "$f ($TARGET)"
  "$BIN/xfc" build "$WORK/$f" -o "$WORK/$f.exe" --target "$TARGET"
  check_family "$f" "$WORK/$f" "$WORK/$f.exe"
done

step "weights, activations and KV-cache stay on the device ($TARGET)"
# Each storage goes up once (weights, caches, planned buffers; ids and
# positions are tiny) and only each step's logits come back.
"$WORK/gpt2.exe" --input-ids "1,2,3" --max-new-tokens 6 --stats > /dev/null 2> "$WORK/stats.txt"
cat "$WORK/stats.txt" >&2
awk '
  /stats: weights/ { for (i = 1; i <= NF; i++) { if ($i == "weights") w = $(i + 1); if ($i == "KV-cache") kv = $(i + 1); if ($i == "(planned") p = $(i + 2) } }
  /device transfers/ { up = $6; sub(/\(/, "", up); down = $8 }
  END {
    if (up == "" || down == "") { print "no device transfer statistics"; exit 1 }
    if (up > w + kv + p + 0.05) { print "uploaded " up " MiB, more than once per storage"; exit 1 }
    if (down > 6) { print down " downloads for 6 tokens"; exit 1 }
  }' "$WORK/stats.txt"

step "the library form ($TARGET) reproduces the executable"
mkdir -p "$WORK/lib"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/lib/model" --emit=lib --target "$TARGET"
${CC:-cc} -std=c99 -Wall -Werror -I "$WORK/lib" "$ROOT/examples/lib/generate.c" \
  "$WORK/lib/libmodel.a" -lstdc++ -lpthread -ldl -lm -o "$WORK/lib/generate"
"$WORK/lib/generate" --logits "$WORK/lib/lib.bin" 1 2 3 > /dev/null
"$WORK/gpt2.exe" --input-ids "1,2,3" --output "$WORK/lib/exe.npy"
check_lib_matches_exe "$WORK/lib"
echo "gpu e2e ($TARGET): all checks passed" >&2
