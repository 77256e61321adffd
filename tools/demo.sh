#!/usr/bin/env bash
# The README's first command: installs what is missing, builds xfc, compiles
# the bundled example model (examples/gpt2-demo, a 2-layer GPT-2 with random
# weights) into a standalone executable, runs it, and says what it generated
# and where the IR dumps went.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
"$ROOT/tools/install-deps.sh"
"$ROOT/tools/build.sh"

OUT=$BUILD/demo
mkdir -p "$OUT"
echo "== xfc build examples/gpt2-demo" >&2
time "$BUILD/bin/xfc" build "$ROOT/examples/gpt2-demo" -o "$OUT/gpt2-demo" --dump-ir "$OUT/ir"
echo "== $OUT/gpt2-demo --input-ids \"1,2,3;4,5\" --max-new-tokens 8 --output $OUT/logits.npy" >&2
GEN=$("$OUT/gpt2-demo" --input-ids "1,2,3;4,5" --max-new-tokens 8 --output "$OUT/logits.npy")
echo "generated (new token ids per prompt): $GEN"
echo "logits of the prompts:                $OUT/logits.npy"
echo "IR after every stage:                 $OUT/ir (see $OUT/ir/index.txt)"
echo "executable:                           $OUT/gpt2-demo"
