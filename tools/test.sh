#!/usr/bin/env bash
# The README's test command: installs what is missing, builds xfc, and runs
# the whole suite through ctest (lit IR tests, unit tests, end-to-end tests
# against PyTorch). Slow tests carry the ctest label "slow"; they run here too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
"$ROOT/tools/install-deps.sh"
"$ROOT/tools/build.sh"
cd "$BUILD"
ctest --output-on-failure --timeout 1800 "$@"
