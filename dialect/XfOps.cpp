//===- XfOps.cpp - xf op verifiers ------------------------------*- C++ -*-===//
//
// Verifiers for the xf ops: each checks ranks, shapes and element types and
// names what is wrong. Dimensions compare as compatible when either is
// dynamic.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::xf;

#define GET_OP_CLASSES
#include "dialect/XfOps.cpp.inc"

namespace {
RankedTensorType ranked(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}
std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}
/// Requires a ranked tensor; emits "<what> must be a ranked tensor".
LogicalResult requireRanked(Operation *op, Value v, StringRef what,
                            RankedTensorType &out, int64_t minRank = 0,
                            int64_t exactRank = -1) {
  out = ranked(v);
  if (!out)
    return op->emitOpError() << what << " must be a ranked tensor";
  if (exactRank >= 0 && out.getRank() != exactRank)
    return op->emitOpError() << what << " must have rank " << exactRank
                             << ", got " << out.getRank();
  if (out.getRank() < minRank)
    return op->emitOpError() << what << " must have rank >= " << minRank
                             << ", got " << out.getRank();
  return success();
}
LogicalResult requireDim(Operation *op, StringRef what, int64_t got,
                         int64_t want) {
  if (!compatible(got, want))
    return op->emitOpError() << what << ": expected " << dimStr(want)
                             << ", got " << dimStr(got);
  return success();
}
} // namespace

LogicalResult ParamOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  if (!t.hasStaticShape())
    return emitOpError("parameter '") << getName() << "' must have a static shape";
  if (getKey().empty())
    return emitOpError("parameter '") << getName() << "' has an empty key";
  if (getTransposed() && t.getRank() != 2)
    return emitOpError("a transposed parameter must be 2-D, got rank ") << t.getRank();
  if (panelWidth(t) && t.getRank() != 2)
    return emitOpError("a parameter stored in panels must be 2-D, got rank ") << t.getRank();
  return success();
}

LogicalResult ParamStackOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  if (!t.hasStaticShape() || t.getRank() < 1)
    return emitOpError("stacked parameter '") << getName() << "' must have a static shape";
  if (getKeys().empty())
    return emitOpError("stacked parameter '") << getName() << "' has no keys";
  if ((int64_t)getKeys().size() != t.getDimSize(0))
    return emitOpError("stacked parameter '") << getName() << "' has " << getKeys().size()
           << " keys but a leading dimension of " << t.getDimSize(0);
  return success();
}

LogicalResult ParamConcatOp::verify() {
  auto t = cast<RankedTensorType>(getType());
  if (!t.hasStaticShape() || t.getRank() < 1)
    return emitOpError("parameter '") << getName() << "' must have a static shape";
  if (getKeys().size() < 1 || getKeys().size() != getSizes().size())
    return emitOpError("parameter '") << getName() << "' needs one size per key, got "
                                      << getKeys().size() << " keys and " << getSizes().size()
                                      << " sizes";
  if (getTransposed() && t.getRank() != 2)
    return emitOpError("a transposed parameter must be 2-D");
  if (panelWidth(t) && t.getRank() != 2)
    return emitOpError("a parameter stored in panels must be 2-D");
  int64_t total = 0;
  for (int64_t n : getSizes()) {
    if (n <= 0)
      return emitOpError("part sizes must be positive");
    total += n;
  }
  int64_t concatDim = getTransposed() ? 1 : 0;
  if (total != t.getDimSize(concatDim))
    return emitOpError("part sizes add up to ") << total << ", the result's dimension "
                                                << concatDim << " is " << t.getDimSize(concatDim);
  return success();
}

LogicalResult MoeOp::verify() {
  RankedTensorType x, gate, w1, w2, w3;
  if (failed(requireRanked(*this, getInput(), "input", x, 1)) ||
      failed(requireRanked(*this, getGate(), "gate", gate, 0, 2)) ||
      failed(requireRanked(*this, getW1(), "w1", w1, 0, 3)) ||
      failed(requireRanked(*this, getW2(), "w2", w2, 0, 3)) ||
      failed(requireRanked(*this, getW3(), "w3", w3, 0, 3)))
    return failure();
  int64_t h = x.getShape().back(), e = gate.getDimSize(0), inner = w1.getDimSize(1);
  if (failed(requireDim(*this, "gate width", gate.getDimSize(1), h)) ||
      failed(requireDim(*this, "w1 experts", w1.getDimSize(0), e)) ||
      failed(requireDim(*this, "w1 width", w1.getDimSize(2), h)) ||
      failed(requireDim(*this, "w3 shape", w3.getDimSize(0), e)) ||
      failed(requireDim(*this, "w3 rows", w3.getDimSize(1), inner)) ||
      failed(requireDim(*this, "w3 width", w3.getDimSize(2), h)) ||
      failed(requireDim(*this, "w2 experts", w2.getDimSize(0), e)) ||
      failed(requireDim(*this, "w2 rows", w2.getDimSize(1), h)) ||
      failed(requireDim(*this, "w2 width", w2.getDimSize(2), inner)))
    return failure();
  if (getTopK() < 1 || (!ShapedType::isDynamic(e) && getTopK() > e))
    return emitOpError("top_k must be in [1, ") << e << "], got " << getTopK();
  return success();
}

