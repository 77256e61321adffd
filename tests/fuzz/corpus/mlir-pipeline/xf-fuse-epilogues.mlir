// RUN: xf-opt %s --split-input-file --xf-fuse-epilogues | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-fuse-epilogues --verify-diagnostics -o /dev/null

// GPT-2's MLP: bias, tanh-GELU, then bias and residual fold into the GEMMs.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[B1:.*]] = xf.param "b1"
// CHECK: %[[H:.*]] = xf.linear %[[X]], %{{.*}} bias %[[B1]] {activation = "gelu_tanh"}
// CHECK: %[[B2:.*]] = xf.param "b2"
// CHECK: %[[Y:.*]] = xf.linear %[[H]], %{{.*}} bias %[[B2]] residual %[[X]]
// CHECK-NOT: xf.add
// CHECK-NOT: xf.gelu
// CHECK: return %[[Y]]
func.func @mlp(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w1 = xf.param "w1" from "w1" : tensor<8x32xf32>
  %b1 = xf.param "b1" from "b1" : tensor<32xf32>
  %h0 = xf.linear %x, %w1 : tensor<?x?x8xf32>, tensor<8x32xf32> -> tensor<?x?x32xf32>
  %h1 = xf.add %h0, %b1 : tensor<?x?x32xf32>, tensor<32xf32>
  %h = xf.gelu %h1 approximate "tanh" : tensor<?x?x32xf32>
  %w2 = xf.param "w2" from "w2" : tensor<32x8xf32>
  %b2 = xf.param "b2" from "b2" : tensor<8xf32>
  %y0 = xf.linear %h, %w2 : tensor<?x?x32xf32>, tensor<32x8xf32> -> tensor<?x?x8xf32>
  %y1 = xf.add %y0, %b2 : tensor<?x?x8xf32>, tensor<8xf32>
  %y = xf.add %x, %y1 : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// A bias declared after its GEMM (as the LLaMA importer writes it) moves up;
// SiLU and ReLU fuse like GELU.
// CHECK-LABEL: func.func @late_bias_silu
// CHECK: %[[B:.*]] = xf.param "b"
// CHECK: xf.linear %{{.*}}, %{{.*}} bias %[[B]] {activation = "silu", transpose_w}
// CHECK-NOT: xf.silu
func.func @late_bias_silu(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = xf.param "w" from "w" : tensor<4x8xf32>
  %y0 = xf.linear %x, %w {transpose_w} : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  %b = xf.param "b" from "b" : tensor<4xf32>
  %y1 = xf.add %y0, %b : tensor<?x?x4xf32>, tensor<4xf32>
  %y = xf.silu %y1 : tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Negative: the GEMM output has a second user, so nothing fuses (remark).
// CHECK-LABEL: func.func @second_user
// CHECK: %[[Y0:.*]] = xf.linear
// CHECK: xf.add %[[Y0]]
// CHECK: return
func.func @second_user(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %b = xf.param "b" from "b" : tensor<8xf32>
  // expected-remark @+1 {{epilogue not fused: the GEMM output has 2 users, not 1}}
  %y0 = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %y1 = xf.add %y0, %b : tensor<?x?x8xf32>, tensor<8xf32>
  return %y0, %y1 : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Negative: a bias after an activation would change the order; it stays an add.
// CHECK-LABEL: func.func @bias_after_activation
// CHECK: xf.linear %{{.*}}, %{{.*}} {activation = "relu"}
// CHECK: xf.add
func.func @bias_after_activation(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %b = xf.param "b" from "b" : tensor<8xf32>
  %y0 = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %y1 = xf.relu %y0 : tensor<?x?x8xf32>
  %y = xf.add %y1, %b : tensor<?x?x8xf32>, tensor<8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Negative: a rank-2 addend is neither a bias nor a residual of the same type.
// CHECK-LABEL: func.func @broadcast_addend
// CHECK: xf.linear %{{.*}}, %{{.*}} :
// CHECK: xf.add
func.func @broadcast_addend(%x: tensor<?x?x8xf32>, %m: tensor<?x8xf32>) -> tensor<?x?x8xf32> {
  %w = xf.param "w" from "w" : tensor<8x8xf32>
  %y0 = xf.linear %x, %w : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
  %y = xf.add %y0, %m : tensor<?x?x8xf32>, tensor<?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// LLaMA's MLP: silu(gate_proj(x)) * up_proj(x) becomes one GEMM with a gate
// (both products in one pass over x); down_proj takes the residual.
// CHECK-LABEL: func.func @gated_mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>
// CHECK-DAG: %[[WG:.*]] = xf.param "gate"
// CHECK-DAG: %[[WU:.*]] = xf.param "up"
// CHECK: %[[H:.*]] = xf.linear %[[X]], %[[WU]] gate %[[WG]] {activation = "silu", transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> gate tensor<16x8xf32> -> tensor<?x?x16xf32>
// CHECK-NOT: xf.mul
// CHECK-NOT: xf.silu
// CHECK: xf.linear %[[H]], %{{.*}} residual %[[X]]
func.func @gated_mlp(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %wg = xf.param "gate" from "mlp.gate_proj.weight" : tensor<16x8xf32>
  %g = xf.linear %x, %wg {transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> -> tensor<?x?x16xf32>
  %wu = xf.param "up" from "mlp.up_proj.weight" : tensor<16x8xf32>
  %u = xf.linear %x, %wu {transpose_w} : tensor<?x?x8xf32>, tensor<16x8xf32> -> tensor<?x?x16xf32>
  %a = xf.silu %g : tensor<?x?x16xf32>
  %m = xf.mul %a, %u : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  %wd = xf.param "down" from "mlp.down_proj.weight" : tensor<8x16xf32>
  %d = xf.linear %m, %wd {transpose_w} : tensor<?x?x16xf32>, tensor<8x16xf32> -> tensor<?x?x8xf32>
  %y = xf.add %x, %d : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// T5 v1.1's order (gelu(wi_0(x)) * wi_1(x), product operands swapped): fused too.
// CHECK-LABEL: func.func @gated_gelu_swapped
// CHECK: xf.linear %{{.*}}, %{{.*}} gate %{{.*}} {activation = "gelu"}
// CHECK-NOT: xf.mul
func.func @gated_gelu_swapped(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %w0 = xf.param "wi_0" from "wi_0" : tensor<8x16xf32>
  %w1 = xf.param "wi_1" from "wi_1" : tensor<8x16xf32>
  %g = xf.linear %x, %w0 : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %a = xf.gelu %g approximate "none" : tensor<?x?x16xf32>
  %u = xf.linear %x, %w1 : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %m = xf.mul %u, %a : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  return %m : tensor<?x?x16xf32>
}

// -----

// Not fused: the up GEMM's output has a second user (it is also returned), so
// it must stay; the activation still folds into the gate GEMM.
// CHECK-LABEL: func.func @gated_second_user
// CHECK: xf.linear %{{.*}}, %{{.*}} {activation = "silu"}
// CHECK: xf.mul
func.func @gated_second_user(%x: tensor<?x?x8xf32>) -> (tensor<?x?x16xf32>, tensor<?x?x16xf32>) {
  %wg = xf.param "gate" from "gate" : tensor<8x16xf32>
  %wu = xf.param "up" from "up" : tensor<8x16xf32>
  %g = xf.linear %x, %wg : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %u = xf.linear %x, %wu : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %a = xf.silu %g : tensor<?x?x16xf32>
  // expected-remark @+1 {{gated MLP not fused: a GEMM output has another user}}
  %m = xf.mul %a, %u : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  return %m, %u : tensor<?x?x16xf32>, tensor<?x?x16xf32>
}

// -----

// Not fused: the gate GEMM has a bias (LLaMA with mlp_bias), which the gated
// kernel does not carry; and a product of GEMMs of different inputs is no MLP.
// CHECK-LABEL: func.func @gated_bias
// CHECK: xf.mul
// CHECK-LABEL: func.func @different_inputs
// CHECK: xf.mul
func.func @gated_bias(%x: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %wg = xf.param "gate" from "gate" : tensor<8x16xf32>
  %bg = xf.param "gate.bias" from "gate.bias" : tensor<16xf32>
  %wu = xf.param "up" from "up" : tensor<8x16xf32>
  %g = xf.linear %x, %wg bias %bg : tensor<?x?x8xf32>, tensor<8x16xf32>, tensor<16xf32> -> tensor<?x?x16xf32>
  %u = xf.linear %x, %wu : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %a = xf.silu %g : tensor<?x?x16xf32>
  // expected-remark @+1 {{gated MLP not fused: the gate GEMM has a bias or residual of its own}}
  %m = xf.mul %a, %u : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  return %m : tensor<?x?x16xf32>
}
func.func @different_inputs(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %wg = xf.param "gate" from "gate" : tensor<8x16xf32>
  %wu = xf.param "up" from "up" : tensor<8x16xf32>
  %g = xf.linear %x, %wg : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %u = xf.linear %y, %wu : tensor<?x?x8xf32>, tensor<8x16xf32> -> tensor<?x?x16xf32>
  %a = xf.silu %g : tensor<?x?x16xf32>
  %m = xf.mul %a, %u : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  return %m : tensor<?x?x16xf32>
}
