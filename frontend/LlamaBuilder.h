//===- LlamaBuilder.h - LLaMA and Mistral checkpoints to xf -----*- C++ -*-===//
//
// Private to the frontend: builds the primitive xf graph of a LlamaForCausalLM
// or MistralForCausalLM checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_LLAMABUILDER_H
#define XF_FRONTEND_LLAMABUILDER_H

#include "frontend/Importer.h"
#include "frontend/readers/Checkpoint.h"

#include <nlohmann/json.hpp>

namespace mlir::xf {

/// `modelType` is "llama", "mistral" (sliding-window attention) or "mixtral"
/// (sparse mixture-of-experts MLP, optional sliding window).
OwningOpRef<ModuleOp> buildLlama(MLIRContext &context, const std::string &modelType,
                                 const nlohmann::json &config,
                                 const ::xf::readers::Checkpoint &checkpoint,
                                 const ImportOptions &options, std::string &error);

} // namespace mlir::xf

#endif // XF_FRONTEND_LLAMABUILDER_H
