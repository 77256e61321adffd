#!/usr/bin/env bash
# Configures (once) and builds xfc in build/ with Ninja, two jobs, ccache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${XFC_BUILD_DIR:-$ROOT/build}
# ccache keys on paths relative to the checkout, so a clone elsewhere (CI's)
# reuses what this machine compiled before.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
fi
ninja -C "$BUILD" -j"${XFC_JOBS:-2}" >&2
