module attributes {xf.model = {kind = "encoder", vocab_size = 11 : i64, hidden_size = 4 : i64, max_seq = 16 : i64, checkpoint = "none"}} {
  func.func private @gelu(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> attributes {xf.kernel} {
    %y = xf.gelu %x approximate "tanh" : tensor<?x?x4xf32>
    return %y : tensor<?x?x4xf32>
  }
  func.func private @add(%a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> attributes {xf.kernel} {
    %y = xf.add %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>
    return %y : tensor<?x?x4xf32>
  }
  func.func private @embedding(%w: tensor<11x4xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> attributes {xf.kernel} {
    %x = xf.embedding %w[%ids] : tensor<11x4xf32>, tensor<?x?xi64> -> tensor<?x?x4xf32>
    return %x : tensor<?x?x4xf32>
  }
  // %b is put in buffer 0 while %a, which lives there, is still to be read.
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> {
    %w = xf.param "w" from "w" : tensor<11x4xf32>
    %x = call @embedding(%w, %ids) {xf.buffer = 1 : i64} : (tensor<11x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
    %a = call @gelu(%x) {xf.buffer = 0 : i64} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    %b = call @gelu(%x) {xf.buffer = 0 : i64} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    %s = call @add(%a, %b) : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    return %s : tensor<?x?x4xf32>
  }
}
