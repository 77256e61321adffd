#!/usr/bin/env bash
# End to end for BERT: random-weight BertModel checkpoints (and BertFor*
# checkpoints with a `bert.` prefix and heads xfc ignores) written as real
# safetensors, compiled with xfc, compared with the hand-written PyTorch
# reference: the last hidden state over a ragged batch; generation refused.
# Usage: bert_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== $*" >&2; }

step "write checkpoints"
$PY "$HERE/make_bert.py" --out "$WORK/bert-prefixed" --prefix --dtype F32 --seed 1
$PY "$HERE/make_bert.py" --out "$WORK/bert-plain-bf16" --no-prefix --dtype BF16 --seed 2
$PY "$HERE/make_bert.py" --out "$WORK/bert-f16" --no-prefix --dtype F16 --layers 3 --seed 3

IDS="1,2,3,4,5,6,7,8,9;10,11,12"
for m in bert-prefixed bert-plain-bf16 bert-f16; do
  step "xfc build $m"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.exe"
  $PY "$HERE/check_encoder.py" --model "$WORK/$m" --exe "$WORK/$m.exe" --input-ids "$IDS"
done
step "the reference interpreter: every pipeline stage keeps the numbers"
"$BIN/xfc" import "$WORK/bert-prefixed" -o "$WORK/bert.mlir"
"$BIN/xf-check-passes" "$WORK/bert.mlir"

step "--no-opt gives the same numbers"
"$BIN/xfc" build "$WORK/bert-prefixed" -o "$WORK/bert-noopt.exe" --no-opt
$PY "$HERE/check_encoder.py" --model "$WORK/bert-prefixed" --exe "$WORK/bert-noopt.exe" --input-ids "$IDS"
step "--bench on an encoder: the padded batch timed, no decode"
"$WORK/bert-noopt.exe" --input-ids "$IDS" --bench 2 2> "$WORK/bench.txt"
grep -q "^bench: prompt of" "$WORK/bench.txt"
! grep -q "^bench: decode" "$WORK/bench.txt"
echo "bert e2e: all checks passed" >&2
