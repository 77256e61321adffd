//===- SpecializeMasks.cpp - masks become attention attributes --*- C++ -*-===//
//
// An attention op whose mask operand is a known mask construction gets the
// mask as a structured attribute instead, so code generation can turn it into
// loop bounds and no [seq, seq] tensor is materialised. Known constructions:
// the named mask ops the importers write, masks written from positions
// (iota, compare, select), triangular constants, and sums of such masks,
// analysed as the band of keys j - i they keep.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

#include <limits>
#include <optional>

namespace mlir::xf {
#define GEN_PASS_DEF_SPECIALIZEMASKS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max() / 4;

/// The keys a mask keeps for query i: those with lo <= j - i <= hi.
struct Band {
  int64_t lo = -kUnbounded, hi = kUnbounded;
  Band intersect(Band o) const { return {std::max(lo, o.lo), std::min(hi, o.hi)}; }
};

/// A mask value that hides a key: any f32 at or below -1e4 (HF uses -1e4,
/// -1e9 and the lowest f32). Scores differ by far less than 1e4 - 104, so
/// exp underflows to exactly 0 for each of them, as for the loop bound.
bool hidesKey(float v) { return v <= -1.0e4f; }

ComparePredicate swapped(ComparePredicate p) {
  switch (p) {
  case ComparePredicate::lt: return ComparePredicate::gt;
  case ComparePredicate::le: return ComparePredicate::ge;
  case ComparePredicate::gt: return ComparePredicate::lt;
  case ComparePredicate::ge: return ComparePredicate::le;
  default: return p;
  }
}
ComparePredicate negated(ComparePredicate p) {
  switch (p) {
  case ComparePredicate::lt: return ComparePredicate::ge;
  case ComparePredicate::le: return ComparePredicate::gt;
  case ComparePredicate::gt: return ComparePredicate::le;
  case ComparePredicate::ge: return ComparePredicate::lt;
  case ComparePredicate::eq: return ComparePredicate::ne;
  case ComparePredicate::ne: return ComparePredicate::eq;
  }
  return p;
}

/// The band `compare` keeps (or, `negate`, hides) when it compares a key
/// position with a query position of one sequence: iotas of the same
/// dimension of the same value, one along the rows (queries) and one along
/// the columns (keys) of a 2-D mask, which is then square.
std::optional<Band> bandOf(CompareOp compare, bool negate) {
  auto lhs = compare.getLhs().getDefiningOp<IotaOp>();
  auto rhs = compare.getRhs().getDefiningOp<IotaOp>();
  if (!lhs || !rhs || lhs.getRef() != rhs.getRef() || lhs.getDim() != rhs.getDim() ||
      cast<RankedTensorType>(compare.getType()).getRank() != 2 ||
      lhs.getAxis() == rhs.getAxis())
    return std::nullopt;
  // lhs p rhs + k; with the key on the left that is (j - i) p k, with the
  // query on the left i p j + k, which is (j - i) swapped(p) -k.
  ComparePredicate p = compare.getPredicate();
  int64_t k = compare.getOffsetValue();
  if (lhs.getAxis() == 0) {
    p = swapped(p);
    k = -k;
  }
  if (negate)
    p = negated(p);
  Band band;
  switch (p) {
  case ComparePredicate::lt: band.hi = k - 1; break;
  case ComparePredicate::le: band.hi = k; break;
  case ComparePredicate::gt: band.lo = k + 1; break;
  case ComparePredicate::ge: band.lo = k; break;
  case ComparePredicate::eq: band.lo = band.hi = k; break;
  case ComparePredicate::ne: return std::nullopt;
  }
  return band;
}

/// The band a constant square mask keeps (a triangular constant, as a graph
/// of a fixed sequence length writes it): every entry 0 or hidden, and the
/// kept ones exactly those with lo <= j - i <= hi.
std::optional<Band> bandOfConstant(arith::ConstantOp cst) {
  auto values = dyn_cast<DenseFPElementsAttr>(cst.getValue());
  auto type = dyn_cast<RankedTensorType>(cst.getType());
  if (!values || !type || type.getRank() != 2 || !type.hasStaticShape() ||
      type.getDimSize(0) != type.getDimSize(1))
    return std::nullopt;
  int64_t n = type.getDimSize(0);
  std::vector<float> v;
  for (APFloat x : values.getValues<APFloat>())
    v.push_back(x.convertToFloat());
  Band band{kUnbounded, -kUnbounded};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float x = v[i * n + j];
      if (x == 0.0f)
        band = {std::min(band.lo, j - i), std::max(band.hi, j - i)};
      else if (!hidesKey(x))
        return std::nullopt;
    }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if ((v[i * n + j] == 0.0f) != (band.lo <= j - i && j - i <= band.hi))
        return std::nullopt;
  // Bands that reach the corner are unbounded on that side.
  if (band.lo <= -(n - 1))
    band.lo = -kUnbounded;
  if (band.hi >= n - 1)
    band.hi = kUnbounded;
  return band;
}

