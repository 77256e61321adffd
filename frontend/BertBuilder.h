//===- BertBuilder.h - BERT checkpoints to xf -------------------*- C++ -*-===//
//
// Private to the frontend: builds the primitive xf graph of a BertModel
// checkpoint (or the BertModel inside a BertFor* checkpoint).
//
//===----------------------------------------------------------------------===//

#ifndef XF_FRONTEND_BERTBUILDER_H
#define XF_FRONTEND_BERTBUILDER_H

#include "frontend/Importer.h"
#include "frontend/readers/Checkpoint.h"

#include <nlohmann/json.hpp>

namespace mlir::xf {

OwningOpRef<ModuleOp> buildBert(MLIRContext &context, const nlohmann::json &config,
                                const ::xf::readers::Checkpoint &checkpoint,
                                const ImportOptions &options, std::string &error);

} // namespace mlir::xf

#endif // XF_FRONTEND_BERTBUILDER_H
