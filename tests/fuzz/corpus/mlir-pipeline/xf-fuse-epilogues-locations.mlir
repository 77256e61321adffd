// RUN: xf-opt %s --xf-fuse-epilogues --mlir-print-debuginfo | FileCheck %s

// Provenance: a GEMM that absorbs its bias, activation and residual carries
// the checkpoint modules of all of them as one fused location.
// CHECK: xf.linear {{.*}} {activation = "gelu_tanh"} {{.*}} loc(#[[FC:loc[0-9]*]])
// CHECK: xf.linear {{.*}} residual {{.*}} loc(#[[PROJ:loc[0-9]*]])
// CHECK-DAG: #[[FC_NAME:loc[0-9]*]] = loc("h.0.mlp.c_fc")
// CHECK-DAG: #[[ACT:loc[0-9]*]] = loc("h.0.mlp.act")
// CHECK-DAG: #[[PROJ_NAME:loc[0-9]*]] = loc("h.0.mlp.c_proj")
// CHECK-DAG: #[[BLOCK:loc[0-9]*]] = loc("h.0")
// CHECK-DAG: #[[FC]] = loc(fused[#[[FC_NAME]], #[[ACT]]])
// CHECK-DAG: #[[PROJ]] = loc(fused[#[[PROJ_NAME]], #[[BLOCK]]])
func.func @mlp(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w1 = xf.param "w1" from "w1" : tensor<8x32xf32> loc("h.0.mlp.c_fc.weight")
  %b1 = xf.param "b1" from "b1" : tensor<32xf32> loc("h.0.mlp.c_fc.bias")
  %h0 = xf.linear %x, %w1 : tensor<?x?x8xf32>, tensor<8x32xf32> -> tensor<?x?x32xf32> loc("h.0.mlp.c_fc")
  %h1 = xf.add %h0, %b1 : tensor<?x?x32xf32>, tensor<32xf32> loc("h.0.mlp.c_fc")
  %h = xf.gelu %h1 approximate "tanh" : tensor<?x?x32xf32> loc("h.0.mlp.act")
  %w2 = xf.param "w2" from "w2" : tensor<32x8xf32> loc("h.0.mlp.c_proj.weight")
  %b2 = xf.param "b2" from "b2" : tensor<8xf32> loc("h.0.mlp.c_proj.bias")
  %y0 = xf.linear %h, %w2 : tensor<?x?x32xf32>, tensor<32x8xf32> -> tensor<?x?x8xf32> loc("h.0.mlp.c_proj")
  %y1 = xf.add %y0, %b2 : tensor<?x?x8xf32>, tensor<8xf32> loc("h.0.mlp.c_proj")
  %y = xf.add %x, %y1 : tensor<?x?x8xf32>, tensor<?x?x8xf32> loc("h.0")
  return %y : tensor<?x?x8xf32>
}
