//===- Passes.td - xf passes -----------------------------------*- tablegen -*-===//
//
// The passes of the xf pipeline, grouped by what they work on. The order they
// run in is described in Pipelines.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_PASSES_TD
#define XF_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def FuseAttention : Pass<"xf-fuse-attention", "ModuleOp"> {
  let summary = "Fuse matmul, scale, mask add, softmax, matmul into xf.attention";
  let description = [{
    Matches `matmul(softmax(add(scale(matmul(q, transpose(k))), mask)), v)`,
    where the scale and the mask add are optional and `transpose` swaps the
    last two dimensions of a rank-4 k, and replaces it by one `xf.attention`
    whose mask is kept as an operand (mask specialisation removes it). Every
    intermediate must have a single user; otherwise a remark says which one
    does not and the chain is left alone. A query rotated by `xf.rope` just
    before the attention (and by nothing else) is rotated inside it instead
    (`q_rope`); rotated keys stay, since the KV-cache stores them rotated.
  }];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numFused", "attention-fused", "Attention chains fused">,
    Statistic<"numRopeFolded", "query-rope-folded", "Query rotations folded into attention">
  ];
}

def FuseEpilogues : Pass<"xf-fuse-epilogues", "ModuleOp"> {
  let summary = "Fold bias adds, activations and residual adds into their GEMM";
  let description = [{
    Rewrites, in this order as they apply: `add(linear(x, w), bias [N])` into
    the linear's bias; `gelu/silu/relu(linear(...))` into its `activation`;
    and `add(linear(...), r)` (either operand order, r of the result's shape)
    into its `residual`, so the GEMM kernel writes `act(x w + b) + r` in one
    pass over the output. The linear's output must have no other user (a
    remark says so when it has), and an epilogue is only added in that order
    (a bias after an activation is left alone). A gated MLP,
    `mul(act(linear(x, wg)), linear(x, wu))`, becomes one
    `linear(x, wu, gate wg)` with the activation on the gate, when the gate
    GEMM has nothing but its activation, both share x and the weight layout,
    and neither output has another user (a remark says which does not hold).
  }];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numBias", "bias-fused", "Bias adds folded into GEMMs">,
    Statistic<"numActivation", "activations-fused", "Activations folded into GEMMs">,
    Statistic<"numResidual", "residuals-fused", "Residual adds folded into GEMMs">,
    Statistic<"numGated", "gated-mlps-fused", "Gated MLPs fused into one GEMM">
  ];
}

def MergeProjections : Pass<"xf-merge-projections", "ModuleOp"> {
  let summary = "Merge the GEMMs that project one input into one GEMM";
  let description = [{
    Linears of the same input in one block, each reading an [out, in]
    checkpoint weight (`transpose_w` on an `xf.param`) with at most a bias in
    its epilogue (all with a bias or all without), become one linear over an
    `xf.param_concat` of their weights (and biases); each former result is a
    `xf.slice` of the merged one. Attention's Q, K and V projections, and the
    cross-attention K and V of every decoder layer of an encoder-decoder,
    merge this way. A GEMM of the same input that cannot join gets a remark
    saying why.
  }];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numMerged", "projections-merged", "Merged projection GEMMs created">,
    Statistic<"numGemms", "gemms-merged", "GEMMs merged into them">
  ];
}

