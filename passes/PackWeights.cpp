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

/// A parameter declaration that can be loaded transposed: a checkpoint
/// tensor or a concatenation of them, not transposed yet.
bool isPackable(Value w) {
  Operation *def = w.getDefiningOp();
  if (auto p = dyn_cast_or_null<ParamOp>(def))
    return !p.getTransposed();
  if (auto p = dyn_cast_or_null<ParamConcatOp>(def))
    return !p.getTransposed();
  return false;
}

/// The same declaration loaded transposed, created after `def`.
Value packedCopy(Operation *def) {
  auto type = cast<RankedTensorType>(def->getResult(0).getType());
  auto packedType =
      RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  OpBuilder b(def);
  b.setInsertionPointAfter(def);
  if (auto p = dyn_cast<ParamOp>(def))
    return b.create<ParamOp>(p.getLoc(), packedType, p.getNameAttr(), p.getKeyAttr(),
                             b.getUnitAttr());
  auto p = cast<ParamConcatOp>(def);
  return b.create<ParamConcatOp>(p.getLoc(), packedType, p.getNameAttr(), p.getKeysAttr(),
                                 p.getSizesAttr(), b.getUnitAttr());
}

struct PackWeightsPass : xf::impl::PackWeightsBase<PackWeightsPass> {
  void runOnOperation() override {
    llvm::DenseMap<Operation *, Value> packedOf;
    SmallVector<Operation *> originals;
    getOperation().walk([&](LinearOp linear) {
      if (!linear.getTransposeW())
        return;
      // The weight, and a gated GEMM's gate (same layout): both packed or
      // neither, since transpose_w covers both.
      SmallVector<OpOperand *> weights{&linear.getWMutable()};
      if (linear.getGate())
        weights.push_back(&linear.getGateMutable()[0]);
      if (!llvm::all_of(weights, [](OpOperand *use) { return isPackable(use->get()); }))
        return;
      for (OpOperand *use : weights) {
        Operation *def = use->get().getDefiningOp();
        Value &packed = packedOf[def];
        if (!packed) {
          packed = packedCopy(def);
          originals.push_back(def);
        }
        use->set(packed);
      }
      linear.removeTransposeWAttr();
      ++numPacked;
    });
    // A parameter also used elsewhere (a tied embedding) keeps its declaration.
    for (Operation *def : originals)
      if (def->use_empty())
        def->erase();
  }
};

} // namespace
