//===- FuseEpilogues.cpp - bias, activation, residual into GEMMs -*- C++ -*-===//
//
// The importers write a projection as linear + add(bias), then an activation
// and a residual add as separate ops: three extra passes over the output.
// This pass folds them into the linear's epilogue so the GEMM kernel applies
// them while the tile is still in registers; a gated MLP's two GEMMs and
// their product become one GEMM with a gate.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::xf {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The linear defining `v` if its output has `v`'s op as its only user;
/// otherwise null, with a remark (once) when it has more users.
LinearOp soleLinear(Value v, llvm::DenseSet<Operation *> &remarked) {
  auto l = v.getDefiningOp<LinearOp>();
  if (!l)
    return nullptr;
  if (!l->hasOneUse()) {
    if (remarked.insert(l).second)
      l.emitRemark("epilogue not fused: the GEMM output has ")
          << std::distance(l->use_begin(), l->use_end()) << " users, not 1";
    return nullptr;
  }
  return l;
}

struct FuseBiasAndResidual : OpRewritePattern<AddOp> {
  FuseBiasAndResidual(MLIRContext *ctx, llvm::Statistic &bias, llvm::Statistic &residual)
      : OpRewritePattern(ctx), bias(bias), residual(residual) {}

  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    auto rhsType = cast<RankedTensorType>(add.getRhs().getType());
    // Bias: add(linear, [N]) with nothing in the epilogue yet.
    if (rhsType.getRank() == 1) {
      LinearOp l = soleLinear(add.getLhs(), remarked);
      if (!l || l.getBias() || l.getActivation() || l.getResidual())
        return failure();
      // The bias must be available at the linear: a parameter declared after
      // it moves up; anything else computed after it is left alone.
      if (Operation *def = add.getRhs().getDefiningOp())
        if (def->getBlock() == l->getBlock() && !def->isBeforeInBlock(l)) {
          if (def->getNumOperands() != 0)
            return failure();
          rewriter.moveOpBefore(def, l);
        }
      rewriter.modifyOpInPlace(l, [&] {
        l.getBiasMutable().assign(add.getRhs());
        l->setLoc(rewriter.getFusedLoc({l.getLoc(), add.getLoc()}));
      });
      rewriter.replaceOp(add, l.getResult());
      ++bias;
      return success();
    }
    // Residual: add(linear, r) or add(r, linear), r of the same type.
    if (add.getLhs().getType() != add.getRhs().getType())
      return failure();
    for (auto [gemm, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      auto l = gemm.getDefiningOp<LinearOp>();
      if (!l || l.getResidual() || other == l.getResult())
        continue;
      if (!soleLinear(gemm, remarked))
        continue;
      // The residual must be available where the linear is.
      if (Operation *def = other.getDefiningOp())
        if (def->getBlock() == l->getBlock() && !def->isBeforeInBlock(l))
          continue;
      rewriter.modifyOpInPlace(l, [&] {
        l.getResidualMutable().assign(other);
        l->setLoc(rewriter.getFusedLoc({l.getLoc(), add.getLoc()}));
      });
      rewriter.replaceOp(add, l.getResult());
      ++residual;
      return success();
    }
    return failure();
  }

  llvm::Statistic &bias, &residual;
  mutable llvm::DenseSet<Operation *> remarked;
};

template <typename ActOp>
struct FuseActivation : OpRewritePattern<ActOp> {
  FuseActivation(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern<ActOp>(ctx), count(count) {}

  static StringRef kind(ActOp op) {
    if constexpr (std::is_same_v<ActOp, GeluOp>)
      return op.getApproximate() == "tanh" ? "gelu_tanh" : "gelu";
    else if constexpr (std::is_same_v<ActOp, SiluOp>)
      return "silu";
    else
      return "relu";
  }

  LogicalResult matchAndRewrite(ActOp act, PatternRewriter &rewriter) const override {
    LinearOp l = soleLinear(act.getInput(), remarked);
    if (!l || l.getActivation() || l.getResidual())
      return failure();
    rewriter.modifyOpInPlace(l, [&] {
      l.setActivation(kind(act));
      l->setLoc(rewriter.getFusedLoc({l.getLoc(), act.getLoc()}));
    });
    rewriter.replaceOp(act, l.getResult());
    ++count;
    return success();
  }

  llvm::Statistic &count;
  mutable llvm::DenseSet<Operation *> remarked;
};

/// mul(linear(x, wg, act), linear(x, wu)) -> linear(x, wu, gate wg, act): a
/// gated MLP (LLaMA's SiLU, T5 v1.1's GELU) as one GEMM that accumulates both
/// products in one pass over x and multiplies in the epilogue. The gate GEMM
/// must carry its activation and nothing else (no bias, no residual), the up
/// GEMM no activation or residual; both read the same x, in the same layout,
/// and have no other user. A remark says which condition failed when both
/// operands are GEMMs of one x.
struct FuseGatedMlp : OpRewritePattern<MulOp> {
  FuseGatedMlp(MLIRContext *ctx, llvm::Statistic &count) : OpRewritePattern(ctx), count(count) {}

  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter &rewriter) const override {
    if (mul.getLhs().getType() != mul.getRhs().getType() ||
        mul.getLhs().getType() != mul.getType())
      return failure();
    for (auto [g, u] : {std::pair{mul.getLhs(), mul.getRhs()},
                        std::pair{mul.getRhs(), mul.getLhs()}}) {
      auto gate = g.getDefiningOp<LinearOp>(), up = u.getDefiningOp<LinearOp>();
      if (!gate || !up || gate == up || !gate.getActivation() || up.getActivation())
        continue;
      if (gate.getX() != up.getX())
        return failure();
      StringRef why;
      if (gate.getBias() || gate.getResidual() || gate.getGate())
        why = "the gate GEMM has a bias or residual of its own";
      else if (up.getResidual() || up.getGate())
        why = "the up GEMM already has a residual or gate";
      else if (gate.getTransposeW() != up.getTransposeW() ||
               gate.getW().getType() != up.getW().getType())
        why = "the two weights differ in shape or layout";
      else if (!gate->hasOneUse() || !up->hasOneUse())
        why = "a GEMM output has another user";
      if (!why.empty()) {
        if (remarked.insert(mul).second)
          mul.emitRemark("gated MLP not fused: ") << why;
        return failure();
      }
      // The fused GEMM sits where the later of the two was, so both weights
      // (and the bias) are available.
      LinearOp later = gate->isBeforeInBlock(up) ? up : gate;
      rewriter.setInsertionPoint(later);
      auto fused = rewriter.create<LinearOp>(
          rewriter.getFusedLoc({gate.getLoc(), up.getLoc(), mul.getLoc()}), mul.getType(),
          up.getX(), up.getW(), up.getBias(), Value(), gate.getW(), up.getTransposeWAttr(),
          gate.getActivationAttr());
      rewriter.replaceOp(mul, fused.getResult());
      rewriter.eraseOp(gate);
      rewriter.eraseOp(up);
      ++count;
      return success();
    }
    return failure();
  }

  llvm::Statistic &count;
  mutable llvm::DenseSet<Operation *> remarked;
};

struct FuseEpiloguesPass : xf::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseBiasAndResidual>(&getContext(), numBias, numResidual);
    patterns.add<FuseActivation<GeluOp>, FuseActivation<SiluOp>, FuseActivation<ReluOp>>(
        &getContext(), numActivation);
    patterns.add<FuseGatedMlp>(&getContext(), numGated);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
