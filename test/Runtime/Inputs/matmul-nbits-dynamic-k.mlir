// A quantized layer whose input has a dynamic K: K = 64 comes from the
// weight (in_features), the runtime checks the input's actual last dim.
func.func @main(%x: tensor<?x?xf32> {nn.name = "x"}) -> (tensor<?x32xf32> {nn.name = "y"}) {
  %qw = nn.constant dense<286331153> : tensor<8x32xi32>
  %s = nn.constant dense<5.000000e-01> : tensor<2x32xf16>
  %qz = nn.constant dense<0> : tensor<2x4xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %qz {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
