// RUN: xf-opt %s --split-input-file --xf-outline-kernels | FileCheck %s

// Compute ops become calls to one-op xf.kernel functions; param, position_ids, reshape, cache_append, arith stay.
// CHECK-LABEL: func.func private @embedding(
// CHECK-SAME:      %[[T:.*]]: tensor<11x8xf32>, %[[I:.*]]: tensor<?x?xi64>) -> tensor<?x?x8xf32> attributes {xf.kernel}
// CHECK-NEXT:    %[[E:.*]] = xf.embedding %[[T]][%[[I]]]
// CHECK-NEXT:    return %[[E]]
// CHECK-LABEL: func.func private @transpose(
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.transpose %{{.*}} [0, 2, 1, 3]
// CHECK-NEXT:    return
// CHECK-LABEL: func.func private @gelu(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel}
// CHECK-NEXT:    %[[G:.*]] = xf.gelu %[[X]] approximate "tanh"
// CHECK-NEXT:    return %[[G]]
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[KC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[WTE:.*]] = xf.param "wte"
// CHECK:         %[[POS:.*]] = xf.position_ids %[[IDS]]
// CHECK:         %[[X:.*]] = call @embedding(%[[WTE]], %[[IDS]])
// CHECK:         %[[X1:.*]] = xf.reshape %[[X]]
// CHECK:         %[[X2:.*]] = call @transpose(%[[X1]])
// CHECK:         xf.cache_append %[[KC]][%[[C0]]], %[[X2]]
// CHECK:         %[[X3:.*]] = xf.reshape %[[X1]]
// CHECK:         %[[G:.*]] = call @gelu(%[[X3]])
// CHECK:         return %[[G]], %[[POS]]
func.func @forward(%ids: tensor<?x?xi64>, %kc: !xf.kv_cache<contiguous, 2, 16, 4, f32>) -> (tensor<?x?x8xf32>, tensor<?x?xi64>) {
  %c0 = arith.constant 0 : index
  %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
  %pos = xf.position_ids %ids : tensor<?x?xi64>
  %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
  %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %all = xf.cache_append %kc[%c0], %x2 : !xf.kv_cache<contiguous, 2, 16, 4, f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  %x3 = xf.reshape %x1 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  %g = xf.gelu %x3 approximate "tanh" : tensor<?x?x8xf32>
  return %g, %pos : tensor<?x?x8xf32>, tensor<?x?xi64>
}

// -----

// Two ops of one kind get two kernels (merging is xf-dedup-kernels' job); a user's @linear keeps its name.
// CHECK-LABEL: func.func private @linear_0(
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.linear %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-LABEL: func.func private @linear_1(
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.linear %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
// CHECK-LABEL: func.func @two_linears(
// CHECK:         %[[W:.*]] = xf.param "w"
// CHECK:         %[[Y:.*]] = call @linear_0(%{{.*}}, %[[W]])
// CHECK:         %[[Z:.*]] = call @linear_1(%[[Y]], %[[W]])
// CHECK:         return %[[Z]]
// CHECK-LABEL: func.func @linear(
// CHECK-NOT:     attributes {xf.kernel}
func.func @two_linears(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w.weight" : tensor<8x8xf32>
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %z = xf.linear %y, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %z : tensor<?x?x8xf32>
}
func.func @linear() {
  return
}

// -----

// Not outlined: a host-only function, a declaration and an existing kernel stay as they are.
// CHECK-NOT:     func.func private @reshape
// CHECK-NOT:     func.func private @position_ids
// CHECK-LABEL: func.func @host_only(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[X:.*]]: tensor<?x?x8xf32>)
// CHECK-NEXT:    %[[P:.*]] = xf.param "w"
// CHECK-NEXT:    %[[POS:.*]] = xf.position_ids %[[IDS]]
// CHECK-NEXT:    %[[R:.*]] = xf.reshape %[[X]]
// CHECK-NEXT:    %[[S:.*]] = call @softmax(%[[R]])
// CHECK-NEXT:    return %[[P]], %[[POS]], %[[S]]
// CHECK-LABEL: func.func private @external(
// CHECK-LABEL: func.func private @softmax(
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.softmax
// CHECK-NEXT:    return
// CHECK-NOT:     func.func
func.func @host_only(%ids: tensor<?x?xi64>, %x: tensor<?x?x8xf32>) -> (tensor<8xf32>, tensor<?x?xi64>, tensor<?x?x2x4xf32>) {
  %p = xf.param "w" from "w.weight" : tensor<8xf32>
  %pos = xf.position_ids %ids : tensor<?x?xi64>
  %r = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %s = func.call @softmax(%r) : (tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %p, %pos, %s : tensor<8xf32>, tensor<?x?xi64>, tensor<?x?x2x4xf32>
}
func.func private @external(tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
func.func private @softmax(%x: tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32> attributes {xf.kernel} {
  %s = xf.softmax %x : tensor<?x?x2x4xf32>
  return %s : tensor<?x?x2x4xf32>
}
