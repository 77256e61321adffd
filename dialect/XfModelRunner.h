//===- XfModelRunner.h - run a model's entry points, any split --*- C++ -*-===//
//
// Runs an xf model with the reference interpreter through whichever entry
// points it has at this point of the pipeline: @forward, or @prefill and
// @decode (decoders), or @encode, @prefill and @decode (encoder-decoders),
// and returns the same thing every time: the output rows of each sequence.
// A pass keeps the numbers when these agree before and after it.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFMODELRUNNER_H
#define XF_DIALECT_XFMODELRUNNER_H

#include "dialect/XfInterpreter.h"

namespace mlir::xf {

struct ModelInputs {
  /// Token ids per sequence (a ragged batch).
  std::vector<std::vector<int64_t>> ids;
  /// Decoder ids per sequence (encoder-decoder models).
  std::vector<std::vector<int64_t>> decoderIds;
  /// Decoders with caches: how many tokens prefill takes; the rest are
  /// decoded one at a time (0: all in prefill).
  size_t prefillLength = 0;
};

/// The outputs of every sequence, concatenated: [rows, width] as a flat
/// tensor (logits for decoders and encoder-decoders, hidden states for
/// encoders). Fails with a diagnostic if the module's entry points are not
/// one of the known shapes or the interpreter fails.
FailureOr<HostTensor> runModel(ModuleOp module, const ModelInputs &inputs,
                               const ParamProvider &params);

/// Random ids below `vocab`: `count` sequences of lengths from `lengths`.
ModelInputs randomInputs(int64_t vocab, ArrayRef<size_t> lengths, uint64_t seed);

} // namespace mlir::xf

#endif // XF_DIALECT_XFMODELRUNNER_H
