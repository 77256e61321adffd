// RUN: xf-opt %s --split-input-file --xf-pack-weights | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-pack-weights=panel-width=0 | FileCheck %s --check-prefix=PLAIN
// RUN: not xf-opt %s --split-input-file --xf-pack-weights=panel-width=24 2>&1 | FileCheck %s --check-prefix=BADWIDTH
// BADWIDTH: panel-width must be 0 or a positive multiple of 16, got 24

// Packed weights are stored in panels of 64 columns (#xf.panels<64>); with
// panel-width=0 they stay row-major [K, N].

// A torch.nn.Linear weight ([out, in]) is declared transposed and the linear
// reads it without transpose_w.
// CHECK-LABEL: func.func @linear_weight
// CHECK: %[[W:.*]] = xf.param "q.weight" from "q.weight" {transposed} : tensor<8x4xf32, #xf.panels<64>>
// CHECK-NOT: xf.param "q.weight" from "q.weight" :
// CHECK: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x4xf32, #xf.panels<64>> -> tensor<?x?x4xf32>
// PLAIN-LABEL: func.func @linear_weight
// PLAIN: %[[W:.*]] = xf.param "q.weight" from "q.weight" {transposed} : tensor<8x4xf32>{{$}}
// PLAIN: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x4xf32> -> tensor<?x?x4xf32>
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
// CHECK: %[[T:.*]] = xf.param "wte" from "wte" {transposed} : tensor<8x11xf32, #xf.panels<64>>
// CHECK: xf.embedding %[[E]]
// CHECK: xf.linear %{{.*}}, %[[T]] : tensor<?x?x8xf32>, tensor<8x11xf32, #xf.panels<64>>
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

// A [in, out] weight (GPT-2's Conv1D) is not transposed, only stored in
// panels; with panel-width=0 it is already in the kernel's layout.
// CHECK-LABEL: func.func @conv1d_weight
// CHECK: %[[W:.*]] = xf.param "c_attn.weight" from "c_attn.weight" : tensor<8x24xf32, #xf.panels<64>>
// CHECK-NOT: transposed
// CHECK: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x24xf32, #xf.panels<64>>
// PLAIN-LABEL: func.func @conv1d_weight
// PLAIN: xf.param "c_attn.weight" from "c_attn.weight" : tensor<8x24xf32>{{$}}
// PLAIN-NOT: transposed
// PLAIN-LABEL: func.func @gated
func.func @conv1d_weight(%x: tensor<?x?x8xf32>) -> tensor<?x?x24xf32> {
  %w = xf.param "c_attn.weight" from "c_attn.weight" : tensor<8x24xf32>
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x24xf32> -> tensor<?x?x24xf32>
  return %y : tensor<?x?x24xf32>
}

// -----

// A gated GEMM packs its weight and its gate together (transpose_w covers both).
// CHECK-LABEL: func.func @gated
// CHECK-DAG: %[[G:.*]] = xf.param "gate" from "gate" {transposed} : tensor<8x16xf32, #xf.panels<64>>
// CHECK-DAG: %[[U:.*]] = xf.param "up" from "up" {transposed} : tensor<8x16xf32, #xf.panels<64>>
// CHECK: xf.linear %{{.*}}, %[[U]] gate %[[G]] {activation = "silu"} : tensor<?x?x8xf32>, tensor<8x16xf32, #xf.panels<64>> gate tensor<8x16xf32, #xf.panels<64>>
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
// CHECK: %[[W:.*]] = xf.param_concat "qk" from ["q", "k"] sizes [8, 4] {transposed} : tensor<8x12xf32, #xf.panels<64>>
// CHECK: xf.linear %{{.*}}, %[[W]] : tensor<?x?x8xf32>, tensor<8x12xf32, #xf.panels<64>> -> tensor<?x?x12xf32>
func.func @concat(%x: tensor<?x?x8xf32>) -> tensor<?x?x12xf32> {
  %w = xf.param_concat "qk" from ["q", "k"] sizes [8, 4] : tensor<12x8xf32>
  %y = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<12x8xf32> -> tensor<?x?x12xf32>
  return %y : tensor<?x?x12xf32>
}

// -----

// Already packed: a weight in panels is left as it is (the pass is idempotent).
// CHECK-LABEL: func.func @already_packed
// CHECK: %[[W:.*]] = xf.param "w" from "w" {transposed} : tensor<8x4xf32, #xf.panels<64>>
// CHECK-NEXT: xf.linear %{{.*}}, %[[W]] :
func.func @already_packed(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = xf.param "w" from "w" {transposed} : tensor<8x4xf32, #xf.panels<64>>
  %y = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x4xf32, #xf.panels<64>> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// One square weight read both ways (transposed by one linear, as stored by
// the other): two packed declarations, the original erased once.
// CHECK-LABEL: func.func @both_ways
// CHECK-DAG: xf.param "w" from "w" {transposed} : tensor<8x8xf32, #xf.panels<64>>
// CHECK-DAG: xf.param "w" from "w" : tensor<8x8xf32, #xf.panels<64>>
// CHECK-NOT: xf.param "w" from "w" : tensor<8x8xf32>{{$}}
func.func @both_ways(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %a = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %b = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
