// RUN: xf-opt %s --xf-pipeline | FileCheck %s
// RUN: xf-opt %s --xf-pipeline | FileCheck %s --check-prefix=GONE
// RUN: xf-opt %s --xf-pipeline | FileCheck %s --check-prefix=HOST

// A 1-layer GPT-2 (hidden 8, 2 heads of 4, vocabulary 11) as the importer
// writes it, through the whole pipeline: the attention chain is fused, the
// causal mask becomes an attribute, @forward splits into @prefill and @decode
// with KV-caches, every compute op is outlined and identical kernels are shared.

// Nothing of the unfused attention chain, the mask tensor or @forward is left.
// GONE-NOT: xf.causal_mask
// GONE-NOT: xf.matmul
// GONE-NOT: xf.softmax
// GONE-NOT: xf.scale
// GONE-NOT: @forward

// Kernels: one private xf.kernel function per distinct op, before the entries.
// CHECK:       func.func private @[[LN:layer_norm[_0-9]*]](
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.layer_norm
// CHECK:       func.func private @[[CAUSAL:attention[_0-9]*]](
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.attention %{{.*}}, %{{.*}}, %{{.*}} mask_kind causal scale 5.000000e-01
// CHECK:       func.func private @[[GELU:linear[_0-9]*]]({{.*}}) -> tensor<?x?x32xf32> attributes {xf.kernel}
// CHECK-NEXT:    xf.linear %{{.*}}, %{{.*}} bias %{{.*}} {activation = "gelu_tanh"}
// CHECK:       func.func private @[[HEAD:linear[_0-9]*]]({{.*}}) -> tensor<?x?x11xf32> attributes {xf.kernel}
// CHECK-NEXT:    xf.linear %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<8x11xf32, #xf.panels<64>> -> tensor<?x?x11xf32>

// Prefill writes the prompt's keys and values at 0 and attends causally; the
// three layer norms share one kernel.
// CHECK-LABEL: func.func @prefill(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x?xi64>, %[[KC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[VC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}) -> tensor<?x?x11xf32>
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         xf.position_ids %[[IDS]] : tensor<?x?xi64>
// CHECK:         call @[[LN]](
// CHECK:         xf.cache_append %[[KC]][%[[C0]]], %[[K:.*]] :
// CHECK:         xf.cache_append %[[VC]][%[[C0]]], %[[V:.*]] :
// CHECK:         call @[[CAUSAL]](%{{.*}}, %[[K]], %[[V]])
// CHECK:         call @[[LN]](
// CHECK:         call @[[GELU]](
// CHECK:         %[[NORMED:.*]] = call @[[LN]](
// CHECK:         %[[LOGITS:.*]] = call @[[HEAD]](%[[NORMED]],
// CHECK:         return %[[LOGITS]]

// Decode's attention kernel has no mask: one query sees the whole cache.
// CHECK:       func.func private @[[UNMASKED:attention[_0-9]*]](
// CHECK-SAME:      attributes {xf.kernel}
// CHECK-NEXT:    xf.attention %{{.*}}, %{{.*}}, %{{.*}} mask_kind none scale 5.000000e-01

// Decode starts its positions at %pos, appends to the caches, attends over
// them, and shares every other kernel with prefill.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:      %[[IDS:.*]]: tensor<?x1xi64>, %[[POS:.*]]: index, %[[KC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}, %[[VC:.*]]: !xf.kv_cache<contiguous, 2, 16, 4, f32> {{.*}}) -> tensor<?x?x11xf32>
// CHECK:         xf.position_ids %[[IDS]] offset %[[POS]] : tensor<?x1xi64>
// CHECK:         call @[[LN]](
// CHECK:         %[[KALL:.*]] = xf.cache_append %[[KC]][%[[POS]]]
// CHECK:         %[[VALL:.*]] = xf.cache_append %[[VC]][%[[POS]]]
// CHECK:         call @[[UNMASKED]](%{{.*}}, %[[KALL]], %[[VALL]])
// CHECK:         call @[[LN]](
// CHECK:         call @[[GELU]](
// CHECK:         %[[NORMED:.*]] = call @[[LN]](
// CHECK:         %[[LOGITS:.*]] = call @[[HEAD]](%[[NORMED]],
// CHECK:         return %[[LOGITS]]

// The entry points are host programs: params, positions, views (reshapes,
// slices), cache appends and calls, no compute op of their own.
// HOST-LABEL: func.func @prefill(
// HOST-NOT:     xf.{{embedding|add|layer_norm|linear|transpose|attention|gelu}}
// HOST:         return
// HOST-LABEL: func.func @decode(
// HOST-NOT:     xf.{{embedding|add|layer_norm|linear|transpose|attention|gelu}}
// HOST:         return