LogicalResult PositionIdsOp::verify() {
  RankedTensorType ids;
  if (failed(requireRanked(*this, getIds(), "ids", ids, 0, 2)))
    return failure();
  if (getType() != getIds().getType())
    return emitOpError("result type must equal the ids type");
  return success();
}

LogicalResult EmbeddingOp::verify() {
  RankedTensorType table, ids, res;
  if (failed(requireRanked(*this, getTable(), "table", table, 0, 2)) ||
      failed(requireRanked(*this, getIds(), "ids", ids, 1)) ||
      failed(requireRanked(*this, getResult(), "result", res)))
    return failure();
  if (res.getRank() != ids.getRank() + 1)
    return emitOpError("result rank must be ids rank + 1, got ")
           << res.getRank() << " for ids of rank " << ids.getRank();
  for (int64_t i = 0; i < ids.getRank(); ++i)
    if (failed(requireDim(*this, "result dim " + std::to_string(i),
                          res.getDimSize(i), ids.getDimSize(i))))
      return failure();
  return requireDim(*this, "result embedding width", res.getShape().back(),
                    table.getDimSize(1));
}

LogicalResult LinearOp::verify() {
  RankedTensorType x, w, res;
  if (failed(requireRanked(*this, getX(), "x", x, 1)) ||
      failed(requireRanked(*this, getW(), "w", w, 0, 2)) ||
      failed(requireRanked(*this, getResult(), "result", res)))
    return failure();
  if (panelWidth(w) && getTransposeW())
    return emitOpError("a weight stored in panels is [K, N]; it cannot be read transposed");
  int64_t k = getTransposeW() ? w.getDimSize(1) : w.getDimSize(0);
  int64_t n = getTransposeW() ? w.getDimSize(0) : w.getDimSize(1);
  if (!compatible(x.getShape().back(), k))
    return emitOpError("contraction mismatch: x has ")
           << dimStr(x.getShape().back()) << " features but w"
           << (getTransposeW() ? " (transposed)" : "") << " expects " << dimStr(k);
  if (res.getRank() != x.getRank())
    return emitOpError("result rank must equal x rank ") << x.getRank();
  for (int64_t i = 0; i + 1 < x.getRank(); ++i)
    if (failed(requireDim(*this, "result dim " + std::to_string(i),
                          res.getDimSize(i), x.getDimSize(i))))
      return failure();
  if (failed(requireDim(*this, "result features", res.getShape().back(), n)))
    return failure();
  if (Value b = getBias()) {
    RankedTensorType bt;
    if (failed(requireRanked(*this, b, "bias", bt, 0, 1)) ||
        failed(requireDim(*this, "bias length", bt.getDimSize(0), n)))
      return failure();
  }
  if (Value g = getGate()) {
    if (g.getType() != w)
      return emitOpError("gate type ") << g.getType() << " must equal the weight type " << w;
    if (!getActivation())
      return emitOpError("a gated linear needs an activation for its gate");
  }
  if (Value r = getResidual())
    if (r.getType() != getType())
      return emitOpError("residual type ") << r.getType() << " must equal the result type "
                                           << getType();
  if (auto act = getActivation())
    if (*act != "gelu_tanh" && *act != "gelu" && *act != "silu" && *act != "relu")
      return emitOpError("activation must be gelu_tanh, gelu, silu or relu, got \"")
             << *act << "\"";
  return success();
}

