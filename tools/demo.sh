#!/usr/bin/env bash
# The README's first command: installs what is missing, builds xfc, compiles
# the bundled demo model (examples/fortune-gpt2, a 4-layer byte-level GPT-2
# trained on Debian's fortunes by tools/train_demo_model.py) into a
# standalone executable, and lets it write: a few prompts continued as text,
# sampled and greedy, then the same model driven by token ids.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
"$ROOT/tools/install-deps.sh"
"$ROOT/tools/build.sh"

OUT=$BUILD/demo
EXE=$OUT/fortune-gpt2
mkdir -p "$OUT"
echo "== xfc build examples/fortune-gpt2 -o $EXE --dump-ir $OUT/ir" >&2
time "$BUILD/bin/xfc" build "$ROOT/examples/fortune-gpt2" -o "$EXE" --dump-ir "$OUT/ir"

# The model was trained on 128-byte windows: prompt + continuation stay within them.
for prompt in "The meaning of life is" "A computer is" "Q: What do you call"; do
  echo "== $EXE --prompt \"$prompt\" --max-new-tokens 100 --temperature 0.6 --top-k 40 --seed 1" >&2
  printf '%s' "$prompt"
  "$EXE" --prompt "$prompt" --max-new-tokens 100 --temperature 0.6 --top-k 40 --seed 1
done
echo "== $EXE --prompt \"Never\" --max-new-tokens 60 (greedy)" >&2
printf 'Never'
"$EXE" --prompt "Never" --max-new-tokens 60
echo "== $EXE --input-ids \"72,101;87\" --max-new-tokens 8 --output $OUT/logits.npy" >&2
GEN=$("$EXE" --input-ids "72,101;87" --max-new-tokens 8 --output "$OUT/logits.npy")
echo "generated (new token ids per prompt): $GEN"
echo "logits of the prompts:                $OUT/logits.npy"
echo "IR after every stage:                 $OUT/ir (see $OUT/ir/index.txt)"
echo "executable:                           $EXE"
