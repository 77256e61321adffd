//===- GPT2Builder.h - GPT-2 checkpoints to xf ------------------*- C++ -*-===//
//
// Private to the frontend: builds the primitive xf graph of a GPT-2
// (GPT2LMHeadModel) checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_GPT2BUILDER_H
#define XF_FRONTEND_GPT2BUILDER_H

#include "frontend/readers/Checkpoint.h"
#include "frontend/Importer.h"

#include <nlohmann/json.hpp>

namespace mlir::xf {

OwningOpRef<ModuleOp> buildGPT2(MLIRContext &context, const nlohmann::json &config,
                                const ::xf::readers::Checkpoint &checkpoint,
                                const ImportOptions &options, std::string &error);

} // namespace mlir::xf

#endif // XF_FRONTEND_GPT2BUILDER_H
