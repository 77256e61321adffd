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
# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons the slabs it hands
# out when its (inline) header code is instrumented, as in xfc's files, but
# not when the same allocator is used from the uninstrumented libMLIR, so
# memory that libMLIR allocated would read as poisoned (a false
# use-after-poison, seen first in CallOp::build). Heap, stack and global
# checks are unaffected.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=0}
# Halide compiles each kernel on a 32 MiB stack of its own, switched to with
# swapcontext, which ASan does not follow (it warns on stderr, which the tests
# that want a quiet stderr see, and may report false positives): compile on
# the thread's own stack instead, made as large.
export HL_COMPILER_STACK_SIZE=0
ulimit -s 65536 2> /dev/null || ulimit -s unlimited 2> /dev/null || true
ctest --output-on-failure --timeout 1800 -j"${XFC_TEST_JOBS:-2}" "$@"
