module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64, hidden_size = 8 : i64, max_seq = 16 : i64, eos_token_ids = array<i64>, checkpoint = "none"}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<8x11xf32, #xf.panels<64>> {
    %w = xf.param "w" from "w" {transposed} : tensor<8x11xf32, #xf.panels<64>>
    %0 = xf.gelu %w approximate "tanh" : tensor<8x11xf32, #xf.panels<64>>
    return %0 : tensor<8x11xf32, #xf.panels<64>>
  }
}
