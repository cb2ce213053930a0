// RUN: gptq-opt %s --gptq-repack -split-input-file -verify-diagnostics

func.func @not_constant(%x: tensor<2x8xf32>, %qw: tensor<1x1xi32>) -> tensor<2x1xf32> {
  %s = nn.constant dense<1.0> : tensor<1x1xf16>
  %qz = nn.constant dense<8> : tensor<1x1xi32>
  // expected-error @+1 {{'gptq.matmul_nbits' op cannot be repacked: qweight is not an i32 nn.constant}}
  %y = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>} : (tensor<2x8xf32>, tensor<1x1xi32>, tensor<1x1xf16>, tensor<1x1xi32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
