//===- PackWeights.cpp - weights in the layout the GEMM streams -*- C++ -*-===//
//
// torch.nn.Linear stores weights [out, in]; the GEMM kernel vectorises over
// the output columns, so it wants [in, out]. Rather than transposing on every
// call, the linear reads a parameter declared `transposed`, which the runtime
// transposes once when it loads the checkpoint, into panels of columns
// (`#xf.panels<W>`) that the GEMM streams one after another.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#include "mlir/IR/Builders.h"

namespace mlir::xf {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

bool isTransposed(Operation *def) {
  if (auto p = dyn_cast<ParamOp>(def))
    return p.getTransposed();
  return cast<ParamConcatOp>(def).getTransposed();
}

/// A parameter declaration a linear can read packed: a checkpoint tensor or
/// a concatenation of them, for a weight read transposed one not transposed
/// yet, otherwise (a [K, N] weight as stored, GPT-2's Conv1D) one not in
/// panels yet, when panels are asked for.
bool isPackable(Value w, bool readTransposed, int64_t width) {
  Operation *def = w.getDefiningOp();
  if (!isa_and_nonnull<ParamOp, ParamConcatOp>(def))
    return false;
  if (readTransposed)
    return !isTransposed(def);
  return width && !panelWidth(w.getType());
}

/// The same declaration as the GEMM streams it, created after `def`: loaded
/// transposed if it was read transposed, stored in panels of `width`
/// columns (0: row-major).
Value packedCopy(Operation *def, bool readTransposed, int64_t width) {
  auto type = cast<RankedTensorType>(def->getResult(0).getType());
  Attribute encoding = width ? PanelsAttr::get(def->getContext(), width) : Attribute();
  SmallVector<int64_t> shape(type.getShape());
  if (readTransposed)
    std::swap(shape[0], shape[1]);
  auto packedType = RankedTensorType::get(shape, type.getElementType(), encoding);
  OpBuilder b(def);
  b.setInsertionPointAfter(def);
  UnitAttr transposed = readTransposed || isTransposed(def) ? b.getUnitAttr() : UnitAttr();
  if (auto p = dyn_cast<ParamOp>(def))
    return b.create<ParamOp>(p.getLoc(), packedType, p.getNameAttr(), p.getKeyAttr(),
                             transposed);
  auto p = cast<ParamConcatOp>(def);
  return b.create<ParamConcatOp>(p.getLoc(), packedType, p.getNameAttr(), p.getKeysAttr(),
                                 p.getSizesAttr(), transposed);
}

struct PackWeightsPass : xf::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;

  void runOnOperation() override {
    if (panelWidth < 0 || panelWidth % 16 != 0) {
      emitError(getOperation().getLoc(),
                "xf-pack-weights: panel-width must be 0 or a positive multiple of 16, got ")
          << (int64_t)panelWidth;
      return signalPassFailure();
    }
    llvm::DenseMap<std::pair<Operation *, unsigned>, Value> packedOf;
    llvm::SetVector<Operation *> originals; // once each, though read two ways

    getOperation().walk([&](LinearOp linear) {
      bool readTransposed = linear.getTransposeW();
      // The weight, and a gated GEMM's gate (same layout): both packed or
      // neither, since transpose_w and the weight type cover both.
      SmallVector<OpOperand *> weights{&linear.getWMutable()};
      if (linear.getGate())
        weights.push_back(&linear.getGateMutable()[0]);
      if (!llvm::all_of(weights, [&](OpOperand *use) {
            return isPackable(use->get(), readTransposed, panelWidth);
          }))
        return;
      for (OpOperand *use : weights) {
        Operation *def = use->get().getDefiningOp();
        Value &packed = packedOf[{def, readTransposed ? 1u : 0u}];
        if (!packed) {
          packed = packedCopy(def, readTransposed, panelWidth);
          originals.insert(def);
        }
        use->set(packed);
      }
      if (readTransposed)
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
