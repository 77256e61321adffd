//===- GeluErfPlugin.cpp - an out-of-tree xfc pass plug-in ------*- C++ -*-===//
//
// The pass `xf-gelu-erf` rewrites every tanh-approximated GELU (HF's
// gelu_new) into the exact, erf-based GELU: `xf.gelu ... approximate "tanh"`
// becomes `approximate "none"`, and a GEMM whose epilogue applies
// `activation = "gelu_tanh"` (after fuse-epilogues) applies "gelu" instead.
// It emits a remark with the number of ops it changed.
//
// Built against an installed xfc (find_package(xfc)); loaded with
//   xf-opt --load-pass-plugin=libXfGeluErf.so --pass-pipeline='builtin.module(xf-gelu-erf)'
//   xfc compile m.mlir -o m --load-pass-plugin=libXfGeluErf.so \
//       --insert-pass=canonicalize:xf-gelu-erf
//
//===----------------------------------------------------------------------===//

#include "dialect/XfDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

using namespace mlir;

namespace {

struct GeluErfPass : PassWrapper<GeluErfPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(GeluErfPass)

  StringRef getArgument() const final { return "xf-gelu-erf"; }
  StringRef getDescription() const final {
    return "Rewrite tanh-approximated GELU (gelu_new) into the exact erf GELU";
  }
  void getDependentDialects(DialectRegistry &registry) const final {
    registry.insert<xf::XfDialect>();
  }

  void runOnOperation() final {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    int changed = 0;
    module.walk([&](xf::GeluOp gelu) {
      if (gelu.getApproximate() == "tanh") {
        gelu.setApproximate("none");
        ++changed;
      }
    });
    module.walk([&](xf::LinearOp linear) {
      if (linear.getActivation() && *linear.getActivation() == "gelu_tanh") {
        linear.setActivationAttr(b.getStringAttr("gelu"));
        ++changed;
      }
    });
    emitRemark(module.getLoc()) << "xf-gelu-erf: " << changed << " tanh GELU(s) made exact";
  }
};

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "XfGeluErf", "0.1",
          [] { PassRegistration<GeluErfPass>(); }};
}
