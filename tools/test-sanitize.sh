#!/usr/bin/env bash
# The suite under AddressSanitizer and UBSan, and the fuzz targets fuzzed:
# installs what is missing, builds xfc with clang-19 and
# -fsanitize=address,undefined in build-sanitize/ (the runtime archive that
# compiled models link included, so the executables the tests make are
# instrumented too), and runs the whole suite there through ctest, each fuzz
# target for XFC_FUZZ_SECONDS (default 60) seconds among it. Any sanitizer
# finding fails its test. .ci/run calls this after tools/test.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}
"$ROOT/tools/install-deps.sh"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DXFC_SANITIZE=address,undefined -DXFC_FUZZ=ON \
    -DXFC_FUZZ_SECONDS="${XFC_FUZZ_SECONDS:-60}" >&2
fi
ninja -C "$BUILD" -j"${XFC_JOBS:-2}" >&2
cd "$BUILD"
# Findings abort (the build sets -fno-sanitize-recover); leaks are reported
# at exit; tests/sanitizer/lsan.supp names the leaks of libraries xfc uses.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=0}
ctest --output-on-failure --timeout 1800 -j"${XFC_TEST_JOBS:-2}" "$@"
