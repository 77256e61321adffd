//===- KVCacheSeq2Seq.cpp - kv-cache split of encoder-decoders --*- C++ -*-===//
//
// An encoder-decoder's @forward(ids, decoder_ids) becomes three entry points:
//   @encode(ids, cross caches...)            runs the encoder and writes every
//                                            cross-attention's keys and values
//                                            once per request;
//   @prefill(decoder_ids, enc_len, caches...) the decoder prompt: reads the
//                                            cross caches, writes its own
//                                            self-attention caches;
//   @decode(token, pos, enc_len, caches...)  one decoder token at `pos`.
// The decoder side is every op that depends on decoder_ids; a cross-attention
// is a decoder-side attention whose keys and values are encoder-side. Other
// values may cross from the encoder side only if they are parameters.
//
//===----------------------------------------------------------------------===//

#include "passes/KVCacheSeq2Seq.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::xf;

namespace {

bool isParam(Value v) {
  return v.getDefiningOp() && isa<ParamOp, ParamStackOp, ParamConcatOp>(v.getDefiningOp());
}

struct Split {
  func::FuncOp forward;
  llvm::DenseSet<Operation *> decoderSide;
  SmallVector<AttentionOp> crossAttns, selfAttns;
  SmallVector<Type> crossTypes, selfTypes; // key, value per attention
};

KVCacheType cacheOf(Value kOrV, int64_t capacity) {
  auto t = cast<RankedTensorType>(kOrV.getType());
  return KVCacheType::get(t.getContext(), CacheLayout::contiguous, t.getDimSize(1), capacity,
                          t.getDimSize(3), t.getElementType());
}

LogicalResult analyse(Split &s, int64_t capacity) {
  Block &body = s.forward.getBody().front();
  Value dec = body.getArgument(1);
  auto onDecoderSide = [&](Value v) {
    return v == dec || (v.getDefiningOp() && s.decoderSide.contains(v.getDefiningOp()));
  };
  for (Operation &op : body)
    if (llvm::any_of(op.getOperands(), onDecoderSide))
      s.decoderSide.insert(&op);
  for (Operation &op : body) {
    if (!s.decoderSide.contains(&op))
      continue;
    auto a = dyn_cast<AttentionOp>(op);
    if (a && !onDecoderSide(a.getK()) && !onDecoderSide(a.getV())) {
      if (a.getMaskKind() != MaskKind::none || a.getMask() || a.getBiasTable() ||
          a.getKeyLengths())
        return a.emitError("xf-kv-cache: a cross-attention must be unmasked and unbiased");
      s.crossAttns.push_back(a);
      s.crossTypes.push_back(cacheOf(a.getK(), capacity));
      s.crossTypes.push_back(cacheOf(a.getV(), capacity));
      continue;
    }
    if (a) {
      if (a.getMaskKind() != MaskKind::causal || a.getMask())
        return a.emitError("xf-kv-cache: a decoder self-attention must be causal with no mask "
                           "operand (run --xf-specialize-masks first)");
      s.selfAttns.push_back(a);
      s.selfTypes.push_back(cacheOf(a.getK(), capacity));
      s.selfTypes.push_back(cacheOf(a.getV(), capacity));
    }
    for (Value v : op.getOperands())
      if (!onDecoderSide(v) && !isParam(v))
        return op.emitError("xf-kv-cache: this decoder op reads an encoder value other than "
                            "cross-attention keys and values");
  }
  for (AttentionOp a : s.selfAttns)
    for (Value kv : {a.getK(), a.getV()}) {
      auto t = cast<RankedTensorType>(kv.getType());
      if (t.isDynamicDim(1) || t.isDynamicDim(3))
        return a.emitError("xf-kv-cache: heads and head_dim of k and v must be static");
    }
  for (AttentionOp a : s.crossAttns)
    for (Value kv : {a.getK(), a.getV()}) {
      auto t = cast<RankedTensorType>(kv.getType());
      if (t.isDynamicDim(1) || t.isDynamicDim(3))
        return a.emitError("xf-kv-cache: heads and head_dim of k and v must be static");
    }
  return success();
}

/// Clones `op` into the builder's block after its operands; parameters that
/// are not mapped yet are cloned on first use.
Operation *cloneWithParams(OpBuilder &b, Operation &op, IRMapping &map) {
  for (Value v : op.getOperands())
    if (!map.contains(v) && isParam(v))
      map.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  return b.clone(op, map);
}

void buildEncode(Split &s, unsigned &numCaches) {
  OpBuilder b(s.forward);
  Block &body = s.forward.getBody().front();
  SmallVector<Type> args{body.getArgument(0).getType()};
  args.append(s.crossTypes.begin(), s.crossTypes.end());
  auto fn = b.create<func::FuncOp>(s.forward.getLoc(), "encode", b.getFunctionType(args, {}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // The backward slice of every cross-attention's keys and values.
  llvm::SetVector<Operation *> needed;
  SmallVector<Value> work;
  for (AttentionOp a : s.crossAttns)
    work.append({a.getK(), a.getV()});
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || !needed.insert(def))
      continue;
    work.append(def->operand_begin(), def->operand_end());
  }
  IRMapping map;
  map.map(body.getArgument(0), entry->getArgument(0));
  for (Operation &op : body)
    if (needed.contains(&op))
      b.clone(op, map);
  Value zero = b.create<arith::ConstantIndexOp>(fn.getLoc(), 0);
  for (auto [i, a] : llvm::enumerate(s.crossAttns)) {
    b.create<CacheAppendOp>(a.getLoc(), entry->getArgument(1 + 2 * i), zero, map.lookup(a.getK()));
    b.create<CacheAppendOp>(a.getLoc(), entry->getArgument(2 + 2 * i), zero, map.lookup(a.getV()));
  }
  b.create<func::ReturnOp>(fn.getLoc());
  for (unsigned i = 0; i < s.crossTypes.size(); ++i)
    fn.setArgAttr(1 + i, kCacheSlotAttrName, b.getI64IntegerAttr(s.selfTypes.size() + i));
  numCaches += s.crossTypes.size();
}

void buildDecoderEntry(Split &s, StringRef name, bool decode) {
  OpBuilder b(s.forward);
  Block &body = s.forward.getBody().front();
  auto decType = cast<RankedTensorType>(body.getArgument(1).getType());
  SmallVector<Type> args;
  args.push_back(decode ? RankedTensorType::get({decType.getDimSize(0), 1},
                                                decType.getElementType())
                        : Type(decType));
  if (decode)
    args.push_back(b.getIndexType()); // pos
  args.push_back(b.getIndexType());   // encoder length
  args.append(s.selfTypes.begin(), s.selfTypes.end());
  args.append(s.crossTypes.begin(), s.crossTypes.end());
  auto fn = b.create<func::FuncOp>(s.forward.getLoc(), name,
                                   b.getFunctionType(args, s.forward.getResultTypes()));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  unsigned next = 0;
  Value dec = entry->getArgument(next++);
  Value pos = decode ? entry->getArgument(next++)
                     : b.create<arith::ConstantIndexOp>(fn.getLoc(), 0).getResult();
  Value encLen = entry->getArgument(next++);
  unsigned firstSelf = next, firstCross = next + s.selfTypes.size();
  // Caches are numbered self first, then cross, in every entry point.
  for (unsigned i = 0; i < s.selfTypes.size() + s.crossTypes.size(); ++i)
    fn.setArgAttr(firstSelf + i, kCacheSlotAttrName, b.getI64IntegerAttr(i));

  IRMapping map;
  map.map(body.getArgument(1), dec);
  DenseMap<Operation *, unsigned> selfIndex, crossIndex;
  for (auto [i, a] : llvm::enumerate(s.selfAttns))
    selfIndex[a] = i;
  for (auto [i, a] : llvm::enumerate(s.crossAttns))
    crossIndex[a] = i;

  for (Operation &op : body) {
    if (!s.decoderSide.contains(&op))
      continue;
    auto a = dyn_cast<AttentionOp>(op);
    if (a && crossIndex.count(a)) {
      unsigned i = crossIndex[a];
      Value k = b.create<CacheReadOp>(a.getLoc(), a.getK().getType(),
                                      entry->getArgument(firstCross + 2 * i), encLen);
      Value v = b.create<CacheReadOp>(a.getLoc(), a.getV().getType(),
                                      entry->getArgument(firstCross + 2 * i + 1), encLen);
      // k and v are set on the clone (not through the mapping: they may be
      // one value on the encoder side).
      IRMapping crossMap = map;
      crossMap.map(a.getK(), k);
      crossMap.map(a.getV(), v);
      auto clone = cast<AttentionOp>(cloneWithParams(b, op, crossMap));
      clone.getKMutable().assign(k);
      clone.getVMutable().assign(v);
      map.map(a.getResult(), clone.getResult());
      continue;
    }
    if (a && selfIndex.count(a)) {
      unsigned i = selfIndex[a];
      Value k = map.lookup(a.getK()), v = map.lookup(a.getV());
      auto kAll = b.create<CacheAppendOp>(a.getLoc(), entry->getArgument(firstSelf + 2 * i), pos, k);
      auto vAll =
          b.create<CacheAppendOp>(a.getLoc(), entry->getArgument(firstSelf + 2 * i + 1), pos, v);
      auto clone = cast<AttentionOp>(cloneWithParams(b, op, map));
      if (decode) {
        // One query at the end of the cache sees every cached key.
        clone.getKMutable().assign(kAll);
        clone.getVMutable().assign(vAll);
        clone.setMaskKind(MaskKind::none);
      }
      continue;
    }
    if (auto p = dyn_cast<PositionIdsOp>(op); p && decode) {
      map.map(p.getResult(),
              b.create<PositionIdsOp>(p.getLoc(), map.lookup(p.getIds()), pos).getResult());
      continue;
    }
    cloneWithParams(b, op, map);
  }
}

} // namespace

LogicalResult mlir::xf::splitEncoderDecoder(func::FuncOp forward, int64_t capacity,
                                            unsigned &numCaches) {
  if (forward.getNumArguments() != 2)
    return forward.emitError("xf-kv-cache: an encoder-decoder @forward takes the input ids and "
                             "the decoder ids");
  Split s;
  s.forward = forward;
  if (failed(analyse(s, capacity)))
    return failure();
  if (s.crossAttns.empty())
    return forward.emitError("xf-kv-cache: found no cross-attention in the decoder");
  buildEncode(s, numCaches);
  buildDecoderEntry(s, "prefill", /*decode=*/false);
  buildDecoderEntry(s, "decode", /*decode=*/true);
  numCaches += s.selfTypes.size();
  forward.erase();
  return success();
}
