#!/usr/bin/env bash
# End to end: random-weight GPT-2 checkpoints written as real safetensors are
# compiled with xfc and their executables compared with the PyTorch reference
# (logits over a ragged batch, greedy tokens), for F32 with the `transformer.`
# prefix and an untied lm_head, BF16 without the prefix, F16 with the legacy
# attn.bias buffers, F32 at a width (48) that does not divide into the GEMM's
# 32-column tiles (memory planning writes its residual GEMMs in place, so a
# recomputed tile would add the residual twice); once with --no-opt (full recompute per token, so KV-cache
# decode is compared with recompute); and the issue's literal command line.
# Usage: gpt2_e2e.sh BIN_DIR WORK_DIR
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
$PY "$HERE/make_gpt2.py" --out "$WORK/f32" --dtype F32 --prefix --untied-lm-head --eos 84 --seed 1
$PY "$HERE/make_gpt2.py" --out "$WORK/bf16" --dtype BF16 --no-prefix --seed 2 --layers 2 --heads 2
$PY "$HERE/make_gpt2.py" --out "$WORK/f16" --dtype F16 --prefix --legacy-buffers --untied-lm-head --eos none --seed 3
$PY "$HERE/make_gpt2.py" --out "$WORK/w48" --dtype F32 --embd 48 --heads 4 --seed 5

IDS="1,2,3;4,5"
for m in f32 bf16 f16 w48; do
  step "xfc build $m"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.exe"
  step "check $m against PyTorch"
  $PY "$HERE/check_gpt2.py" --model "$WORK/$m" --exe "$WORK/$m.exe" --input-ids "$IDS" --max-new-tokens 6
done

step "--no-opt (no fusion, no KV-cache: generation recomputes every token)"
"$BIN/xfc" build "$WORK/f32" -o "$WORK/f32-noopt.exe" --no-opt
$PY "$HERE/check_gpt2.py" --model "$WORK/f32" --exe "$WORK/f32-noopt.exe" --input-ids "7,8,9,10;11" --max-new-tokens 6

step "KV-cache decode equals full recompute: same tokens, longer runs"
A=$("$WORK/f32.exe" --input-ids "5,6,7;8,9,10,11,12" --max-new-tokens 20)
B=$("$WORK/f32-noopt.exe" --input-ids "5,6,7;8,9,10,11,12" --max-new-tokens 20)
echo "cached:    $A" >&2
echo "recompute: $B" >&2
[ "$A" = "$B" ] || { echo "KV-cache decode differs from full recompute" >&2; exit 1; }

