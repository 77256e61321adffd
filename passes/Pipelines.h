//===- Pipelines.h - the named stages of the xf pipeline --------*- C++ -*-===//
//
// The compiler's pipeline as a list of named stages, so that xfc can dump the
// module after each one and list them, and xf-opt can run the same pipeline
// as `--xf-pipeline`.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_PIPELINES_H
#define XF_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::xf {

struct PipelineOptions {
  /// false: only what code generation needs (--no-opt).
  bool optimize = true;
  /// KV-cache capacity; 0 takes max_seq from xf.model.
  int64_t maxSeq = 0;
};

struct PipelineStage {
  std::string name;        // e.g. "fuse-attention"
  std::string description; // one line for --list-pipeline
  std::function<void(OpPassManager &)> addPasses;
};

/// The stages in order. With optimize=false: outline-kernels, dedup-kernels.
std::vector<PipelineStage> getPipelineStages(const PipelineOptions &options);

/// All stages into one pass manager.
void buildXfPipeline(OpPassManager &pm, const PipelineOptions &options);

/// Registers `xf-pipeline` (and `xf-pipeline-no-opt`) for xf-opt.
void registerXfPipelines();

} // namespace mlir::xf

#endif // XF_PASSES_PIPELINES_H
