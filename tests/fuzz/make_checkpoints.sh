#!/usr/bin/env bash
# make_checkpoints.sh OUT: one small random checkpoint per family under
# OUT/<model_type> (config.json + model.safetensors): the weights that the
# config-import fuzz target puts beside each config it tries.
# The seed corpus corpus/config-import/*.json holds these configs as written
# here (regenerate: copy OUT/*/config.json there).
set -euo pipefail
OUT=$1
E2E=$(cd "$(dirname "$0")/../e2e" && pwd)
PY=/usr/bin/python3
mkdir -p "$OUT"
$PY "$E2E/make_gpt2.py" --out "$OUT/gpt2" --layers 1 --embd 16 --heads 2 --vocab 11 --positions 16
$PY "$E2E/make_llama.py" --out "$OUT/llama" --model-type llama --layers 1 --hidden 16 --heads 4 \
  --kv-heads 2 --intermediate 24 --vocab 11 --positions 16
$PY "$E2E/make_llama.py" --out "$OUT/mistral" --model-type mistral --layers 1 --hidden 16 --heads 4 \
  --kv-heads 2 --intermediate 24 --vocab 11 --positions 16 --sliding-window 4
$PY "$E2E/make_llama.py" --out "$OUT/mixtral" --model-type mixtral --layers 1 --hidden 16 --heads 4 \
  --kv-heads 2 --intermediate 24 --vocab 11 --positions 16
$PY "$E2E/make_bert.py" --out "$OUT/bert" --layers 1 --hidden 16 --heads 2 --intermediate 24 \
  --vocab 11 --positions 16
$PY "$E2E/make_t5.py" --out "$OUT/t5" --layers 1 --d-model 16 --d-kv 8 --heads 2 --d-ff 24 --vocab 11 \
  --buckets 8 --max-distance 16
