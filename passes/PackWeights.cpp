//===- PackWeights.cpp - weights in the layout the GEMM streams -*- C++ -*-===//
//
// torch.nn.Linear stores weights [out, in]; the GEMM kernel vectorises over
// the output columns, so it wants [in, out]. Rather than transposing on every
// call, the linear reads a parameter declared `transposed`, which the runtime
// transposes once when it loads the checkpoint.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"

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
    llvm::DenseMap<Operation *, ParamOp> packedOf;
    SmallVector<ParamOp> originals;
    getOperation().walk([&](LinearOp linear) {
      if (!linear.getTransposeW())
        return;
      // The weight, and a gated GEMM's gate (same layout): both packed or
      // neither, since transpose_w covers both.
      SmallVector<OpOperand *> weights{&linear.getWMutable()};
      if (linear.getGate())
        weights.push_back(&linear.getGateMutable()[0]);
      for (OpOperand *use : weights) {
        auto param = use->get().getDefiningOp<ParamOp>();
        if (!param || param.getTransposed())
          return;
      }
      for (OpOperand *use : weights) {
        auto param = use->get().getDefiningOp<ParamOp>();
        ParamOp &packed = packedOf[param];
        if (!packed) {
          auto type = cast<RankedTensorType>(param.getType());
          OpBuilder b(param);
          b.setInsertionPointAfter(param);
          packed = b.create<ParamOp>(param.getLoc(),
                                     RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                                           type.getElementType()),
                                     param.getNameAttr(), param.getKeyAttr(), b.getUnitAttr());
          originals.push_back(param);
        }
        use->set(packed);
      }
      linear.removeTransposeWAttr();
      ++numPacked;
    });
    // A parameter also used elsewhere (a tied embedding) keeps its declaration.
    for (ParamOp param : originals)
      if (param->use_empty())
        param.erase();
  }
};

} // namespace
