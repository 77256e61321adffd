//===- SpecializeMasks.cpp - masks become attention attributes --*- C++ -*-===//
//
// An attention op whose mask operand is a known mask construction gets the
// mask as a structured attribute instead, so code generation can turn it into
// loop bounds and no [seq, seq] tensor is materialised.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_SPECIALIZEMASKS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// attention(q, k, v, mask = causal_mask(ids), none) -> attention(q, k, v, causal),
/// and likewise sliding_window_mask -> sliding_window(w). Sound because the
/// mask operand must be [Sq, Sk] at run time and these masks are square, so
/// Sq == Sk and "j <= i" equals the attribute's "j <= i + (Sk - Sq)".
struct SpecializeCausalMask : OpRewritePattern<AttentionOp> {
  SpecializeCausalMask(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern(ctx), count(count) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask || op.getMaskKind() != MaskKind::none)
      return failure();
    Operation *maker = mask.getDefiningOp();
    MaskKind kind;
    IntegerAttr window;
    if (isa_and_nonnull<CausalMaskOp>(maker)) {
      kind = MaskKind::causal;
    } else if (auto band = dyn_cast_or_null<SlidingWindowMaskOp>(maker)) {
      kind = MaskKind::sliding_window;
      window = band.getWindowAttr();
    } else {
      if (remarked.insert(op).second)
        op.emitRemark("mask not specialised: it is not a recognised mask construction");
      return failure();
    }
    rewriter.modifyOpInPlace(op, [&] {
      op.getMaskMutable().clear();
      op.setMaskKind(kind);
      op.setWindowAttr(window);
    });
    if (maker->use_empty())
      rewriter.eraseOp(maker);
    ++count;
    return success();
  }

  llvm::Statistic &count;
  mutable llvm::DenseSet<Operation *> remarked;
};

struct SpecializeMasksPass : xf::impl::SpecializeMasksBase<SpecializeMasksPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SpecializeCausalMask>(&getContext(), numCausal);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
