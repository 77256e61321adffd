//===- FuseAttention.cpp - fuse the attention chain -------------*- C++ -*-===//
//
// Recognises scaled dot-product attention written op by op, as importers emit
// it from a checkpoint, and replaces the chain by one xf.attention. The mask
// stays an operand here; SpecializeMasks turns known masks into attributes.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::xf {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// True if `v` has exactly one use; otherwise emits a remark (once per op,
/// however often the driver revisits it) on the op that would have been
/// fused, saying why the chain is not.
bool singleUseOrRemark(Value v, StringRef what, llvm::DenseSet<Operation *> &remarked) {
  if (v.hasOneUse())
    return true;
  Operation *def = v.getDefiningOp();
  if (def && remarked.insert(def).second)
    def->emitRemark("attention not fused: the ")
        << what << " has " << std::distance(v.use_begin(), v.use_end())
        << " users, not 1";
  return false;
}

/// matmul(softmax([add](([scale])(matmul(q, transpose(k))), mask)), v)
struct FuseAttentionChain : OpRewritePattern<MatmulOp> {
  FuseAttentionChain(MLIRContext *ctx, llvm::Statistic &fused)
      : OpRewritePattern(ctx), fused(fused) {}

  LogicalResult matchAndRewrite(MatmulOp pv, PatternRewriter &rewriter) const override {
    auto softmax = pv.getA().getDefiningOp<SoftmaxOp>();
    if (!softmax || cast<RankedTensorType>(pv.getType()).getRank() != 4)
      return failure();
    Value scores = softmax.getInput();
    // Up to one [seq, seq] mask, one key-padding mask and one T5 relative
    // position bias, added in any order.
    Value mask, keyLengths;
    RelativePositionBiasOp bias;
    while (auto add = scores.getDefiningOp<AddOp>()) {
      auto rhsType = cast<RankedTensorType>(add.getRhs().getType());
      auto rel = add.getRhs().getDefiningOp<RelativePositionBiasOp>();
      auto padding = add.getRhs().getDefiningOp<PaddingMaskOp>();
      // The attention computes the bias end-aligned from its own shapes; the
      // tensor's "j - i" agrees when it is square (query ids are key ids).
      if (rel && !bias && rhsType.getRank() == 3 && rel.getQueryIds() == rel.getKeyIds()) {
        bias = rel;
      } else if (padding && !keyLengths) {
        keyLengths = padding.getLengths(); // padded keys: loop bounds, not a tensor
      } else if (!mask && rhsType.getRank() == 2) {
        mask = add.getRhs();
      } else {
        if (remarked.insert(add).second)
          add.emitRemark("attention not fused: the added term must be a [seq, seq] mask, a "
                         "padding mask or a square relative position bias, got rank ")
              << rhsType.getRank();
        return failure();
      }
      if (!singleUseOrRemark(add, "masked score", remarked))
        return failure();
      scores = add.getLhs();
    }
    float scale = 1.0f;
    if (auto sc = scores.getDefiningOp<ScaleOp>()) {
      if (!singleUseOrRemark(sc, "scaled score", remarked))
        return failure();
      scale = sc.getFactor().convertToFloat();
      scores = sc.getInput();
    }
    auto qk = scores.getDefiningOp<MatmulOp>();
    if (!qk || !singleUseOrRemark(qk, "score matmul", remarked))
      return failure();
    auto kt = qk.getB().getDefiningOp<TransposeOp>();
    if (!kt || kt.getPermutation() != ArrayRef<int64_t>{0, 1, 3, 2})
      return failure();
    // The chain is attention; fuse it only if nothing else reads the softmax.
    if (!singleUseOrRemark(softmax, "softmax", remarked))
      return failure();

    // Grouped-query attention: read the shared K/V heads instead of copies.
    Value k = kt.getInput(), v = pv.getB();
    auto kRep = k.getDefiningOp<RepeatHeadsOp>();
    auto vRep = v.getDefiningOp<RepeatHeadsOp>();
    if (kRep && vRep && kRep.getRepeats() == vRep.getRepeats()) {
      k = kRep.getInput();
      v = vRep.getInput();
    }

    Location loc = rewriter.getFusedLoc({qk.getLoc(), softmax.getLoc(), pv.getLoc()});
    auto attn = rewriter.create<AttentionOp>(
        loc, pv.getType(), qk.getA(), k, v, mask, bias ? bias.getTable() : Value(), keyLengths,
        Value(), MaskKindAttr::get(getContext(), MaskKind::none), rewriter.getF32FloatAttr(scale),
        IntegerAttr(), bias ? bias.getBucketsAttr() : IntegerAttr(),
        bias ? bias.getMaxDistanceAttr() : IntegerAttr(),
        bias && bias.getBidirectional() ? rewriter.getUnitAttr() : UnitAttr(), FloatAttr());
    // The chain, now dead, goes at once (softmax first, then what fed it), so
    // the ops it read see their true users (a query rope its one attention).
    SmallVector<Operation *> chain;
    for (Value x = softmax.getInput(); Operation *def = x.getDefiningOp();) {
      if (!isa<AddOp, ScaleOp>(def))
        break;
      chain.push_back(def);
      x = def->getOperand(0);
    }
    rewriter.replaceOp(pv, attn.getResult());
    rewriter.eraseOp(softmax);
    for (Operation *op : chain)
      rewriter.eraseOp(op);
    rewriter.eraseOp(qk);
    for (Operation *op : {kt.getOperation(), kRep ? kRep.getOperation() : nullptr,
                          vRep ? vRep.getOperation() : nullptr})
      if (op && op->use_empty())
        rewriter.eraseOp(op);
    ++fused;
    return success();
  }

  llvm::Statistic &fused;
  mutable llvm::DenseSet<Operation *> remarked;
};

/// attention(rope(q, pos, theta), k, v) -> attention(q, k, v, q_rope(pos)):
/// the kernel rotates q as it loads it, one pass over q fewer. K is rotated
/// before it is cached (decode reads rotated keys), so its rope stays.
struct FoldQueryRope : OpRewritePattern<AttentionOp> {
  FoldQueryRope(MLIRContext *ctx, llvm::Statistic &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    auto rope = op.getQ().getDefiningOp<RopeOp>();
    if (!rope || op.getQPositions())
      return failure();
    if (!rope->hasOneUse()) {
      if (remarked.insert(rope).second)
        rope.emitRemark("query rotary embedding not folded into attention: the rotated q has ")
            << std::distance(rope->use_begin(), rope->use_end()) << " users, not 1";
      return failure();
    }
    rewriter.modifyOpInPlace(op, [&] {
      op.getQMutable().assign(rope.getInput());
      op.getQPositionsMutable().assign(rope.getPositions());
      op.setQRopeThetaAttr(rope.getThetaAttr());
    });
    rewriter.eraseOp(rope);
    ++folded;
    return success();
  }

  llvm::Statistic &folded;
  mutable llvm::DenseSet<Operation *> remarked;
};

struct FuseAttentionPass : xf::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionChain>(&getContext(), numFused);
    patterns.add<FoldQueryRope>(&getContext(), numRopeFolded);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
