#!/usr/bin/env bash
# The library form: `xfc build --emit=lib` writes libNAME.a and NAME.h; the
# example C program (examples/lib/generate.c) compiles and links against it
# with a C compiler and reproduces the executable's numbers bit for bit: the
# prompt's logits and the greedy tokens of a GPT-2 (KV-cache), a LLaMA and a
# --no-opt GPT-2 (recompute), and a BERT's hidden states. Errors come back as
# messages: a checkpoint that cannot be loaded, an id out of the vocabulary.
# Usage: lib_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E=$ROOT/tests/e2e
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== $*" >&2; }

$PY "$E2E/make_gpt2.py" --out "$WORK/gpt2" --seed 3 --eos none
$PY "$E2E/make_llama.py" --out "$WORK/llama" --model-type llama --kv-heads 2 --seed 3 --eos none
$PY "$E2E/make_bert.py" --out "$WORK/bert" --prefix --seed 3
IDS="3,1,4,1,5,9,2,6"
for spec in gpt2: llama: gpt2:--no-opt bert:; do
  m=${spec%%:*}
  flag=${spec#*:}
  name=$m${flag:+-noopt}
  step "$name: --emit=lib, the example program linked with cc"
  mkdir -p "$WORK/$name"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$name/model" --emit=lib $flag
  test -f "$WORK/$name/libmodel.a" && test -f "$WORK/$name/model.h" && [ ! -e "$WORK/$name/model" ]
  ${CC:-cc} -std=c99 -Wall -Werror -I "$WORK/$name" "$ROOT/examples/lib/generate.c" \
     "$WORK/$name/libmodel.a" -lstdc++ -lpthread -ldl -lm -o "$WORK/$name/generate"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$name.exe" $flag
  "$WORK/$name/generate" --logits "$WORK/$name/lib.bin" --threads 2 ${IDS//,/ } > "$WORK/$name/lib.json"
  if [ "$m" = bert ]; then
    "$WORK/$name.exe" --input-ids "$IDS" --output "$WORK/$name/exe.npy"
  else
    "$WORK/$name.exe" --input-ids "$IDS" --output "$WORK/$name/exe.npy" --max-new-tokens 8 \
      > "$WORK/$name/exe.json"
  fi
  $PY - "$WORK/$name" "$m" <<'PYEOF'
import json, sys, numpy
d, m = sys.argv[1], sys.argv[2]
exe = numpy.load(f"{d}/exe.npy")[0]
lib = numpy.fromfile(f"{d}/lib.bin", dtype=numpy.float32).reshape(exe.shape)
assert (lib == exe).all(), f"library output differs from the executable's by {abs(lib - exe).max()}"
if m != "bert":
    a = json.load(open(f"{d}/lib.json"))["generated_ids"]
    b = json.load(open(f"{d}/exe.json"))["generated_ids"][0]
    assert a == b, (a, b)
print(f"{d}: the library reproduces the executable bit for bit {exe.shape}")
PYEOF
done

step "errors come back as messages"
set +e
"$WORK/gpt2/generate" --weights "$WORK/missing.safetensors" 1 2 2> "$WORK/e1.txt"; rc1=$?
"$WORK/gpt2/generate" 1 2 100000 2> "$WORK/e2.txt"; rc2=$?
set -e
cat "$WORK/e1.txt" "$WORK/e2.txt" >&2
[ "$rc1" = 1 ] && grep -q "^generate: cannot load weights" "$WORK/e1.txt"
[ "$rc2" = 1 ] && grep -q "^generate: token id 100000 is out of the vocabulary" "$WORK/e2.txt"
echo "lib e2e: all checks passed" >&2
