// A small nn graph with the shape arithmetic torch.onnx emits around a
// linear layer: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
func.func @main(%x: tensor<2x8x64xf32> {nn.name = "x"}) -> (tensor<2x8x32xf32> {nn.name = "y"}) {
  %w = nn.constant dense<0.5> : tensor<64x32xf32>
  %shape = nn.shape %x : tensor<2x8x64xf32> -> tensor<3xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %b = nn.gather %shape, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = nn.unsqueeze %b, axes = [0] : tensor<i64> -> tensor<1xi64>
  %rest = nn.constant dense<[-1, 64]> : tensor<2xi64>
  %flat_shape = nn.concat %bu, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %xf = nn.reshape %x, %flat_shape : (tensor<2x8x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %y = nn.matmul %xf, %w : (tensor<?x?x?xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  %yc = nn.cast %y : tensor<?x?x32xf32> to f32
  %r = nn.reshape %yc, %flat_shape : (tensor<?x?x32xf32>, tensor<3xi64>) -> tensor<2x8x32xf32>
  return %r : tensor<2x8x32xf32>
}