def PackWeights : Pass<"xf-pack-weights", "ModuleOp"> {
  let summary = "Store GEMM weights in the layout the kernel streams";
  let description = [{
    Every linear whose weight (and gate) is a parameter reads a packed
    declaration of it: its type carries `#xf.panels<W>` (`panel-width`, 0
    for none), so the executable stores the [K, N] weight as panels of W
    columns, each [K, W] contiguous, built once at load, and the GEMM streams
    one panel per column tile. A linear with `transpose_w` reads its [N, K]
    weight (torch.nn.Linear's layout, a tied lm_head): the packed declaration
    is also `transposed` ([K, N], transposed once at load) and the linear
    loses `transpose_w`. A [K, N] weight as stored (GPT-2's Conv1D) only
    gains the panels. A parameter also used elsewhere (a tied embedding)
    keeps its original declaration for those uses.
  }];
  let options = [
    Option<"panelWidth", "panel-width", "int64_t", /*default=*/"64",
           "columns per stored panel (a multiple of 16; 0: plain [K, N])">
  ];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numPacked", "weights-packed", "GEMM weights stored transposed">
  ];
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

def SpecializeMasks : Pass<"xf-specialize-masks", "ModuleOp"> {
  let summary = "Turn explicit mask tensors into attention mask attributes";
  let description = [{
    An `xf.attention` whose mask operand keeps exactly the keys `j <= i`
    gets `mask_kind causal`, one that keeps `i - w < j <= i` gets
    `sliding_window` with window w, and the operand goes; the [seq, seq] mask
    tensor is erased when nothing else uses it. Masks are analysed as the band
    of `j - i` they keep: `xf.causal_mask`, `xf.sliding_window_mask`, masks
    written from positions (`select(compare(iota, iota), 0, hidden)` with
    either polarity and operand order, an offset, any hidden value at or below
    -1e4), constant triangular or banded masks of a static square shape, and
    sums of such masks. Other masks are left alone with a remark
    that names the band, or says the construction is not recognised.
  }];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numCausal", "masks-causal", "Masks specialised to causal">
  ];
}

//===----------------------------------------------------------------------===//
// KV-cache
//===----------------------------------------------------------------------===//

def KVCache : Pass<"xf-kv-cache", "ModuleOp"> {
  let summary = "Split a decoder's forward into prefill and decode with KV-caches";
  let description = [{
    For a module whose `xf.model` kind is `decoder`, replaces `@forward(ids)`
    by `@prefill(ids, caches...)` and `@decode(ids, pos, caches...)`. Every
    causal `xf.attention` gets one key and one value cache of type
    `!xf.kv_cache<contiguous, heads, max_seq, head_dim, f32>`: prefill writes
    the prompt's keys and values at position 0 and attends as before; decode
    takes one token at position `pos`, appends its key and value, and attends
    over the cache's first `pos + 1` entries with no mask (one query sees every
    cached key). Position ids in decode start at `pos`. Sliding-window layers
    get ring caches of the window's size. An encoder-decoder's
    `@forward(ids, decoder_ids)` becomes `@encode` (cross-attention keys and
    values computed once per request into caches), `@prefill` and `@decode`
    (decoder self-attention caches). Cache arguments carry `xf.cache_slot`.
  }];
  let dependentDialects = ["::mlir::xf::XfDialect", "::mlir::arith::ArithDialect"];
  let options = [
    Option<"maxSeq", "max-seq", "int64_t", "0",
           "Cache capacity (0: the max_seq of xf.model)">
  ];
  let statistics = [
    Statistic<"numCaches", "kv-caches", "Key and value caches created">
  ];
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def OutlineKernels : Pass<"xf-outline-kernels", "ModuleOp"> {
  let summary = "Move each compute op of the entry points into a kernel function";
  let description = [{
    Every xf compute op in a public function becomes a call to a private
    function marked `xf.kernel` that holds that op alone. Parameters, position
    ids, views (reshapes and slices) and cache appends stay in the host
    program.
  }];
  let dependentDialects = ["::mlir::xf::XfDialect"];
  let statistics = [
    Statistic<"numKernels", "kernels-outlined", "Kernel functions created">
  ];
}

def DedupKernels : Pass<"xf-dedup-kernels", "ModuleOp"> {
  let summary = "Merge structurally identical kernel functions";
  let description = [{
    Kernel functions with the same body (op, attributes and types) are merged
    into the first one; calls are redirected. Identical layers then share one
    compiled kernel per op shape.
  }];
  let statistics = [
    Statistic<"numRemoved", "kernels-deduplicated", "Duplicate kernels removed">
  ];
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

def PlanMemory : Pass<"xf-plan-memory", "ModuleOp"> {
  let summary = "Number the activation buffers of each entry point by liveness";
  let description = [{
    Runs after outlining. Each kernel call's result in an entry point gets
    `xf.buffer = N`: a buffer is reused once the value it held has had its
    last use, and a pointwise kernel (a GEMM's residual epilogue, an
    activation, a scale, an elementwise add or mul) writes its result in place
    over an operand whose last use it is, when no other operand reads the same
    buffer. Returned values and their views get no buffer (they outlive the
    call). The runtime keeps one growable allocation per buffer number, shared
    by the entry points and reused across calls.
  }];
  let statistics = [
    Statistic<"numBuffers", "buffers", "Activation buffers planned">,
    Statistic<"numInPlace", "in-place", "Kernel results written over an operand">
  ];
}

#endif // XF_PASSES_PASSES_TD
