//===- T5Builder.h - T5 checkpoints to xf -----------------------*- C++ -*-===//
//
// Private to the frontend: builds the primitive xf graph of a
// T5ForConditionalGeneration checkpoint (v1.0 and v1.1).
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_T5BUILDER_H
#define XF_FRONTEND_T5BUILDER_H

#include "frontend/Importer.h"
#include "frontend/readers/Checkpoint.h"

#include <nlohmann/json.hpp>

namespace mlir::xf {

OwningOpRef<ModuleOp> buildT5(MLIRContext &context, const nlohmann::json &config,
                              const ::xf::readers::Checkpoint &checkpoint,
                              const ImportOptions &options, std::string &error);

} // namespace mlir::xf

#endif // XF_FRONTEND_T5BUILDER_H
