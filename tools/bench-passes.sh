#!/usr/bin/env bash
# Benchmark of what the passes buy (a benchmark, not a test; numbers vary on a
# shared machine): a GPT-2-small-shaped model (12 layers, hidden 768, 12 heads,
# vocab 50257) with random weights, prefill of 512 tokens, built four ways:
#   optimised            the default pipeline (causal mask as loop bounds);
#   no-plan              the same without memory planning (each kernel result
#                        allocated, freed after its last use)
#                        (--disable-stage plan-memory);
#   generic-mask         attention fused but the [seq, seq] mask kept as a
#                        tensor (--disable-stage specialize-masks,kv-cache);
#   no-opt               no fusion at all (--no-opt).
# Prints the best of N runs of each (from the executable's --stats), the
# peak activation memory and how much of it is planned buffers; then, from Halide-profiled builds (--target
# host-profile), the time spent in the attention kernels at 512 and 1024
# tokens with the causal mask as loop bounds vs as a tensor.
# Usage: tools/bench-passes.sh [RUNS] (default 3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
RUNS=${1:-3}
WORK=${XFC_BENCH_DIR:-$BUILD/bench-passes}
mkdir -p "$WORK"
if [ ! -f "$WORK/gpt2-small/model.safetensors" ]; then
  echo "== writing a random GPT-2-small checkpoint" >&2
  /usr/bin/python3 "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/gpt2-small" --layers 12 \
      --embd 768 --heads 12 --vocab 50257 --positions 1024 --seed 1 >&2
fi
IDS=$(/usr/bin/python3 -c "import random; random.seed(0); print(','.join(str(random.randrange(50257)) for _ in range(512)))")

declare -A FLAGS=([optimised]="" [no-plan]="--disable-stage plan-memory" [generic-mask]="--disable-stage specialize-masks,kv-cache" [no-opt]="--no-opt")
echo "| build | prefill 512 (ms, best of $RUNS) | peak activations (MiB) | of which planned buffers (MiB) | the same results without reuse (MiB) |"
echo "| --- | --- | --- | --- | --- |"
for name in optimised no-plan generic-mask no-opt; do
  exe="$WORK/$name.exe"
  # shellcheck disable=SC2086
  "$BUILD/bin/xfc" build "$WORK/gpt2-small" -o "$exe" ${FLAGS[$name]} >&2
  best=""
  peak=""
  for _ in $(seq "$RUNS"); do
    line=$("$exe" --input-ids "$IDS" --stats 2>&1 >/dev/null | grep '^stats:')
    run=$(echo "$line" | sed -E 's/.*run ([0-9.]+) ms.*/\1/')
    peak=$(echo "$line" | sed -E 's/.*peak activations ([0-9.]+) MiB.*/\1/')
    planned=$(echo "$line" | sed -E 's/.*planned buffers ([0-9.]+) MiB.*/\1/')
    noreuse=$(echo "$line" | sed -E 's/.* ([0-9.]+) MiB without reuse.*/\1/')
    if [ -z "$best" ] || awk "BEGIN{exit !($run < $best)}"; then best=$run; fi
  done
  if [ "$planned" = "0.00" ]; then planned="—"; noreuse="—"; fi # nothing planned (no arena)
  echo "| $name | $best | $peak | $planned | $noreuse |"
done

echo
echo "| attention kernels (Halide profiler, ms per prefill) | 512 tokens | 1024 tokens |"
echo "| --- | --- | --- |"
for name in optimised generic-mask; do
  exe="$WORK/$name-profile.exe"
  # shellcheck disable=SC2086
  "$BUILD/bin/xfc" build "$WORK/gpt2-small" -o "$exe" --target host-profile ${FLAGS[$name]} >&2
  row="| $name |"
  for n in 512 1024; do
    ids=$(/usr/bin/python3 -c "import random; random.seed(0); print(','.join(str(random.randrange(50257)) for _ in range($n)))")
    # Halide's profiler reports through halide_print, which the runtime sends to stderr.
    ms=$("$exe" --input-ids "$ids" 2>&1 >/dev/null |
         awk '/^xfk_attention/ {getline; sum += $3} END {printf "%.1f", sum}')
    row="$row $ms |"
  done
  echo "$row"
done
