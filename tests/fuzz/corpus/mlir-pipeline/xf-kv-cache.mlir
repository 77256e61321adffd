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

// -----

// A sliding-window layer with window 4 < max_seq 16 gets ring caches of 4 slots; window 16 >= max_seq keeps contiguous caches. Cache slots are numbered alike in prefill and decode; decode drops the window (the ring holds exactly the last 4 keys).
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x?xi64>,
// CHECK-SAME:      %[[K0:[^:]*]]: !xf.kv_cache<ring, 2, 4, 4, f32> {xf.cache_slot = 0 : i64}, %[[V0:[^:]*]]: !xf.kv_cache<ring, 2, 4, 4, f32> {xf.cache_slot = 1 : i64},
// CHECK-SAME:      %[[K1:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %[[V1:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 3 : i64})
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         xf.cache_append %[[K0]][%[[C0]]]
// CHECK:         xf.cache_append %[[V0]][%[[C0]]]
// CHECK:         %[[A:.*]] = xf.attention {{.*}} mask_kind sliding_window scale 5.000000e-01 {window = 4 : i64}
// CHECK:         xf.cache_append %[[K1]][%[[C0]]], %[[A]]
// CHECK:         xf.cache_append %[[V1]][%[[C0]]], %[[A]]
// CHECK:         xf.attention %[[A]], %[[A]], %[[A]] mask_kind sliding_window scale 5.000000e-01 {window = 16 : i64}
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x1xi64>, %[[POS:[^:]*]]: index,
// CHECK-SAME:      %[[K0:[^:]*]]: !xf.kv_cache<ring, 2, 4, 4, f32> {xf.cache_slot = 0 : i64}, %[[V0:[^:]*]]: !xf.kv_cache<ring, 2, 4, 4, f32> {xf.cache_slot = 1 : i64},
// CHECK-SAME:      %[[K1:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %[[V1:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 3 : i64})
// CHECK:         %[[K0ALL:.*]] = xf.cache_append %[[K0]][%[[POS]]]
// CHECK:         %[[V0ALL:.*]] = xf.cache_append %[[V0]][%[[POS]]]
// CHECK:         %[[A:.*]] = xf.attention %{{.*}}, %[[K0ALL]], %[[V0ALL]] mask_kind none scale 5.000000e-01 :
// CHECK:         %[[K1ALL:.*]] = xf.cache_append %[[K1]][%[[POS]]], %[[A]]
// CHECK:         %[[V1ALL:.*]] = xf.cache_append %[[V1]][%[[POS]]], %[[A]]
// CHECK:         xf.attention %[[A]], %[[K1ALL]], %[[V1ALL]] mask_kind none scale 5.000000e-01 :
// With max-seq=32 the window-16 layer is below capacity too, so it gets a ring of 16.
// CAP:         func.func @prefill(%{{.*}}: tensor<?x?xi64>, %{{.*}}: !xf.kv_cache<ring, 2, 4, 4, f32>
// CAP-SAME:        !xf.kv_cache<ring, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %{{.*}}: !xf.kv_cache<ring, 2, 16, 4, f32> {xf.cache_slot = 3 : i64})
// CAP:         func.func @decode(
// CAP-SAME:        !xf.kv_cache<ring, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %{{.*}}: !xf.kv_cache<ring, 2, 16, 4, f32> {xf.cache_slot = 3 : i64})
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %a = xf.attention %x2, %x2, %x2 mask_kind sliding_window scale 5.000000e-01 {window = 4 : i64}
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %b = xf.attention %a, %a, %a mask_kind sliding_window scale 5.000000e-01 {window = 16 : i64}
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %b1 = xf.transpose %b [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %b2 = xf.reshape %b1 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    return %b2 : tensor<?x?x8xf32>
  }
}

// -----

