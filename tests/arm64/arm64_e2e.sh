#!/usr/bin/env bash
# arm64 end to end: every family's random-weight checkpoint compiled with
# `--target arm64` (Halide's arm-64-linux kernels, the host program and the
# runtime cross-compiled and linked with Debian's aarch64-linux-gnu-g++) and
# run under qemu-aarch64, through the same PyTorch checks as the x86-64 e2e
# tests (tests/e2e/families.sh: logits over a ragged batch, greedy tokens,
# KV-cache decode): GPT-2, LLaMA with grouped-query attention, Mistral's
# sliding window, Mixtral, BERT, T5 — and the library form, linked by the
# cross compiler.
# Usage: arm64_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
source "$(dirname "$0")/../e2e/families.sh"
rm -rf "$WORK"
mkdir -p "$WORK"

# An arm64 executable, run here under qemu with Debian's arm64 C library.
arm_build() { # CHECKPOINT NAME [xfc flags]
  local ckpt=$1 name=$2
  shift 2
  "$BIN/xfc" build "$ckpt" -o "$WORK/$name.arm64" --target arm64 "$@"
  file -b "$WORK/$name.arm64" | grep -q "ARM aarch64"
  printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu "%s" "$@"\n' "$WORK/$name.arm64" \
    > "$WORK/$name.exe"
  chmod +x "$WORK/$name.exe"
}

write_checkpoints "$WORK"
for f in "${FAMILIES[@]}"; do
  step "$f (arm64, qemu)"
  arm_build "$WORK/$f" "$f"
  check_family "$f" "$WORK/$f" "$WORK/$f.exe"
done

step "the library form for arm64, linked by the cross compiler"
mkdir -p "$WORK/lib"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/lib/model" --emit=lib --target arm64
aarch64-linux-gnu-gcc -std=c99 -Wall -Werror -I "$WORK/lib" "$ROOT/examples/lib/generate.c" \
  "$WORK/lib/libmodel.a" -lstdc++ -lpthread -ldl -lm -o "$WORK/lib/generate"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$WORK/lib/generate" --logits "$WORK/lib/lib.bin" 1 2 3 > /dev/null
"$WORK/gpt2.exe" --input-ids "1,2,3" --output "$WORK/lib/exe.npy"
check_lib_matches_exe "$WORK/lib"
echo "arm64 e2e: all checks passed" >&2