/// The band of keys a square [seq, seq] additive mask keeps: the named mask
/// ops; `select(compare(key, query), 0, hidden)` (or hidden where the
/// comparison holds); constant triangular masks; and the sum of such masks
/// (both must keep a key).
std::optional<Band> analyseMask(Value mask) {
  Operation *maker = mask.getDefiningOp();
  if (isa_and_nonnull<CausalMaskOp>(maker))
    return Band{-kUnbounded, 0};
  if (auto band = dyn_cast_or_null<SlidingWindowMaskOp>(maker))
    return Band{1 - (int64_t)band.getWindow(), 0};
  if (auto select = dyn_cast_or_null<SelectOp>(maker)) {
    auto compare = select.getCond().getDefiningOp<CompareOp>();
    float t = select.getTrueValue().convertToFloat(), f = select.getFalseValue().convertToFloat();
    if (!compare)
      return std::nullopt;
    if (t == 0.0f && hidesKey(f))
      return bandOf(compare, /*negate=*/false);
    if (hidesKey(t) && f == 0.0f)
      return bandOf(compare, /*negate=*/true);
    return std::nullopt;
  }
  if (auto cst = dyn_cast_or_null<arith::ConstantOp>(maker))
    return bandOfConstant(cst);
  if (auto add = dyn_cast_or_null<AddOp>(maker)) {
    if (add.getLhs().getType() != add.getRhs().getType())
      return std::nullopt;
    auto a = analyseMask(add.getLhs()), b = analyseMask(add.getRhs());
    if (!a || !b)
      return std::nullopt;
    return a->intersect(*b);
  }
  return std::nullopt;
}

/// attention(q, k, v, mask, none) -> attention(q, k, v, causal) when the mask
/// keeps exactly the keys j <= i, and -> sliding_window(w) when it keeps
/// i - w < j <= i. Sound because the mask operand must be [Sq, Sk] at run
/// time and these masks are square, so Sq == Sk and "j <= i" equals the
/// attribute's end-aligned "j <= i + (Sk - Sq)".
struct SpecializeCausalMask : OpRewritePattern<AttentionOp> {
  SpecializeCausalMask(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern(ctx), count(count) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask || op.getMaskKind() != MaskKind::none)
      return failure();
    std::optional<Band> band = analyseMask(mask);
    if (!band) {
      if (remarked.insert(op).second)
        op.emitRemark("mask not specialised: it is not a recognised mask construction");
      return failure();
    }
    if (band->hi != 0 || band->lo > 0) {
      if (remarked.insert(op).second) {
        auto bound = [](int64_t b) {
          return std::abs(b) >= kUnbounded ? std::string(b < 0 ? "-inf" : "inf")
                                           : std::to_string(b);
        };
        op.emitRemark("mask not specialised: it keeps the keys with ")
            << bound(band->lo) << " <= j - i <= " << bound(band->hi)
            << ", which is neither causal nor a sliding window";
      }
      return failure();
    }
    MaskKind kind = band->lo <= -kUnbounded ? MaskKind::causal : MaskKind::sliding_window;
    IntegerAttr window;
    if (kind == MaskKind::sliding_window)
      window = rewriter.getI64IntegerAttr(1 - band->lo);
    Operation *maker = mask.getDefiningOp();
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
