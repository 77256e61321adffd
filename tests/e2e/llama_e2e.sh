#!/usr/bin/env bash
# End to end for the LLaMA family (and GGUF input): random-weight LlamaForCausalLM,
# MistralForCausalLM and MixtralForCausalLM checkpoints written as real safetensors (one file or
# sharded with an index), compiled with xfc, compared with the hand-written
# PyTorch reference (logits over a ragged batch, greedy tokens); KV-cache
# decode (ring caches for Mistral's sliding window) against --no-opt recompute.
# The MQA model has widths (hidden 48, MLP 100) that do not divide into the
# GEMM tiles, for the gated MLP kernel and the in-place residual GEMMs.
# Usage: llama_e2e.sh BIN_DIR WORK_DIR
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
$PY "$HERE/make_llama.py" --out "$WORK/llama-gqa" --model-type llama --kv-heads 2 --dtype F32 --seed 1
$PY "$HERE/make_llama.py" --out "$WORK/llama-tied-shards" --model-type llama --heads 4 --kv-heads 4 --tie --dtype BF16 --shards 3 --seed 2
$PY "$HERE/make_llama.py" --out "$WORK/llama-mqa-f16" --model-type llama --heads 4 --kv-heads 1 --hidden 48 --intermediate 100 --dtype F16 --eos none --seed 3
$PY "$HERE/make_llama.py" --out "$WORK/mistral" --model-type mistral --kv-heads 2 --sliding-window 4 --eos none --seed 4
$PY "$HERE/make_llama.py" --out "$WORK/mixtral" --model-type mixtral --kv-heads 2 --experts 4 --top-k 2 --eos none --seed 5

IDS="1,2,3,4,5,6,7,8,9,10,11,12;7,8"
for m in llama-gqa llama-tied-shards llama-mqa-f16 mistral mixtral; do
  step "xfc build $m"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.exe"
  step "check $m against PyTorch"
  $PY "$HERE/check_causal_lm.py" --family llama --model "$WORK/$m" --exe "$WORK/$m.exe" --input-ids "$IDS" --max-new-tokens 12
done

step "the sliding-window layers keep ring caches of the window's size"
"$BIN/xfc" import "$WORK/mistral" -o "$WORK/mistral.mlir"
"$BIN/xf-opt" "$WORK/mistral.mlir" --xf-pipeline -o "$WORK/mistral-opt.mlir"
grep -q "kv_cache<ring, 2, 4, 16, f32>" "$WORK/mistral-opt.mlir"

step "the reference interpreter: every pipeline stage keeps the numbers"
for m in llama-gqa mistral mixtral; do
  "$BIN/xfc" import "$WORK/$m" -o "$WORK/$m-check.mlir"
  "$BIN/xf-check-passes" "$WORK/$m-check.mlir"
done

step "KV-cache decode equals --no-opt full recompute"
for m in llama-gqa mistral mixtral; do
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m-noopt.exe" --no-opt
  A=$("$WORK/$m.exe" --input-ids "$IDS" --max-new-tokens 30)
  B=$("$WORK/$m-noopt.exe" --input-ids "$IDS" --max-new-tokens 30)
  echo "$m cached:    $A" >&2
  echo "$m recompute: $B" >&2
  [ "$A" = "$B" ] || { echo "$m: KV-cache decode differs from full recompute" >&2; exit 1; }
done
$PY "$HERE/check_causal_lm.py" --family llama --model "$WORK/mistral" --exe "$WORK/mistral-noopt.exe" --input-ids "$IDS" --max-new-tokens 12

step "GGUF input: F32, F16, Q8_0 and Q4_0 (llama.cpp's Q/K row order), against the dequantised weights"
for t in F32 F16 Q8_0 Q4_0; do
  $PY "$HERE/make_gguf.py" --model "$WORK/llama-gqa" --out "$WORK/gqa-$t.gguf" --type $t --dequantized-out "$WORK/gqa-$t-deq"
  "$BIN/xfc" build "$WORK/gqa-$t.gguf" -o "$WORK/gqa-$t.exe"
  $PY "$HERE/check_causal_lm.py" --family llama --model "$WORK/gqa-$t-deq" --exe "$WORK/gqa-$t.exe" --input-ids "$IDS" --max-new-tokens 8
done
# An F32 GGUF holds exactly the original weights: same tokens as the safetensors build.
[ "$("$WORK/gqa-F32.exe" --input-ids "$IDS" --max-new-tokens 8)" = "$("$WORK/llama-gqa.exe" --input-ids "$IDS" --max-new-tokens 8)" ]

step "unsupported config fields are named"
$PY "$HERE/make_llama.py" --out "$WORK/scaled" --model-type llama --rope-scaling-type yarn --seed 6
if "$BIN/xfc" import "$WORK/scaled" -o "$WORK/scaled.mlir" 2> "$WORK/scaled.err"; then
  echo "rope_scaling was accepted" >&2; exit 1
fi
grep -q "field 'rope_scaling' = .* is not supported" "$WORK/scaled.err"
test ! -e "$WORK/scaled.mlir"
$PY "$HERE/make_gguf.py" --model "$WORK/scaled" --out "$WORK/scaled.gguf" --type F32
if "$BIN/xfc" import "$WORK/scaled.gguf" -o "$WORK/scaled.mlir" 2> "$WORK/scaled-gguf.err"; then
  echo "GGUF rope scaling was accepted" >&2; exit 1
fi
grep -q "llama.rope.scaling.type" "$WORK/scaled-gguf.err"

step "tensors that do not match the config name the tensor and both shapes"
cp -r "$WORK/llama-gqa" "$WORK/badshape"
sed -i 's/"num_key_value_heads": 2/"num_key_value_heads": 4/' "$WORK/badshape/config.json"
if "$BIN/xfc" import "$WORK/badshape" -o "$WORK/badshape.mlir" 2> "$WORK/badshape.err"; then
  echo "mismatched shapes were accepted" >&2; exit 1
fi
grep -q "tensor 'model.layers.0.self_attn.k_proj.weight' has shape \[32, 64\], the config implies \[64, 64\]" "$WORK/badshape.err"
echo "llama e2e: all checks passed" >&2