LogicalResult MatmulOp::verify() {
  RankedTensorType a, b, res;
  if (failed(requireRanked(*this, getA(), "a", a, 2)) ||
      failed(requireRanked(*this, getB(), "b", b, 2)) ||
      failed(requireRanked(*this, getResult(), "result", res)))
    return failure();
  int64_t r = a.getRank();
  if (b.getRank() != r || res.getRank() != r)
    return emitOpError("operands and result must have the same rank, got ")
           << r << ", " << b.getRank() << ", " << res.getRank();
  for (int64_t i = 0; i + 2 < r; ++i) {
    if (failed(requireDim(*this, "b batch dim " + std::to_string(i),
                          b.getDimSize(i), a.getDimSize(i))) ||
        failed(requireDim(*this, "result batch dim " + std::to_string(i),
                          res.getDimSize(i), a.getDimSize(i))))
      return failure();
  }
  if (!compatible(a.getDimSize(r - 1), b.getDimSize(r - 2)))
    return emitOpError("contraction mismatch: a has K = ")
           << dimStr(a.getDimSize(r - 1)) << ", b has K = "
           << dimStr(b.getDimSize(r - 2));
  if (failed(requireDim(*this, "result rows", res.getDimSize(r - 2),
                        a.getDimSize(r - 2))))
    return failure();
  return requireDim(*this, "result columns", res.getDimSize(r - 1),
                    b.getDimSize(r - 1));
}

static LogicalResult verifySuffixBroadcast(Operation *op, Value lhs, Value rhs,
                                           Value result) {
  auto l = ranked(lhs), r = ranked(rhs);
  if (!l || !r)
    return op->emitOpError("operands must be ranked tensors");
  if (result.getType() != lhs.getType())
    return op->emitOpError("result type must equal the lhs type");
  if (r.getRank() > l.getRank())
    return op->emitOpError("rhs rank ") << r.getRank()
           << " exceeds lhs rank " << l.getRank();
  int64_t off = l.getRank() - r.getRank();
  for (int64_t i = 0; i < r.getRank(); ++i)
    if (r.getDimSize(i) != 1 && !compatible(r.getDimSize(i), l.getDimSize(off + i)))
      return op->emitOpError("rhs dim ") << i << " (" << dimStr(r.getDimSize(i))
             << ") does not broadcast against lhs dim " << off + i << " ("
             << dimStr(l.getDimSize(off + i)) << ")";
  return success();
}
LogicalResult AddOp::verify() {
  return verifySuffixBroadcast(*this, getLhs(), getRhs(), getResult());
}
LogicalResult MulOp::verify() {
  return verifySuffixBroadcast(*this, getLhs(), getRhs(), getResult());
}

int64_t IotaOp::getAxis() {
  auto res = cast<RankedTensorType>(getType());
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (res.getDimSize(i) != 1)
      return i;
  return res.getRank() - 1;
}

LogicalResult IotaOp::verify() {
  auto ref = cast<RankedTensorType>(getRef().getType());
  RankedTensorType res;
  if (failed(requireRanked(*this, getResult(), "result", res, 1)))
    return failure();
  if ((int64_t)getDim() >= ref.getRank())
    return emitOpError("dim ") << getDim() << " is out of range for a rank-" << ref.getRank()
                               << " tensor";
  int64_t axis = getAxis();
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (i != axis && res.getDimSize(i) != 1)
      return emitOpError("result must have one dimension that is not of static size 1, got ")
             << res;
  return requireDim(*this, "result length", res.getDimSize(axis), ref.getDimSize(getDim()));
}

