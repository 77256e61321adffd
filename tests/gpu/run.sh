#!/usr/bin/env bash
# The e2e checks on an NVIDIA GPU: builds xfc if needed, then compiles every
# family with --target cuda (or $XFC_GPU_TARGET, e.g. cuda-sm90 on Hopper)
# and checks its numbers against PyTorch (tests/gpu/gpu_e2e.sh). On a machine
# without a GPU it says so and exits 0: the suite checks the CUDA builds
# themselves (tests/gpu/cuda_build.sh) and the GPU schedules' numbers on
# OpenCL (gpu_e2e.sh opencl) everywhere.
# Usage: tests/gpu/run.sh [WORK_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
WORK=${1:-$BUILD/tests/gpu-cuda-e2e}
if ! /sbin/ldconfig -p 2>/dev/null | grep -q "libcuda\.so\.1" ||
   ! command -v nvidia-smi > /dev/null || ! nvidia-smi -L > /dev/null 2>&1; then
  echo "tests/gpu/run.sh: no NVIDIA GPU here (no driver or no device): skipped" >&2
  exit 0
fi
nvidia-smi -L >&2
if [ ! -x "$BUILD/bin/xfc" ]; then
  "$ROOT/tools/install-deps.sh"
  "$ROOT/tools/build.sh"
fi
export XFC_CACHE_DIR=${XFC_CACHE_DIR:-$BUILD/kernel-cache}
exec bash "$ROOT/tests/gpu/gpu_e2e.sh" "$BUILD/bin" "$WORK" "${XFC_GPU_TARGET:-cuda}"
