//===- Importer.h - checkpoints to xf modules -------------------*- C++ -*-===//
//
// Entry point of the frontend: reads a Hugging Face folder (config.json and
// safetensors) and builds the xf module of the model it describes, op by op
// (no fusion), with every weight referenced by its checkpoint key.
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_IMPORTER_H
#define XF_FRONTEND_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::xf {

struct ImportOptions {
  /// Overrides the config's maximum sequence length when > 0 (must not exceed it).
  int64_t maxSeq = 0;
};

/// Imports the model in `path` (a Hugging Face folder). On failure returns
/// null and sets `error` to one sentence that names the file and the problem.
OwningOpRef<ModuleOp> importModel(MLIRContext &context, const std::string &path,
                                  const ImportOptions &options, std::string &error);

} // namespace mlir::xf

#endif // XF_FRONTEND_IMPORTER_H