LogicalResult CompareOp::verify() {
  auto l = cast<RankedTensorType>(getLhs().getType()), r = cast<RankedTensorType>(getRhs().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (l.getRank() != res.getRank() || r.getRank() != res.getRank())
    return emitOpError("operands must have the result's rank ") << res.getRank();
  for (int64_t i = 0; i < res.getRank(); ++i) {
    int64_t a = l.getDimSize(i), b = r.getDimSize(i);
    int64_t full = a == 1 ? b : a;
    if (a != 1 && b != 1 && !compatible(a, b))
      return emitOpError("operand dims ") << i << " differ: " << dimStr(a) << " vs " << dimStr(b);
    if (failed(requireDim(*this, "result dim " + std::to_string(i), res.getDimSize(i), full)))
      return failure();
  }
  return success();
}

LogicalResult SelectOp::verify() {
  auto c = cast<RankedTensorType>(getCond().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (c.getShape() != res.getShape())
    return emitOpError("result shape must equal the condition's shape");
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType x, g, b;
  if (failed(requireRanked(*this, getInput(), "input", x, 1)) ||
      failed(requireRanked(*this, getGamma(), "gamma", g, 0, 1)) ||
      failed(requireRanked(*this, getBeta(), "beta", b, 0, 1)))
    return failure();
  if (getType() != getInput().getType())
    return emitOpError("result type must equal the input type");
  if (failed(requireDim(*this, "gamma length", g.getDimSize(0), x.getShape().back())) ||
      failed(requireDim(*this, "beta length", b.getDimSize(0), x.getShape().back())))
    return failure();
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("epsilon must be positive");
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType x, w;
  if (failed(requireRanked(*this, getInput(), "input", x, 1)) ||
      failed(requireRanked(*this, getWeight(), "weight", w, 0, 1)))
    return failure();
  if (failed(requireDim(*this, "weight length", w.getDimSize(0), x.getShape().back())))
    return failure();
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("epsilon must be positive");
  return success();
}

LogicalResult RopeOp::verify() {
  RankedTensorType x, pos;
  if (failed(requireRanked(*this, getInput(), "input", x, 0, 4)) ||
      failed(requireRanked(*this, getPositions(), "positions", pos, 0, 2)))
    return failure();
  if (x.isDynamicDim(3) || x.getDimSize(3) % 2 != 0)
    return emitOpError("head_dim must be static and even, got ") << dimStr(x.getDimSize(3));
  if (failed(requireDim(*this, "positions batch", pos.getDimSize(0), x.getDimSize(0))) ||
      failed(requireDim(*this, "positions length", pos.getDimSize(1), x.getDimSize(2))))
    return failure();
  if (!(getTheta().convertToFloat() > 0.0f))
    return emitOpError("theta must be positive");
  return success();
}

LogicalResult RepeatHeadsOp::verify() {
  RankedTensorType in, out;
  if (failed(requireRanked(*this, getInput(), "input", in, 0, 4)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 4)))
    return failure();
  if (getRepeats() < 1)
    return emitOpError("repeats must be >= 1, got ") << getRepeats();
  if (in.isDynamicDim(1))
    return emitOpError("the head dimension must be static");
  for (int i : {0, 2, 3})
    if (failed(requireDim(*this, "result dim " + std::to_string(i), out.getDimSize(i),
                          in.getDimSize(i))))
      return failure();
  return requireDim(*this, "result heads", out.getDimSize(1), in.getDimSize(1) * getRepeats());
}

LogicalResult PaddingMaskOp::verify() {
  RankedTensorType lengths, ids, out;
  if (failed(requireRanked(*this, getLengths(), "lengths", lengths, 0, 1)) ||
      failed(requireRanked(*this, getIds(), "ids", ids, 0, 2)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 4)))
    return failure();
  if (out.getDimSize(1) != 1 || out.getDimSize(2) != 1)
    return emitOpError("result must be [batch, 1, 1, seq]");
  if (failed(requireDim(*this, "lengths batch", lengths.getDimSize(0), ids.getDimSize(0))) ||
      failed(requireDim(*this, "result batch", out.getDimSize(0), ids.getDimSize(0))) ||
      failed(requireDim(*this, "result keys", out.getDimSize(3), ids.getDimSize(1))))
    return failure();
  return success();
}

LogicalResult SlidingWindowMaskOp::verify() {
  RankedTensorType ids, out;
  if (failed(requireRanked(*this, getIds(), "ids", ids, 0, 2)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 2)))
    return failure();
  if (getWindow() < 1)
    return emitOpError("window must be >= 1, got ") << getWindow();
  if (failed(requireDim(*this, "mask rows", out.getDimSize(0), ids.getDimSize(1))) ||
      failed(requireDim(*this, "mask columns", out.getDimSize(1), ids.getDimSize(1))))
    return failure();
  return success();
}

