//===- PackWeights.cpp - weights in the layout the GEMM streams -*- C++ -*-===//
//
// torch.nn.Linear stores weights [out, in]; the GEMM kernel vectorises over
// the output columns, so it wants [in, out]. Rather than transposing on every
// call, the linear reads a parameter declared `transposed`, which the runtime
// transposes once when it loads the checkpoint.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::xf {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct PackWeightsPass : xf::impl::PackWeightsBase<PackWeightsPass> {
  void runOnOperation() override {
    getOperation().walk([&](LinearOp linear) {
      if (!linear.getTransposeW())
        return;
      auto param = linear.getW().getDefiningOp<ParamOp>();
      if (!param || param.getTransposed())
        return;
      auto type = cast<RankedTensorType>(param.getType());
      OpBuilder b(param);
      b.setInsertionPointAfter(param);
      auto packed = b.create<ParamOp>(
          param.getLoc(),
          RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)}, type.getElementType()),
          param.getNameAttr(), param.getKeyAttr(), b.getUnitAttr());
      // Every transposed GEMM use of this parameter reads the packed one.
      for (OpOperand &use : llvm::make_early_inc_range(param->getUses())) {
        auto user = dyn_cast<LinearOp>(use.getOwner());
        if (!user || !user.getTransposeW() || use.getOperandNumber() != 1)
          continue;
        use.set(packed);
        user.removeTransposeWAttr();
        ++numPacked;
      }
      if (param->use_empty())
        param.erase();
    });
  }
};

} // namespace
