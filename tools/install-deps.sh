#!/usr/bin/env bash
# Installs every Debian package that xfc's build, tests and demo need.
# Idempotent: packages already present are skipped, and apt is not touched when
# nothing is missing. --bench adds what tools/bench.sh needs.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build ccache g++ pkg-config
  # tools/test-sanitize.sh: clang with ASan, UBSan and libFuzzer
  clang-19 libclang-rt-19-dev
  # MLIR / LLVM 19
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # Halide 14 (built on LLVM 14)
  libhalide14-0-dev
  # unit tests, benchmarks
  googletest libgtest-dev libbenchmark-dev
  # runtime helpers (header-only)
  nlohmann-json3-dev libcli11-dev
  # numeric references; the tokenizer references (python3-regex for \p{L}, SentencePiece)
  python3 python3-torch python3-numpy python3-regex python3-sentencepiece
  # the corpus tools/train_demo_model.py trains the demo model on
  fortunes
  # the compile report: the graph drawn by Graphviz, and a browser to test the page in
  graphviz chromium
  # --target arm64: the cross compiler, and qemu to run the arm64 tests here
  g++-aarch64-linux-gnu qemu-user file
  # --target opencl in the tests: pocl runs the GPU schedules on this CPU
  pocl-opencl-icd ocl-icd-libopencl1
  # libraries the MLIR/LLVM cmake packages expect to find
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev libffi-dev libncurses-dev
)

# tools/bench.sh and tools/train_demo_model.py only: an optimised BLAS, so
# PyTorch runs at its best beside xfc (Debian's torch otherwise calls the
# reference BLAS, 20x slower). It becomes the system's libblas.so.3.
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(libopenblas0-pthread)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
