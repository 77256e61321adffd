// RUN: xf-opt %s --split-input-file --verify-diagnostics

// linear: x's feature count must equal w's K.
func.func @linear_contraction(%x: tensor<?x?x64xf32>, %w: tensor<32x16xf32>) -> tensor<?x?x16xf32> {
  // expected-error @+1 {{'xf.linear' op contraction mismatch: x has 64 features but w expects 32}}
  %y = xf.linear %x, %w : tensor<?x?x64xf32>, tensor<32x16xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// linear: with transpose_w, K is w's second dimension.
func.func @linear_contraction_transposed(%x: tensor<?x?x64xf32>, %w: tensor<64x101xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.linear' op contraction mismatch: x has 64 features but w (transposed) expects 101}}
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x64xf32>, tensor<64x101xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// linear: the bias has N elements.
func.func @linear_bias_length(%x: tensor<?x?x64xf32>, %w: tensor<64x16xf32>, %b: tensor<8xf32>) -> tensor<?x?x16xf32> {
  // expected-error @+1 {{'xf.linear' op bias length: expected 16, got 8}}
  %y = xf.linear %x, %w bias %b : tensor<?x?x64xf32>, tensor<64x16xf32>, tensor<8xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// matmul: the leading (batch) dimensions of a and b must agree.
func.func @matmul_batch(%a: tensor<?x4x?x16xf32>, %b: tensor<?x2x16x?xf32>) -> tensor<?x4x?x?xf32> {
  // expected-error @+1 {{'xf.matmul' op b batch dim 1: expected 4, got 2}}
  %s = xf.matmul %a, %b : tensor<?x4x?x16xf32>, tensor<?x2x16x?xf32> -> tensor<?x4x?x?xf32>
  return %s : tensor<?x4x?x?xf32>
}

// -----

// matmul: a's K must equal b's K.
func.func @matmul_contraction(%a: tensor<?x4x?x16xf32>, %b: tensor<?x4x8x?xf32>) -> tensor<?x4x?x?xf32> {
  // expected-error @+1 {{'xf.matmul' op contraction mismatch: a has K = 16, b has K = 8}}
  %s = xf.matmul %a, %b : tensor<?x4x?x16xf32>, tensor<?x4x8x?xf32> -> tensor<?x4x?x?xf32>
  return %s : tensor<?x4x?x?xf32>
}

// -----

// add: rhs must be a suffix of lhs's shape (no broadcasting in the middle).
func.func @add_broadcast(%x: tensor<?x4x?x?xf32>, %y: tensor<3x?x?xf32>) -> tensor<?x4x?x?xf32> {
  // expected-error @+1 {{'xf.add' op rhs dim 0 (3) does not broadcast against lhs dim 1 (4)}}
  %z = xf.add %x, %y : tensor<?x4x?x?xf32>, tensor<3x?x?xf32>
  return %z : tensor<?x4x?x?xf32>
}

// -----

// mul: rhs may not have a higher rank than lhs.
func.func @mul_rank(%x: tensor<?x64xf32>, %y: tensor<2x?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'xf.mul' op rhs rank 3 exceeds lhs rank 2}}
  %z = xf.mul %x, %y : tensor<?x64xf32>, tensor<2x?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// layer_norm: gamma has one element per feature.
func.func @layer_norm_gamma(%x: tensor<?x?x64xf32>, %g: tensor<32xf32>, %b: tensor<64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.layer_norm' op gamma length: expected 64, got 32}}
  %y = xf.layer_norm %x, %g, %b eps 1.000000e-05 : tensor<?x?x64xf32>, tensor<32xf32>, tensor<64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// layer_norm: epsilon must be positive.
func.func @layer_norm_epsilon(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.layer_norm' op epsilon must be positive}}
  %y = xf.layer_norm %x, %g, %g eps 0.000000e+00 : tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// gelu: approximate is "tanh" or "none".
func.func @gelu_approximate(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.gelu' op approximate must be "tanh" or "none", got "erf"}}
  %y = xf.gelu %x approximate "erf" : tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// reshape: the static trailing dimensions must hold the same number of elements.
func.func @reshape_counts(%x: tensor<?x?x64xf32>) -> tensor<?x?x4x15xf32> {
  // expected-error @+1 {{'xf.reshape' op trailing element counts differ: 64 vs 60}}
  %y = xf.reshape %x : tensor<?x?x64xf32> -> tensor<?x?x4x15xf32>
  return %y : tensor<?x?x4x15xf32>
}

// -----

// reshape: the leading dynamic dimensions pass through, so their number is kept.
func.func @reshape_leading(%x: tensor<?x?x64xf32>) -> tensor<?x4x16xf32> {
  // expected-error @+1 {{'xf.reshape' op input and result must have the same number of leading dynamic dimensions, got 2 and 1}}
  %y = xf.reshape %x : tensor<?x?x64xf32> -> tensor<?x4x16xf32>
  return %y : tensor<?x4x16xf32>
}

// -----

// transpose: the permutation must name every dimension exactly once.
func.func @transpose_permutation(%x: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.transpose' op permutation is not a permutation of 0..3}}
  %y = xf.transpose %x [0, 2, 2, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// transpose: the permutation has one entry per input dimension.
func.func @transpose_size(%x: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.transpose' op permutation of size 3 does not match input rank 4}}
  %y = xf.transpose %x [0, 2, 1] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// slice: the window must lie inside the sliced dimension.
func.func @slice_window(%x: tensor<?x?x192xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.slice' op window [160, 224) exceeds dimension of size 192}}
  %y = xf.slice %x axis 2 [160, 64] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// slice: the sliced dimension must be static.
func.func @slice_dynamic_axis(%x: tensor<?x?x192xf32>) -> tensor<?x4x192xf32> {
  // expected-error @+1 {{'xf.slice' op slice axis 1 must be static}}
  %y = xf.slice %x axis 1 [0, 4] : tensor<?x?x192xf32> -> tensor<?x4x192xf32>
  return %y : tensor<?x4x192xf32>
}

// -----

// attention: q and k must have the same head_dim.
func.func @attention_head_dim(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op k head_dim: expected 16, got 8}}
  %o = xf.attention %q, %k, %v mask_kind causal scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: the mask operand is [Sq, Sk].
func.func @attention_mask_rank(%q: tensor<?x4x?x16xf32>, %m: tensor<?x4x?x?xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op mask must have rank 2, got 4}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x4x?x?xf32>) mask_kind none scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// cache_append: the update must have as many heads as the cache.
func.func @cache_append_heads(%kc: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %pos: index, %k: tensor<?x2x1x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.cache_append' op update heads: expected 4, got 2}}
  %all = xf.cache_append %kc[%pos], %k : !xf.kv_cache<contiguous, 4, 64, 16, f32>, tensor<?x2x1x16xf32> -> tensor<?x4x?x16xf32>
  return %all : tensor<?x4x?x16xf32>
}

// -----

// kv_cache: heads, capacity and head_dim must be positive.
// expected-error @+1 {{kv_cache heads, capacity and head_dim must be positive, got 4, 0, 16}}
func.func @kv_cache_capacity(%kc: !xf.kv_cache<contiguous, 4, 0, 16, f32>)

// -----

// kv_cache: only f32 caches exist.
// expected-error @+1 {{kv_cache element type must be f32, got 'f16'}}
func.func @kv_cache_element(%kc: !xf.kv_cache<contiguous, 4, 64, 16, f16>)

// -----

// param: a parameter's shape is static.
func.func @param_dynamic() -> tensor<?x64xf32> {
  // expected-error @+1 {{'xf.param' op parameter 'wte' must have a static shape}}
  %w = xf.param "wte" from "transformer.wte.weight" : tensor<?x64xf32>
  return %w : tensor<?x64xf32>
}

// -----

// param: the checkpoint key is not empty.
func.func @param_empty_key() -> tensor<4xf32> {
  // expected-error @+1 {{'xf.param' op parameter 'b' has an empty key}}
  %w = xf.param "b" from "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// position_ids: ids are [batch, seq].
func.func @position_ids_rank(%ids: tensor<?xi64>) -> tensor<?xi64> {
  // expected-error @+1 {{'xf.position_ids' op ids must have rank 2, got 1}}
  %p = xf.position_ids %ids : tensor<?xi64>
  return %p : tensor<?xi64>
}

// -----

// embedding: the result rows are as wide as the table.
func.func @embedding_width(%t: tensor<101x64xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x32xf32> {
  // expected-error @+1 {{'xf.embedding' op result embedding width: expected 64, got 32}}
  %x = xf.embedding %t[%ids] : tensor<101x64xf32>, tensor<?x?xi64> -> tensor<?x?x32xf32>
  return %x : tensor<?x?x32xf32>
}

// -----

// causal_mask: the mask is [seq, seq] for ids [batch, seq].
func.func @causal_mask_shape(%ids: tensor<?x8xi64>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'xf.causal_mask' op mask columns: expected 8, got 4}}
  %m = xf.causal_mask %ids : tensor<?x8xi64> -> tensor<8x4xf32>
  return %m : tensor<8x4xf32>
}

// -----

// xf.model: the kind must be one xfc compiles.
// expected-error @+1 {{xf.model kind 'seq2seq' is not supported (supported: decoder, encoder, encoder-decoder)}}
module attributes {xf.model = {kind = "seq2seq", vocab_size = 101 : i64, hidden_size = 64 : i64, max_seq = 64 : i64}} {
}

// -----

// xf.model: vocab_size, hidden_size and max_seq are required.
// expected-error @+1 {{xf.model needs a positive integer 'max_seq'}}
module attributes {xf.model = {kind = "decoder", vocab_size = 101 : i64, hidden_size = 64 : i64}} {
}

// -----

// xf.model: eos_token_ids is a dense i64 array.
// expected-error @+1 {{xf.model 'eos_token_ids' must be array<i64: ...>}}
module attributes {xf.model = {kind = "decoder", vocab_size = 101 : i64, hidden_size = 64 : i64, max_seq = 64 : i64, eos_token_ids = [100]}} {
}

// -----

// xf.model: it belongs on a module, not on a function.
// expected-error @+1 {{xf.model must be a dictionary on a module}}
func.func @model_on_func() attributes {xf.model = {kind = "decoder"}} {
  return
}

// -----

// Unknown xf.* attributes are rejected.
// expected-error @+1 {{unknown xf attribute}}
module attributes {xf.modle = {kind = "decoder"}} {
}

// -----

// rms_norm: the weight has one element per feature.
func.func @rms_norm_weight(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.rms_norm' op weight length: expected 64, got 32}}
  %y = xf.rms_norm %x, %w eps 9.99999997E-7 : tensor<?x?x64xf32>, tensor<32xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// rope: rotate_half splits head_dim in two halves, so it must be even.
func.func @rope_odd_head_dim(%x: tensor<?x4x?x15xf32>, %pos: tensor<?x?xi64>) -> tensor<?x4x?x15xf32> {
  // expected-error @+1 {{'xf.rope' op head_dim must be static and even, got 15}}
  %y = xf.rope %x, %pos theta 1.000000e+04 : tensor<?x4x?x15xf32>, tensor<?x?xi64>
  return %y : tensor<?x4x?x15xf32>
}

// -----

// repeat_heads: the result has input heads x repeats heads.
func.func @repeat_heads_result(%k: tensor<?x2x?x16xf32>) -> tensor<?x6x?x16xf32> {
  // expected-error @+1 {{'xf.repeat_heads' op result heads: expected 4, got 6}}
  %k4 = xf.repeat_heads %k by 2 : tensor<?x2x?x16xf32> -> tensor<?x6x?x16xf32>
  return %k4 : tensor<?x6x?x16xf32>
}

// -----

// sliding_window_mask: the window holds at least the query itself.
func.func @sliding_window_mask_zero(%ids: tensor<?x?xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'xf.sliding_window_mask' op window must be >= 1, got 0}}
  %m = xf.sliding_window_mask %ids window 0 : tensor<?x?xi64> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// padding_mask: the mask broadcasts over heads and queries, so it is [batch, 1, 1, seq].
func.func @padding_mask_shape(%lengths: tensor<?xi64>, %ids: tensor<?x?xi64>) -> tensor<?x2x1x?xf32> {
  // expected-error @+1 {{'xf.padding_mask' op result must be [batch, 1, 1, seq]}}
  %m = xf.padding_mask %lengths, %ids : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x2x1x?xf32>
  return %m : tensor<?x2x1x?xf32>
}

// -----

// relative_position_bias: the table has one row per bucket.
func.func @relative_position_bias_rows(%table: tensor<16x4xf32>, %ids: tensor<?x?xi64>) -> tensor<4x?x?xf32> {
  // expected-error @+1 {{'xf.relative_position_bias' op table rows: expected 32, got 16}}
  %b = xf.relative_position_bias %table, %ids, %ids buckets 32 max_distance 128
      : tensor<16x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
  return %b : tensor<4x?x?xf32>
}

// -----

// param_stack: one checkpoint key per slice of the leading dimension.
func.func @param_stack_keys() -> tensor<3x96x64xf32> {
  // expected-error @+1 {{'xf.param_stack' op stacked parameter 'w1' has 2 keys but a leading dimension of 3}}
  %w1 = xf.param_stack "w1" from ["experts.0.w1.weight", "experts.1.w1.weight"] : tensor<3x96x64xf32>
  return %w1 : tensor<3x96x64xf32>
}

// -----

// moe: top_k cannot exceed the number of experts.
func.func @moe_top_k(%x: tensor<?x?x64xf32>, %gate: tensor<2x64xf32>, %w1: tensor<2x96x64xf32>, %w2: tensor<2x64x96xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.moe' op top_k must be in [1, 2], got 3}}
  %y = xf.moe %x, %gate, %w1, %w2, %w1 top_k 3 : tensor<?x?x64xf32>, tensor<2x64xf32>,
      tensor<2x96x64xf32>, tensor<2x64x96xf32>, tensor<2x96x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// moe: every expert weight has the router's number of experts.
func.func @moe_experts(%x: tensor<?x?x64xf32>, %gate: tensor<2x64xf32>, %w1: tensor<4x96x64xf32>, %w2: tensor<2x64x96xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'xf.moe' op w1 experts: expected 2, got 4}}
  %y = xf.moe %x, %gate, %w1, %w2, %w1 top_k 1 : tensor<?x?x64xf32>, tensor<2x64xf32>,
      tensor<4x96x64xf32>, tensor<2x64x96xf32>, tensor<4x96x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// attention: a window attribute without mask_kind sliding_window is rejected.
func.func @attention_window_without_kind(%q: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op a window attribute goes with mask_kind sliding_window, and only with it}}
  %o = xf.attention %q, %q, %q mask_kind causal scale 2.500000e-01 {window = 4 : i64}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: mask_kind sliding_window needs its window.
func.func @attention_sliding_window_without_window(%q: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op a window attribute goes with mask_kind sliding_window, and only with it}}
  %o = xf.attention %q, %q, %q mask_kind sliding_window scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: with grouped-query attention the q heads are a multiple of the k/v heads.
func.func @attention_gqa_heads(%q: tensor<?x4x?x16xf32>, %kv: tensor<?x3x?x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op q heads (4) must be a multiple of k/v heads (3)}}
  %o = xf.attention %q, %kv, %kv mask_kind causal scale 2.500000e-01
      : tensor<?x4x?x16xf32>, tensor<?x3x?x16xf32>, tensor<?x3x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: the bias table is [buckets, q heads].
func.func @attention_bias_heads(%q: tensor<?x4x?x16xf32>, %table: tensor<32x2xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op bias table heads: expected 4, got 2}}
  %o = xf.attention %q, %q, %q bias(%table : tensor<32x2xf32>) mask_kind none scale 1.000000e+00
      {bias_buckets = 32 : i64, bias_max_distance = 128 : i64}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: bias attributes without a bias table are rejected.
func.func @attention_bias_attrs_without_table(%q: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op bias attributes need a bias table}}
  %o = xf.attention %q, %q, %q mask_kind none scale 1.000000e+00 {bias_buckets = 32 : i64, bias_max_distance = 128 : i64}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// attention: key_lengths has one length per sequence of the batch.
func.func @attention_key_lengths_batch(%q: tensor<2x4x?x16xf32>, %lengths: tensor<3xi64>) -> tensor<2x4x?x16xf32> {
  // expected-error @+1 {{'xf.attention' op key_lengths batch: expected 2, got 3}}
  %o = xf.attention %q, %q, %q key_lengths(%lengths : tensor<3xi64>) mask_kind none scale 2.500000e-01
      : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// -----

// cache_read: the result has as many heads as the cache.
func.func @cache_read_heads(%kc: !xf.kv_cache<contiguous, 4, 64, 16, f32>, %len: index) -> tensor<?x2x?x16xf32> {
  // expected-error @+1 {{'xf.cache_read' op result heads: expected 4, got 2}}
  %k = xf.cache_read %kc[%len] : !xf.kv_cache<contiguous, 4, 64, 16, f32> -> tensor<?x2x?x16xf32>
  return %k : tensor<?x2x?x16xf32>
}

// -----

// linear: a gate must have the weight's type, and needs an activation.
func.func @linear_gate_type(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>, %g: tensor<8x32xf32>) -> tensor<?x?x16xf32> {
  // expected-error @+1 {{'xf.linear' op gate type 'tensor<8x32xf32>' must equal the weight type 'tensor<8x16xf32>'}}
  %y = xf.linear %x, %w gate %g {activation = "silu"} : tensor<?x?x8xf32>, tensor<8x16xf32> gate tensor<8x32xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @linear_gate_activation(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x?x16xf32> {
  // expected-error @+1 {{'xf.linear' op a gated linear needs an activation for its gate}}
  %y = xf.linear %x, %w gate %w : tensor<?x?x8xf32>, tensor<8x16xf32> gate tensor<8x16xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// iota: the positions run along one dimension; the others are static 1.
func.func @iota_two_axes(%ids: tensor<?x?xi64>) -> tensor<?x?xi64> {
  // expected-error @+1 {{'xf.iota' op result must have one dimension that is not of static size 1, got 'tensor<?x?xi64>'}}
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x?xi64>
  return %i : tensor<?x?xi64>
}

// -----

func.func @iota_dim(%ids: tensor<?x?xi64>) -> tensor<?x1xi64> {
  // expected-error @+1 {{'xf.iota' op dim 2 is out of range for a rank-2 tensor}}
  %i = xf.iota %ids dim 2 : tensor<?x?xi64> -> tensor<?x1xi64>
  return %i : tensor<?x1xi64>
}

// -----

// compare: both operands have the result's rank.
func.func @compare_rank(%a: tensor<?xi64>, %b: tensor<?x1xi64>) -> tensor<?x?xi1> {
  // expected-error @+1 {{'xf.compare' op operands must have the result's rank 2}}
  %c = xf.compare le %a, %b : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  return %c : tensor<?x?xi1>
}

// -----

// select: the result has the condition's shape.
func.func @select_shape(%c: tensor<?x?xi1>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'xf.select' op result shape must equal the condition's shape}}
  %m = xf.select %c, 0.000000e+00, -1.000000e+04 : tensor<?x?xi1> -> tensor<?x4xf32>
  return %m : tensor<?x4xf32>
}

// -----

// param_concat: the part sizes add up to the concatenated dimension.
func.func @param_concat_sizes() -> tensor<16x8xf32> {
  // expected-error @+1 {{'xf.param_concat' op part sizes add up to 12, the result's dimension 0 is 16}}
  %a = xf.param_concat "qkv" from ["q", "k"] sizes [8, 4] : tensor<16x8xf32>
  return %a : tensor<16x8xf32>
}

// -----

func.func @param_concat_keys() -> tensor<12x8xf32> {
  // expected-error @+1 {{'xf.param_concat' op parameter 'qk' needs one size per key, got 1 keys and 2 sizes}}
  %a = xf.param_concat "qk" from ["q"] sizes [8, 4] : tensor<12x8xf32>
  return %a : tensor<12x8xf32>
}

// -----

// attention: q_rope positions come with a theta.
func.func @attention_q_rope_theta(%q: tensor<?x2x?x4xf32>, %p: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
  // expected-error @+1 {{'xf.attention' op q_rope positions and q_rope_theta go together}}
  %o = xf.attention %q, %q, %q q_rope(%p : tensor<?x?xi64>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// panels: a weight in panels is [K, N]; a linear cannot read it transposed.
func.func @linear_panels_transposed(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32, #xf.panels<64>>) -> tensor<?x?x4xf32> {
  // expected-error @+1 {{'xf.linear' op a weight stored in panels is [K, N]; it cannot be read transposed}}
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32, #xf.panels<64>> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// panels: the width is a positive multiple of 16.
// expected-error @+1 {{panel width must be a positive multiple of 16, got 24}}
func.func @panel_width(%w: tensor<4x8xf32, #xf.panels<24>>) {
  return
}
