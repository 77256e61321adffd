#!/usr/bin/env bash
# The performance benchmark (a benchmark, not a test: this machine is shared
# and noisy, so it reports the rows of one run side by side, as ratios):
# xfc vs PyTorch vs the roofline on BERT-base, GPT-2 small, T5-small and a
# 125M LLaMA-style model with random weights. Installs OpenBLAS for PyTorch
# (install-deps.sh --bench; it becomes the system's libblas.so.3), builds
# xfc, and writes build/bench/results.json.
# Usage: tools/bench.sh [RUNS] (default 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
"$ROOT/tools/install-deps.sh" --bench
"$ROOT/tools/build.sh"
exec /usr/bin/python3 "$ROOT/tools/bench.py" "$BUILD" "${XFC_BENCH_DIR:-$BUILD/bench}" "${1:-5}"