LogicalResult RelativePositionBiasOp::verify() {
  RankedTensorType table, qids, kids, out;
  if (failed(requireRanked(*this, getTable(), "table", table, 0, 2)) ||
      failed(requireRanked(*this, getQueryIds(), "query ids", qids, 0, 2)) ||
      failed(requireRanked(*this, getKeyIds(), "key ids", kids, 0, 2)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 3)))
    return failure();
  if (getBuckets() < 2 || getMaxDistance() < 1)
    return emitOpError("buckets must be >= 2 and max_distance >= 1");
  if (failed(requireDim(*this, "table rows", table.getDimSize(0), getBuckets())) ||
      failed(requireDim(*this, "result heads", out.getDimSize(0), table.getDimSize(1))) ||
      failed(requireDim(*this, "result rows", out.getDimSize(1), qids.getDimSize(1))) ||
      failed(requireDim(*this, "result columns", out.getDimSize(2), kids.getDimSize(1))))
    return failure();
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "tanh" && getApproximate() != "none")
    return emitOpError("approximate must be \"tanh\" or \"none\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in, out;
  if (failed(requireRanked(*this, getInput(), "input", in)) ||
      failed(requireRanked(*this, getResult(), "result", out)))
    return failure();
  auto leadingDynamic = [](RankedTensorType t) {
    int64_t n = 0;
    while (n < t.getRank() && t.isDynamicDim(n))
      ++n;
    return n;
  };
  int64_t li = leadingDynamic(in), lo = leadingDynamic(out);
  if (li != lo)
    return emitOpError("input and result must have the same number of leading "
                       "dynamic dimensions, got ") << li << " and " << lo;
  auto trailing = [](RankedTensorType t, int64_t from) -> int64_t {
    int64_t p = 1;
    for (int64_t i = from; i < t.getRank(); ++i) {
      if (t.isDynamicDim(i))
        return -1;
      p *= t.getDimSize(i);
    }
    return p;
  };
  int64_t pi = trailing(in, li), po = trailing(out, lo);
  if (pi < 0 || po < 0)
    return emitOpError("only the leading dimensions may be dynamic");
  if (pi != po)
    return emitOpError("trailing element counts differ: ") << pi << " vs " << po;
  return success();
}

LogicalResult TransposeOp::verify() {
  RankedTensorType in, out;
  if (failed(requireRanked(*this, getInput(), "input", in)) ||
      failed(requireRanked(*this, getResult(), "result", out)))
    return failure();
  ArrayRef<int64_t> perm = getPermutation();
  if ((int64_t)perm.size() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("permutation of size ") << perm.size()
           << " does not match input rank " << in.getRank();
  SmallVector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)perm.size() || seen[p])
      return emitOpError("permutation is not a permutation of 0..")
             << perm.size() - 1;
    seen[p] = true;
  }
  for (int64_t i = 0; i < out.getRank(); ++i)
    if (failed(requireDim(*this, "result dim " + std::to_string(i),
                          out.getDimSize(i), in.getDimSize(perm[i]))))
      return failure();
  return success();
}

LogicalResult SliceOp::verify() {
  RankedTensorType in, out;
  if (failed(requireRanked(*this, getInput(), "input", in)) ||
      failed(requireRanked(*this, getResult(), "result", out)))
    return failure();
  int64_t axis = getAxis(), start = getStart(), size = getSize();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " out of range for rank " << in.getRank();
  if (in.isDynamicDim(axis))
    return emitOpError("slice axis ") << axis << " must be static";
  if (start < 0 || size <= 0 || start + size > in.getDimSize(axis))
    return emitOpError("window [") << start << ", " << start + size
           << ") exceeds dimension of size " << in.getDimSize(axis);
  if (out.getRank() != in.getRank())
    return emitOpError("result rank must equal input rank");
  for (int64_t i = 0; i < in.getRank(); ++i)
    if (failed(requireDim(*this, "result dim " + std::to_string(i),
                          out.getDimSize(i), i == axis ? size : in.getDimSize(i))))
      return failure();
  return success();
}

