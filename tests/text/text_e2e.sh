#!/usr/bin/env bash
# Text in, text out: the byte-level BPE, WordPiece and Unigram tokenizers
# against independent references (tests/text/bpe_reference.py, with Unicode's
# \p{L}/\p{N} from python3-regex; tests/text/wordpiece_reference.py, with
# unicodedata's NFD; Debian's SentencePiece for Unigram); --prompt on a random
# BERT (its output equals that of the reference's ids), T5 (Unigram) and LLaMA
# (SentencePiece BPE with byte fallback) (the text is the pieces of the ids
# --input-ids generates); --prompt on a random GPT-2 with a tokenizer.json this script
# writes, against the PyTorch reference's greedy tokens decoded by the
# reference tokenizer; --prompt-file; a byte-level model without a
# tokenizer.json; sampling (seeded, top-k 1 = greedy); bad text input; and the
# trained demo model (examples/fortune-gpt2) against the PyTorch reference.
# Usage: text_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"

step() { echo "== $*" >&2; }
expect_fail() { # CODE PATTERN CMD...: CMD exits CODE and says PATTERN on stderr, nothing on stdout
  local code=$1 pattern=$2
  shift 2
  set +e
  "$@" > "$WORK/out.txt" 2> "$WORK/err.txt"
  local rc=$?
  set -e
  cat "$WORK/err.txt" >&2
  [ "$rc" -eq "$code" ] || { echo "expected exit $code, got $rc: $*" >&2; exit 1; }
  grep -q -- "$pattern" "$WORK/err.txt" || { echo "expected '$pattern' on stderr" >&2; exit 1; }
  [ "$(wc -l < "$WORK/err.txt")" -eq 1 ] || { echo "expected one line on stderr" >&2; exit 1; }
  [ ! -s "$WORK/out.txt" ] || { echo "expected nothing on stdout" >&2; exit 1; }
}

step "a byte-level BPE tokenizer.json, trained by the reference"
mkdir -p "$WORK/gpt2"
V=$($PY "$HERE/make_tokenizer.py" --out "$WORK/gpt2/tokenizer.json")
cp "$WORK/gpt2/tokenizer.json" "$WORK/tokenizer.orig.json"
step "xfc-tokenize encodes and decodes like the reference ($V tokens)"
$PY "$HERE/check_text.py" tokenizer --tokenize "$BIN/xfc-tokenize" --json "$WORK/gpt2/tokenizer.json"

step "a random GPT-2 over that vocabulary: --prompt against PyTorch"
$PY "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/gpt2" --vocab "$V" --layers 2 --embd 64 --heads 4 \
  --positions 64 --eos none --seed 11
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/gpt2.exe"
$PY "$HERE/check_text.py" prompt --exe "$WORK/gpt2.exe" --model "$WORK/gpt2" \
  --prompt "Hello world, it's naïve" --max-new-tokens 12
$PY "$HERE/check_text.py" prompt --exe "$WORK/gpt2.exe" --model "$WORK/gpt2" \
  --prompt "<|endoftext|>The fox" --max-new-tokens 5
cmp "$WORK/gpt2/tokenizer.json" "$WORK/tokenizer.orig.json" # inputs are never modified

step "--prompt-file equals --prompt; --tokenizer names the file"
printf 'Hello world, it'"'"'s naïve' > "$WORK/prompt.txt"
A=$("$WORK/gpt2.exe" --prompt "Hello world, it's naïve" --max-new-tokens 12)
B=$("$WORK/gpt2.exe" --prompt-file "$WORK/prompt.txt" --max-new-tokens 12)
C=$("$WORK/gpt2.exe" --prompt "Hello world, it's naïve" --max-new-tokens 12 \
  --tokenizer "$WORK/tokenizer.orig.json")
[ "$A" = "$B" ] && [ "$A" = "$C" ] || { echo "--prompt-file / --tokenizer differ: '$A' '$B' '$C'" >&2; exit 1; }

