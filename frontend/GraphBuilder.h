//===- GraphBuilder.h - shared parts of the family builders -----*- C++ -*-===//
//
// Private to the frontend: what every family builder needs to emit a model's
// primitive graph: parameters checked against the checkpoint (present, the
// shape the config implies, a float dtype the runtime converts), locations
// naming the checkpoint's module path, the `xf.model` facts and the forward
// function's skeleton.
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_GRAPHBUILDER_H
#define XF_FRONTEND_GRAPHBUILDER_H

#include "dialect/XfDialect.h"
#include "frontend/readers/Checkpoint.h"

#include "mlir/IR/Builders.h"

namespace mlir::xf {

class GraphBuilder {
public:
  GraphBuilder(MLIRContext &ctx, const ::xf::readers::Checkpoint &ckpt, std::string &error)
      : b(&ctx), ckpt(ckpt), error(error) {}

protected:
  static constexpr int64_t kDyn = ShapedType::kDynamic;
  OpBuilder b;
  const ::xf::readers::Checkpoint &ckpt;
  std::string &error;
  /// Prepended to parameter names to form checkpoint keys ("transformer.", "").
  std::string prefix;

  Location loc(const std::string &path) { return NameLoc::get(b.getStringAttr(prefix + path)); }
  RankedTensorType act(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  }
  static std::string shapeStr(const std::vector<int64_t> &s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i)
      r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
  }

  /// A parameter named `name` (key: prefix + name unless !prefixed) checked
  /// against the checkpoint; null with `error` set (the first error is kept).
  Value param(const std::string &name, std::vector<int64_t> shape, bool prefixed = true) {
    std::string key = prefixed ? prefix + name : name;
    if (!checkTensor(key, shape))
      return nullptr;
    return b.create<ParamOp>(loc(name), act(shape), b.getStringAttr(name), b.getStringAttr(key));
  }

  /// True if the checkpoint holds `key` with `shape` and a float dtype;
  /// otherwise sets `error` (the first error is kept).
  bool checkTensor(const std::string &key, const std::vector<int64_t> &shape) {
    if (!error.empty())
      return false;
    const ::xf::readers::TensorInfo *t = ckpt.find(key);
    if (!t) {
      error = ckpt.path() + ": missing tensor '" + key + "'";
      return false;
    }
    if (t->shape != shape) {
      error = ckpt.path() + ": tensor '" + key + "' has shape " + shapeStr(t->shape) +
              ", the config implies " + shapeStr(shape);
      return false;
    }
    if (t->dtype != ::xf::readers::DType::F32 && t->dtype != ::xf::readers::DType::F16 &&
        t->dtype != ::xf::readers::DType::BF16) {
      error = ckpt.path() + ": tensor '" + key + "' has dtype " +
              ::xf::readers::dtypeName(t->dtype) + " (supported: F32, F16, BF16)";
      return false;
    }
    return true;
  }

  /// A module with `xf.model` and an empty @forward(ids) -> [?, ?, vocab]
  /// (logits); the builder is left inside forward's body, which is returned.
  func::FuncOp startDecoder(OwningOpRef<ModuleOp> &module, StringRef modelType, int64_t vocab,
                            int64_t hidden, int64_t maxSeq, const std::vector<int64_t> &eos) {
    return startModel(module, "decoder", modelType, vocab, hidden, maxSeq, eos, vocab);
  }

  /// As startDecoder, for any kind; forward returns [?, ?, outWidth] and,
  /// with `withLengths`, takes each sequence's length after the (padded) ids.
  func::FuncOp startModel(OwningOpRef<ModuleOp> &module, StringRef kind, StringRef modelType,
                          int64_t vocab, int64_t hidden, int64_t maxSeq,
                          const std::vector<int64_t> &eos, int64_t outWidth,
                          bool withLengths = false) {
    Location top = loc("model");
    module = ModuleOp::create(top);
    SmallVector<NamedAttribute> facts{
        b.getNamedAttr("kind", b.getStringAttr(kind)),
        b.getNamedAttr("model_type", b.getStringAttr(modelType)),
        b.getNamedAttr("vocab_size", b.getI64IntegerAttr(vocab)),
        b.getNamedAttr("hidden_size", b.getI64IntegerAttr(hidden)),
        b.getNamedAttr("max_seq", b.getI64IntegerAttr(maxSeq)),
        b.getNamedAttr("eos_token_ids", b.getDenseI64ArrayAttr(eos)),
        b.getNamedAttr("checkpoint", b.getStringAttr(ckpt.path()))};
    (*module)->setAttr(kModelAttrName, b.getDictionaryAttr(facts));
    b.setInsertionPointToEnd(module->getBody());
    auto idsType = RankedTensorType::get({kDyn, kDyn}, b.getI64Type());
    auto logitsType = RankedTensorType::get({kDyn, kDyn, outWidth}, b.getF32Type());
    SmallVector<Type> args{idsType};
    if (withLengths)
      args.push_back(RankedTensorType::get({kDyn}, b.getI64Type()));
    auto fn = b.create<func::FuncOp>(top, "forward", b.getFunctionType(args, {logitsType}));
    b.setInsertionPointToStart(fn.addEntryBlock());
    return fn;
  }
};

} // namespace mlir::xf

#endif // XF_FRONTEND_GRAPHBUILDER_H
