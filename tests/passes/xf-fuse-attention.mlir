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
  // expected-remark @+1 {{attention not fused: the mask must be [seq, seq] (or a relative position bias), got rank 4}}
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
