#!/usr/bin/env bash
# Pass plug-ins end to end: `cmake --install` the build into a prefix, build
# the example plug-in (examples/plugins/gelu-erf) out of tree against it with
# find_package(xfc), then
#  - the installed xf-opt loads it and its pass rewrites tanh GELU to erf;
#  - the installed xfc, with --load-pass-plugin and --insert-pass, compiles
#    a random GPT-2 (gelu_new) into an executable whose logits are bit for
#    bit those of the same checkpoint declared with the exact GELU
#    (activation_function "gelu"), and differ from the unplugged build;
#    inserted before fusion (after canonicalize) and after it (on the GEMM
#    epilogue's activation);
#  - a plug-in that cannot be loaded and an AFTER that names no stage are
#    one clear error each, with the exit codes of the run contract.
# Usage: plugin_e2e.sh BUILD_DIR WORK_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$WORK"
mkdir -p "$WORK"
step() { echo "== $*" >&2; }

step "cmake --install into a prefix"
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
P=$WORK/prefix
test -x "$P/bin/xfc" && test -x "$P/bin/xf-opt"
test -f "$P/lib/cmake/xfc/xfcConfig.cmake" && test -f "$P/include/xfc/dialect/XfDialect.h"

step "build the example plug-in out of tree with find_package(xfc)"
# With the platform's compilers, as a user would: a sanitized build's test
# environment sets CC to a sanitizing clang whose C link lacks libstdc++, which
# CMake's compiler probe cannot link. An uninstrumented plug-in loads into an
# instrumented xfc (the sanitizer runtime there resolves what it needs).
env -u CC cmake -S "$ROOT/examples/plugins/gelu-erf" -B "$WORK/plugin" -G Ninja -Dxfc_DIR="$P/lib/cmake/xfc" \
  > "$WORK/plugin-configure.log"
ninja -C "$WORK/plugin" > "$WORK/plugin-build.log"
LIB=$WORK/plugin/libXfGeluErf.so
test -f "$LIB"

step "xf-opt loads it; the pass is a flag like any other"
cat > "$WORK/gelu.mlir" <<'MLIR'
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %y = xf.gelu %x approximate "tanh" : tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
MLIR
"$P/bin/xf-opt" --load-pass-plugin="$LIB" --xf-gelu-erf "$WORK/gelu.mlir" > "$WORK/gelu-erf.mlir"
grep -q 'xf.gelu %arg0 approximate "none"' "$WORK/gelu-erf.mlir"
"$P/bin/xf-opt" --load-pass-plugin "$LIB" --pass-pipeline='builtin.module(xf-gelu-erf)' \
  "$WORK/gelu.mlir" | grep -q 'approximate "none"'
! "$P/bin/xf-opt" --xf-gelu-erf "$WORK/gelu.mlir" > /dev/null 2>&1 # not there without it

step "xfc: the plug-in's pass inserted into the pipeline changes the compiled model"
$PY "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/tanh" --seed 7 --activation gelu_new
$PY "$ROOT/tests/e2e/make_gpt2.py" --out "$WORK/erf" --seed 7 --activation gelu
XFC=$P/bin/xfc
"$XFC" import "$WORK/tanh" -o "$WORK/tanh.mlir"
"$XFC" import "$WORK/erf" -o "$WORK/erf.mlir"
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/tanh.exe"
"$XFC" compile "$WORK/erf.mlir" -o "$WORK/erf.exe"
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/plugged.exe" --load-pass-plugin="$LIB" \
  --insert-pass=canonicalize:xf-gelu-erf --dump-ir "$WORK/dump"
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/plugged-late.exe" --load-pass-plugin="$LIB" \
  --insert-pass='fuse-epilogues:builtin.module(xf-gelu-erf)'
grep -q "inserted-after-canonicalize.mlir" "$WORK/dump/index.txt"
grep -q 'approximate "none"' "$WORK/dump/"*-inserted-after-canonicalize.mlir
"$XFC" compile --load-pass-plugin="$LIB" --insert-pass=canonicalize:xf-gelu-erf --list-pipeline \
  | grep -q "+ xf-gelu-erf  (inserted after canonicalize)"
IDS="1,2,3,4,5;6,7"
for m in tanh erf plugged plugged-late; do
  "$WORK/$m.exe" --input-ids "$IDS" --output "$WORK/$m.npy"
done
$PY - "$WORK" <<'PYEOF'
import sys, numpy
w = sys.argv[1]
tanh, erf, plugged, late = (numpy.load(f"{w}/{m}.npy") for m in ("tanh", "erf", "plugged", "plugged-late"))
assert (plugged == erf).all(), "plugged build differs from the erf checkpoint's"
assert (late == erf).all(), "plug-in after fuse-epilogues differs from the erf checkpoint's"
diff = abs(tanh - erf).max()
assert diff > 0, "the pass changed nothing: tanh and erf builds agree bit for bit"
print(f"plugged == erf bit for bit; tanh vs erf differ by up to {diff:.3g}")
PYEOF

step "errors: a plug-in that cannot be loaded, an AFTER that names no stage"
set +e
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/bad.exe" --load-pass-plugin="$WORK/missing.so" 2> "$WORK/e1.txt"
rc1=$?
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/bad.exe" --load-pass-plugin="$LIB" \
  --insert-pass=no-such-stage:xf-gelu-erf 2> "$WORK/e2.txt"
rc2=$?
"$XFC" compile "$WORK/tanh.mlir" -o "$WORK/bad.exe" --insert-pass=canonicalize:xf-gelu-erf 2> "$WORK/e3.txt"
rc3=$?
"$P/bin/xf-opt" --load-pass-plugin="$ROOT/README.md" "$WORK/gelu.mlir" > /dev/null 2> "$WORK/e4.txt"
rc4=$?
set -e
cat "$WORK"/e[1-4].txt >&2
[ "$rc1" = 1 ] && grep -q "^xfc: error: --load-pass-plugin: cannot load '.*missing.so'" "$WORK/e1.txt"
[ "$rc2" = 2 ] && grep -q "^xfc: error: --insert-pass: no stage named 'no-such-stage' (see --list-pipeline)" "$WORK/e2.txt"
[ "$rc3" = 2 ] && grep -q "^xfc: error: --insert-pass: cannot parse pipeline 'xf-gelu-erf': 'xf-gelu-erf' does not refer to a registered pass" "$WORK/e3.txt"
[ "$rc4" = 1 ] && grep -q "^xf-opt: error: --load-pass-plugin: cannot load '.*README.md'" "$WORK/e4.txt"
for e in e1 e2 e3; do [ "$(wc -l < "$WORK/$e.txt")" = 1 ]; done
[ ! -e "$WORK/bad.exe" ]
echo "plugin e2e: all checks passed" >&2
