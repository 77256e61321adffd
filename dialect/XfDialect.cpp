//===- XfDialect.cpp - the xf dialect ---------------------------*- C++ -*-===//
//
// Registers the dialect's ops and types, and verifies the `xf.model` module
// attribute that carries a model's facts.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::xf;

#include "dialect/XfDialect.cpp.inc"
#include "dialect/XfEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialect/XfAttrs.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "dialect/XfTypes.cpp.inc"

void XfDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/XfOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/XfAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialect/XfTypes.cpp.inc"
      >();
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  CacheLayout layout, int64_t heads,
                                  int64_t capacity, int64_t headDim,
                                  Type elementType) {
  if (heads <= 0 || capacity <= 0 || headDim <= 0)
    return emitError() << "kv_cache heads, capacity and head_dim must be "
                          "positive, got "
                       << heads << ", " << capacity << ", " << headDim;
  if (!elementType.isF32())
    return emitError() << "kv_cache element type must be f32, got "
                       << elementType;
  return success();
}

LogicalResult PanelsAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t width) {
  if (width <= 0 || width % 16 != 0)
    return emitError() << "panel width must be a positive multiple of 16, got " << width;
  return success();
}

int64_t mlir::xf::panelWidth(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  auto panels = t ? dyn_cast_or_null<PanelsAttr>(t.getEncoding()) : PanelsAttr();
  return panels ? panels.getWidth() : 0;
}

static LogicalResult verifyModelAttr(Operation *op, DictionaryAttr dict) {
  auto kind = dict.getAs<StringAttr>("kind");
  if (!kind)
    return op->emitError("xf.model needs a string 'kind'");
  if (kind.getValue() != "decoder" && kind.getValue() != "encoder" &&
      kind.getValue() != "encoder-decoder")
    return op->emitError("xf.model kind '")
           << kind.getValue() << "' is not supported (supported: decoder, encoder, encoder-decoder)";
  for (StringRef key : {"vocab_size", "hidden_size", "max_seq"}) {
    auto v = dict.getAs<IntegerAttr>(key);
    if (!v || v.getInt() <= 0)
      return op->emitError("xf.model needs a positive integer '") << key << "'";
  }
  if (auto eos = dict.get("eos_token_ids"); eos && !isa<DenseI64ArrayAttr>(eos))
    return op->emitError("xf.model 'eos_token_ids' must be array<i64: ...>");
  if (auto ckpt = dict.get("checkpoint"); ckpt && !isa<StringAttr>(ckpt))
    return op->emitError("xf.model 'checkpoint' must be a string");
  return success();
}

LogicalResult XfDialect::verifyRegionArgAttribute(Operation *op, unsigned, unsigned,
                                                  NamedAttribute attr) {
  if (attr.getName() == kCacheSlotAttrName && isa<IntegerAttr>(attr.getValue()))
    return success();
  return op->emitError("unknown or malformed xf argument attribute '")
         << attr.getName().getValue() << "'";
}

LogicalResult XfDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() == kModelAttrName) {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict || !isa<ModuleOp>(op))
      return op->emitError("xf.model must be a dictionary on a module");
    return verifyModelAttr(op, dict);
  }
  if (attr.getName() == kKernelAttrName)
    return success();
  if (attr.getName() == kBufferAttrName) {
    auto n = dyn_cast<IntegerAttr>(attr.getValue());
    if (!n || n.getInt() < 0 || !isa<func::CallOp>(op) || op->getNumResults() != 1)
      return op->emitError("xf.buffer must be a non-negative integer on a call with one result");
    return success();
  }
  return op->emitError("unknown xf attribute '") << attr.getName().getValue() << "'";
}

FailureOr<ModelInfo> mlir::xf::getModelInfo(ModuleOp module) {
  auto dict = module->getAttrOfType<DictionaryAttr>(kModelAttrName);
  if (!dict) {
    module.emitError("module has no 'xf.model' attribute (kind, vocab_size, "
                     "hidden_size, max_seq, eos_token_ids, checkpoint)");
    return failure();
  }
  if (failed(verifyModelAttr(module, dict)))
    return failure();
  ModelInfo info;
  info.kind = dict.getAs<StringAttr>("kind").getValue().str();
  info.vocabSize = dict.getAs<IntegerAttr>("vocab_size").getInt();
  info.hiddenSize = dict.getAs<IntegerAttr>("hidden_size").getInt();
  info.maxSeq = dict.getAs<IntegerAttr>("max_seq").getInt();
  if (auto eos = dict.getAs<DenseI64ArrayAttr>("eos_token_ids"))
    info.eosTokenIds.assign(eos.asArrayRef().begin(), eos.asArrayRef().end());
  if (auto ckpt = dict.getAs<StringAttr>("checkpoint"))
    info.checkpoint = ckpt.getValue().str();
  if (auto start = dict.getAs<IntegerAttr>("decoder_start_token_id"))
    info.decoderStartTokenId = start.getInt();
  return info;
}
