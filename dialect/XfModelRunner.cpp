//===- XfModelRunner.cpp - run a model's entry points, any split -*- C++ -*-===//
//
// Each sequence runs as a batch of one (encoders: the whole batch, padded,
// with lengths), as the runtime does.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfModelRunner.h"

#include "mlir/IR/BuiltinOps.h"

#include <random>

using namespace mlir;
using namespace mlir::xf;

namespace {

HostTensor idsTensor(ArrayRef<int64_t> ids) {
  HostTensor t = HostTensor::zerosI64({1, (int64_t)ids.size()});
  t.i64.assign(ids.begin(), ids.end());
  return t;
}

void append(HostTensor &rows, const HostTensor &out, int64_t count) {
  int64_t width = out.shape.back();
  if (rows.shape.empty())
    rows.shape = {0, width};
  rows.f32.insert(rows.f32.end(), out.f32.begin(), out.f32.begin() + count * width);
  rows.shape[0] += count;
}

struct Runner {
  ModuleOp module;
  const ParamProvider &params;

  func::FuncOp fn(StringRef name) { return module.lookupSymbol<func::FuncOp>(name); }

  /// Caches for the cache arguments of `f` from `first` on, by slot.
  std::vector<RtValue> caches(func::FuncOp f, unsigned first, std::vector<RtValue> &bySlot) {
    std::vector<RtValue> out;
    for (unsigned i = first; i < f.getNumArguments(); ++i) {
      auto type = cast<KVCacheType>(f.getArgumentTypes()[i]);
      unsigned slot = i - first;
      if (auto a = f.getArgAttrOfType<IntegerAttr>(i, kCacheSlotAttrName))
        slot = a.getInt();
      if (bySlot.size() <= slot)
        bySlot.resize(slot + 1);
      if (!bySlot[slot].cache)
        bySlot[slot] = RtValue::ofCache(type, 1);
      out.push_back(bySlot[slot]);
    }
    return out;
  }

  FailureOr<HostTensor> call(func::FuncOp f, std::vector<RtValue> args) {
    auto r = interpret(f, args, params);
    if (failed(r))
      return failure();
    if (r->empty())
      return HostTensor();
    return (*r)[0].tensor;
  }

  /// Decoder or encoder-decoder rows of one sequence.
  FailureOr<HostTensor> generative(ArrayRef<int64_t> ids, ArrayRef<int64_t> dec,
                                   size_t prefillLength, bool seq2seq) {
    ArrayRef<int64_t> rowsIds = seq2seq ? dec : ids;
    if (auto forward = fn("forward")) {
      std::vector<RtValue> args{RtValue::ofTensor(idsTensor(ids))};
      if (seq2seq)
        args.push_back(RtValue::ofTensor(idsTensor(dec)));
      return call(forward, args);
    }
    auto prefill = fn("prefill"), decode = fn("decode");
    if (!prefill || !decode)
      return module.emitError("runModel: expected @forward, or @prefill and @decode"), failure();
    std::vector<RtValue> slots;
    int64_t encLen = (int64_t)ids.size();
    if (seq2seq) {
      auto encode = fn("encode");
      if (!encode)
        return module.emitError("runModel: an encoder-decoder split needs @encode"), failure();
      std::vector<RtValue> args{RtValue::ofTensor(idsTensor(ids))};
      auto c = caches(encode, 1, slots);
      args.insert(args.end(), c.begin(), c.end());
      if (failed(call(encode, args)))
        return failure();
    }
    size_t n = prefillLength == 0 || prefillLength > rowsIds.size() ? rowsIds.size()
                                                                     : prefillLength;
    std::vector<RtValue> args{RtValue::ofTensor(idsTensor(rowsIds.take_front(n)))};
    if (seq2seq)
      args.push_back(RtValue::ofIndex(encLen));
    auto c = caches(prefill, seq2seq ? 2 : 1, slots);
    args.insert(args.end(), c.begin(), c.end());
    auto out = call(prefill, args);
    if (failed(out))
      return failure();
    HostTensor rows;
    append(rows, *out, (int64_t)n);
    for (size_t i = n; i < rowsIds.size(); ++i) {
      std::vector<RtValue> dargs{RtValue::ofTensor(idsTensor({rowsIds[i]})),
                                 RtValue::ofIndex((int64_t)i)};
      if (seq2seq)
        dargs.push_back(RtValue::ofIndex(encLen));
      auto dc = caches(decode, seq2seq ? 3 : 2, slots);
      dargs.insert(dargs.end(), dc.begin(), dc.end());
      auto step = call(decode, dargs);
      if (failed(step))
        return failure();
      append(rows, *step, 1);
    }
    return rows;
  }
};

} // namespace

FailureOr<HostTensor> mlir::xf::runModel(ModuleOp module, const ModelInputs &inputs,
                                         const ParamProvider &params) {
  auto info = getModelInfo(module);
  if (failed(info))
    return failure();
  Runner r{module, params};
  HostTensor rows;
  if (info->kind == "encoder") {
    auto forward = r.fn("forward");
    if (!forward)
      return module.emitError("runModel: an encoder needs @forward"), failure();
    size_t longest = 0;
    for (auto &s : inputs.ids)
      longest = std::max(longest, s.size());
    int64_t b = (int64_t)inputs.ids.size();
    HostTensor ids = HostTensor::zerosI64({b, (int64_t)longest});
    HostTensor lengths = HostTensor::zerosI64({b});
    for (int64_t s = 0; s < b; ++s) {
      std::copy(inputs.ids[s].begin(), inputs.ids[s].end(), ids.i64.begin() + s * longest);
      lengths.i64[s] = (int64_t)inputs.ids[s].size();
    }
    std::vector<RtValue> args{RtValue::ofTensor(ids)};
    if (forward.getNumArguments() == 2)
      args.push_back(RtValue::ofTensor(lengths));
    auto out = r.call(forward, args);
    if (failed(out))
      return failure();
    int64_t width = out->shape.back();
    for (int64_t s = 0; s < b; ++s) {
      HostTensor one;
      one.shape = {(int64_t)longest, width};
      one.f32.assign(out->f32.begin() + s * longest * width,
                     out->f32.begin() + (s + 1) * longest * width);
      append(rows, one, (int64_t)inputs.ids[s].size());
    }
    return rows;
  }
  bool seq2seq = info->kind == "encoder-decoder";
  for (size_t s = 0; s < inputs.ids.size(); ++s) {
    ArrayRef<int64_t> dec;
    if (seq2seq)
      dec = inputs.decoderIds.at(s);
    auto out = r.generative(inputs.ids[s], dec, inputs.prefillLength, seq2seq);
    if (failed(out))
      return failure();
    append(rows, *out, out->shape[out->shape.size() == 3 ? 1 : 0]);
  }
  return rows;
}

ModelInputs mlir::xf::randomInputs(int64_t vocab, ArrayRef<size_t> lengths, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> id(0, vocab - 1);
  ModelInputs in;
  for (size_t len : lengths) {
    std::vector<int64_t> s(len), d(std::max<size_t>(1, len / 2 + 1));
    for (auto &x : s)
      x = id(gen);
    for (auto &x : d)
      x = id(gen);
    in.ids.push_back(s);
    in.decoderIds.push_back(d);
  }
  return in;
}
