//===- XfInterpreter.h - reference interpreter of xf ------------*- C++ -*-===//
//
// A naive, obviously-correct interpreter of the xf dialect (plus func.call and
// func.return). Tests run a graph before and after a pass on random inputs and
// compare: it is the definition of what each op computes.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFINTERPRETER_H
#define XF_DIALECT_XFINTERPRETER_H

#include "dialect/XfDialect.h"

#include <functional>
#include <memory>
#include <vector>

namespace mlir::xf {

/// A dense row-major tensor of f32 or i64.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<int64_t> i64;
  bool isInt = false;
  int64_t numel() const;
  static HostTensor zerosF32(std::vector<int64_t> shape);
  static HostTensor zerosI64(std::vector<int64_t> shape);
};

/// A runtime value: a tensor, an index, or a KV-cache ([B, H, capacity, D]).
struct RtValue {
  enum class Kind { Tensor, Index, Cache } kind = Kind::Tensor;
  HostTensor tensor;
  int64_t index = 0;
  std::shared_ptr<HostTensor> cache;
  static RtValue ofTensor(HostTensor t);
  static RtValue ofIndex(int64_t i);
  /// A zero-filled cache of the given type for `batch` sequences.
  static RtValue ofCache(KVCacheType type, int64_t batch);
};

/// Supplies the value of the parameter `name` stored under `key`, of type
/// `type`; fails (with a diagnostic at `loc`) if it cannot.
using ParamProvider = std::function<FailureOr<HostTensor>(
    StringRef name, StringRef key, RankedTensorType type, Location loc)>;

/// Parameters drawn from a seeded normal distribution per key, so every run
/// of the same graph sees the same weights (layer-norm gammas near 1).
ParamProvider randomParams(uint64_t seed);

/// Runs `func` on `args`; fails with a diagnostic on the first op it cannot
/// evaluate or on a shape error found at run time.
FailureOr<std::vector<RtValue>> interpret(func::FuncOp func,
                                          ArrayRef<RtValue> args,
                                          const ParamProvider &params);

/// Relative L2 distance ||a - b|| / ||b|| (inf if shapes differ).
double relativeL2(const HostTensor &a, const HostTensor &b);

} // namespace mlir::xf

#endif // XF_DIALECT_XFINTERPRETER_H
