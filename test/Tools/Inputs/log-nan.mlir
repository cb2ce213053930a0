// Input of gptq-run-errors.test: a log that makes NaN from negative input.
func.func @main(%x: tensor<3xf32> {nn.name = "x"}) -> (tensor<3xf32> {nn.name = "y"}) {
  %0 = nn.log %x : tensor<3xf32> loc("the_log")
  return %0 : tensor<3xf32>
}
