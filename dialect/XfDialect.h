//===- XfDialect.h - the xf dialect -----------------------------*- C++ -*-===//
//
// The one header to include for the xf dialect: dialect, enums, types, ops.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFDIALECT_H
#define XF_DIALECT_XFDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/XfDialect.h.inc"
#include "dialect/XfEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/XfAttrs.h.inc"
#define GET_TYPEDEF_CLASSES
#include "dialect/XfTypes.h.inc"
#define GET_OP_CLASSES
#include "dialect/XfOps.h.inc"

namespace mlir::xf {

/// Name of the module attribute that holds the model's facts.
constexpr llvm::StringLiteral kModelAttrName = "xf.model";
/// On an entry point's cache argument: the cache's number, the same in every
/// entry point of the module (the runtime allocates caches by number).
constexpr llvm::StringLiteral kCacheSlotAttrName = "xf.cache_slot";
/// Marks a function made by kernel outlining.
constexpr llvm::StringLiteral kKernelAttrName = "xf.kernel";
/// On a kernel call in an entry point: the activation buffer its result is
/// written to (memory planning); calls without it allocate their result.
constexpr llvm::StringLiteral kBufferAttrName = "xf.buffer";

/// Ops whose result is a view of their first operand's storage (the host
/// program moves no data for them): memory planning, its check in the
/// interpreter and the host emitter all follow views to their base.
inline bool isStorageView(Operation *op) { return isa<ReshapeOp, SliceOp>(op); }

/// The panel width of a weight stored in panels (its tensor type's
/// `#xf.panels<width>` encoding), or 0 for a plain row-major tensor.
int64_t panelWidth(Type type);

/// The model facts the runtime needs, read from `xf.model`.
struct ModelInfo {
  std::string kind;            // "decoder", "encoder" or "encoder-decoder"
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t maxSeq = 0;
  std::vector<int64_t> eosTokenIds;
  std::string checkpoint;
  int64_t decoderStartTokenId = -1; // encoder-decoder models
};

/// Reads `xf.model` from a module; emits an error at the module and fails if
/// it is missing or malformed.
FailureOr<ModelInfo> getModelInfo(ModuleOp module);

} // namespace mlir::xf

#endif // XF_DIALECT_XFDIALECT_H
