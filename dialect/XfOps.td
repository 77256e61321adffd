//===- XfOps.td - xf operations --------------------------------*- tablegen -*-===//
//
// The ops of the xf dialect, grouped under banners: parameters, positions and
// embeddings, linear algebra, normalisation, activations, shape ops, masks,
// attention, KV-cache. Verifiers live in XfOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_XFOPS_TD
#define XF_DIALECT_XFOPS_TD

include "dialect/XfDialect.td"
include "dialect/XfAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Xf_F32Tensor : TensorOf<[F32]>;
def Xf_I64Tensor : TensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Xf_ParamOp : Xf_Op<"param", [Pure]> {
  let summary = "a model parameter, read from the checkpoint";
  let description = [{
    Declares a weight by its canonical `name`, its static type and the `key`
    of the tensor in the checkpoint. The executable maps the checkpoint at
    start-up and converts the stored dtype (F32, F16, BF16) to f32 once. With
    `transposed` (a 2-D weight) the result is the checkpoint tensor
    transposed, also done once at load (weight packing); its type may then
    carry the `#xf.panels<W>` storage encoding (the GEMM's panel layout).

    ```mlir
    %wte = xf.param "wte" from "transformer.wte.weight" : tensor<101x64xf32>
    %wt = xf.param "lm_head" from "lm_head.weight" {transposed} : tensor<64x101xf32>
    %wp = xf.param "lm_head" from "lm_head.weight" {transposed}
        : tensor<64x101xf32, #xf.panels<64>>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$key, UnitAttr:$transposed);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$name `from` $key attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Xf_ParamStackOp : Xf_Op<"param_stack", [Pure]> {
  let summary = "checkpoint tensors stacked along a new leading dimension";
  let description = [{
    Declares one parameter made of several checkpoint tensors of the same
    shape, stacked in order (e.g. the experts of a mixture-of-experts layer):
    the result is [len(keys), ...]. The executable stacks them once, at load.

    ```mlir
    %w1 = xf.param_stack "model.layers.0.block_sparse_moe.w1"
        from ["model.layers.0.block_sparse_moe.experts.0.w1.weight",
              "model.layers.0.block_sparse_moe.experts.1.w1.weight"] : tensor<2x96x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrArrayAttr:$keys);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$name `from` $keys attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Xf_ParamConcatOp : Xf_Op<"param_concat", [Pure]> {
  let summary = "checkpoint tensors concatenated along their leading dimension";
  let description = [{
    Declares one parameter made of several checkpoint tensors that agree in
    every dimension but the first, concatenated in order along it; `sizes`
    holds each part's leading size. Projection merging declares the Q, K and
    V weights of one input as one [Nq + Nk + Nv, K] weight this way. With
    `transposed` (2-D parts) the result is the concatenation transposed,
    [K, Nq + Nk + Nv]. The executable assembles it once, at load.

    ```mlir
    %w = xf.param_concat "qkv" from ["q.weight", "k.weight", "v.weight"] sizes [64, 32, 32]
        : tensor<128x64xf32>
    %b = xf.param_concat "qkv.bias" from ["q.bias", "k.bias"] sizes [64, 32] : tensor<96xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrArrayAttr:$keys, DenseI64ArrayAttr:$sizes,
                       UnitAttr:$transposed);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$name `from` $keys `sizes` $sizes attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Positions and embeddings
//===----------------------------------------------------------------------===//

def Xf_PositionIdsOp : Xf_Op<"position_ids", [Pure, AllTypesMatch<["ids", "result"]>]> {
  let summary = "positions of the tokens of each sequence";
  let description = [{
    `result[b, s] = offset + s` for ids of shape [batch, seq]. Without an
    offset the positions start at 0.

    ```mlir
    %pos = xf.position_ids %ids : tensor<?x?xi64>
    %pos2 = xf.position_ids %ids offset %start : tensor<?x1xi64>
    ```
  }];
  let arguments = (ins Xf_I64Tensor:$ids, Optional<Index>:$offset);
  let results = (outs Xf_I64Tensor:$result);
  let assemblyFormat = "$ids (`offset` $offset^)? attr-dict `:` type($ids)";
  let hasVerifier = 1;
}

def Xf_EmbeddingOp : Xf_Op<"embedding", [Pure]> {
  let summary = "gather rows of an embedding table";
  let description = [{
    `result[b, s, :] = table[ids[b, s], :]` with table [vocab, dim].

    ```mlir
    %x = xf.embedding %wte[%ids] : tensor<101x64xf32>, tensor<?x?xi64> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$table, Xf_I64Tensor:$ids);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Xf_LinearOp : Xf_Op<"linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "x @ w (+ bias), then an optional activation and residual";
  let description = [{
    `x` is [..., K]; `w` is [K, N], or [N, K] with `transpose_w` (the layout of
    torch.nn.Linear and of a tied lm_head). The optional `bias` is [N]. The
    epilogue, filled by epilogue fusion, applies `activation` (gelu_tanh,
    gelu, silu or relu) and then adds `residual` (the result's shape):
    `result = act(x @ w + bias) + residual`, all inside the GEMM kernel.
    With a `gate` weight (w's shape and layout; a gated MLP, fused), the
    activation applies to the gate's product instead and multiplies:
    `result = act(x @ gate) * (x @ w + bias) + residual`, both products
    accumulated in one pass over x.

    ```mlir
    %y = xf.linear %x, %w : tensor<?x?x64xf32>, tensor<64x192xf32> -> tensor<?x?x192xf32>
    %l = xf.linear %h, %wte {transpose_w} : tensor<?x?x64xf32>, tensor<101x64xf32> -> tensor<?x?x101xf32>
    %f = xf.linear %h, %w bias %b {activation = "gelu_tanh"}
        : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<256xf32> -> tensor<?x?x256xf32>
    %o = xf.linear %a, %wo residual %h
        : tensor<?x?x64xf32>, tensor<64x64xf32> residual tensor<?x?x64xf32> -> tensor<?x?x64xf32>
    %m = xf.linear %h, %wup gate %wgate {activation = "silu"}
        : tensor<?x?x64xf32>, tensor<64x256xf32> gate tensor<64x256xf32> -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$x, Xf_F32Tensor:$w,
                       Optional<Xf_F32Tensor>:$bias, Optional<Xf_F32Tensor>:$residual,
                       Optional<Xf_F32Tensor>:$gate,
                       UnitAttr:$transpose_w, OptionalAttr<StrAttr>:$activation);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = [{
    $x `,` $w (`bias` $bias^)? (`residual` $residual^)? (`gate` $gate^)? attr-dict `:`
    type($x) `,` type($w) (`,` type($bias)^)? (`residual` type($residual)^)?
    (`gate` type($gate)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "Type":$result, "Value":$x, "Value":$w, "Value":$bias,
                                 "UnitAttr":$transpose_w), [{
    build($_builder, $_state, result, x, w, bias, Value(), Value(), transpose_w, StringAttr());
  }]>];
}

def Xf_MatmulOp : Xf_Op<"matmul", [Pure]> {
  let summary = "batched matrix product";
  let description = [{
    `a` is [..., M, K] and `b` is [..., K, N] with the same leading (batch)
    dimensions; the result is [..., M, N].

    ```mlir
    %s = xf.matmul %q, %kt : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32> -> tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$a, Xf_F32Tensor:$b);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($result)";
  let hasVerifier = 1;
}

class Xf_ElementwiseBinaryOp<string mnemonic>
    : Xf_Op<mnemonic, [Pure, AllTypesMatch<["lhs", "result"]>]> {
  let description = [{
    `rhs` broadcasts against `lhs`, aligned at the last dimension: its rank is
    at most `lhs`'s and each of its dimensions is either `lhs`'s or a static 1
    (a bias [N] against [B, S, N], a mask [S, S] or [B, 1, 1, S] against
    [B, H, S, S]). The result has `lhs`'s type.
  }];
  let arguments = (ins Xf_F32Tensor:$lhs, Xf_F32Tensor:$rhs);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def Xf_AddOp : Xf_ElementwiseBinaryOp<"add"> {
  let summary = "elementwise sum with suffix broadcasting";
}

def Xf_MulOp : Xf_ElementwiseBinaryOp<"mul"> {
  let summary = "elementwise product with suffix broadcasting";
}

def Xf_ScaleOp : Xf_Op<"scale", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "multiply by a constant";
  let description = [{
    ```mlir
    %y = xf.scale %x by 2.500000e-01 : tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, F32Attr:$factor);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($input)";
}

def Xf_MoeOp : Xf_Op<"moe", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "sparse mixture of SiLU-gated experts (Mixtral)";
  let description = [{
    For each token x [H]: router probabilities `p = softmax(gate x)` over E
    experts; the `top_k` largest, renormalised to sum to 1, weight the
    outputs `w2[e] (silu(w1[e] x) * (w3[e] x))` of the selected experts only.
    gate is [E, H], w1 and w3 are [E, I, H], w2 is [E, H, I].

    ```mlir
    %y = xf.moe %x, %gate, %w1, %w2, %w3 top_k 2 : tensor<?x?x64xf32>, tensor<4x64xf32>,
        tensor<4x96x64xf32>, tensor<4x64x96xf32>, tensor<4x96x64xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, Xf_F32Tensor:$gate, Xf_F32Tensor:$w1,
                       Xf_F32Tensor:$w2, Xf_F32Tensor:$w3, I64Attr:$top_k);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $w1 `,` $w2 `,` $w3 `top_k` $top_k attr-dict `:` type($input) `,`
    type($gate) `,` type($w1) `,` type($w2) `,` type($w3)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def Xf_LayerNormOp : Xf_Op<"layer_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalisation over the last dimension";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma + beta`, with the biased variance
    as torch.nn.LayerNorm computes it. gamma and beta are [D].

    ```mlir
    %y = xf.layer_norm %x, %g, %b eps 1.000000e-05 : tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, Xf_F32Tensor:$gamma,
                       Xf_F32Tensor:$beta, F32Attr:$epsilon);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `,` $gamma `,` $beta `eps` $epsilon attr-dict `:` type($input) `,` type($gamma) `,` type($beta)";
  let hasVerifier = 1;
}

def Xf_RmsNormOp : Xf_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalisation over the last dimension (no mean, no bias)";
  let description = [{
    `x * rsqrt(mean(x^2) + epsilon) * weight`, as LLaMA's and T5's RMSNorm
    compute it in float32. weight is [D].

    ```mlir
    %y = xf.rms_norm %x, %w eps 9.99999997E-7 : tensor<?x?x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, Xf_F32Tensor:$weight, F32Attr:$epsilon);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight `eps` $epsilon attr-dict `:` type($input) `,` type($weight)";
  let hasVerifier = 1;
}

def Xf_SoftmaxOp : Xf_Op<"softmax", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "softmax over the last dimension";
  let description = [{
    ```mlir
    %p = xf.softmax %s : tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def Xf_GeluOp : Xf_Op<"gelu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "GELU, exact (erf) or with the tanh approximation";
  let description = [{
    With `approximate = "tanh"` this is HF's `gelu_new`:
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`; with `"none"` it is
    `0.5 x (1 + erf(x / sqrt 2))`.

    ```mlir
    %y = xf.gelu %x approximate "tanh" : tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, StrAttr:$approximate);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `approximate` $approximate attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Xf_SiluOp : Xf_Op<"silu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "SiLU (swish): x * sigmoid(x)";
  let description = [{
    ```mlir
    %y = xf.silu %x : tensor<?x?x96xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Xf_ReluOp : Xf_Op<"relu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "max(x, 0)";
  let description = [{
    ```mlir
    %y = xf.relu %x : tensor<?x?x128xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Positions
//===----------------------------------------------------------------------===//

def Xf_RopeOp : Xf_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding, Hugging Face rotate_half layout";
  let description = [{
    For x [B, H, S, D] and positions [B, S]: with
    `inv_freq[i] = 1 / theta^(2i / D)` and `angle = position * inv_freq[i mod D/2]`,
    `result = x * cos(angle) + rotate_half(x) * sin(angle)`, where
    `rotate_half(x) = concat(-x[D/2:], x[:D/2])`.

    ```mlir
    %q = xf.rope %x, %pos theta 1.000000e+04 : tensor<?x4x?x16xf32>, tensor<?x?xi64>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, Xf_I64Tensor:$positions, F32Attr:$theta);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `,` $positions `theta` $theta attr-dict `:` type($input) `,` type($positions)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def Xf_ReshapeOp : Xf_Op<"reshape", [Pure]> {
  let summary = "reshape keeping the leading dynamic dimensions";
  let description = [{
    The leading dynamic dimensions (batch, sequence) pass through unchanged;
    the static trailing dimensions are regrouped (split heads, merge heads).
    Row-major order of the elements is kept, so this never moves data.

    ```mlir
    %h = xf.reshape %x : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_TransposeOp : Xf_Op<"transpose", [Pure]> {
  let summary = "permute dimensions";
  let description = [{
    `result` dimension i is `input` dimension `permutation[i]`.

    ```mlir
    %t = xf.transpose %x [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_SliceOp : Xf_Op<"slice", [Pure]> {
  let summary = "a static window along one static dimension";
  let description = [{
    `result = input[..., start : start + size, ...]` along `axis`.

    ```mlir
    %q = xf.slice %qkv axis 2 [0, 64] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, I64Attr:$axis, I64Attr:$start, I64Attr:$size);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `axis` $axis `[` $start `,` $size `]` attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_RepeatHeadsOp : Xf_Op<"repeat_heads", [Pure]> {
  let summary = "repeat each key/value head (grouped-query attention)";
  let description = [{
    x [B, KVH, S, D] -> [B, KVH * repeats, S, D] where result head h is input
    head `h / repeats` (HF's repeat_kv). Attention fusion absorbs it, so K and
    V are never duplicated in memory.

    ```mlir
    %k4 = xf.repeat_heads %k by 2 : tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$input, I64Attr:$repeats);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$input `by` $repeats attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

def Xf_IotaOp : Xf_Op<"iota", [Pure]> {
  let summary = "the positions 0, 1, ..., n - 1 along one dimension of a tensor";
  let description = [{
    An i64 tensor holding `ref`'s extent along `dim` positions, laid along
    the result's one dimension that is not of static size 1 (its axis), so
    `[S, 1]` is a column of query positions and `[1, S]` a row of key
    positions: the building block of masks written from positions
    (`torch.arange(seq)[:, None]`), which mask specialisation recognises.

    ```mlir
    %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
    %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$ref, I64Attr:$dim);
  let results = (outs Xf_I64Tensor:$result);
  let assemblyFormat = "$ref `dim` $dim attr-dict `:` type($ref) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result dimension the positions run along.
    int64_t getAxis();
  }];
}

def Xf_CompareOp : Xf_Op<"compare", [Pure]> {
  let summary = "elementwise `lhs <predicate> rhs + offset` of i64 tensors";
  let description = [{
    Both operands have the result's rank; a dimension of static size 1 in
    either broadcasts. The optional `offset` (default 0) is added to `rhs`.
    A causal mask is `compare le` of key positions [1, S] against query
    positions [S, 1]; a sliding window adds `compare gt ... offset -w`.

    ```mlir
    %keep = xf.compare le %key, %query : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
    %near = xf.compare gt %key, %query offset -4 : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Xf_ComparePredicate:$predicate, Xf_I64Tensor:$lhs, Xf_I64Tensor:$rhs,
                       OptionalAttr<I64Attr>:$offset);
  let results = (outs TensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate $lhs `,` $rhs (`offset` $offset^)? attr-dict `:` type($lhs) `,` type($rhs)
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getOffsetValue() { return getOffsetAttr() ? getOffsetAttr().getInt() : 0; }
  }];
}

def Xf_SelectOp : Xf_Op<"select", [Pure]> {
  let summary = "one of two constants per element of a condition";
  let description = [{
    `result = cond ? true_value : false_value`, an f32 tensor of the
    condition's shape: an additive mask is `select %keep, 0.0, <lowest f32>`.

    ```mlir
    %mask = xf.select %keep, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I1]>:$cond, F32Attr:$true_value, F32Attr:$false_value);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $true_value `,` $false_value attr-dict `:` type($cond) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Xf_PaddingMaskOp : Xf_Op<"padding_mask", [Pure]> {
  let summary = "an explicit additive key-padding mask from sequence lengths";
  let description = [{
    For lengths [B] and ids [B, S]: `result[b, 0, 0, j] = 0` where
    `j < lengths[b]`, else the lowest f32 (HF's extended attention mask).
    Attention fusion turns it into the attention's `key_lengths`, so padded
    keys are never computed.

    ```mlir
    %m = xf.padding_mask %lengths, %ids : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x1x1x?xf32>
    ```
  }];
  let arguments = (ins Xf_I64Tensor:$lengths, Xf_I64Tensor:$ids);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$lengths `,` $ids attr-dict `:` type($lengths) `,` type($ids) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_SlidingWindowMaskOp : Xf_Op<"sliding_window_mask", [Pure]> {
  let summary = "an explicit [seq, seq] causal band mask tensor";
  let description = [{
    For ids [batch, seq]: `result[i, j] = 0` where `j <= i` and `i - j < window`
    (the query and the window - 1 keys before it), else the lowest f32.

    ```mlir
    %m = xf.sliding_window_mask %ids window 4096 : tensor<?x?xi64> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Xf_I64Tensor:$ids, I64Attr:$window);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$ids `window` $window attr-dict `:` type($ids) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_CausalMaskOp : Xf_Op<"causal_mask", [Pure]> {
  let summary = "an explicit [seq, seq] causal mask tensor";
  let description = [{
    For ids [batch, seq]: `result[i, j] = 0` where `j <= i`, else the lowest
    f32 (as Hugging Face masks). The mask-specialisation pass replaces its use
    by an attention op with `mask = causal`, so no [seq, seq] tensor is left.

    ```mlir
    %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Xf_I64Tensor:$ids);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$ids attr-dict `:` type($ids) `->` type($result)";
  let hasVerifier = 1;
}

def Xf_RelativePositionBiasOp : Xf_Op<"relative_position_bias", [Pure]> {
  let summary = "T5's bucketed relative position bias, as an explicit tensor";
  let description = [{
    `result[h, i, j] = table[bucket(j - i), h]` for i < len(query ids) and
    j < len(key ids), with Hugging Face's `_relative_position_bucket`
    (bidirectional: half the buckets per direction). Attention fusion moves it
    into the attention op, which computes it per score and never stores it.

    ```mlir
    %b = xf.relative_position_bias %table, %ids, %ids bidirectional buckets 32 max_distance 128
        : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$table, Xf_I64Tensor:$query_ids, Xf_I64Tensor:$key_ids,
                       UnitAttr:$bidirectional, I64Attr:$buckets, I64Attr:$max_distance);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = [{
    $table `,` $query_ids `,` $key_ids (`bidirectional` $bidirectional^)? `buckets` $buckets
    `max_distance` $max_distance attr-dict `:` type($table) `,` type($query_ids) `,`
    type($key_ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Xf_AttentionOp : Xf_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with a structured mask";
  let description = [{
    `softmax(scale * q k^T + mask) v` per batch and head. q is [B, H, Sq, D],
    k and v are [B, H, Sk, D]. `mask_kind = causal` lets query i see keys
    `j <= i + (Sk - Sq)` (aligned at the end, so one decode query sees every
    cached key); `mask_kind sliding_window` also requires
    `(i + Sk - Sq) - j < window`. The optional `mask` operand is a tensor added
    to the scores ([Sq, Sk], broadcast over batch and heads); mask
    specialisation removes it. k and v may have fewer heads than q
    (grouped-query attention): q head h reads kv head `h / (H / KVH)`.
    With a `bias_table` ([buckets, H]) and `bias_buckets`/`bias_max_distance`
    (and `bias_bidirectional`), T5's relative position bias
    `table[bucket(j - (i + Sk - Sq)), h]` is added to every score. With
    `key_lengths` ([B]) keys `j >= key_lengths[b]` are masked (padding).
    With `q_rope` positions ([B, Sq]) and `q_rope_theta`, q is rotated first
    as `xf.rope` would (HF rotate_half), inside the kernel as q is loaded.

    ```mlir
    %o = xf.attention %q, %k, %v mask_kind causal scale 2.500000e-01
        : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Xf_F32Tensor:$q, Xf_F32Tensor:$k, Xf_F32Tensor:$v,
                       Optional<Xf_F32Tensor>:$mask, Optional<Xf_F32Tensor>:$bias_table,
                       Optional<Xf_I64Tensor>:$key_lengths,
                       Optional<Xf_I64Tensor>:$q_positions,
                       Xf_MaskKindAttr:$mask_kind, F32Attr:$scale,
                       OptionalAttr<I64Attr>:$window, OptionalAttr<I64Attr>:$bias_buckets,
                       OptionalAttr<I64Attr>:$bias_max_distance, UnitAttr:$bias_bidirectional,
                       OptionalAttr<F32Attr>:$q_rope_theta);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`bias` `(` $bias_table^ `:` type($bias_table) `)`)?
    (`key_lengths` `(` $key_lengths^ `:` type($key_lengths) `)`)?
    (`q_rope` `(` $q_positions^ `:` type($q_positions) `)`)? `mask_kind` $mask_kind `scale` $scale attr-dict
    `:` type($q) `,` type($k) `,` type($v) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// KV-cache
//===----------------------------------------------------------------------===//

def Xf_CacheAppendOp : Xf_Op<"cache_append", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "write new keys or values into a cache, read back the prefix";
  let description = [{
    Writes `update` ([B, H, S, D]) into positions [position, position + S) of
    `cache` and returns positions [0, position + S) of it as a tensor. A ring
    cache of capacity W stores position p in slot p mod W and returns its
    first min(position + S, W) slots (the order of keys does not matter to
    attention once their positions are encoded).

    ```mlir
    %k_all = xf.cache_append %kc[%pos], %k : !xf.kv_cache<contiguous, 4, 64, 16, f32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Xf_KVCacheType:$cache, Index:$position, Xf_F32Tensor:$update);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$cache `[` $position `]` `,` $update attr-dict `:` qualified(type($cache)) `,` type($update) `->` type($result)";
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "Value":$cache, "Value":$position, "Value":$update), [{
    auto t = ::llvm::cast<RankedTensorType>(update.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[2] = ShapedType::kDynamic;
    build($_builder, $_state, RankedTensorType::get(shape, t.getElementType()), cache, position, update);
  }]>];
}

def Xf_CacheReadOp : Xf_Op<"cache_read", [MemoryEffects<[MemRead]>]> {
  let summary = "read the first `length` positions of a cache";
  let description = [{
    Returns positions [0, length) of `cache` as a tensor [B, H, length, D]:
    how a decoder reads the cross-attention keys and values that `encode`
    computed once per request.

    ```mlir
    %k = xf.cache_read %kc[%len] : !xf.kv_cache<contiguous, 4, 64, 16, f32> -> tensor<?x4x?x16xf32>
    ```
  }];
  let arguments = (ins Xf_KVCacheType:$cache, Index:$length);
  let results = (outs Xf_F32Tensor:$result);
  let assemblyFormat = "$cache `[` $length `]` attr-dict `:` qualified(type($cache)) `->` type($result)";
  let hasVerifier = 1;
}

#endif // XF_DIALECT_XFOPS_TD

