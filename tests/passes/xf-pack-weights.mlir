// RUN: xf-opt %s --split-input-file --xf-pack-weights | FileCheck %s

// A torch.nn.Linear weight ([out, in]) is declared transposed and the linear
// reads it without transpose_w.
// CHECK-LABEL: func.func @linear_weight
// CHECK: %[[W:.*]] = xf.param "q.weight" from "q.weight" {transposed} : tensor<8x4xf32>
// CHECK-NOT: xf.param "q.weight" from "q.weight" :
// CHECK: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x4xf32> -> tensor<?x?x4xf32>
func.func @linear_weight(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = xf.param "q.weight" from "q.weight" : tensor<4x8xf32>
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A tied embedding keeps its declaration for the gather; the lm_head reads a
// transposed copy.
// CHECK-LABEL: func.func @tied
// CHECK: %[[E:.*]] = xf.param "wte" from "wte" : tensor<11x8xf32>
// CHECK: %[[T:.*]] = xf.param "wte" from "wte" {transposed} : tensor<8x11xf32>
// CHECK: xf.embedding %[[E]]
// CHECK: xf.linear %{{.*}}, %[[T]] : tensor<?x?x8xf32>, tensor<8x11xf32>
func.func @tied(%ids: tensor<?x?xi64>) -> tensor<?x?x11xf32> {
  %wte = xf.param "wte" from "wte" : tensor<11x8xf32>
  %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
  %y = xf.linear %x, %wte {transpose_w} : tensor<?x?x8xf32>, tensor<11x8xf32> -> tensor<?x?x11xf32>
  return %y : tensor<?x?x11xf32>
}

// -----

// Negative: a weight that is not a parameter cannot be packed at load.
// CHECK-LABEL: func.func @computed_weight
// CHECK: xf.linear %{{.*}}, %{{.*}} {transpose_w}
func.func @computed_weight(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x?x4xf32> {
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Negative: a [in, out] weight (GPT-2's Conv1D) is already in the kernel's layout.
// CHECK-LABEL: func.func @conv1d_weight
// CHECK: xf.param "c_attn.weight" from "c_attn.weight" : tensor<8x24xf32>
// CHECK-NOT: transposed
func.func @conv1d_weight(%x: tensor<?x?x8xf32>) -> tensor<?x?x24xf32> {
  %w = xf.param "c_attn.weight" from "c_attn.weight" : tensor<8x24xf32>
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x24xf32> -> tensor<?x?x24xf32>
  return %y : tensor<?x?x24xf32>
}

// -----

// A gated GEMM packs its weight and its gate together (transpose_w covers both).
// CHECK-LABEL: func.func @gated
// CHECK-DAG: %[[G:.*]] = xf.param "gate" from "gate" {transposed} : tensor<8x16xf32>
// CHECK-DAG: %[[U:.*]] = xf.param "up" from "up" {transposed} : tensor<8x16xf32>
// CHECK: xf.linear %{{.*}}, %[[U]] gate %[[G]] {activation = "silu"} : tensor<?x?x8xf32>, tensor<8x16xf32> gate tensor<8x16xf32>
func.func @gated(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %g = xf.param "gate" from "gate" : tensor<16x8xf32>
  %u = xf.param "up" from "up" : tensor<16x8xf32>
  %y = xf.linear %x, %u gate %g {activation = "silu", transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> gate tensor<16x8xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// Not packed: a gated GEMM whose gate is not a parameter keeps transpose_w
// for both, and its weight keeps its declaration.
// CHECK-LABEL: func.func @gated_gate_computed
// CHECK: xf.param "up" from "up" : tensor<16x8xf32>
// CHECK: xf.linear {{.*}} gate {{.*}} transpose_w
func.func @gated_gate_computed(%x: tensor<?x?x8xf32>, %g: tensor<16x8xf32>) -> tensor<?x?x16xf32> {
  %u = xf.param "up" from "up" : tensor<16x8xf32>
  %y = xf.linear %x, %u gate %g {activation = "silu", transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> gate tensor<16x8xf32> -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// A merged projection's concatenated weight is loaded transposed as a whole.
// CHECK-LABEL: func.func @concat
// CHECK: %[[W:.*]] = xf.param_concat "qk" from ["q", "k"] sizes [8, 4] {transposed} : tensor<8x12xf32>
// CHECK: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x12xf32> -> tensor<?x?x12xf32>
func.func @concat(%x: tensor<?x?x8xf32>) -> tensor<?x?x12xf32> {
  %w = xf.param_concat "qk" from ["q", "k"] sizes [8, 4] : tensor<12x8xf32>
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<12x8xf32> -> tensor<?x?x12xf32>
  return %y : tensor<?x?x12xf32>
}
