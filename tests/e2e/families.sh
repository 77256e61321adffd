# Sourced by the e2e scripts that run every family on another target
# (tests/arm64, tests/gpu): the common preamble, the six random-weight
# checkpoints, and each family's PyTorch check with its fixed inputs.
# The sourcing script sets BIN and WORK first (and has `set -euo pipefail`).

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
step() { echo "== $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# GPT-2; LLaMA with grouped-query attention; Mistral's sliding window;
# Mixtral; BERT; T5.
FAMILIES=(gpt2 llama mistral mixtral bert t5)

# write_checkpoints DIR: DIR/<family> for each of FAMILIES.
write_checkpoints() {
  local d=$1
  step "write checkpoints"
  $PY "$E2E/make_gpt2.py" --out "$d/gpt2" --seed 1 --untied-lm-head --eos 84
  $PY "$E2E/make_llama.py" --out "$d/llama" --model-type llama --kv-heads 2 --seed 1
  $PY "$E2E/make_llama.py" --out "$d/mistral" --model-type mistral --kv-heads 2 --sliding-window 4 --eos none --seed 4
  $PY "$E2E/make_llama.py" --out "$d/mixtral" --model-type mixtral --seed 1
  $PY "$E2E/make_bert.py" --out "$d/bert" --prefix --seed 1
  $PY "$E2E/make_t5.py" --out "$d/t5" --seed 1
}

# family_ids FAMILY / family_new_tokens FAMILY: the inputs its check runs
# (a ragged batch of two; new tokens 0 for the encoder).
family_ids() {
  case $1 in
  gpt2) echo "1,2,3;4,5" ;;
  llama | mistral | mixtral) echo "1,2,3,4,5,6,7,8,9,10,11,12;7,8" ;;
  bert) echo "1,2,3,4,5,6,7,8,9;10,11,12" ;;
  t5) echo "5,6,7,8,9,10,11,12,13,14,15,16;20,30,40" ;;
  esac
}
family_new_tokens() {
  case $1 in gpt2) echo 6 ;; bert) echo 0 ;; *) echo 8 ;; esac
}

# check_family FAMILY MODEL_DIR EXE: the executable against PyTorch (logits
# over the batch, greedy tokens, KV-cache decode).
check_family() {
  local f=$1 model=$2 exe=$3 ids new
  ids=$(family_ids "$f")
  new=$(family_new_tokens "$f")
  case $f in
  gpt2) $PY "$E2E/check_gpt2.py" --model "$model" --exe "$exe" --input-ids "$ids" --max-new-tokens "$new" ;;
  llama | mistral | mixtral)
    $PY "$E2E/check_causal_lm.py" --family llama --model "$model" --exe "$exe" --input-ids "$ids" \
      --max-new-tokens "$new" ;;
  bert) $PY "$E2E/check_encoder.py" --model "$model" --exe "$exe" --input-ids "$ids" ;;
  t5) $PY "$E2E/check_seq2seq.py" --model "$model" --exe "$exe" --input-ids "$ids" --max-new-tokens "$new" ;;
  esac
}

# check_lib_matches_exe DIR: DIR/lib.bin (the example C program's logits for
# 1 2 3) equals DIR/exe.npy (the executable's), bit for bit.
check_lib_matches_exe() {
  $PY - "$1" <<'PYEOF'
import sys, numpy
d = sys.argv[1]
exe = numpy.load(f"{d}/exe.npy")[0]
lib = numpy.fromfile(f"{d}/lib.bin", dtype=numpy.float32).reshape(exe.shape)
assert (lib == exe).all(), abs(lib - exe).max()
print("library == executable, bit for bit")
PYEOF
}
