#!/usr/bin/env bash
# Inspection end to end, for every family's example (random-weight GPT-2,
# LLaMA, Mistral, Mixtral, BERT and T5 checkpoints): `xfc build --dump-ir DIR
# --report report.html` writes the module after every stage, each kernel's
# Halide statement (text and HTML) and assembly and the host program, listed
# in DIR/index.txt, and a report that headless Chromium renders with its
# stages, the graph (nodes named by checkpoint module), kernels and memory
# plan (check_report.py). A failed build writes no report. Progress shows on
# a terminal only (script(1) gives it one); --timing prints pass and kernel
# compile times.
# Usage: report_e2e.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
E2E=$(cd "$HERE/../e2e" && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== $*" >&2; }

$PY "$E2E/make_gpt2.py" --out "$WORK/gpt2" --seed 1
$PY "$E2E/make_llama.py" --out "$WORK/llama" --model-type llama --kv-heads 2 --seed 1
$PY "$E2E/make_llama.py" --out "$WORK/mistral" --model-type mistral --kv-heads 2 --sliding-window 4 --seed 1
$PY "$E2E/make_llama.py" --out "$WORK/mixtral" --model-type mixtral --seed 1
$PY "$E2E/make_bert.py" --out "$WORK/bert" --prefix --seed 1
$PY "$E2E/make_t5.py" --out "$WORK/t5" --seed 1

# family : stages : graph nodes that must be shown (checkpoint module paths)
for spec in "gpt2:10:transformer.h.0.attn.c_attn transformer.h.1.mlp.c_fc transformer.ln_f" \
            "llama:10:model.layers.0.self_attn.q_proj model.layers.1.mlp.down_proj model.norm" \
            "mistral:10:model.layers.0.self_attn.k_proj model.layers.1.mlp.gate_proj" \
            "mixtral:10:model.layers.0.block_sparse_moe model.layers.1.self_attn.o_proj" \
            "bert:10:bert.encoder.layer.0.attention.self.query bert.encoder.layer.1.output.dense" \
            "t5:10:encoder.block.0.layer.0.SelfAttention.q decoder.block.1.layer.1.EncDecAttention.o"; do
  IFS=: read -r m stages nodes <<< "$spec"
  step "$m: xfc build --dump-ir --report"
  "$BIN/xfc" build "$WORK/$m" -o "$WORK/$m.exe" --dump-ir "$WORK/$m-dump" --report "$WORK/$m.html"
  D=$WORK/$m-dump
  grep -q "^00-input.mlir$" "$D/index.txt" && grep -q "^10-plan-memory.mlir$" "$D/index.txt"
  [ "$(ls "$D"/*.mlir | wc -l)" = 11 ]
  for ext in stmt stmt.html s; do ls "$D"/kernels/*."$ext" > /dev/null; done
  test -s "$D/host.cpp"
  args=()
  for n in $nodes; do args+=(--expect-node "$n"); done
  $PY "$HERE/check_report.py" "$WORK/$m.html" --stages "$stages" "${args[@]}"
done

step "progress on a terminal only; --timing"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/quiet.exe" --no-kernel-cache 2> "$WORK/quiet.txt"
[ ! -s "$WORK/quiet.txt" ] # not a terminal: nothing on stderr
script -qec "'$BIN/xfc' build '$WORK/gpt2' -o '$WORK/tty.exe' --no-kernel-cache" /dev/null \
  > "$WORK/tty.txt"
grep -q "xfc: stage 1 of 10 (canonicalize)" "$WORK/tty.txt"
grep -q "xfc: kernel 1 of [0-9]* (" "$WORK/tty.txt"
"$BIN/xfc" build "$WORK/gpt2" -o "$WORK/timed.exe" --timing --no-kernel-cache 2> "$WORK/timing.txt"
grep -q "^timing: Halide: [0-9]* kernels compiled in" "$WORK/timing.txt"
grep -q "^timing: Halide: .* xfk_linear_[0-9a-f]* (@linear" "$WORK/timing.txt"
grep -q "Execution time report" "$WORK/timing.txt" && grep -q "FuseAttention" "$WORK/timing.txt"
grep -q "code generation (Halide kernels, host, link)" "$WORK/timing.txt"

step "a failed build leaves no report"
printf 'not mlir\n' > "$WORK/bad.mlir"
! "$BIN/xfc" compile "$WORK/bad.mlir" -o "$WORK/bad.exe" --report "$WORK/bad.html" 2> /dev/null
[ ! -e "$WORK/bad.html" ] && [ ! -e "$WORK/bad.exe" ]
echo "report e2e: all checks passed" >&2
