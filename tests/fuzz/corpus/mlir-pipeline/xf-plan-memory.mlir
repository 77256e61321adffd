// RUN: xf-opt %s --split-input-file --xf-plan-memory | FileCheck %s

// A chain of GEMMs: each result reuses the buffer of a value that is dead by
// then; the returned value gets no buffer (it outlives the call).
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[A:.*]] = call @linear(%{{.*}}, %{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[B:.*]] = call @linear(%[[A]], %{{.*}}) {xf.buffer = 1 : i64}
// CHECK:         %[[C:.*]] = call @linear(%[[B]], %{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[D:.*]] = call @linear(%[[C]], %{{.*}})
// CHECK-NOT:       xf.buffer
// CHECK:         return %[[D]]
func.func private @linear(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %a = call @linear(%x, %w) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %b = call @linear(%a, %w) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %c = call @linear(%b, %w) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %d = call @linear(%c, %w) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %d : tensor<?x?x8xf32>
}

// -----

// A residual epilogue writes in place over the residual stream (its last use);
// an activation writes in place over its input.
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[H:.*]] = call @gelu(%{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[G:.*]] = call @gelu(%[[H]]) {xf.buffer = 0 : i64}
// CHECK:         %[[F:.*]] = call @linear(%[[G]], %{{.*}}) {xf.buffer = 1 : i64}
// CHECK:         %[[R:.*]] = call @residual(%[[F]], %{{.*}}, %[[G]]) {xf.buffer = 0 : i64}
// CHECK:         %{{.*}} = call @gelu(%[[R]])
// CHECK-NOT:       xf.buffer
func.func private @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @linear(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @residual(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %r: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w residual %r : tensor<?x?x8xf32>, tensor<8x8xf32> residual tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %h = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %g = call @gelu(%h) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %f = call @linear(%g, %w) : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = call @residual(%f, %w, %g) : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %o = call @gelu(%r) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Not in place: the activation's input is read again later (a second user),
// so the result takes another buffer and the input's stays untouched.
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[H:.*]] = call @gelu(%{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[G:.*]] = call @gelu(%[[H]]) {xf.buffer = 1 : i64}
// CHECK:         call @add(%[[G]], %[[H]])
func.func private @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @add(%a: tensor<?x?x8xf32>, %b: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.add %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %h = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %g = call @gelu(%h) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %s = call @add(%g, %h) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %s : tensor<?x?x8xf32>
}

// -----

// Not in place: a GEMM whose residual is also its input (x @ w + x) reads the
// whole row of x for every output, so it must not overwrite x; and the second
// operand of an add with dynamic dims may be broadcast, so it is not reused.
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[H:.*]] = call @gelu(%{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[R:.*]] = call @residual(%[[H]], %{{.*}}, %[[H]]) {xf.buffer = 1 : i64}
// CHECK:         %[[G:.*]] = call @gelu(%{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         call @add(%[[G]], %[[R]]) {xf.buffer = 0 : i64}
func.func private @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @residual(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %r: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.linear %x, %w residual %r : tensor<?x?x8xf32>, tensor<8x8xf32> residual tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @add(%a: tensor<?x?x8xf32>, %b: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.add %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %h = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %r = call @residual(%h, %w, %h) : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %g = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %s = call @add(%g, %r) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %o = call @gelu(%s) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// A view keeps its base alive: the reshaped value is read last by the second
// GEMM, so the base's buffer is not reused before that.
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[A:.*]] = call @gelu(%{{.*}}) {xf.buffer = 0 : i64}
// CHECK:         %[[V:.*]] = xf.reshape %[[A]]
// CHECK:         %[[B:.*]] = call @gelu(%{{.*}}) {xf.buffer = 1 : i64}
// CHECK:         call @add4(%[[V]], %{{.*}}) {xf.buffer = 0 : i64}
func.func private @gelu(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> attributes {xf.kernel} {
  %y = xf.gelu %x approximate "tanh" : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
func.func private @add4(%a: tensor<?x?x2x4xf32>, %b: tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32> attributes {xf.kernel} {
  %y = xf.add %a, %b : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>
  return %y : tensor<?x?x2x4xf32>
}
func.func @forward(%x: tensor<?x?x8xf32>) -> tensor<?x?x2x4xf32> {
  %a = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %v = xf.reshape %a : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %b = call @gelu(%x) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %bv = xf.reshape %b : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %s = call @add4(%v, %bv) : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  %o = call @add4(%s, %s) : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %o : tensor<?x?x2x4xf32>
}
