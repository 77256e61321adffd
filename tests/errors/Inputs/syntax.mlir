module {
  func.func @forward(
