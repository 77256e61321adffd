module attributes {xf.model = {kind = "encoder", vocab_size = 11 : i64, hidden_size = 4 : i64, max_seq = 16 : i64, checkpoint = "none"}} {
  func.func @forward(%ids: tensor<?x?xi64>, %len: tensor<?xi64>) -> tensor<?x?x4xf32> {
    %w = xf.param "w" from "w" : tensor<11x4xf32>
    %x = xf.embedding %w[%ids] : tensor<11x4xf32>, tensor<?x?xi64> -> tensor<?x?x4xf32>
    %r = xf.reshape %x : tensor<?x?x4xf32> -> tensor<?x?x1x4xf32>
    %q = xf.transpose %r [0, 2, 1, 3] : tensor<?x?x1x4xf32> -> tensor<?x1x?x4xf32>
    %kt = xf.transpose %q [0, 1, 3, 2] : tensor<?x1x?x4xf32> -> tensor<?x1x4x?xf32>
    %s = xf.matmul %q, %kt : tensor<?x1x?x4xf32>, tensor<?x1x4x?xf32> -> tensor<?x1x?x?xf32>
    %m = xf.padding_mask %len, %ids : tensor<?xi64>, tensor<?x?xi64> -> tensor<?x1x1x?xf32>
    %s2 = xf.add %s, %m : tensor<?x1x?x?xf32>, tensor<?x1x1x?xf32>
    %p = xf.softmax %s2 : tensor<?x1x?x?xf32>
    %o = xf.matmul %p, %q : tensor<?x1x?x?xf32>, tensor<?x1x?x4xf32> -> tensor<?x1x?x4xf32>
    %o1 = xf.transpose %o [0, 2, 1, 3] : tensor<?x1x?x4xf32> -> tensor<?x?x1x4xf32>
    %o2 = xf.reshape %o1 : tensor<?x?x1x4xf32> -> tensor<?x?x4xf32>
    return %o2 : tensor<?x?x4xf32>
  }
}