step "sampling: seeded, top-k 1 is greedy, seeds differ"
S1=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --seed 7)
S2=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --seed 7)
S3=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --seed 8)
G=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24)
K1=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --top-k 1 --seed 3)
P0=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --top-p 0.0001 --seed 3)
echo "seed 7: '$S1'  seed 8: '$S3'  greedy: '$G'" >&2
[ "$S1" = "$S2" ] || { echo "the same seed sampled different text" >&2; exit 1; }
T1=$("$WORK/gpt2.exe" --prompt "The fox" --max-new-tokens 24 --temperature 1.5 --seed 7 --threads 1)
[ "$S1" = "$T1" ] || { echo "one thread sampled other text than two" >&2; exit 1; }
[ "$S1" != "$S3" ] || { echo "two seeds sampled the same 24 tokens" >&2; exit 1; }
[ "$S1" != "$G" ] || { echo "sampling at temperature 1.5 gave the greedy text" >&2; exit 1; }
[ "$K1" = "$G" ] || { echo "--top-k 1 is not greedy: '$K1' vs '$G'" >&2; exit 1; }
[ "$P0" = "$G" ] || { echo "--top-p 0.0001 is not greedy: '$P0' vs '$G'" >&2; exit 1; }
# --input-ids samples the same way (JSON out)
J=$("$WORK/gpt2.exe" --input-ids 1,2,3 --max-new-tokens 8 --temperature 1.5 --seed 7)
echo "$J" | $PY -c 'import json,sys; d=json.load(sys.stdin); assert len(d["generated_ids"][0]) == 8, d'

step "bad text input: one line, the right exit code"
expect_fail 2 "excludes" "$WORK/gpt2.exe" --prompt "a" --input-ids 1,2
expect_fail 2 "give the input" "$WORK/gpt2.exe" --max-new-tokens 3
expect_fail 2 "temperature" "$WORK/gpt2.exe" --prompt "a" --top-k 5
expect_fail 1 "the prompt is empty" "$WORK/gpt2.exe" --prompt ""
expect_fail 1 "cannot read --prompt-file" "$WORK/gpt2.exe" --prompt-file "$WORK/missing.txt"
expect_fail 1 "longer than the compiled maximum" "$WORK/gpt2.exe" --prompt "$(printf 'x%.0s' $(seq 80))"
echo '{"model": {"type": "WordLevel", "vocab": {}}}' > "$WORK/wordlevel.json"
expect_fail 1 "a WordLevel tokenizer" "$WORK/gpt2.exe" --prompt "a" --tokenizer "$WORK/wordlevel.json"
head -c 300 "$WORK/tokenizer.orig.json" > "$WORK/truncated.json"
expect_fail 1 "not a tokenizer.json" "$WORK/gpt2.exe" --prompt "a" --tokenizer "$WORK/truncated.json"
mkdir -p "$WORK/small"
$PY "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/small" --vocab 100 --layers 1 --embd 32 --heads 2 \
  --positions 32 --eos none --seed 12
"$BIN/xfc" build "$WORK/small" -o "$WORK/small.exe"
expect_fail 1 "no tokenizer" "$WORK/small.exe" --prompt "abc"

step "WordPiece: xfc-tokenize against the reference, then --prompt on a random BERT"
mkdir -p "$WORK/bert"
WV=$($PY "$HERE/make_tokenizer.py" --kind wordpiece --out "$WORK/bert/tokenizer.json")
$PY "$HERE/check_text.py" tokenizer --kind wordpiece --tokenize "$BIN/xfc-tokenize" \
  --json "$WORK/bert/tokenizer.json"
