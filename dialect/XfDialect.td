//===- XfDialect.td - the xf dialect ---------------------------*- tablegen -*-===//
//
// The xf dialect describes Transformer models at the level of the ops a
// checkpoint computes (embedding gather, linear, layer norm, softmax, the
// reshapes of multi-head attention) and the fused ops the passes make of them
// (attention with a structured mask, KV-cache appends).
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFDIALECT_TD
#define XF_DIALECT_XFDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Xf_Dialect : Dialect {
  let name = "xf";
  let cppNamespace = "::mlir::xf";
  let summary = "Transformer models: primitives, fused attention, KV-cache";
  let description = [{
    Graph-level ops work on builtin tensors with dynamic batch and sequence
    dimensions. Model facts (kind, vocabulary size, eos ids, maximum sequence
    length, checkpoint path) live in the module attribute `xf.model`.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class Xf_Op<string mnemonic, list<Trait> traits = []>
    : Op<Xf_Dialect, mnemonic, traits>;

#endif // XF_DIALECT_XFDIALECT_TD
