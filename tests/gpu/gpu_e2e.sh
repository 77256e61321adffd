#!/usr/bin/env bash
# GPU end to end: every family's random-weight checkpoint compiled with a GPU
# target (the GPU schedules of every kernel kind; weights, activations and
# KV-cache in device memory) and run through the same PyTorch checks as the
# x86-64 e2e tests (logits over a ragged batch, greedy tokens, KV-cache
# decode): GPT-2, LLaMA with grouped-query attention, Mistral's sliding
# window, Mixtral, BERT, T5, and the library form.
# TARGET `opencl` runs the GPU schedules here, on Debian's pocl (the CPU as an
# OpenCL device); tests/gpu/run.sh runs this with `cuda` on an NVIDIA GPU.
# Usage: gpu_e2e.sh BIN_DIR WORK_DIR [TARGET]   (TARGET: opencl by default)
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
TARGET=${3:-opencl}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E=$ROOT/tests/e2e
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== $*" >&2; }
build() { # CHECKPOINT NAME [xfc flags]
  local ckpt=$1 name=$2
  shift 2
  "$BIN/xfc" build "$ckpt" -o "$WORK/$name.exe" --target "$TARGET" "$@"
}

step "write checkpoints"
$PY "$E2E/make_gpt2.py" --out "$WORK/gpt2" --seed 1 --untied-lm-head --eos 84
$PY "$E2E/make_llama.py" --out "$WORK/llama" --model-type llama --kv-heads 2 --seed 1
$PY "$E2E/make_llama.py" --out "$WORK/mistral" --model-type mistral --kv-heads 2 --sliding-window 4 --eos none --seed 4
$PY "$E2E/make_llama.py" --out "$WORK/mixtral" --model-type mixtral --seed 1
$PY "$E2E/make_bert.py" --out "$WORK/bert" --prefix --seed 1
$PY "$E2E/make_t5.py" --out "$WORK/t5" --seed 1

step "gpt2 ($TARGET)"
build "$WORK/gpt2" gpt2
$PY "$E2E/check_gpt2.py" --model "$WORK/gpt2" --exe "$WORK/gpt2.exe" --input-ids "1,2,3;4,5" --max-new-tokens 6
for m in llama mistral mixtral; do
  step "$m ($TARGET)"
  build "$WORK/$m" "$m"
  $PY "$E2E/check_causal_lm.py" --family llama --model "$WORK/$m" --exe "$WORK/$m.exe" \
    --input-ids "1,2,3,4,5,6,7,8,9,10,11,12;7,8" --max-new-tokens 8
done
step "bert ($TARGET)"
build "$WORK/bert" bert
$PY "$E2E/check_encoder.py" --model "$WORK/bert" --exe "$WORK/bert.exe" --input-ids "1,2,3,4,5,6,7,8,9;10,11,12"
step "t5 ($TARGET)"
build "$WORK/t5" t5
$PY "$E2E/check_seq2seq.py" --model "$WORK/t5" --exe "$WORK/t5.exe" \
  --input-ids "5,6,7,8,9,10,11,12,13,14,15,16;20,30,40" --max-new-tokens 8

step "the library form ($TARGET) reproduces the executable"
mkdir -p "$WORK/lib"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/lib/model" --emit=lib --target "$TARGET"
cc -std=c99 -Wall -Werror -I "$WORK/lib" "$ROOT/examples/lib/generate.c" \
  "$WORK/lib/libmodel.a" -lstdc++ -lpthread -ldl -lm -o "$WORK/lib/generate"
"$WORK/lib/generate" --logits "$WORK/lib/lib.bin" 1 2 3 > /dev/null
"$WORK/gpt2.exe" --input-ids "1,2,3" --output "$WORK/lib/exe.npy"
$PY - "$WORK/lib" <<'PYEOF'
import sys, numpy
d = sys.argv[1]
exe = numpy.load(f"{d}/exe.npy")[0]
lib = numpy.fromfile(f"{d}/lib.bin", dtype=numpy.float32).reshape(exe.shape)
assert (lib == exe).all(), abs(lib - exe).max()
print("library == executable, bit for bit")
PYEOF
echo "gpu e2e ($TARGET): all checks passed" >&2
