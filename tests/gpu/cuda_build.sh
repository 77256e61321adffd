#!/usr/bin/env bash
# CUDA builds, checked here without a GPU: every family's random-weight
# checkpoint compiled with `--target cuda` (and GPT-2 with cuda-sm90 and as a
# library). Each executable must hold PTX for its compute capability with an
# entry per GPU kernel; every kernel's lowered statement must launch on the
# device and never copy a buffer back to the host (no stage left on the CPU);
# and the binary, run on a machine without the NVIDIA driver, must say so
# and exit 1. tests/gpu/run.sh runs the numbers on a GPU.
# Usage: cuda_build.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
source "$(dirname "$0")/../e2e/families.sh"
rm -rf "$WORK"
mkdir -p "$WORK"

# check_cuda EXE IR_DIR SM: PTX for sm_SM in EXE, one entry or more per kernel,
# and every kernel on the device.
check_cuda() {
  local exe=$1 ir=$2 sm=$3 kernels entries
  strings -n 8 "$exe" > "$exe.strings"
  grep -q "^\.target sm_$sm" "$exe.strings" || fail "$exe holds no PTX for sm_$sm"
  kernels=$(ls "$ir"/kernels/*.stmt | wc -l)
  entries=$(grep -c "^\.visible \.entry" "$exe.strings" || true)
  [ "$kernels" -gt 0 ] || fail "no kernels dumped in $ir"
  [ "$entries" -ge "$kernels" ] || fail "$exe: $entries PTX entries for $kernels kernels"
  for s in "$ir"/kernels/*.stmt; do
    grep -aq "halide_cuda_run" "$s" || fail "$(basename "$s") launches nothing on the GPU"
    if grep -aq "halide_copy_to_host" "$s"; then
      fail "$(basename "$s") runs a stage on the host (it copies to the host)"
    fi
  done
  echo "$(basename "$exe"): PTX for sm_$sm, $entries entries for $kernels kernels, all on the GPU"
}

write_checkpoints "$WORK"
for m in "${FAMILIES[@]}"; do
  step "$m: --target cuda"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.cuda" --target cuda --dump-ir "$WORK/$m.ir"
  check_cuda "$WORK/$m.cuda" "$WORK/$m.ir" 80
done
step "gpt2: --target cuda-sm90 (Halide 14's newest PTX, sm_86, which the driver compiles for sm_90)"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/gpt2.sm90" --target cuda-sm90 --dump-ir "$WORK/gpt2.sm90.ir"
check_cuda "$WORK/gpt2.sm90" "$WORK/gpt2.sm90.ir" 86

step "gpt2: --target cuda --emit=lib links into a C program"
mkdir -p "$WORK/lib"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/lib/model" --emit=lib --target cuda
${CC:-cc} -std=c99 -Wall -Werror -I "$WORK/lib" "$ROOT/examples/lib/generate.c" \
  "$WORK/lib/libmodel.a" -lstdc++ -lpthread -ldl -lm -o "$WORK/lib/generate"
strings -n 8 "$WORK/lib/generate" > "$WORK/lib/generate.strings"
grep -q "^\.target sm_80" "$WORK/lib/generate.strings" || fail "the library holds no PTX"

if ! /sbin/ldconfig -p 2>/dev/null | grep -q "libcuda\.so\.1"; then
  step "without the NVIDIA driver, the binary says so"
  set +e
  "$WORK/gpt2.cuda" --input-ids "1,2,3" > "$WORK/nogpu.out" 2> "$WORK/nogpu.err"
  rc=$?
  set -e
  cat "$WORK/nogpu.err" >&2
  [ "$rc" -eq 1 ] || fail "exit status $rc without a GPU, expected 1"
  grep -q "runs its kernels on an NVIDIA GPU (CUDA), and libcuda.so.1 (the NVIDIA driver) cannot be loaded" \
    "$WORK/nogpu.err" || fail "no clear message without a GPU"
  [ "$(wc -l < "$WORK/nogpu.err")" -eq 1 ] || fail "more than one line of error without a GPU"
fi
echo "cuda builds: all checks passed" >&2
