//===- MergeProjections.cpp - one GEMM for the projections of an input -*- C++ -*-===//
//
// Attention projects one input three ways (Q, K and V; K and V of the
// encoder output in every cross-attention of an encoder-decoder), each a GEMM
// that streams the same activations. This pass merges the GEMMs of one input
// into one GEMM over the concatenated weights (and biases), declared as one
// parameter the executable assembles at load, and gives each former result
// back as a slice of the merged one (a view: no copy).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::xf {
#define GEN_PASS_DEF_MERGEPROJECTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Why `linear` cannot join a merged projection, or empty if it can: a GEMM
/// with nothing in its epilogue but a bias, reading an [out, in] checkpoint
/// weight (and bias) declared in its own block.
StringRef whyNotMergeable(LinearOp linear) {
  if (linear.getActivation() || linear.getResidual() || linear.getGate())
    return "it has an activation, residual or gate in its epilogue";
  auto w = linear.getW().getDefiningOp<ParamOp>();
  if (!linear.getTransposeW() || !w || w.getTransposed())
    return "its weight is not a checkpoint parameter in [out, in] layout";
  if (Value b = linear.getBias())
    if (!b.getDefiningOp<ParamOp>())
      return "its bias is not a checkpoint parameter";
  return "";
}

/// "a.{q,k,v}.weight" for "a.q.weight", "a.k.weight", "a.v.weight": the
/// names' common prefix and suffix (at dots) around the parts that differ.
std::string mergedName(ArrayRef<std::string> names) {
  StringRef first = names.front();
  size_t pre = first.size(), suf = first.size();
  for (StringRef n : names) {
    size_t i = 0;
    while (i < pre && i < n.size() && n[i] == first[i])
      ++i;
    pre = i;
    size_t j = 0;
    while (j < suf && j < n.size() && n[n.size() - 1 - j] == first[first.size() - 1 - j])
      ++j;
    suf = j;
  }
  pre = first.substr(0, pre).rfind('.') == StringRef::npos ? 0 : first.substr(0, pre).rfind('.') + 1;
  size_t dot = first.substr(first.size() - suf).find('.');
  suf = dot == StringRef::npos ? 0 : suf - dot;
  std::string parts;
  for (StringRef n : names) {
    if (pre + suf > n.size())
      return llvm::join(names, "+");
    parts += (parts.empty() ? "" : ",") + n.substr(pre, n.size() - pre - suf).str();
  }
  return (first.substr(0, pre) + "{" + parts + "}" + first.substr(first.size() - suf)).str();
}

/// Parameters as one declaration: their keys concatenated along dim 0.
Value concatParams(OpBuilder &b, SmallVector<ParamOp> params) {
  SmallVector<Attribute> keys;
  SmallVector<int64_t> sizes;
  SmallVector<Location> locs;
  SmallVector<std::string> names;
  auto type = cast<RankedTensorType>(params.front().getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = 0;
  for (ParamOp p : params) {
    keys.push_back(p.getKeyAttr());
    sizes.push_back(cast<RankedTensorType>(p.getType()).getDimSize(0));
    shape[0] += sizes.back();
    names.push_back(p.getName().str());
    locs.push_back(p.getLoc());
  }
  return b.create<ParamConcatOp>(b.getFusedLoc(locs),
                                 RankedTensorType::get(shape, type.getElementType()),
                                 b.getStringAttr(mergedName(names)), b.getArrayAttr(keys),
                                 b.getDenseI64ArrayAttr(sizes), UnitAttr());
}

struct MergeProjectionsPass : xf::impl::MergeProjectionsBase<MergeProjectionsPass> {
  void runOnOperation() override {
    getOperation().walk([&](Block *block) {
      // The GEMMs of each input in this block, in order, split by whether
      // they have a bias (all of a merged GEMM's parts have one, or none).
      llvm::MapVector<std::pair<Value, unsigned>, SmallVector<LinearOp>> groups;
      llvm::DenseMap<Value, SmallVector<std::pair<LinearOp, StringRef>>> rejected;
      for (auto linear : block->getOps<LinearOp>()) {
        StringRef why = whyNotMergeable(linear);
        if (why.empty())
          groups[{linear.getX(), linear.getBias() ? 1u : 0u}].push_back(linear);
        else
          rejected[linear.getX()].push_back({linear, why});
      }
      llvm::DenseSet<Value> remarked;
      for (auto &[key, linears] : groups) {
        if (remarked.insert(key.first).second)
          for (auto [linear, why] : rejected.lookup(key.first))
            linear.emitRemark("projection not merged with the other GEMMs of its input: ") << why;
        if (linears.size() >= 2)
          merge(linears);
      }
    });
  }

  void merge(ArrayRef<LinearOp> linears) {
    LinearOp first = linears.front();
    OpBuilder b(first);
    SmallVector<ParamOp> weights, biases;
    SmallVector<Location> locs;
    for (LinearOp l : linears) {
      weights.push_back(l.getW().getDefiningOp<ParamOp>());
      if (Value bias = l.getBias())
        biases.push_back(bias.getDefiningOp<ParamOp>());
      locs.push_back(l.getLoc());
    }
    Value w = concatParams(b, weights);
    Value bias = biases.empty() ? Value() : concatParams(b, biases);
    // The merged result: the parts' leading dims, their features side by side.
    auto partType = cast<RankedTensorType>(first.getType());
    SmallVector<int64_t> shape(partType.getShape());
    int64_t axis = partType.getRank() - 1;
    shape[axis] = cast<RankedTensorType>(w.getType()).getDimSize(0);
    auto merged = b.create<LinearOp>(b.getFusedLoc(locs),
                                     RankedTensorType::get(shape, partType.getElementType()),
                                     first.getX(), w, bias, b.getUnitAttr());
    int64_t start = 0;
    b.setInsertionPointAfter(merged);
    for (LinearOp l : linears) {
      int64_t n = cast<RankedTensorType>(l.getType()).getDimSize(axis);
      auto part = b.create<SliceOp>(l.getLoc(), l.getType(), merged.getResult(),
                                    b.getI64IntegerAttr(axis), b.getI64IntegerAttr(start),
                                    b.getI64IntegerAttr(n));
      start += n;
      b.setInsertionPointAfter(part);
      l.getResult().replaceAllUsesWith(part.getResult());
    }
    // Only now: the insertion point sits before the op after the last slice,
    // which may be one of these.
    for (LinearOp l : linears)
      l.erase();
    for (ParamOp p : llvm::concat<ParamOp>(weights, biases))
      if (p->use_empty())
        p.erase();
    ++numMerged;
    numGemms += linears.size();
  }
};

} // namespace
