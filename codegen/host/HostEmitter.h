//===- HostEmitter.h - entry points to host C++ -----------------*- C++ -*-===//
//
// Translates the host program left after kernel outlining (the entry points:
// forward, or prefill + decode) into C++ that allocates each value, calls the
// Halide kernels in order, and hands the model's facts to the runtime's main.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_HOST_HOSTEMITTER_H
#define XF_CODEGEN_HOST_HOSTEMITTER_H

#include "dialect/XfDialect.h"

#include <string>

namespace mlir::xf {

struct HostOptions {
  std::string modelName = "model";
  /// Overrides the checkpoint path recorded in xf.model when non-empty.
  std::string weights;
  /// The kernels' GPU API ("cuda", "opencl"), or "" when they run on the CPU.
  std::string deviceApi;
};

/// Writes the host C++ of `module` into `out`; fails with a diagnostic on an
/// op the host program cannot run.
LogicalResult emitHostCpp(ModuleOp module, const HostOptions &options, std::string &out);

} // namespace mlir::xf

#endif // XF_CODEGEN_HOST_HOSTEMITTER_H