step "import then compile, with --dump-ir"
"$BIN/xfc" import "$WORK/f32" -o "$WORK/f32.mlir"
"$BIN/xfc" compile "$WORK/f32.mlir" -o "$WORK/f32-compiled.exe" --dump-ir "$WORK/dump"
ls "$WORK/dump"/*.mlir "$WORK/dump"/kernels/*.stmt "$WORK/dump"/kernels/*.stmt.html \
  "$WORK/dump"/kernels/*.s > /dev/null
grep -q "vfmadd" "$WORK"/dump/kernels/xfk_linear_*.s # the GEMMs use FMA instructions
grep -q "^kernels/\*.s " "$WORK/dump/index.txt"
grep -q "xf.causal_mask" "$WORK/dump/00-input.mlir"
! grep -q "xf.causal_mask" "$WORK/dump/"*specialize-masks.mlir
$PY "$HERE/check_gpt2.py" --model "$WORK/f32" --exe "$WORK/f32-compiled.exe" --input-ids "$IDS" --max-new-tokens 3

step "a causal mask written from positions (iota, compare, select): specialised to loop bounds, and run as kernels under --no-opt"
sed -f "$HERE/Inputs/causal-mask-from-positions.sed" "$WORK/f32.mlir" > "$WORK/f32-positions.mlir"
grep -q "xf.compare le" "$WORK/f32-positions.mlir"
! grep -q "xf.causal_mask" "$WORK/f32-positions.mlir"
"$BIN/xf-opt" "$WORK/f32-positions.mlir" --xf-pipeline -o "$WORK/f32-positions-opt.mlir"
grep -Eq "mask_kind +causal" "$WORK/f32-positions-opt.mlir"
! grep -q "xf.select" "$WORK/f32-positions-opt.mlir"
for flags in "" "--no-opt"; do
  # shellcheck disable=SC2086
  "$BIN/xfc" compile "$WORK/f32-positions.mlir" -o "$WORK/f32-positions.exe" $flags
  $PY "$HERE/check_gpt2.py" --model "$WORK/f32" --exe "$WORK/f32-positions.exe" --input-ids "$IDS" --max-new-tokens 4
done
"$BIN/xf-check-passes" "$WORK/f32-positions.mlir"

step "the reference interpreter: every pipeline stage keeps the numbers"
"$BIN/xf-check-passes" "$WORK/f32.mlir"
"$BIN/xf-check-passes" "$WORK/f32.mlir" --no-opt

step "the issue's command line"
( cd "$WORK" && "$BIN/xfc" build f32 -o m && ./m --input-ids "1,2,3;4,5" --output o.npy --max-new-tokens 5 > gen.json )
$PY - "$WORK" <<'PYEOF'
import json, sys, numpy
work = sys.argv[1]
o = numpy.load(work + "/o.npy")
assert o.dtype == numpy.float32 and o.shape == (2, 3, 101), (o.dtype, o.shape)
assert (o[1, 2] == 0).all(), "padding row not zero"
g = json.load(open(work + "/gen.json"))
assert list(g) == ["generated_ids"] and len(g["generated_ids"]) == 2, g
print("literal command ok:", g)
PYEOF
step "CPU variants: one binary with AVX-512, AVX2 and SSE4.1 kernels; and the baseline alone"
"$BIN/xfc" build "$WORK/f32" -o "$WORK/f32-variants.exe" --target x86-64-avx512,x86-64-avx2,x86-64 \
  --dump-ir "$WORK/variants-dump"
ls "$WORK/variants-dump"/kernels/xfk_linear_*.stmt > /dev/null # the first variant's statements
nm "$WORK/f32-variants.exe" > "$WORK/variants.nm" # each kernel: 3 variants + a wrapper
grep -q "xfk_linear_[0-9a-f]*-v2$" "$WORK/variants.nm"
$PY "$HERE/check_gpt2.py" --model "$WORK/f32" --exe "$WORK/f32-variants.exe" --input-ids "$IDS" --max-new-tokens 6
"$BIN/xfc" build "$WORK/f32" -o "$WORK/f32-sse41.exe" --target x86-64
$PY "$HERE/check_gpt2.py" --model "$WORK/f32" --exe "$WORK/f32-sse41.exe" --input-ids "$IDS" --max-new-tokens 6
! "$BIN/xfc" build "$WORK/f32" -o "$WORK/bad.exe" --target x86-64-avx512,nonsense 2> "$WORK/bad-target.txt"
grep -q "unknown target 'nonsense'" "$WORK/bad-target.txt"

step "--profile: time per kernel, the prompts and decode steps apart, same output"
( cd "$WORK" && ./m --input-ids "1,2,3;4,5" --max-new-tokens 5 --profile > gen-profiled.json 2> profile.txt
  cmp gen.json gen-profiled.json
  grep -q "^profile: run: [0-9]* kernel calls" profile.txt
  grep -q "^profile: by kind: linear " profile.txt
  grep -q "^profile: .* attention  *xfk_attention_[0-9a-f]* @" profile.txt
  ./m --input-ids "1,2,3" --max-new-tokens 4 --bench 2 --profile 2> bench-profile.txt > /dev/null
  grep -q "^profile: prompt: " bench-profile.txt && grep -q "^profile: decode: " bench-profile.txt
  ! grep -q "^profile: run: " bench-profile.txt
  ./m --input-ids "1,2,3" --max-new-tokens 2 2> plain.txt > /dev/null
  ! grep -q "^profile" plain.txt )

echo "gpt2 e2e: all checks passed" >&2
