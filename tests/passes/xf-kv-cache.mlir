// RUN: xf-opt %s --split-input-file --xf-kv-cache | FileCheck %s
// RUN: xf-opt %s --split-input-file --xf-kv-cache=max-seq=32 | FileCheck %s --check-prefix=CAP
// Errors (non-causal attention, missing @forward, ...) are in xf-kv-cache-invalid.mlir.

// @forward becomes @prefill (caches written at 0, causal) and @decode (positions and appends at %pos, no mask).
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[KC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[VC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}) -> tensor<?x?x11xf32>
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         xf.position_ids %[[IDS]] : tensor<?x?xi64>
// CHECK:         xf.cache_append %[[KC]][%[[C0]]], %[[K:.*]] :
// CHECK:         xf.cache_append %[[VC]][%[[C0]]], %[[V:.*]] :
// CHECK:         xf.attention %{{.*}}, %[[K]], %[[V]] mask_kind causal scale 5.000000e-01
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x1xi64>, %[[POS:.*]]: index, %[[KC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[VC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}) -> tensor<?x?x11xf32>
// CHECK:         xf.position_ids %[[IDS]] offset %[[POS]] : tensor<?x1xi64>
// CHECK:         %[[KALL:.*]] = xf.cache_append %[[KC]][%[[POS]]], %{{.*}} :
// CHECK:         %[[VALL:.*]] = xf.cache_append %[[VC]][%[[POS]]], %{{.*}} :
// CHECK:         xf.attention %{{.*}}, %[[KALL]], %[[VALL]] mask_kind none scale 5.000000e-01
// CHECK-NOT:     func.func @forward
// CAP-LABEL:   func.func @prefill(
// CAP-SAME:        !xf.kv_cache<contiguous, 2, 32, 4, f32>
// CAP-LABEL:   func.func @decode(
// CAP-SAME:        !xf.kv_cache<contiguous, 2, 32, 4, f32>
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, eos_token_ids = array<i64: 10>}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x11xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %wpe = xf.param "wpe" from "wpe.weight" : tensor<16x8xf32>
    %pos = xf.position_ids %ids : tensor<?x?xi64>
    %tok = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %pe = xf.embedding %wpe[%pos] : tensor<16x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %h = xf.add %tok, %pe : tensor<?x?x8xf32>, tensor<?x?x8xf32>
    %w = xf.param "c_attn" from "h.0.attn.c_attn.weight" : tensor<8x24xf32>
    %qkv = xf.linear %h, %w : tensor<?x?x8xf32>, tensor<8x24xf32> -> tensor<?x?x24xf32>
    %q0 = xf.slice %qkv axis 2 [0, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %k0 = xf.slice %qkv axis 2 [8, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %v0 = xf.slice %qkv axis 2 [16, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %q1 = xf.reshape %q0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %k1 = xf.reshape %k0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %v1 = xf.reshape %v0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %q = xf.transpose %q1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %k = xf.transpose %k1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %v = xf.transpose %v1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %o = xf.attention %q, %k, %v mask_kind causal scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %ot = xf.transpose %o [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %om = xf.reshape %ot : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %logits = xf.linear %om, %wte {transpose_w} : tensor<?x?x8xf32>, tensor<11x8xf32> -> tensor<?x?x11xf32>
    return %logits : tensor<?x?x11xf32>
  }
}

// -----

// Each layer gets its own key and value cache, in layer order; a function other than @forward is left alone.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[K0:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[V0:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[K1:.*]]: !xf.kv_cache<contiguous, 4, 16, 2, f32> {{.*}}, %[[V1:.*]]: !xf.kv_cache<contiguous, 4, 16, 2, f32> {{.*}})
// CHECK:         xf.cache_append %[[K0]]
// CHECK:         xf.cache_append %[[V0]]
// CHECK:         xf.attention {{.*}} mask_kind causal
// CHECK:         xf.cache_append %[[K1]]
// CHECK:         xf.cache_append %[[V1]]
// CHECK:         xf.attention {{.*}} mask_kind causal
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x1xi64>, %[[POS:.*]]: index, %[[K0:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[V0:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[K1:.*]]: !xf.kv_cache<contiguous, 4, 16, 2, f32> {{.*}}, %[[V1:.*]]: !xf.kv_cache<contiguous, 4, 16, 2, f32> {{.*}})
// CHECK:         %[[K0ALL:.*]] = xf.cache_append %[[K0]][%[[POS]]]
// CHECK:         %[[V0ALL:.*]] = xf.cache_append %[[V0]][%[[POS]]]
// CHECK:         xf.attention %{{.*}}, %[[K0ALL]], %[[V0ALL]] mask_kind none
// CHECK:         %[[K1ALL:.*]] = xf.cache_append %[[K1]][%[[POS]]]
// CHECK:         %[[V1ALL:.*]] = xf.cache_append %[[V1]][%[[POS]]]
// CHECK:         xf.attention %{{.*}}, %[[K1ALL]], %[[V1ALL]] mask_kind none
// CHECK-LABEL: func.func @helper(
// CHECK-NOT:     xf.cache_append
// CHECK:         xf.attention {{.*}} mask_kind causal
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %a = xf.attention %x2, %x2, %x2 mask_kind causal scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %a1 = xf.transpose %a [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %a2 = xf.reshape %a1 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %y1 = xf.reshape %a2 : tensor<?x?x8xf32> -> tensor<?x?x4x2xf32>
    %y2 = xf.transpose %y1 [0, 2, 1, 3] : tensor<?x?x4x2xf32> -> tensor<?x4x?x2xf32>
    %b = xf.attention %y2, %y2, %y2 mask_kind causal scale 7.071067e-01
        : tensor<?x4x?x2xf32>, tensor<?x4x?x2xf32>, tensor<?x4x?x2xf32> -> tensor<?x4x?x2xf32>
    %b1 = xf.transpose %b [0, 2, 1, 3] : tensor<?x4x?x2xf32> -> tensor<?x?x4x2xf32>
    %b2 = xf.reshape %b1 : tensor<?x?x4x2xf32> -> tensor<?x?x8xf32>
    return %b2 : tensor<?x?x8xf32>
  }
  func.func @helper(%q: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
    %o = xf.attention %q, %q, %q mask_kind causal scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    return %o : tensor<?x2x?x4xf32>
  }
}
