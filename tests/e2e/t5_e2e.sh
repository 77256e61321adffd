#!/usr/bin/env bash
# End to end for T5: random-weight T5ForConditionalGeneration checkpoints
# (v1.0: ReLU, tied lm_head with the d_model^-0.5 rescale; v1.1: gated-GELU,
# untied) written as real safetensors, compiled with xfc, compared with the
# hand-written PyTorch reference: decoder logits over a ragged batch (default
# start token, and given decoder ids) and greedy continuations; KV-cache
# decode against --no-opt recompute.
# Usage: t5_e2e.sh BIN_DIR WORK_DIR
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
$PY "$HERE/make_t5.py" --out "$WORK/t5-v10" --variant v1.0 --seed 1
$PY "$HERE/make_t5.py" --out "$WORK/t5-v11-bf16" --variant v1.1 --dtype BF16 --seed 2
$PY "$HERE/make_t5.py" --out "$WORK/t5-small-buckets" --variant v1.0 --buckets 8 --max-distance 12 --seed 3

IDS="5,6,7,8,9,10,11,12,13,14,15,16;20,30,40"
for m in t5-v10 t5-v11-bf16 t5-small-buckets; do
  step "xfc build $m"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.exe"
  $PY "$HERE/check_seq2seq.py" --model "$WORK/$m" --exe "$WORK/$m.exe" --input-ids "$IDS" --max-new-tokens 12
  $PY "$HERE/check_seq2seq.py" --model "$WORK/$m" --exe "$WORK/$m.exe" --input-ids "$IDS" \
      --decoder-input-ids "0;0,7,3,9" --max-new-tokens 12
done

step "the relative position bias lives inside the attention kernels"
"$BIN/xfc" import "$WORK/t5-v10" -o "$WORK/t5.mlir"
"$BIN/xf-opt" "$WORK/t5.mlir" --xf-pipeline -o "$WORK/t5-opt.mlir"
! grep -q "xf.relative_position_bias" "$WORK/t5-opt.mlir"
grep -q "bias_bidirectional" "$WORK/t5-opt.mlir"

step "the reference interpreter: every pipeline stage keeps the numbers"
"$BIN/xf-check-passes" "$WORK/t5.mlir"
"$BIN/xfc" import "$WORK/t5-v11-bf16" -o "$WORK/t5-v11.mlir"
"$BIN/xf-check-passes" "$WORK/t5-v11.mlir"

step "--no-opt gives the same numbers"
"$BIN/xfc" build "$WORK/t5-v11-bf16" -o "$WORK/t5-noopt.exe" --no-opt
$PY "$HERE/check_seq2seq.py" --model "$WORK/t5-v11-bf16" --exe "$WORK/t5-noopt.exe" --input-ids "$IDS" --max-new-tokens 6

step "KV-cache decode (cross-attention caches filled once by encode) equals --no-opt recompute"
"$BIN/xfc" build "$WORK/t5-v10" -o "$WORK/t5-v10-noopt.exe" --no-opt
for m in t5-v10:t5-v10-noopt t5-v11-bf16:t5-noopt; do
  A=$("$WORK/${m%%:*}.exe" --input-ids "$IDS" --decoder-input-ids "0;0,7,3,9" --max-new-tokens 30)
  B=$("$WORK/${m##*:}.exe" --input-ids "$IDS" --decoder-input-ids "0;0,7,3,9" --max-new-tokens 30)
  echo "cached:    $A" >&2
  echo "recompute: $B" >&2
  [ "$A" = "$B" ] || { echo "$m: KV-cache decode differs from full recompute" >&2; exit 1; }
done
grep -q "func.func @encode" <("$BIN/xf-opt" "$WORK/t5.mlir" --xf-pipeline)

step "decoder ids that do not match the batch are a usage error"
set +e
"$WORK/t5-v10.exe" --input-ids "$IDS" --decoder-input-ids "0" > "$WORK/out.txt" 2> "$WORK/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] && [ ! -s "$WORK/out.txt" ] && grep -q "decoder-input-ids has 1 sequences, --input-ids has 2" "$WORK/err.txt"
step "--bench on an encoder-decoder: encoder ids longer than the decoder's, output unchanged"
"$WORK/t5-v10.exe" --input-ids "$IDS" --max-new-tokens 3 > "$WORK/plain.json"
"$WORK/t5-v10.exe" --input-ids "$IDS" --max-new-tokens 3 --bench 2 > "$WORK/bench.json" 2> "$WORK/bench.txt"
cmp "$WORK/plain.json" "$WORK/bench.json"
grep -q "^bench: decode: median" "$WORK/bench.txt"
grep -q "^bench: of which the encoder (@encode): median" "$WORK/bench.txt"
grep -q "\"encode_ms\": [0-9]*\.[0-9]*[1-9]" "$WORK/bench.txt" # timed, not zero
echo "t5 e2e: all checks passed" >&2
