// What gptq-lower-to-cuda refuses, naming the op.
// RUN: gptq-opt %s --gptq-lower-to-cuda -split-input-file -verify-diagnostics

func.func @not_repacked(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'gptq.matmul_nbits' op has its weight in the "gptq" layout; the CUDA kernels read the "gpu" layout (run gptq-repack first)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

func.func @bf16(%x: tensor<4x64xbf16>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<4x32xbf16> {
  // expected-error @+1 {{'gptq.matmul_nbits' op cannot be lowered to CUDA: 'bf16' activations (the kernels take f16 or f32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xbf16>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xbf16>
  return %0 : tensor<4x32xbf16>
}

// -----

func.func @group_16(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<4x32xf16>, %qz: tensor<4x4xi32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'gptq.matmul_nbits' op cannot be lowered to CUDA: group_size 16 is not supported by the CUDA kernels (-1 or a multiple of 32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 16, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<4x32xf16>, tensor<4x4xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

// 48 rows in group 0 and 16 in group 1: the second 32-row chunk spans both.
func.func @act_order_unaligned(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<4x32xf32> {
  %g = nn.constant dense<[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<64xi32>
  // expected-error @+1 {{'gptq.matmul_nbits' op cannot be lowered to CUDA: rows 32..63 (in act-order) span groups 0 and 1; the CUDA kernels need every 32-row chunk in one group (group sizes that are multiples of 32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz g_idx(%g) {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = true>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<64xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