module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, eos_token_ids = array<i64: 10>, checkpoint = "/tmp/gpt2-tiny.safetensors"}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x11xf32> {
    %wte = xf.param "wte" from "transformer.wte.weight" : tensor<11x8xf32>
    %wpe = xf.param "wpe" from "transformer.wpe.weight" : tensor<16x8xf32>
    %pos = xf.position_ids %ids : tensor<?x?xi64>
    %mask = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
    %tok = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %pe = xf.embedding %wpe[%pos] : tensor<16x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %h0 = xf.add %tok, %pe : tensor<?x?x8xf32>, tensor<?x?x8xf32>

    // Attention block.
    %ln1_g = xf.param "h.0.ln_1.weight" from "transformer.h.0.ln_1.weight" : tensor<8xf32>
    %ln1_b = xf.param "h.0.ln_1.bias" from "transformer.h.0.ln_1.bias" : tensor<8xf32>
    %ln1 = xf.layer_norm %h0, %ln1_g, %ln1_b eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    %attn_w = xf.param "h.0.attn.c_attn.weight" from "transformer.h.0.attn.c_attn.weight" : tensor<8x24xf32>
    %attn_b = xf.param "h.0.attn.c_attn.bias" from "transformer.h.0.attn.c_attn.bias" : tensor<24xf32>
    %qkv = xf.linear %ln1, %attn_w bias %attn_b : tensor<?x?x8xf32>, tensor<8x24xf32>, tensor<24xf32> -> tensor<?x?x24xf32>
    %q0 = xf.slice %qkv axis 2 [0, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %k0 = xf.slice %qkv axis 2 [8, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %v0 = xf.slice %qkv axis 2 [16, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    %q1 = xf.reshape %q0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %k1 = xf.reshape %k0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %v1 = xf.reshape %v0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %q = xf.transpose %q1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %k = xf.transpose %k1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %v = xf.transpose %v1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %kt = xf.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
    %s = xf.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
    %ss = xf.scale %s by 5.000000e-01 : tensor<?x2x?x?xf32>
    %sm = xf.add %ss, %mask : tensor<?x2x?x?xf32>, tensor<?x?xf32>
    %p = xf.softmax %sm : tensor<?x2x?x?xf32>
    %o = xf.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %ot = xf.transpose %o [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %om = xf.reshape %ot : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %proj_w = xf.param "h.0.attn.c_proj.weight" from "transformer.h.0.attn.c_proj.weight" : tensor<8x8xf32>
    %proj_b = xf.param "h.0.attn.c_proj.bias" from "transformer.h.0.attn.c_proj.bias" : tensor<8xf32>
    %a = xf.linear %om, %proj_w bias %proj_b : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
    %h1 = xf.add %h0, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>

    // MLP block.
    %ln2_g = xf.param "h.0.ln_2.weight" from "transformer.h.0.ln_2.weight" : tensor<8xf32>
    %ln2_b = xf.param "h.0.ln_2.bias" from "transformer.h.0.ln_2.bias" : tensor<8xf32>
    %ln2 = xf.layer_norm %h1, %ln2_g, %ln2_b eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    %fc_w = xf.param "h.0.mlp.c_fc.weight" from "transformer.h.0.mlp.c_fc.weight" : tensor<8x32xf32>
    %fc_b = xf.param "h.0.mlp.c_fc.bias" from "transformer.h.0.mlp.c_fc.bias" : tensor<32xf32>
    %fc = xf.linear %ln2, %fc_w bias %fc_b : tensor<?x?x8xf32>, tensor<8x32xf32>, tensor<32xf32> -> tensor<?x?x32xf32>
    %g = xf.gelu %fc approximate "tanh" : tensor<?x?x32xf32>
    %mp_w = xf.param "h.0.mlp.c_proj.weight" from "transformer.h.0.mlp.c_proj.weight" : tensor<32x8xf32>
    %mp_b = xf.param "h.0.mlp.c_proj.bias" from "transformer.h.0.mlp.c_proj.bias" : tensor<8xf32>
    %mp = xf.linear %g, %mp_w bias %mp_b : tensor<?x?x32xf32>, tensor<32x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
    %h2 = xf.add %h1, %mp : tensor<?x?x8xf32>, tensor<?x?x8xf32>

    // Final norm and the tied lm_head.
    %lnf_g = xf.param "ln_f.weight" from "transformer.ln_f.weight" : tensor<8xf32>
    %lnf_b = xf.param "ln_f.bias" from "transformer.ln_f.bias" : tensor<8xf32>
    %lnf = xf.layer_norm %h2, %lnf_g, %lnf_b eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    %logits = xf.linear %lnf, %wte {transpose_w} : tensor<?x?x8xf32>, tensor<11x8xf32> -> tensor<?x?x11xf32>
    return %logits : tensor<?x?x11xf32>
  }
}