// Encoder-decoder: @forward(ids, dec) becomes @encode (cross-attention k/v into caches at 0, no results), @prefill and @decode (self caches appended, cross k/v read back up to enc_len); slots are self first, then cross, in every entry point.
// CHECK-LABEL: func.func @encode(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x?xi64>, %[[CK:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %[[CV:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 3 : i64}) {
// CHECK-NOT:     mask_kind causal
// CHECK:         %[[ENC:.*]] = xf.attention {{.*}} mask_kind none
// CHECK:         %[[EV:.*]] = xf.scale %[[ENC]] by 2.000000e+00
// CHECK-NOT:     mask_kind causal
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         xf.cache_append %[[CK]][%[[C0]]], %[[ENC]]
// CHECK:         xf.cache_append %[[CV]][%[[C0]]], %[[EV]]
// CHECK-NEXT:    return{{$}}
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME:      %[[DEC:[^:]*]]: tensor<?x?xi64>, %[[LEN:[^:]*]]: index,
// CHECK-SAME:      %[[SK:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 0 : i64}, %[[SV:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 1 : i64},
// CHECK-SAME:      %[[CK:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %[[CV:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 3 : i64}) -> tensor<?x?x11xf32>
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         xf.embedding %{{.*}}[%[[DEC]]]
// CHECK:         xf.cache_append %[[SK]][%[[C0]]]
// CHECK:         xf.cache_append %[[SV]][%[[C0]]]
// CHECK:         %[[S:.*]] = xf.attention {{.*}} mask_kind causal
// CHECK:         %[[RK:.*]] = xf.cache_read %[[CK]][%[[LEN]]]
// CHECK:         %[[RV:.*]] = xf.cache_read %[[CV]][%[[LEN]]]
// CHECK:         xf.attention %[[S]], %[[RK]], %[[RV]] mask_kind none
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:      %[[TOK:[^:]*]]: tensor<?x1xi64>, %[[POS:[^:]*]]: index, %[[LEN:[^:]*]]: index,
// CHECK-SAME:      %[[SK:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 0 : i64}, %[[SV:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 1 : i64},
// CHECK-SAME:      %[[CK:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 2 : i64}, %[[CV:[^:]*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {xf.cache_slot = 3 : i64}) -> tensor<?x?x11xf32>
// CHECK:         xf.embedding %{{.*}}[%[[TOK]]]
// CHECK:         %[[SKALL:.*]] = xf.cache_append %[[SK]][%[[POS]]]
// CHECK:         %[[SVALL:.*]] = xf.cache_append %[[SV]][%[[POS]]]
// CHECK:         %[[S:.*]] = xf.attention %{{.*}}, %[[SKALL]], %[[SVALL]] mask_kind none
// CHECK:         %[[RK:.*]] = xf.cache_read %[[CK]][%[[LEN]]]
// CHECK:         %[[RV:.*]] = xf.cache_read %[[CV]][%[[LEN]]]
// CHECK:         xf.attention %[[S]], %[[RK]], %[[RV]] mask_kind none
// CHECK-NOT:     func.func @forward
module attributes {xf.model = {kind = "encoder-decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, decoder_start_token_id = 0 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>, %dec: tensor<?x?xi64>) -> tensor<?x?x11xf32> {
    %wte = xf.param "shared" from "shared.weight" : tensor<11x8xf32>
    %e = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %e1 = xf.reshape %e : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %e2 = xf.transpose %e1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %enc = xf.attention %e2, %e2, %e2 mask_kind none scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %ev = xf.scale %enc by 2.000000e+00 : tensor<?x2x?x4xf32>
    %d = xf.embedding %wte[%dec] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %d1 = xf.reshape %d : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %d2 = xf.transpose %d1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %s = xf.attention %d2, %d2, %d2 mask_kind causal scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %c = xf.attention %s, %enc, %ev mask_kind none scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %c1 = xf.transpose %c [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %c2 = xf.reshape %c1 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %logits = xf.linear %c2, %wte {transpose_w} : tensor<?x?x8xf32>, tensor<11x8xf32> -> tensor<?x?x11xf32>
    return %logits : tensor<?x?x11xf32>
  }
}
