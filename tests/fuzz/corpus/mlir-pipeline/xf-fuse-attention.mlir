// RUN: xf-opt %s --split-input-file --xf-fuse-attention | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-fuse-attention --verify-diagnostics > /dev/null

// matmul(q, k^T) -> scale -> add mask -> softmax -> matmul v becomes one xf.attention keeping the mask operand.
// CHECK-LABEL: func.func @full_chain(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %[[M:.*]]: tensor<?x?xf32>)
// CHECK-NOT:     xf.transpose
// CHECK-NOT:     xf.matmul
// CHECK-NOT:     xf.softmax
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
// CHECK-NOT:     xf.matmul
// CHECK:         return %[[O]]
func.func @full_chain(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %m: tensor<?x?xf32>) -> tensor<?x2x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %ss = xf.scale %s by 5.000000e-01 : tensor<?x2x?x?xf32>
  %sm = xf.add %ss, %m : tensor<?x2x?x?xf32>, tensor<?x?xf32>
  %p = xf.softmax %sm : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Scale and mask are optional: without them the attention has scale 1 and no mask.
// CHECK-LABEL: func.func @bare_chain(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>)
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask_kind none scale 1.000000e+00
// CHECK-NEXT:    return %[[O]]
func.func @bare_chain(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %p = xf.softmax %s : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not fused: the scores are also returned, so the score matmul has a second user.
// CHECK-LABEL: func.func @scores_escape(
// CHECK-NOT:     xf.attention
// CHECK:         %[[S:.*]] = xf.matmul
// CHECK:         %[[P:.*]] = xf.softmax %[[S]]
// CHECK:         %[[O:.*]] = xf.matmul %[[P]],
// CHECK:         return %[[O]], %[[S]]
func.func @scores_escape(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> (tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>) {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  // expected-remark @+1 {{attention not fused: the score matmul has 2 users, not 1}}
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %p = xf.softmax %s : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o, %s : tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>
}

// -----

// Not fused: the probabilities are also returned, so the softmax has a second user.
// CHECK-LABEL: func.func @probs_escape(
// CHECK-NOT:     xf.attention
// CHECK:         %[[P:.*]] = xf.softmax
// CHECK:         %[[O:.*]] = xf.matmul %[[P]],
// CHECK:         return %[[O]], %[[P]]
func.func @probs_escape(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> (tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>) {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  // expected-remark @+1 {{attention not fused: the softmax has 2 users, not 1}}
  %p = xf.softmax %s : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o, %p : tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>
}

// -----

// Not fused: a per-head [batch, heads, seq, seq] mask is not a [seq, seq] mask.
// CHECK-LABEL: func.func @mask_rank4(
// CHECK-NOT:     xf.attention
// CHECK:         xf.add
// CHECK:         xf.softmax
func.func @mask_rank4(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %m: tensor<?x2x?x?xf32>) -> tensor<?x2x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  // expected-remark @+1 {{attention not fused: the added term must be a [seq, seq] mask, a padding mask or a square relative position bias, got rank 4}}
  %sm = xf.add %s, %m : tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>
  %p = xf.softmax %sm : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not fused: the transpose of k also swaps batch and heads, not only the last two dims.
// CHECK-LABEL: func.func @not_last_two_swap(
// CHECK-NOT:     xf.attention
// CHECK:         xf.transpose %{{.*}} [1, 0, 3, 2]
// CHECK:         xf.softmax
func.func @not_last_two_swap(%q: tensor<2x2x?x4xf32>, %k: tensor<2x2x?x4xf32>, %v: tensor<2x2x?x4xf32>) -> tensor<2x2x?x4xf32> {
  %kt = xf.transpose %k [1, 0, 3, 2] : tensor<2x2x?x4xf32> -> tensor<2x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<2x2x?x4xf32>, tensor<2x2x4x?xf32> -> tensor<2x2x?x?xf32>
  %p = xf.softmax %s : tensor<2x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<2x2x?x?xf32>, tensor<2x2x?x4xf32> -> tensor<2x2x?x4xf32>
  return %o : tensor<2x2x?x4xf32>
}

// -----

// Not fused: without a softmax the two matmuls are not attention.
// CHECK-LABEL: func.func @no_softmax(
// CHECK-NOT:     xf.attention
// CHECK:         %[[S:.*]] = xf.scale
// CHECK:         xf.matmul %[[S]],
func.func @no_softmax(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %ss = xf.scale %s by 5.000000e-01 : tensor<?x2x?x?xf32>
  %o = xf.matmul %ss, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Grouped-query attention: k and v repeated by the same factor are absorbed; the attention reads the 2 shared kv heads with 4 q heads.
// CHECK-LABEL: func.func @gqa_repeat_absorbed(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x4x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>)
// CHECK-NOT:     xf.repeat_heads
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask_kind none scale 5.000000e-01 : tensor<?x4x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x4x?x4xf32>
// CHECK-NEXT:    return %[[O]]
func.func @gqa_repeat_absorbed(%q: tensor<?x4x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x4x?x4xf32> {
  %k4 = xf.repeat_heads %k by 2 : tensor<?x2x?x4xf32> -> tensor<?x4x?x4xf32>
  %v4 = xf.repeat_heads %v by 2 : tensor<?x2x?x4xf32> -> tensor<?x4x?x4xf32>
  %kt = xf.transpose %k4 [0, 1, 3, 2] : tensor<?x4x?x4xf32> -> tensor<?x4x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32> -> tensor<?x4x?x?xf32>
  %ss = xf.scale %s by 5.000000e-01 : tensor<?x4x?x?xf32>
  %p = xf.softmax %ss : tensor<?x4x?x?xf32>
  %o = xf.matmul %p, %v4 : tensor<?x4x?x?xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
  return %o : tensor<?x4x?x4xf32>
}

// -----

// Repeat factors of k (2) and v (4) differ: the chain still fuses, but the attention reads the repeated tensors.
// CHECK-LABEL: func.func @gqa_repeats_differ(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x4x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x1x?x4xf32>)
// CHECK:         %[[K4:.*]] = xf.repeat_heads %[[K]] by 2
// CHECK:         %[[V4:.*]] = xf.repeat_heads %[[V]] by 4
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K4]], %[[V4]] mask_kind none scale 1.000000e+00 : tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
// CHECK-NEXT:    return %[[O]]
func.func @gqa_repeats_differ(%q: tensor<?x4x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x1x?x4xf32>) -> tensor<?x4x?x4xf32> {
  %k4 = xf.repeat_heads %k by 2 : tensor<?x2x?x4xf32> -> tensor<?x4x?x4xf32>
  %v4 = xf.repeat_heads %v by 4 : tensor<?x1x?x4xf32> -> tensor<?x4x?x4xf32>
  %kt = xf.transpose %k4 [0, 1, 3, 2] : tensor<?x4x?x4xf32> -> tensor<?x4x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32> -> tensor<?x4x?x?xf32>
  %p = xf.softmax %s : tensor<?x4x?x?xf32>
  %o = xf.matmul %p, %v4 : tensor<?x4x?x?xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
  return %o : tensor<?x4x?x4xf32>
}

// -----

// T5 decoder: a relative position bias [H, S, S] and a causal mask added to the scores; the bias table moves into the attention and the bias tensor goes.
// CHECK-LABEL: func.func @t5_bias_and_mask(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x4x?x4xf32>, %[[K:.*]]: tensor<?x4x?x4xf32>, %[[V:.*]]: tensor<?x4x?x4xf32>, %[[IDS:.*]]: tensor<?x?xi64>, %[[TABLE:.*]]: tensor<32x4xf32>)
// CHECK-NOT:     xf.relative_position_bias
// CHECK:         %[[M:.*]] = xf.causal_mask %[[IDS]]
// CHECK-NOT:     xf.relative_position_bias
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<?x?xf32>) bias(%[[TABLE]] : tensor<32x4xf32>) mask_kind none scale 1.000000e+00 {bias_buckets = 32 : i64, bias_max_distance = 128 : i64}
// CHECK-NEXT:    return %[[O]]
func.func @t5_bias_and_mask(%q: tensor<?x4x?x4xf32>, %k: tensor<?x4x?x4xf32>, %v: tensor<?x4x?x4xf32>, %ids: tensor<?x?xi64>, %table: tensor<32x4xf32>) -> tensor<?x4x?x4xf32> {
  %b = xf.relative_position_bias %table, %ids, %ids buckets 32 max_distance 128
      : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
  %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x4x?x4xf32> -> tensor<?x4x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32> -> tensor<?x4x?x?xf32>
  %sb = xf.add %s, %b : tensor<?x4x?x?xf32>, tensor<4x?x?xf32>
  %sm = xf.add %sb, %m : tensor<?x4x?x?xf32>, tensor<?x?xf32>
  %p = xf.softmax %sm : tensor<?x4x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
  return %o : tensor<?x4x?x4xf32>
}

// -----

// T5 encoder: a bidirectional relative position bias alone; bias_bidirectional is carried over and no mask operand appears.
// CHECK-LABEL: func.func @t5_bidirectional_bias(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x4x?x4xf32>, %[[K:.*]]: tensor<?x4x?x4xf32>, %[[V:.*]]: tensor<?x4x?x4xf32>, %[[IDS:.*]]: tensor<?x?xi64>, %[[TABLE:.*]]: tensor<32x4xf32>)
// CHECK-NOT:     xf.relative_position_bias
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] bias(%[[TABLE]] : tensor<32x4xf32>) mask_kind none scale 1.000000e+00 {bias_bidirectional, bias_buckets = 32 : i64, bias_max_distance = 128 : i64}
// CHECK-NEXT:    return %[[O]]
func.func @t5_bidirectional_bias(%q: tensor<?x4x?x4xf32>, %k: tensor<?x4x?x4xf32>, %v: tensor<?x4x?x4xf32>, %ids: tensor<?x?xi64>, %table: tensor<32x4xf32>) -> tensor<?x4x?x4xf32> {
  %b = xf.relative_position_bias %table, %ids, %ids bidirectional buckets 32 max_distance 128
      : tensor<32x4xf32>, tensor<?x?xi64>, tensor<?x?xi64> -> tensor<4x?x?xf32>
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x4x?x4xf32> -> tensor<?x4x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32> -> tensor<?x4x?x?xf32>
  %sb = xf.add %s, %b : tensor<?x4x?x?xf32>, tensor<4x?x?xf32>
  %p = xf.softmax %sb : tensor<?x4x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
  return %o : tensor<?x4x?x4xf32>
}

// -----

// Not fused: a rank-3 [H, S, S] tensor that is not a relative_position_bias (an argument) is neither a bias nor a [seq, seq] mask.
// CHECK-LABEL: func.func @bias_not_relative(
// CHECK-NOT:     xf.attention
// CHECK:         xf.add
// CHECK:         xf.softmax
func.func @bias_not_relative(%q: tensor<?x4x?x4xf32>, %k: tensor<?x4x?x4xf32>, %v: tensor<?x4x?x4xf32>, %b: tensor<4x?x?xf32>) -> tensor<?x4x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x4x?x4xf32> -> tensor<?x4x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x4x?x4xf32>, tensor<?x4x4x?xf32> -> tensor<?x4x?x?xf32>
  // expected-remark @+1 {{attention not fused: the added term must be a [seq, seq] mask, a padding mask or a square relative position bias, got rank 3}}
  %sb = xf.add %s, %b : tensor<?x4x?x?xf32>, tensor<4x?x?xf32>
  %p = xf.softmax %sb : tensor<?x4x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x4xf32> -> tensor<?x4x?x4xf32>
  return %o : tensor<?x4x?x4xf32>
}