$PY "$ROOT/tests/e2e/make_bert.py" --out "$WORK/bert" --vocab "$WV" --seed 14
"$BIN/xfc" build "$WORK/bert" -o "$WORK/bert.exe"
TEXT="The quick brown fox, naïve café!"
IDS=$($PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import wordpiece_reference as w
print(",".join(map(str, w.load(sys.argv[2]).encode(sys.argv[3]))))' "$HERE" "$WORK/bert/tokenizer.json" "$TEXT")
echo "reference ids: $IDS" >&2
OUT=$("$WORK/bert.exe" --prompt "$TEXT" --output "$WORK/bert-prompt.npy")
[ -z "$OUT" ] || { echo "an encoder printed '$OUT' for --prompt" >&2; exit 1; }
"$WORK/bert.exe" --input-ids "$IDS" --output "$WORK/bert-ids.npy"
cmp "$WORK/bert-prompt.npy" "$WORK/bert-ids.npy" # e2e-bert checks --input-ids against PyTorch
$PY "$ROOT/tests/e2e/check_encoder.py" --model "$WORK/bert" --exe "$WORK/bert.exe" --input-ids "$IDS"

# SentencePiece models, Unigram (T5) and BPE with byte fallback (LLaMA-2): the ids are
# SentencePiece's own; the printed text is the decoding of the ids --input-ids generates
# (whose numbers e2e-t5 / e2e-llama check against PyTorch).
sentencepiece_case() { # KIND FAMILY MAKE-SCRIPT [MAKE-ARGS...]
  local kind=$1 family=$2 make=$3
  shift 3
  step "$kind: xfc-tokenize against SentencePiece, then --prompt on a random $family"
  mkdir -p "$WORK/$family"
  local v
  v=$($PY "$HERE/make_tokenizer.py" --kind "$kind" --out "$WORK/$family/tokenizer.json")
  $PY "$HERE/check_text.py" tokenizer --kind "$kind" --tokenize "$BIN/xfc-tokenize" \
    --json "$WORK/$family/tokenizer.json"
  $PY "$ROOT/tests/e2e/$make" --out "$WORK/$family" --vocab "$v" --seed 15 "$@"
  "$BIN/xfc" build "$WORK/$family" -o "$WORK/$family.exe"
  $PY - "$HERE" "$WORK/$family.exe" "$kind" "Hello world, the quick fox" <<'PYEOF'
import json, subprocess, sys
sys.path.insert(0, sys.argv[1])
import sentencepiece_reference as r
from make_tokenizer import TEXT
exe, kind, text = sys.argv[2], sys.argv[3], sys.argv[4]
_, sp = (r.make if kind == "unigram" else r.make_bpe)(TEXT)
ref = (r.Reference if kind == "unigram" else r.BosReference)(sp)
ids = ref.encode(text)
run = lambda *a: subprocess.run([exe, *a], check=True, capture_output=True).stdout
gen = json.loads(run("--input-ids", ",".join(map(str, ids)), "--max-new-tokens", "10"))["generated_ids"][0]
want = ref.decode(gen) + b"\n"
got = run("--prompt", text, "--max-new-tokens", "10")
print(f"{kind}: {text!r} = {ids} -> {gen} -> {got!r}", file=sys.stderr)
if got != want:
    sys.exit(f"the model printed {got!r}; SentencePiece's pieces of its ids are {want!r}")
PYEOF
}
sentencepiece_case unigram t5 make_t5.py
sentencepiece_case spbpe llama make_llama.py --model-type llama

step "a byte-level model without tokenizer.json: --prompt is its bytes"
mkdir -p "$WORK/bytes"
$PY "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/bytes" --vocab 257 --layers 1 --embd 32 --heads 2 \
  --positions 64 --eos none --seed 13
"$BIN/xfc" build "$WORK/bytes" -o "$WORK/bytes.exe"
T=$("$WORK/bytes.exe" --prompt "abc" --max-new-tokens 10 | od -An -v -tu1 | tr -s ' \n' ' ')
I=$("$WORK/bytes.exe" --input-ids 97,98,99 --max-new-tokens 10 |
  $PY -c 'import json,sys; ids=json.load(sys.stdin)["generated_ids"][0]; print(" ".join(str(i) for i in ids if i < 256) + " 10")')
echo "printed bytes:${T} / generated ids: ${I}" >&2
[ "$(echo $T)" = "$(echo $I)" ] || { echo "--prompt on a byte-level model differs from --input-ids" >&2; exit 1; }

DEMO="$ROOT/examples/fortune-gpt2"
step "the demo model ($DEMO): greedy text against PyTorch"
"$BIN/xfc" build "$DEMO" -o "$WORK/fortune.exe"
ROOT_E2E="$ROOT/tests/e2e" $PY - "$DEMO" "$WORK/fortune.exe" <<'PYEOF'
import os, subprocess, sys
sys.path.insert(0, os.environ["ROOT_E2E"])
import gpt2_reference
model, exe = sys.argv[1], sys.argv[2]
m = gpt2_reference.load(model)
prompt = "The meaning of life is"
new = gpt2_reference.greedy(m, list(prompt.encode()), 48, [256])
want = bytes(i for i in new if i < 256) + b"\n"
got = subprocess.run([exe, "--prompt", prompt, "--max-new-tokens", "48"], check=True,
                     capture_output=True).stdout
print(f"demo: {prompt!r} -> {got!r}", file=sys.stderr)
if got != want:
    sys.exit(f"the demo printed {got!r}; PyTorch's greedy bytes are {want!r}")
PYEOF
echo "text-e2e: all checks passed" >&2
