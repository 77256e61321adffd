//===- KVCache.cpp - forward -> prefill + decode ----------------*- C++ -*-===//
//
// Turns a decoder's whole-sequence forward function into the two entry points
// generation uses: prefill (the prompt, writing every layer's keys and values
// into typed caches) and decode (one token at a given position, appending to
// the caches and attending over them).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/KVCacheSeq2Seq.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::xf {
#define GEN_PASS_DEF_KVCACHE
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

struct KVCachePass : xf::impl::KVCacheBase<KVCachePass> {
  using KVCacheBase::KVCacheBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto info = getModelInfo(module);
    if (failed(info))
      return signalPassFailure();
    if (info->kind == "encoder")
      return; // Encoders do not generate.
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal()) {
      module.emitError("xf-kv-cache: a decoder module needs a @forward function");
      return signalPassFailure();
    }
    int64_t capacity = maxSeq > 0 ? int64_t(maxSeq) : info->maxSeq;
    if (info->kind == "encoder-decoder") {
      unsigned made = 0;
      if (failed(splitEncoderDecoder(forward, capacity, made)))
        return signalPassFailure();
      numCaches += made;
      return;
    }

    SmallVector<AttentionOp> attns;
    forward.walk([&](AttentionOp a) { attns.push_back(a); });
    SmallVector<Type> cacheTypes;
    for (AttentionOp a : attns) {
      if (a.getMaskKind() == MaskKind::none || a.getMask()) {
        a.emitError("xf-kv-cache: every attention of a decoder must be causal "
                    "or sliding-window with no mask operand (run --xf-specialize-masks first)");
        return signalPassFailure();
      }
      auto k = cast<RankedTensorType>(a.getK().getType());
      auto v = cast<RankedTensorType>(a.getV().getType());
      if (k.isDynamicDim(1) || k.isDynamicDim(3) || v.isDynamicDim(1) || v.isDynamicDim(3)) {
        a.emitError("xf-kv-cache: heads and head_dim of k and v must be static");
        return signalPassFailure();
      }
      // A sliding-window layer keeps a ring of `window` entries: decode
      // never reads further back.
      bool ring = a.getMaskKind() == MaskKind::sliding_window && *a.getWindow() < capacity;
      CacheLayout layout = ring ? CacheLayout::ring : CacheLayout::contiguous;
      int64_t slots = ring ? (int64_t)*a.getWindow() : capacity;
      for (RankedTensorType t : {k, v})
        cacheTypes.push_back(KVCacheType::get(&getContext(), layout, t.getDimSize(1), slots,
                                              t.getDimSize(3), t.getElementType()));
    }
    if (forward.getNumArguments() != 1) {
      forward.emitError("xf-kv-cache: @forward must take the ids alone");
      return signalPassFailure();
    }
    numCaches += cacheTypes.size();
    buildEntry(forward, "prefill", cacheTypes, /*decode=*/false);
    buildEntry(forward, "decode", cacheTypes, /*decode=*/true);
    forward.erase();
  }

  /// Clones `forward` as `name` with caches (and, for decode, a position).
  void buildEntry(func::FuncOp forward, StringRef name, ArrayRef<Type> cacheTypes,
                  bool decode) {
    OpBuilder b(forward);
    SmallVector<Type> argTypes{forward.getArgumentTypes()[0]};
    if (decode) {
      // Decode takes exactly one token per sequence: [batch, 1].
      auto ids = cast<RankedTensorType>(argTypes[0]);
      argTypes[0] = RankedTensorType::get({ids.getDimSize(0), 1}, ids.getElementType());
      argTypes.push_back(b.getIndexType());
    }
    argTypes.append(cacheTypes.begin(), cacheTypes.end());
    auto fnType = b.getFunctionType(argTypes, forward.getResultTypes());
    auto fn = b.create<func::FuncOp>(forward.getLoc(), name, fnType);
    Block *entry = fn.addEntryBlock();
    for (unsigned i = 0; i < cacheTypes.size(); ++i)
      fn.setArgAttr((decode ? 2 : 1) + i, kCacheSlotAttrName, b.getI64IntegerAttr(i));
    b.setInsertionPointToStart(entry);

    Value ids = entry->getArgument(0);
    Value pos = decode ? entry->getArgument(1)
                       : b.create<arith::ConstantIndexOp>(forward.getLoc(), 0).getResult();
    unsigned firstCache = decode ? 2 : 1;

    IRMapping map;
    map.map(forward.getArgument(0), ids);
    unsigned layer = 0;
    for (Operation &op : forward.getBody().front()) {
      if (auto a = dyn_cast<AttentionOp>(op)) {
        Value kc = entry->getArgument(firstCache + 2 * layer);
        Value vc = entry->getArgument(firstCache + 2 * layer + 1);
        ++layer;
        Value k = map.lookup(a.getK()), v = map.lookup(a.getV());
        auto kAll = b.create<CacheAppendOp>(a.getLoc(), kc, pos, k);
        auto vAll = b.create<CacheAppendOp>(a.getLoc(), vc, pos, v);
        if (decode) {
          // The one query (ids are [batch, 1]) sees every cached key: a
          // contiguous cache holds exactly the keys before it, a ring exactly
          // the last `window` ones.
          auto newA = cast<AttentionOp>(b.clone(op, map));
          newA.getKMutable().assign(kAll);
          newA.getVMutable().assign(vAll);
          newA.setMaskKind(MaskKind::none);
          newA.removeWindowAttr();
          map.map(a.getResult(), newA.getResult());
        } else {
          // The prompt attends to its own keys; the cache is only written.
          map.map(a.getResult(), b.clone(op, map)->getResult(0));
        }
        continue;
      }
      if (auto p = dyn_cast<PositionIdsOp>(op); p && decode) {
        auto newP = b.create<PositionIdsOp>(p.getLoc(), map.lookup(p.getIds()), pos);
        map.map(p.getResult(), newP.getResult());
        continue;
      }
      b.clone(op, map);
    }
  }
};

} // namespace
