//===- XfAttrs.td - xf attributes and types --------------------*- tablegen -*-===//
//
// Mask kinds of the attention op, comparison predicates, KV-cache layouts,
// the typed KV-cache, and the panel layout of packed GEMM weights.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFATTRS_TD
#define XF_DIALECT_XFATTRS_TD

include "dialect/XfDialect.td"

def Xf_MaskKind : I32EnumAttr<"MaskKind", "structured attention mask", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"causal", 1>,
    I32EnumAttrCase<"sliding_window", 2>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::xf";
}
def Xf_MaskKindAttr : EnumAttr<Xf_Dialect, Xf_MaskKind, "mask">;

def Xf_ComparePredicate : I32EnumAttr<"ComparePredicate", "integer comparison", [
    I32EnumAttrCase<"lt", 0>,
    I32EnumAttrCase<"le", 1>,
    I32EnumAttrCase<"gt", 2>,
    I32EnumAttrCase<"ge", 3>,
    I32EnumAttrCase<"eq", 4>,
    I32EnumAttrCase<"ne", 5>
  ]> {
  let cppNamespace = "::mlir::xf";
}

def Xf_CacheLayout : I32EnumAttr<"CacheLayout", "KV-cache layout", [
    I32EnumAttrCase<"contiguous", 0>,
    I32EnumAttrCase<"ring", 1>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::xf";
}
def Xf_CacheLayoutAttr : EnumAttr<Xf_Dialect, Xf_CacheLayout, "cache_layout">;

def Xf_KVCacheType : TypeDef<Xf_Dialect, "KVCache"> {
  let mnemonic = "kv_cache";
  let summary = "per-layer key or value cache";
  let description = [{
    Holds `capacity` positions of `heads` x `head_dim` elements for every
    sequence of the batch (batch is dynamic). Memory layout [batch, heads,
    capacity, head_dim].

    ```mlir
    !xf.kv_cache<contiguous, 4, 64, 16, f32>
    ```
  }];
  let parameters = (ins "CacheLayout":$layout, "int64_t":$heads,
                        "int64_t":$capacity, "int64_t":$headDim,
                        "Type":$elementType);
  let assemblyFormat = "`<` $layout `,` $heads `,` $capacity `,` $headDim `,` $elementType `>`";
  let genVerifyDecl = 1;
}

def Xf_PanelsAttr : AttrDef<Xf_Dialect, "Panels"> {
  let mnemonic = "panels";
  let summary = "tensor encoding: a [K, N] weight stored in panels of `width` columns";
  let description = [{
    The storage layout of a packed GEMM weight, as the encoding of its
    tensor type. The value is the [K, N] tensor its shape says (the
    reference interpreter and every verifier see that); the executable
    stores it as ceil(N / width) panels, each [K, width] row-major, columns
    past N zero, so a GEMM reads each panel as one contiguous stream.

    ```mlir
    %w = xf.param "h.0.mlp.c_fc" from "h.0.mlp.c_fc.weight" {transposed}
        : tensor<768x3072xf32, #xf.panels<64>>
    ```
  }];
  let parameters = (ins "int64_t":$width);
  let assemblyFormat = "`<` $width `>`";
  let genVerifyDecl = 1;
}

#endif // XF_DIALECT_XFATTRS_TD
