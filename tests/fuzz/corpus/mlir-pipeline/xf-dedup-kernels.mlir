// RUN: xf-opt %s --split-input-file --xf-dedup-kernels | FileCheck %s

// Two identical kernels (two layers' linear) merge into the first; both calls target it.
// CHECK-LABEL: func.func private @linear(
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NOT:     func.func private @linear_0
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      %[[X:.*]]: tensor<?x?x8xf32>)
// CHECK:         %[[W0:.*]] = xf.param "h.0.w"
// CHECK:         %[[Y:.*]] = call @linear(%[[X]], %[[W0]])
// CHECK:         %[[W1:.*]] = xf.param "h.1.w"
// CHECK:         %[[Z:.*]] = call @linear(%[[Y]], %[[W1]])
// CHECK:         return %[[Z]]
func.func private @linear(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @linear_0(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w0 = xf.param "h.0.w" from "h.0.w" : tensor<8x8xf32>
  %y = call @linear(%x, %w0) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %w1 = xf.param "h.1.w" from "h.1.w" : tensor<8x8xf32>
  %z = call @linear_0(%y, %w1) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %z : tensor<?x?x8xf32>
}

// -----

// Not merged: kernels that differ in an attribute (the scale factor) stay separate.
// CHECK-LABEL: func.func private @scale(
// CHECK-NEXT:    xf.scale %{{.*}} by 5.000000e-01
// CHECK-LABEL: func.func private @scale_0(
// CHECK-NEXT:    xf.scale %{{.*}} by 2.500000e-01
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[A:.*]] = call @scale(
// CHECK:         call @scale_0(%[[A]])
func.func private @scale(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.scale %x by 5.000000e-01 : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @scale_0(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.scale %x by 2.500000e-01 : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %a = call @scale(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = call @scale_0(%a) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %b : tensor<?x?x8xf32>
}

// -----

// Not merged: kernels that differ only in a type (8 vs 16 features) stay separate.
// CHECK-LABEL: func.func private @gelu(
// CHECK-SAME:      tensor<?x?x8xf32>
// CHECK-LABEL: func.func private @gelu_0(
// CHECK-SAME:      tensor<?x?x16xf32>
// CHECK-LABEL: func.func @forward(
// CHECK:         call @gelu(
// CHECK:         call @gelu_0(
func.func private @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @gelu_0(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>, %y: tensor<?x?x16xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x16xf32>) {
  %a = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = call @gelu_0(%y) : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x16xf32>
}

// -----

// Not merged: the same op on swapped operands is a different computation.
// CHECK-LABEL: func.func private @matmul(
// CHECK-SAME:      %[[A:.*]]: tensor<8x8xf32>, %[[B:.*]]: tensor<8x8xf32>)
// CHECK-NEXT:    xf.matmul %[[A]], %[[B]]
// CHECK-LABEL: func.func private @matmul_0(
// CHECK-SAME:      %[[A:.*]]: tensor<8x8xf32>, %[[B:.*]]: tensor<8x8xf32>)
// CHECK-NEXT:    xf.matmul %[[B]], %[[A]]
// CHECK-LABEL: func.func @forward(
// CHECK:         call @matmul(
// CHECK:         call @matmul_0(
func.func private @matmul(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<8x8xf32> attributes {xf.kernel} {
  %y = xf.matmul %a, %b : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
func.func private @matmul_0(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<8x8xf32> attributes {xf.kernel} {
  %y = xf.matmul %b, %a : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
func.func @forward(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %x = call @matmul(%a, %b) : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %y = call @matmul_0(%a, %b) : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  return %x, %y : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Not merged: identical functions without xf.kernel are not kernels.
// CHECK-LABEL: func.func private @helper(
// CHECK-LABEL: func.func private @helper_0(
// CHECK-LABEL: func.func @forward(
// CHECK:         call @helper(
// CHECK:         call @helper_0(
func.func private @helper(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %y = xf.softmax %x : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @helper_0(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %y = xf.softmax %x : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %a = call @helper(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = call @helper_0(%a) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %b : tensor<?x?x8xf32>
}
