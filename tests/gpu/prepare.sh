#!/usr/bin/env bash
# Makes the bundle tests/gpu/run.sh checks on a GPU machine, which has no
# xfc, apt or Python: every family's random-weight checkpoint, its GPU
# executable (--target TARGET), and reference outputs — the logits (.npy) and
# greedy tokens of the same model's x86-64 executable, itself checked against
# PyTorch here first (the e2e check scripts) — plus a static .npy comparator.
# Usage: prepare.sh BIN_DIR BUNDLE_DIR [TARGET]   (TARGET: cuda by default;
#        opencl makes a bundle run.sh checks here, on pocl)
set -euo pipefail
BIN=$(cd "$1" && pwd)
OUT=$2
TARGET=${3:-cuda}
source "$(dirname "$0")/../e2e/families.sh"
rm -rf "$OUT"
mkdir -p "$OUT/models" "$OUT/bin" "$OUT/ref" "$OUT/cpu"

write_checkpoints "$OUT/models"
: > "$OUT/cases.txt"
for name in "${FAMILIES[@]}"; do
  ids=$(family_ids "$name")
  new=$(family_new_tokens "$name")
  step "$name: the x86-64 executable against PyTorch, then its outputs as the reference"
  "$BIN/xfc" build "$OUT/models/$name" -o "$OUT/cpu/$name"
  check_family "$name" "$OUT/models/$name" "$OUT/cpu/$name"
  newFlag=()
  [ "$new" -gt 0 ] && newFlag=(--max-new-tokens "$new")
  "$OUT/cpu/$name" --input-ids "$ids" "${newFlag[@]}" --output "$OUT/ref/$name.npy" \
    > "$OUT/ref/$name.json"
  step "$name: --target $TARGET"
  "$BIN/xfc" build "$OUT/models/$name" -o "$OUT/bin/$name" --target "$TARGET"
  printf '%s\t%s\t%s\n' "$name" "$ids" "$new" >> "$OUT/cases.txt"
done
rm -rf "$OUT/cpu"
cp "$BIN/xfc-npy-compare" "$OUT/"
case $TARGET in cuda*) echo cuda ;; *) echo opencl ;; esac > "$OUT/api"
echo "bundle for $TARGET in $OUT ($(du -sh "$OUT" | cut -f1)); check it with tests/gpu/run.sh $OUT" >&2
