// RUN: xf-opt %s | xf-opt | FileCheck %s
// RUN: xf-opt %s --mlir-print-op-generic | xf-opt | FileCheck %s

// Every xf op, the !xf.kv_cache type and the xf.model module attribute print
// in a form that parses back to the same IR, custom and generic.

// The model facts survive the round trip (printed with sorted keys).
// CHECK: module attributes {xf.model = {checkpoint = "/tmp/x", eos_token_ids = array<i64: 100>, hidden_size = 64 : i64, kind = "decoder", max_seq = 64 : i64, vocab_size = 101 : i64}}
module attributes {xf.model = {kind = "decoder", vocab_size = 101 : i64, hidden_size = 64 : i64, max_seq = 64 : i64, eos_token_ids = array<i64: 100>, checkpoint = "/tmp/x"}} {

// Parameters, positions and embeddings: position_ids with and without offset.
// CHECK-LABEL: func.func @embed(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[START:.*]]: index)
// CHECK:         %[[WTE:.*]] = xf.param "wte" from "transformer.wte.weight" : tensor<101x64xf32>
// CHECK:         %[[POS:.*]] = xf.position_ids %[[IDS]] : tensor<?x?xi64>
// CHECK:         %[[POS2:.*]] = xf.position_ids %[[IDS]] offset %[[START]] : tensor<?x?xi64>
// CHECK:         %[[X:.*]] = xf.embedding %[[WTE]][%[[IDS]]] : tensor<101x64xf32>, tensor<?x?xi64> -> tensor<?x?x64xf32>
// CHECK:         return %[[X]], %[[POS]], %[[POS2]]
func.func @embed(%ids: tensor<?x?xi64>, %start: index) -> (tensor<?x?x64xf32>, tensor<?x?xi64>, tensor<?x?xi64>) {
  %wte = xf.param "wte" from "transformer.wte.weight" : tensor<101x64xf32>
  %pos = xf.position_ids %ids : tensor<?x?xi64>
  %pos2 = xf.position_ids %ids offset %start : tensor<?x?xi64>
  %x = xf.embedding %wte[%ids] : tensor<101x64xf32>, tensor<?x?xi64> -> tensor<?x?x64xf32>
  return %x, %pos, %pos2 : tensor<?x?x64xf32>, tensor<?x?xi64>, tensor<?x?xi64>
}

// Linear algebra: linear with bias, linear with transpose_w, matmul, add, mul, scale.
// CHECK-LABEL: func.func @linear_algebra(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x64xf32>, %[[A:.*]]: tensor<?x4x?x16xf32>, %[[B:.*]]: tensor<?x4x16x?xf32>, %[[M:.*]]: tensor<?x?xf32>)
// CHECK:         %[[W:.*]] = xf.param "w" from "h.0.attn.c_attn.weight" : tensor<64x192xf32>
// CHECK:         %[[BIAS:.*]] = xf.param "b" from "h.0.attn.c_attn.bias" : tensor<192xf32>
// CHECK:         %[[Y:.*]] = xf.linear %[[X]], %[[W]] bias %[[BIAS]] : tensor<?x?x64xf32>, tensor<64x192xf32>, tensor<192xf32> -> tensor<?x?x192xf32>
// CHECK:         %[[WTE:.*]] = xf.param "wte" from "transformer.wte.weight" : tensor<101x64xf32>
// CHECK:         %[[L:.*]] = xf.linear %[[X]], %[[WTE]] {transpose_w} : tensor<?x?x64xf32>, tensor<101x64xf32> -> tensor<?x?x101xf32>
// CHECK:         %[[S:.*]] = xf.matmul %[[A]], %[[B]] : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32> -> tensor<?x4x?x?xf32>
// CHECK:         %[[SC:.*]] = xf.scale %[[S]] by 2.500000e-01 : tensor<?x4x?x?xf32>
// CHECK:         %[[SUM:.*]] = xf.add %[[SC]], %[[M]] : tensor<?x4x?x?xf32>, tensor<?x?xf32>
// CHECK:         %[[PROD:.*]] = xf.mul %[[SUM]], %[[SUM]] : tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>
// CHECK:         return %[[Y]], %[[L]], %[[PROD]]
func.func @linear_algebra(%x: tensor<?x?x64xf32>, %a: tensor<?x4x?x16xf32>, %b: tensor<?x4x16x?xf32>, %m: tensor<?x?xf32>)
    -> (tensor<?x?x192xf32>, tensor<?x?x101xf32>, tensor<?x4x?x?xf32>) {
  %w = xf.param "w" from "h.0.attn.c_attn.weight" : tensor<64x192xf32>
  %bias = xf.param "b" from "h.0.attn.c_attn.bias" : tensor<192xf32>
  %y = xf.linear %x, %w bias %bias : tensor<?x?x64xf32>, tensor<64x192xf32>, tensor<192xf32> -> tensor<?x?x192xf32>
  %wte = xf.param "wte" from "transformer.wte.weight" : tensor<101x64xf32>
  %l = xf.linear %x, %wte {transpose_w} : tensor<?x?x64xf32>, tensor<101x64xf32> -> tensor<?x?x101xf32>
  %s = xf.matmul %a, %b : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32> -> tensor<?x4x?x?xf32>
  %sc = xf.scale %s by 2.500000e-01 : tensor<?x4x?x?xf32>
  %sum = xf.add %sc, %m : tensor<?x4x?x?xf32>, tensor<?x?xf32>
  %prod = xf.mul %sum, %sum : tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>
  return %y, %l, %prod : tensor<?x?x192xf32>, tensor<?x?x101xf32>, tensor<?x4x?x?xf32>
}

// GEMM epilogues: a residual without a bias (LLaMA's o_proj), bias,
// activation and residual together, and a gated GEMM; all print in a form
// that parses back.
// CHECK-LABEL: func.func @epilogues(
// CHECK:         %[[O:.*]] = xf.linear %[[X:.*]], %[[W:.*]] residual %[[X]] : tensor<?x?x64xf32>, tensor<64x64xf32> residual tensor<?x?x64xf32> -> tensor<?x?x64xf32>
// CHECK:         xf.linear %[[O]], %[[W]] bias %{{.*}} residual %[[O]] {activation = "silu"} : tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32> residual tensor<?x?x64xf32> -> tensor<?x?x64xf32>
// CHECK:         xf.linear %[[O]], %[[W]] gate %[[W]] {activation = "silu"} : tensor<?x?x64xf32>, tensor<64x64xf32> gate tensor<64x64xf32> -> tensor<?x?x64xf32>
func.func @epilogues(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %w = xf.param "w" from "o.weight" : tensor<64x64xf32>
  %b = xf.param "b" from "o.bias" : tensor<64xf32>
  %o = xf.linear %x, %w residual %x : tensor<?x?x64xf32>, tensor<64x64xf32> residual tensor<?x?x64xf32> -> tensor<?x?x64xf32>
  %p = xf.linear %o, %w bias %b residual %o {activation = "silu"} : tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32> residual tensor<?x?x64xf32> -> tensor<?x?x64xf32>
  %q = xf.linear %o, %w gate %w {activation = "silu"} : tensor<?x?x64xf32>, tensor<64x64xf32> gate tensor<64x64xf32> -> tensor<?x?x64xf32>
  %r = xf.add %p, %q : tensor<?x?x64xf32>, tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}

// Masks from positions: iota along rows and columns, compare (with and
// without an offset), select.
// CHECK-LABEL: func.func @positions(
// CHECK:         %[[I:.*]] = xf.iota %{{.*}} dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
// CHECK:         %[[J:.*]] = xf.iota %{{.*}} dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
// CHECK:         %[[C:.*]] = xf.compare le %[[J]], %[[I]] : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
// CHECK:         xf.compare gt %[[J]], %[[I]] offset -4 : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
// CHECK:         xf.select %[[C]], 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
func.func @positions(%ids: tensor<?x?xi64>) -> (tensor<?x?xf32>, tensor<?x?xi1>) {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %c = xf.compare le %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %n = xf.compare gt %j, %i offset -4 : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m = xf.select %c, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  return %m, %n : tensor<?x?xf32>, tensor<?x?xi1>
}

// Concatenated parameters, plain and transposed.
// CHECK-LABEL: func.func @param_concat(
// CHECK:         xf.param_concat "qkv" from ["q", "k", "v"] sizes [8, 4, 4] : tensor<16x8xf32>
// CHECK:         xf.param_concat "qkv" from ["q", "k", "v"] sizes [8, 4, 4] {transposed} : tensor<8x16xf32>
func.func @param_concat() -> (tensor<16x8xf32>, tensor<8x16xf32>) {
  %a = xf.param_concat "qkv" from ["q", "k", "v"] sizes [8, 4, 4] : tensor<16x8xf32>
  %b = xf.param_concat "qkv" from ["q", "k", "v"] sizes [8, 4, 4] {transposed} : tensor<8x16xf32>
  return %a, %b : tensor<16x8xf32>, tensor<8x16xf32>
}

// Weights stored in panels (the #xf.panels storage encoding), read by a linear.
// CHECK-LABEL: func.func @panels(
// CHECK:         %[[W:.*]] = xf.param "w" from "w.weight" {transposed} : tensor<8x100xf32, #xf.panels<64>>
// CHECK:         xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x100xf32, #xf.panels<64>> -> tensor<?x?x100xf32>
func.func @panels(%x: tensor<?x?x8xf32>) -> tensor<?x?x100xf32> {
  %w = xf.param "w" from "w.weight" {transposed} : tensor<8x100xf32, #xf.panels<64>>
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x100xf32, #xf.panels<64>> -> tensor<?x?x100xf32>
  return %y : tensor<?x?x100xf32>
}

// Attention with the query's rotary embedding folded in.
// CHECK-LABEL: func.func @attention_q_rope(
// CHECK:         xf.attention %{{.*}}, %{{.*}}, %{{.*}} q_rope(%{{.*}} : tensor<?x?xi64>) mask_kind causal scale 2.500000e-01 {q_rope_theta = 1.000000e+04 : f32}
func.func @attention_q_rope(%q: tensor<?x4x?x16xf32>, %p: tensor<?x?xi64>) -> tensor<?x4x?x16xf32> {
  %o = xf.attention %q, %q, %q q_rope(%p : tensor<?x?xi64>) mask_kind causal scale 2.500000e-01 {q_rope_theta = 1.000000e+04 : f32}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// Normalisation and activations: layer_norm, softmax, both gelu flavours.
// CHECK-LABEL: func.func @norm_act(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x64xf32>, %[[S:.*]]: tensor<?x4x?x?xf32>)
// CHECK:         %[[G:.*]] = xf.param "g" from "h.0.ln_1.weight" : tensor<64xf32>
// CHECK:         %[[B:.*]] = xf.param "b" from "h.0.ln_1.bias" : tensor<64xf32>
// CHECK:         %[[LN:.*]] = xf.layer_norm %[[X]], %[[G]], %[[B]] eps 9.99999974E-6 : tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>
// CHECK:         %[[P:.*]] = xf.softmax %[[S]] : tensor<?x4x?x?xf32>
// CHECK:         %[[T:.*]] = xf.gelu %[[LN]] approximate "tanh" : tensor<?x?x64xf32>
// CHECK:         %[[E:.*]] = xf.gelu %[[T]] approximate "none" : tensor<?x?x64xf32>
// CHECK:         return %[[E]], %[[P]]
func.func @norm_act(%x: tensor<?x?x64xf32>, %s: tensor<?x4x?x?xf32>) -> (tensor<?x?x64xf32>, tensor<?x4x?x?xf32>) {
  %g = xf.param "g" from "h.0.ln_1.weight" : tensor<64xf32>
  %b = xf.param "b" from "h.0.ln_1.bias" : tensor<64xf32>
  %ln = xf.layer_norm %x, %g, %b eps 1.000000e-05 : tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>
  %p = xf.softmax %s : tensor<?x4x?x?xf32>
  %t = xf.gelu %ln approximate "tanh" : tensor<?x?x64xf32>
  %e = xf.gelu %t approximate "none" : tensor<?x?x64xf32>
  return %e, %p : tensor<?x?x64xf32>, tensor<?x4x?x?xf32>
}

// Shape ops: slice, reshape (split heads), transpose.
// CHECK-LABEL: func.func @shapes(
// CHECK-SAME:      %[[QKV:.*]]: tensor<?x?x192xf32>)
// CHECK:         %[[Q:.*]] = xf.slice %[[QKV]] axis 2[64, 64] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
// CHECK:         %[[H:.*]] = xf.reshape %[[Q]] : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
// CHECK:         %[[T:.*]] = xf.transpose %[[H]] [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         return %[[T]]
func.func @shapes(%qkv: tensor<?x?x192xf32>) -> tensor<?x4x?x16xf32> {
  %q = xf.slice %qkv axis 2 [64, 64] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  %h = xf.reshape %q : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
  %t = xf.transpose %h [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %t : tensor<?x4x?x16xf32>
}

// Masks and attention: an explicit causal mask operand, and the causal attribute.
// CHECK-LABEL: func.func @attention(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x4x?x16xf32>, %[[V:.*]]: tensor<?x4x?x16xf32>)
// CHECK:         %[[M:.*]] = xf.causal_mask %[[IDS]] : tensor<?x?xi64> -> tensor<?x?xf32>
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<?x?xf32>) mask_kind none scale 2.500000e-01 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         %[[C:.*]] = xf.attention %[[O]], %[[K]], %[[V]] mask_kind causal scale 1.250000e-01 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         return %[[C]]
func.func @attention(%ids: tensor<?x?xi64>, %q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %o = xf.attention %q, %k, %v mask(%m : tensor<?x?xf32>) mask_kind none scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %c = xf.attention %o, %k, %v mask_kind causal scale 1.250000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %c : tensor<?x4x?x16xf32>
}

// KV-cache: both layouts of the type, and cache_append.
// CHECK-LABEL: func.func @kv_cache(
// CHECK-SAME:      %[[KC:.*]]: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %[[RC:.*]]: !xf.kv_cache<ring, 4, 64, 16, f32>, %[[POS:.*]]: index, %[[K:.*]]: tensor<?x4x1x16xf32>)
// CHECK:         %[[ALL:.*]] = xf.cache_append %[[KC]][%[[POS]]], %[[K]] : !xf.kv_cache<contiguous, 4, 64, 16, f32>, tensor<?x4x1x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         %[[RALL:.*]] = xf.cache_append %[[RC]][%[[POS]]], %[[K]] : !xf.kv_cache<ring, 4, 64, 16, f32>, tensor<?x4x1x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         return %[[ALL]], %[[RALL]]
func.func @kv_cache(%kc: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %rc: !xf.kv_cache<ring, 4, 64, 16, f32>, %pos: index, %k: tensor<?x4x1x16xf32>)
    -> (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) {
  %all = xf.cache_append %kc[%pos], %k : !xf.kv_cache<contiguous, 4, 64, 16, f32>, tensor<?x4x1x16xf32> -> tensor<?x4x?x16xf32>
  %rall = xf.cache_append %rc[%pos], %k : !xf.kv_cache<ring, 4, 64, 16, f32>, tensor<?x4x1x16xf32> -> tensor<?x4x?x16xf32>
  return %all, %rall : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
}

// Normalisation and activations of LLaMA-style models: rms_norm, silu, relu.
// CHECK-LABEL: func.func @rms_silu_relu(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK:         %[[N:.*]] = xf.rms_norm %[[X]], %[[W]] eps 9.99999997E-7 : tensor<?x?x64xf32>, tensor<64xf32>
// CHECK:         %[[S:.*]] = xf.silu %[[N]] : tensor<?x?x64xf32>
// CHECK:         %[[R:.*]] = xf.relu %[[N]] : tensor<?x?x64xf32>
// CHECK:         return %[[S]], %[[R]]
func.func @rms_silu_relu(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  %n = xf.rms_norm %x, %w eps 9.99999997E-7 : tensor<?x?x64xf32>, tensor<64xf32>
  %s = xf.silu %n : tensor<?x?x64xf32>
  %r = xf.relu %n : tensor<?x?x64xf32>
  return %s, %r : tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// Heads: rope on [B, H, S, D] with positions [B, S], and repeat_heads for grouped-query attention.
// CHECK-LABEL: func.func @rope_repeat(
// CHECK-SAME:      %[[X:.*]]: tensor<?x2x?x16xf32>, %[[POS:.*]]: tensor<?x?xi64>)
// CHECK:         %[[R:.*]] = xf.rope %[[X]], %[[POS]] theta 1.000000e+04 : tensor<?x2x?x16xf32>, tensor<?x?xi64>
// CHECK:         %[[K4:.*]] = xf.repeat_heads %[[R]] by 2 : tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         return %[[K4]]
func.func @rope_repeat(%x: tensor<?x2x?x16xf32>, %pos: tensor<?x?xi64>) -> tensor<?x4x?x16xf32> {
  %r = xf.rope %x, %pos theta 1.000000e+04 : tensor<?x2x?x16xf32>, tensor<?x?xi64>
  %k4 = xf.repeat_heads %r by 2 : tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %k4 : tensor<?x4x?x16xf32>
}

// Masks and biases: sliding_window_mask, padding_mask, relative_position_bias with and without bidirectional.
// CHECK-LABEL: func.func @masks_and_bias(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[LEN:.*]]: tensor<?xi64>, %[[TABLE:.*]]: tensor<32x4xf32>)
// CHECK:         %[[SW:.*]] = xf.sliding_window_mask %[[IDS]] window 4096 : tensor<?x?xi64> -> tensor<?x?xf32>
// CHECK:         %[[PM:.*]] = xf.padding_mask %[[LEN]], %[[IDS]] : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x1x1x?xf32>
// CHECK:         %[[BB:.*]] = xf.relative_position_bias %[[TABLE]], %[[IDS]], %[[IDS]] bidirectional buckets 32 max_distance 128 : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
// CHECK:         %[[UB:.*]] = xf.relative_position_bias %[[TABLE]], %[[IDS]], %[[IDS]] buckets 32 max_distance 128 : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
// CHECK:         return %[[SW]], %[[PM]], %[[BB]], %[[UB]]
func.func @masks_and_bias(%ids: tensor<?x?xi64>, %lengths: tensor<?xi64>, %table: tensor<32x4xf32>)
    -> (tensor<?x?xf32>, tensor<?x1x1x?xf32>, tensor<4x?x?xf32>, tensor<4x?x?xf32>) {
  %sw = xf.sliding_window_mask %ids window 4096 : tensor<?x?xi64> -> tensor<?x?xf32>
  %pm = xf.padding_mask %lengths, %ids : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x1x1x?xf32>
  %bb = xf.relative_position_bias %table, %ids, %ids bidirectional buckets 32 max_distance 128
      : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
  %ub = xf.relative_position_bias %table, %ids, %ids buckets 32 max_distance 128
      : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
  return %sw, %pm, %bb, %ub : tensor<?x?xf32>, tensor<?x1x1x?xf32>, tensor<4x?x?xf32>, tensor<4x?x?xf32>
}

// Mixture of experts: stacked expert weights (param_stack) and moe with top_k.
// CHECK-LABEL: func.func @moe(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x64xf32>)
// CHECK:         %[[G:.*]] = xf.param "gate" from "model.layers.0.block_sparse_moe.gate.weight" : tensor<2x64xf32>
// CHECK:         %[[W1:.*]] = xf.param_stack "w1" from ["experts.0.w1.weight", "experts.1.w1.weight"] : tensor<2x96x64xf32>
// CHECK:         %[[W2:.*]] = xf.param_stack "w2" from ["experts.0.w2.weight", "experts.1.w2.weight"] : tensor<2x64x96xf32>
// CHECK:         %[[W3:.*]] = xf.param_stack "w3" from ["experts.0.w3.weight", "experts.1.w3.weight"] : tensor<2x96x64xf32>
// CHECK:         %[[Y:.*]] = xf.moe %[[X]], %[[G]], %[[W1]], %[[W2]], %[[W3]] top_k 2 : tensor<?x?x64xf32>, tensor<2x64xf32>, tensor<2x96x64xf32>, tensor<2x64x96xf32>, tensor<2x96x64xf32>
// CHECK:         return %[[Y]]
func.func @moe(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %gate = xf.param "gate" from "model.layers.0.block_sparse_moe.gate.weight" : tensor<2x64xf32>
  %w1 = xf.param_stack "w1" from ["experts.0.w1.weight", "experts.1.w1.weight"] : tensor<2x96x64xf32>
  %w2 = xf.param_stack "w2" from ["experts.0.w2.weight", "experts.1.w2.weight"] : tensor<2x64x96xf32>
  %w3 = xf.param_stack "w3" from ["experts.0.w3.weight", "experts.1.w3.weight"] : tensor<2x96x64xf32>
  %y = xf.moe %x, %gate, %w1, %w2, %w3 top_k 2 : tensor<?x?x64xf32>, tensor<2x64xf32>,
      tensor<2x96x64xf32>, tensor<2x64x96xf32>, tensor<2x96x64xf32>
  return %y : tensor<?x?x64xf32>
}

// Attention extensions: a sliding window over 2 kv heads for 4 q heads, a bidirectional T5 bias, key lengths.
// CHECK-LABEL: func.func @attention_extensions(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x2x?x16xf32>, %[[V:.*]]: tensor<?x2x?x16xf32>, %[[TABLE:.*]]: tensor<32x4xf32>, %[[LEN:.*]]: tensor<?xi64>)
// CHECK:         %[[W:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask_kind sliding_window scale 2.500000e-01 {window = 4096 : i64} : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
// CHECK:         %[[B:.*]] = xf.attention %[[W]], %[[W]], %[[W]] bias(%[[TABLE]] : tensor<32x4xf32>) mask_kind none scale 1.000000e+00 {bias_bidirectional, bias_buckets = 32 : i64, bias_max_distance = 128 : i64} :
// CHECK:         %[[P:.*]] = xf.attention %[[B]], %[[B]], %[[B]] key_lengths(%[[LEN]] : tensor<?xi64>) mask_kind none scale 2.500000e-01 :
// CHECK:         return %[[P]]
func.func @attention_extensions(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
                                %table: tensor<32x4xf32>, %lengths: tensor<?xi64>) -> tensor<?x4x?x16xf32> {
  %w = xf.attention %q, %k, %v mask_kind sliding_window scale 2.500000e-01 {window = 4096 : i64}
      : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  %b = xf.attention %w, %w, %w bias(%table : tensor<32x4xf32>) mask_kind none scale 1.000000e+00
      {bias_bidirectional, bias_buckets = 32 : i64, bias_max_distance = 128 : i64}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %p = xf.attention %b, %b, %b key_lengths(%lengths : tensor<?xi64>) mask_kind none scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %p : tensor<?x4x?x16xf32>
}

// KV-cache: cache_read, how a decoder reads the cross-attention keys encode wrote.
// CHECK-LABEL: func.func @cache_read(
// CHECK-SAME:      %[[KC:.*]]: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %[[LEN:.*]]: index)
// CHECK:         %[[K:.*]] = xf.cache_read %[[KC]][%[[LEN]]] : !xf.kv_cache<contiguous, 4, 64, 16, f32> -> tensor<?x4x?x16xf32>
// CHECK:         return %[[K]]
func.func @cache_read(%kc: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %len: index) -> tensor<?x4x?x16xf32> {
  %k = xf.cache_read %kc[%len] : !xf.kv_cache<contiguous, 4, 64, 16, f32> -> tensor<?x4x?x16xf32>
  return %k : tensor<?x4x?x16xf32>
}

}