// -----

// Key padding: a padding_mask [B, 1, 1, S] added to the scores becomes the attention's key_lengths; the mask tensor goes.
// CHECK-LABEL: func.func @padding_mask_key_lengths(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %[[LEN:.*]]: tensor<?xi64>, %[[IDS:.*]]: tensor<?x?xi64>)
// CHECK-NOT:     xf.padding_mask
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] key_lengths(%[[LEN]] : tensor<?xi64>) mask_kind none scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @padding_mask_key_lengths(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %lengths: tensor<?xi64>, %ids: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
  %m = xf.padding_mask %lengths, %ids : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x1x1x?xf32>
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %ss = xf.scale %s by 5.000000e-01 : tensor<?x2x?x?xf32>
  %sm = xf.add %ss, %m : tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>
  %p = xf.softmax %sm : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not fused: a [B, 1, 1, S] mask passed in as an argument is not a padding_mask, so its lengths are unknown.
// CHECK-LABEL: func.func @padding_shaped_argument(
// CHECK-NOT:     xf.attention
// CHECK:         xf.add
// CHECK:         xf.softmax
func.func @padding_shaped_argument(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %m: tensor<?x1x1x?xf32>) -> tensor<?x2x?x4xf32> {
  %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  // expected-remark @+1 {{attention not fused: the added term must be a [seq, seq] mask, a padding mask or a square relative position bias, got rank 4}}
  %sm = xf.add %s, %m : tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>
  %p = xf.softmax %sm : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// LLaMA's rotated query: the rope goes into the attention (q_rope), the rotated
// key stays (a KV-cache stores keys rotated).
// CHECK-LABEL: func.func @query_rope(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %[[P:.*]]: tensor<?x?xi64>)
// CHECK:         %[[RK:.*]] = xf.rope %[[K]], %[[P]]
// CHECK-NOT:     xf.rope
// CHECK:         xf.attention %[[Q]], %[[RK]], %[[V]] q_rope(%[[P]] : tensor<?x?xi64>) mask_kind none scale 5.000000e-01 {q_rope_theta = 1.000000e+04 : f32}
func.func @query_rope(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %pos: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
  %rq = xf.rope %q, %pos theta 1.000000e+04 : tensor<?x2x?x4xf32>, tensor<?x?xi64>
  %rk = xf.rope %k, %pos theta 1.000000e+04 : tensor<?x2x?x4xf32>, tensor<?x?xi64>
  %kt = xf.transpose %rk [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %rq, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %ss = xf.scale %s by 5.000000e-01 : tensor<?x2x?x?xf32>
  %p = xf.softmax %ss : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not folded: the rotated query is also returned, so the rope stays (remark).
// CHECK-LABEL: func.func @query_rope_second_user(
// CHECK:         %[[RQ:.*]] = xf.rope
// CHECK:         xf.attention %[[RQ]], %{{.*}}, %{{.*}} mask_kind none
func.func @query_rope_second_user(%q: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %pos: tensor<?x?xi64>) -> (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) {
  // expected-remark @+1 {{query rotary embedding not folded into attention: the rotated q has 2 users, not 1}}
  %rq = xf.rope %q, %pos theta 1.000000e+04 : tensor<?x2x?x4xf32>, tensor<?x?xi64>
  %kt = xf.transpose %v [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = xf.matmul %rq, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %p = xf.softmax %s : tensor<?x2x?x?xf32>
  %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o, %rq : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}
