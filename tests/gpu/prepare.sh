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
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E=$ROOT/tests/e2e
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$OUT"
mkdir -p "$OUT/models" "$OUT/bin" "$OUT/ref" "$OUT/cpu"
step() { echo "== $*" >&2; }

step "write checkpoints"
$PY "$E2E/make_gpt2.py" --out "$OUT/models/gpt2" --seed 1 --untied-lm-head --eos 84
$PY "$E2E/make_llama.py" --out "$OUT/models/llama" --model-type llama --kv-heads 2 --seed 1
$PY "$E2E/make_llama.py" --out "$OUT/models/mistral" --model-type mistral --kv-heads 2 --sliding-window 4 --eos none --seed 4
$PY "$E2E/make_llama.py" --out "$OUT/models/mixtral" --model-type mixtral --seed 1
$PY "$E2E/make_bert.py" --out "$OUT/models/bert" --prefix --seed 1
$PY "$E2E/make_t5.py" --out "$OUT/models/t5" --seed 1

LONG="1,2,3,4,5,6,7,8,9,10,11,12;7,8"
# name, check script and its flags, input ids, new tokens (0: an encoder)
CASES=(
  "gpt2|check_gpt2.py|1,2,3;4,5|6"
  "llama|check_causal_lm.py --family llama|$LONG|8"
  "mistral|check_causal_lm.py --family llama|$LONG|8"
  "mixtral|check_causal_lm.py --family llama|$LONG|8"
  "bert|check_encoder.py|1,2,3,4,5,6,7,8,9;10,11,12|0"
  "t5|check_seq2seq.py|5,6,7,8,9,10,11,12,13,14,15,16;20,30,40|8"
)
: > "$OUT/cases.txt"
for c in "${CASES[@]}"; do
  IFS='|' read -r name check ids new <<< "$c"
  step "$name: the x86-64 executable against PyTorch, then its outputs as the reference"
  "$BIN/xfc" build "$OUT/models/$name" -o "$OUT/cpu/$name"
  newFlag=()
  [ "$new" -gt 0 ] && newFlag=(--max-new-tokens "$new")
  # shellcheck disable=SC2086
  $PY "$E2E"/$check --model "$OUT/models/$name" --exe "$OUT/cpu/$name" --input-ids "$ids" "${newFlag[@]}"
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
