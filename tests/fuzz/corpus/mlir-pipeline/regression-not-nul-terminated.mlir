// RUN: xf-opt %s --split-input-file --xf-kv-cache --verify-diagnostics
// The inputs --xf-kv-cache refuses; what it does with valid ones is in xf-kv-cache.mlir.

// An attention that is not causal cannot be cached: the pass fails.
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    // expected-error @+1 {{xf-kv-cache: every attention of a decoder must be causal or sliding-window with no mask operand (run --xf-specialize-masks first)}}
    %a = xf.attention %x2, %x2, %x2 mask_kind none scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    return %a : tensor<?x2x?x4xf32>
  }
}

// -----

// An attention that still has its mask operand (masks not specialised yet) fails too.
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %m = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
    // expected-error @+1 {{xf-kv-cache: every attention of a decoder must be causal or sliding-window with no mask operand}}
    %a = xf.attention %x2, %x2, %x2 mask(%m : tensor<?x?xf32>) mask_kind none scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    return %a : tensor<?x2x?x4xf32>
  }
}

// -----

// The caches are typed, so heads and head_dim must be static.
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x?x4xf32> {
    %wte = xf.param "wte" from "wte.weight" : tensor<11x8xf32>
    %x = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x1 = xf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %x2 = xf.transpose %x1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x?x?x4xf32>
    // expected-error @+1 {{xf-kv-cache: heads and head_dim of k and v must be static}}
    %a = xf.attention %x2, %x2, %x2 mask_kind causal scale 5.000000e-01
        : tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32> -> tensor<?x?x?x4xf32>
    return %a : tensor<?x?x?x4xf32>
  }
}

// -----

// @forward takes the token ids and nothing else.
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  // expected-error @+1 {{xf-kv-cache: @forward must take the ids alone}}
  func.func @forward(%ids: tensor<?x?xi64>, %start: index) -> tensor<?x?xi64> {
    %p = xf.position_ids %ids offset %start : tensor<?x?xi64>
    return %p : tensor<?x?xi64>
  }
}

// -----

// A decoder module must have a @forward to split.
// expected-error @+1 {{xf-kv-cache: a decoder module needs a @forward function}}
module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64}} {
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?xi64> {
    return %ids : tensor<?x?xi64>
  }
}

// -----

// Without xf.model the pass does not know the model kind or max_seq.
// expected-error @+1 {{module has no 'xf.model' attribute}}
module {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?xi64> {
    return %ids : tensor<?x?xi64>
  }
}

// -----

// Encoder-decoder: a decoder op may read encoder values only as cross-attention keys and values (or parameters); adding the encoder output directly fails.
module attributes {xf.model = {kind = "encoder-decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, decoder_start_token_id = 0 : i64}} {
  func.func @forward(%ids: tensor<?x?xi64>, %dec: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
    %wte = xf.param "shared" from "shared.weight" : tensor<11x8xf32>
    %e = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %e1 = xf.reshape %e : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %enc = xf.transpose %e1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %d = xf.embedding %wte[%dec] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %d1 = xf.reshape %d : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %d2 = xf.transpose %d1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %c = xf.attention %d2, %enc, %enc mask_kind none scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    // expected-error @+1 {{xf-kv-cache: this decoder op reads an encoder value other than cross-attention keys and values}}
    %r = xf.add %c, %enc : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
    return %r : tensor<?x2x?x4xf32>
  }
}

// -----

// Encoder-decoder: a decoder that never attends to the encoder has nothing for @encode to compute.
module attributes {xf.model = {kind = "encoder-decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, decoder_start_token_id = 0 : i64}} {
  // expected-error @+1 {{xf-kv-cache: found no cross-attention in the decoder}}
  func.func @forward(%ids: tensor<?x?xi64>, %dec: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
    %wte = xf.param "shared" from "shared.weight" : tensor<11x8xf32>
    %d = xf.embedding %wte[%dec] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %d1 = xf.reshape %d : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %d2 = xf.transpose %d1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %s = xf.attention %d2, %d2, %d2 mask_kind causal scale 5.000000e-01
        : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    return %s : tensor<?x2x?x4xf32>
  }
}
