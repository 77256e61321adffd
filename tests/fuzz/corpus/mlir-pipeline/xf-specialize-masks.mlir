// RUN: xf-opt %s --split-input-file --xf-specialize-masks | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-specialize-masks --verify-diagnostics > /dev/null

// A causal_mask operand becomes mask_kind causal; the [seq, seq] mask tensor is erased.
// CHECK-LABEL: func.func @causal(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>)
// CHECK-NOT:     xf.causal_mask
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask_kind causal scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @causal(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %o = xf.attention %q, %k, %v mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// One mask shared by two layers: both attentions become causal and the mask goes.
// CHECK-LABEL: func.func @shared_mask(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[Q:.*]]: tensor<?x2x?x4xf32>)
// CHECK-NOT:     xf.causal_mask
// CHECK:         %[[O1:.*]] = xf.attention %[[Q]], %[[Q]], %[[Q]] mask_kind causal scale 5.000000e-01 :
// CHECK:         %[[O2:.*]] = xf.attention %[[O1]], %[[O1]], %[[O1]] mask_kind causal scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O2]]
func.func @shared_mask(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %o1 = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  %o2 = xf.attention %o1, %o1, %o1 mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o2 : tensor<?x2x?x4xf32>
}

// -----

// The attention is specialised, but the mask stays while something else uses it.
// CHECK-LABEL: func.func @mask_escapes(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[Q:.*]]: tensor<?x2x?x4xf32>)
// CHECK:         %[[M:.*]] = xf.causal_mask %[[IDS]]
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[Q]], %[[Q]] mask_kind causal scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O]], %[[M]]
func.func @mask_escapes(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> (tensor<?x2x?x4xf32>, tensor<?x?xf32>) {
  %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o, %m : tensor<?x2x?x4xf32>, tensor<?x?xf32>
}

// -----

// Not specialised: a mask passed in as an argument is unknown, so it stays an operand.
// CHECK-LABEL: func.func @argument_mask(
// CHECK-SAME:      %[[M:.*]]: tensor<?x?xf32>, %[[Q:.*]]: tensor<?x2x?x4xf32>)
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[Q]], %[[Q]] mask(%[[M]] : tensor<?x?xf32>) mask_kind none scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @argument_mask(%m: tensor<?x?xf32>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  // expected-remark @+1 {{mask not specialised: it is not a recognised mask construction}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not changed: an attention without a mask operand keeps its mask kind.
// CHECK-LABEL: func.func @no_mask(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x2x?x4xf32>)
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[Q]], %[[Q]] mask_kind none scale 5.000000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @no_mask(%q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %o = xf.attention %q, %q, %q mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// A sliding_window_mask operand becomes mask_kind sliding_window with its window; the mask tensor is erased.
// CHECK-LABEL: func.func @sliding_window(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>)
// CHECK-NOT:     xf.sliding_window_mask
// CHECK:         %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] mask_kind sliding_window scale 5.000000e-01 {window = 4 : i64} :
// CHECK-NEXT:    return %[[O]]
func.func @sliding_window(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %m = xf.sliding_window_mask %ids window 4 : tensor<?x?xi64> -> tensor<?x?xf32>
  %o = xf.attention %q, %k, %v mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// A causal mask written from positions (keys j <= queries i, then 0 / lowest):
// the same mask_kind causal; the position ops are left for canonicalize.
// CHECK-LABEL: func.func @causal_from_positions(
// CHECK-NOT:     xf.select
// CHECK:         xf.attention %{{.*}}, %{{.*}}, %{{.*}} mask_kind causal scale
func.func @causal_from_positions(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %keep = xf.compare le %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m = xf.select %keep, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// The other way round: hide where the key is past the query (i < j, query on
// the left, -1e4 as HF's older models write it).
// CHECK-LABEL: func.func @causal_hidden_where(
// CHECK:         xf.attention %{{.*}} mask_kind causal scale
func.func @causal_hidden_where(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %future = xf.compare lt %i, %j : tensor<?x1xi64>, tensor<1x?xi64> -> tensor<?x?xi1>
  %m = xf.select %future, -1.000000e+04, 0.000000e+00 : tensor<?x?xi1> -> tensor<?x?xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Mistral's sliding window written from positions: causal plus "the key is
// within 4 of the query" (j > i - 4), added; the sum keeps i - 4 < j <= i.
// CHECK-LABEL: func.func @window_from_positions(
// CHECK:         xf.attention %{{.*}} mask_kind sliding_window scale 5.000000e-01 {window = 4 : i64}
func.func @window_from_positions(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %past = xf.compare le %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %near = xf.compare gt %j, %i offset -4 : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m1 = xf.select %past, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  %m2 = xf.select %near, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  %m = xf.add %m1, %m2 : tensor<?x?xf32>, tensor<?x?xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not specialised: a mask that also hides the diagonal (j < i) is not causal,
// so it stays a tensor, and a remark names the band it keeps.
// CHECK-LABEL: func.func @strictly_causal(
// CHECK:         xf.attention %{{.*}} mask(%{{.*}} : tensor<?x?xf32>) mask_kind none
func.func @strictly_causal(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %keep = xf.compare lt %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m = xf.select %keep, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  // expected-remark @+1 {{mask not specialised: it keeps the keys with -inf <= j - i <= -1, which is neither causal nor a sliding window}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Not specialised: positions of two different sequences (the mask need not
// be square), and a mask whose hidden value (-1) does not hide a key.
// CHECK-LABEL: func.func @two_sequences(
// CHECK:         mask_kind none
// CHECK-LABEL: func.func @soft_mask(
// CHECK:         mask_kind none
func.func @two_sequences(%ids: tensor<?x?xi64>, %kids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %kids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %keep = xf.compare le %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m = xf.select %keep, 0.000000e+00, -3.40282347E+38 : tensor<?x?xi1> -> tensor<?x?xf32>
  // expected-remark @+1 {{mask not specialised: it is not a recognised mask construction}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}
func.func @soft_mask(%ids: tensor<?x?xi64>, %q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %i = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>
  %j = xf.iota %ids dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>
  %keep = xf.compare le %j, %i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %m = xf.select %keep, 0.000000e+00, -1.000000e+00 : tensor<?x?xi1> -> tensor<?x?xf32>
  // expected-remark @+1 {{mask not specialised: it is not a recognised mask construction}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
      : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// A triangular constant (a graph of a fixed length, 4, writes its mask out):
// causal; a constant band of two (the query and the key before it) is a
// sliding window of 2.
// CHECK-LABEL: func.func @triangular_constant(
// CHECK-NOT:     arith.constant
// CHECK:         xf.attention %{{.*}} mask_kind causal scale
// CHECK-LABEL: func.func @band_constant(
// CHECK:         xf.attention %{{.*}} mask_kind sliding_window scale 5.000000e-01 {window = 2 : i64}
func.func @triangular_constant(%q: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %m = arith.constant dense<[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38],
                             [0.0, 0.0, -3.40282347E+38, -3.40282347E+38],
                             [0.0, 0.0, 0.0, -3.40282347E+38],
                             [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<4x4xf32>) mask_kind none scale 5.000000e-01
      : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}
func.func @band_constant(%q: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %m = arith.constant dense<[[0.0, -1.0e+04, -1.0e+04, -1.0e+04],
                             [0.0, 0.0, -1.0e+04, -1.0e+04],
                             [-1.0e+04, 0.0, 0.0, -1.0e+04],
                             [-1.0e+04, -1.0e+04, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = xf.attention %q, %q, %q mask(%m : tensor<4x4xf32>) mask_kind none scale 5.000000e-01
      : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %o : tensor<1x2x4x4xf32>
}

// -----

// Not specialised: a constant that is not a band (one key past the diagonal
// kept) is no recognised construction; an upper triangle keeps the future.
// CHECK-LABEL: func.func @not_a_band(
// CHECK:         mask_kind none
// CHECK-LABEL: func.func @upper_triangle(
// CHECK:         mask_kind none
func.func @not_a_band(%q: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %m = arith.constant dense<[[0.0, -1.0e+09, 0.0],
                             [0.0, 0.0, -1.0e+09],
                             [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  // expected-remark @+1 {{mask not specialised: it is not a recognised mask construction}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<3x3xf32>) mask_kind none scale 5.000000e-01
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}
func.func @upper_triangle(%q: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %m = arith.constant dense<[[0.0, 0.0, 0.0],
                             [-1.0e+09, 0.0, 0.0],
                             [-1.0e+09, -1.0e+09, 0.0]]> : tensor<3x3xf32>
  // expected-remark @+1 {{mask not specialised: it keeps the keys with 0 <= j - i <= inf, which is neither causal nor a sliding window}}
  %o = xf.attention %q, %q, %q mask(%m : tensor<3x3xf32>) mask_kind none scale 5.000000e-01
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}
