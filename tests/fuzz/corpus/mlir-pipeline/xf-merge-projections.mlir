// RUN: xf-opt %s --split-input-file --xf-merge-projections | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-merge-projections --verify-diagnostics -o /dev/null

// LLaMA's Q, K and V projections of one normed input (GQA: K and V narrower)
// become one GEMM over a concatenated weight; each former result is a slice.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[W:.*]] = xf.param_concat "l.{q_proj,k_proj,v_proj}.weight" from ["l.q_proj.weight", "l.k_proj.weight", "l.v_proj.weight"] sizes [8, 4, 4] : tensor<16x8xf32>
// CHECK: %[[M:.*]] = xf.linear %[[X]], %[[W]] {transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> -> tensor<?x?x16xf32>
// CHECK: %[[Q:.*]] = xf.slice %[[M]] axis 2[0, 8]
// CHECK: %[[K:.*]] = xf.slice %[[M]] axis 2[8, 4]
// CHECK: %[[V:.*]] = xf.slice %[[M]] axis 2[12, 4]
// CHECK-NOT: xf.linear
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @qkv(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %wq = xf.param "l.q_proj.weight" from "l.q_proj.weight" : tensor<8x8xf32>
  %q = xf.linear %x, %wq {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %wk = xf.param "l.k_proj.weight" from "l.k_proj.weight" : tensor<4x8xf32>
  %k = xf.linear %x, %wk {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  %wv = xf.param "l.v_proj.weight" from "l.v_proj.weight" : tensor<4x8xf32>
  %v = xf.linear %x, %wv {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----

// BERT's projections carry biases: the biases are concatenated too.
// CHECK-LABEL: func.func @with_bias
// CHECK: %[[W:.*]] = xf.param_concat "{query,key}.weight"
// CHECK: %[[B:.*]] = xf.param_concat "{query,key}.bias" from ["query.bias", "key.bias"] sizes [8, 8] : tensor<16xf32>
// CHECK: xf.linear %{{.*}}, %[[W]] bias %[[B]] {transpose_w}
func.func @with_bias(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wq = xf.param "query.weight" from "query.weight" : tensor<8x8xf32>
  %bq = xf.param "query.bias" from "query.bias" : tensor<8xf32>
  %q = xf.linear %x, %wq bias %bq {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
  %wk = xf.param "key.weight" from "key.weight" : tensor<8x8xf32>
  %bk = xf.param "key.bias" from "key.bias" : tensor<8xf32>
  %k = xf.linear %x, %wk bias %bk {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
  return %q, %k : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Not merged: a GEMM of the same input with an activation in its epilogue
// (a remark says so), and GEMMs of different inputs; the lone remaining
// projection of %x stays as it is.
// CHECK-LABEL: func.func @not_mergeable
// CHECK-NOT: xf.param_concat
// CHECK-COUNT-3: xf.linear
func.func @not_mergeable(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w1 = xf.param "a.weight" from "a.weight" : tensor<8x8xf32>
  %a = xf.linear %x, %w1 {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %w2 = xf.param "b.weight" from "b.weight" : tensor<8x8xf32>
  // expected-remark @+1 {{projection not merged with the other GEMMs of its input: it has an activation, residual or gate in its epilogue}}
  %b = xf.linear %x, %w2 {transpose_w, activation = "silu"} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %w3 = xf.param "c.weight" from "c.weight" : tensor<8x8xf32>
  %c = xf.linear %y, %w3 {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %a, %b, %c : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Not merged: a weight in [in, out] layout (GPT-2's Conv1D; its c_attn is
// already one GEMM) cannot be concatenated row-wise, and one GEMM with a bias
// and one without are not put together.
// CHECK-LABEL: func.func @layouts
// CHECK-NOT: xf.param_concat
func.func @layouts(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w1 = xf.param "a.weight" from "a.weight" : tensor<8x8xf32>
  %a = xf.linear %x, %w1 {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %w2 = xf.param "b.weight" from "b.weight" : tensor<8x8xf32>
  // expected-remark @+1 {{projection not merged with the other GEMMs of its input: its weight is not a checkpoint parameter in [out, in] layout}}
  %b = xf.linear %x, %w2 : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %w3 = xf.param "c.weight" from "c.weight" : tensor<8x8xf32>
  %b3 = xf.param "c.bias" from "c.bias" : tensor<8xf32>
  %c = xf.linear %x, %w3 bias %b3 {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
  return %a, %b, %c : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