LogicalResult CausalMaskOp::verify() {
  RankedTensorType ids, out;
  if (failed(requireRanked(*this, getIds(), "ids", ids, 0, 2)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 2)))
    return failure();
  if (failed(requireDim(*this, "mask rows", out.getDimSize(0), ids.getDimSize(1))) ||
      failed(requireDim(*this, "mask columns", out.getDimSize(1), ids.getDimSize(1))))
    return failure();
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q, k, v, out;
  if (failed(requireRanked(*this, getQ(), "q", q, 0, 4)) ||
      failed(requireRanked(*this, getK(), "k", k, 0, 4)) ||
      failed(requireRanked(*this, getV(), "v", v, 0, 4)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 4)))
    return failure();
  if (failed(requireDim(*this, "k batch", k.getDimSize(0), q.getDimSize(0))) ||
      failed(requireDim(*this, "v batch", v.getDimSize(0), q.getDimSize(0))) ||
      failed(requireDim(*this, "v heads", v.getDimSize(1), k.getDimSize(1))))
    return failure();
  int64_t qh = q.getDimSize(1), kvh = k.getDimSize(1);
  if (!ShapedType::isDynamic(qh) && !ShapedType::isDynamic(kvh) && (kvh <= 0 || qh % kvh != 0))
    return emitOpError("q heads (") << qh << ") must be a multiple of k/v heads (" << kvh << ")";
  bool windowed = getMaskKind() == MaskKind::sliding_window;
  if (windowed != getWindow().has_value())
    return emitOpError("a window attribute goes with mask_kind sliding_window, and only with it");
  if (windowed && *getWindow() < 1)
    return emitOpError("window must be >= 1, got ") << *getWindow();
  if (failed(requireDim(*this, "k head_dim", k.getDimSize(3), q.getDimSize(3))) ||
      failed(requireDim(*this, "v keys", v.getDimSize(2), k.getDimSize(2))))
    return failure();
  for (int i = 0; i < 3; ++i)
    if (failed(requireDim(*this, "result dim " + std::to_string(i),
                          out.getDimSize(i), q.getDimSize(i))))
      return failure();
  if (failed(requireDim(*this, "result head_dim", out.getDimSize(3), v.getDimSize(3))))
    return failure();
  if (Value t = getBiasTable()) {
    RankedTensorType tt;
    if (failed(requireRanked(*this, t, "bias table", tt, 0, 2)))
      return failure();
    if (!getBiasBuckets() || !getBiasMaxDistance())
      return emitOpError("a bias table needs bias_buckets and bias_max_distance");
    if (failed(requireDim(*this, "bias table rows", tt.getDimSize(0), *getBiasBuckets())) ||
        failed(requireDim(*this, "bias table heads", tt.getDimSize(1), q.getDimSize(1))))
      return failure();
  } else if (getBiasBuckets() || getBiasMaxDistance() || getBiasBidirectional()) {
    return emitOpError("bias attributes need a bias table");
  }
  if ((bool)getQPositions() != getQRopeTheta().has_value())
    return emitOpError("q_rope positions and q_rope_theta go together");
  if (Value p = getQPositions()) {
    RankedTensorType pt;
    if (failed(requireRanked(*this, p, "q_rope positions", pt, 0, 2)) ||
        failed(requireDim(*this, "q_rope positions batch", pt.getDimSize(0), q.getDimSize(0))) ||
        failed(requireDim(*this, "q_rope positions length", pt.getDimSize(1), q.getDimSize(2))))
      return failure();
    if (!ShapedType::isDynamic(q.getDimSize(3)) && q.getDimSize(3) % 2 != 0)
      return emitOpError("q_rope needs an even head_dim, got ") << q.getDimSize(3);
  }
  if (Value kl = getKeyLengths()) {
    RankedTensorType lt;
    if (failed(requireRanked(*this, kl, "key_lengths", lt, 0, 1)) ||
        failed(requireDim(*this, "key_lengths batch", lt.getDimSize(0), q.getDimSize(0))))
      return failure();
  }
  if (Value m = getMask()) {
    RankedTensorType mt;
    if (failed(requireRanked(*this, m, "mask", mt, 0, 2)))
      return failure();
    if (failed(requireDim(*this, "mask rows", mt.getDimSize(0), q.getDimSize(2))) ||
        failed(requireDim(*this, "mask columns", mt.getDimSize(1), k.getDimSize(2))))
      return failure();
  }
  return success();
}

LogicalResult CacheAppendOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  RankedTensorType upd, out;
  if (failed(requireRanked(*this, getUpdate(), "update", upd, 0, 4)) ||
      failed(requireRanked(*this, getResult(), "result", out, 0, 4)))
    return failure();
  if (failed(requireDim(*this, "update heads", upd.getDimSize(1), cache.getHeads())) ||
      failed(requireDim(*this, "update head_dim", upd.getDimSize(3), cache.getHeadDim())) ||
      failed(requireDim(*this, "result heads", out.getDimSize(1), cache.getHeads())) ||
      failed(requireDim(*this, "result head_dim", out.getDimSize(3), cache.getHeadDim())) ||
      failed(requireDim(*this, "result batch", out.getDimSize(0), upd.getDimSize(0))))
    return failure();
  return success();
}

LogicalResult CacheReadOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  RankedTensorType out;
  if (failed(requireRanked(*this, getResult(), "result", out, 0, 4)))
    return failure();
  if (failed(requireDim(*this, "result heads", out.getDimSize(1), cache.getHeads())) ||
      failed(requireDim(*this, "result head_dim", out.getDimSize(3), cache.getHeadDim())))
    return failure();
  return success();
}
