// Every verifier error of the gptq dialect.
// RUN: gptq-opt %s -split-input-file -verify-diagnostics

func.func @bits(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{bits must be 2, 3, 4 or 8, got 5}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 5, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @group_size(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{group_size must be -1 or positive, got 0}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 0, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @dynamic_k(%x: tensor<4x?xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op input must have a static K (last dimension)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op input must have rank >= 1}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<f32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<32xf32>
  return
}

// -----

func.func @dynamic_n(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x?xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op scales must have a static N (dimension 1)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x?xf16>, tensor<2x4xi32>) -> tensor<4x?xf32>
  return
}

// -----

func.func @dynamic_packed(%x: tensor<4x64xf32>, %qw: tensor<?x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op packed operands must have static shapes}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<?x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @qweight_rows(%x: tensor<4x64xf32>, %qw: tensor<16x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op qweight dimension 0 is 16, expected 8 = ceil(K=64 * bits=4 / 32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<16x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @qweight_cols(%x: tensor<4x64xf32>, %qw: tensor<8x16xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op qweight dimension 1 is 16, expected N = 32}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x16xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @scales_groups(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<4x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op scales dimension 0 is 4, expected 2 groups (K=64, group_size=32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<4x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @qzeros_groups(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<1x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op qzeros dimension 0 is 1, expected 2 groups}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<1x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @qzeros_cols(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x8xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op qzeros dimension 1 is 8, expected 4 = ceil(N=32 * bits=4 / 32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x8xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @g_idx_len(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>, %g: tensor<32xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op g_idx dimension 0 is 32, expected K = 64}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz g_idx(%g) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = true>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<32xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @g_idx_missing(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op desc_act = true requires a g_idx operand}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = true>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @bias_len(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>, %b: tensor<16xf16>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op bias dimension 0 is 16, expected N = 32}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz bias(%b) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<16xf16>) -> tensor<4x32xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @below {{failed to infer returned types}}
  // expected-error @below {{'gptq.matmul_nbits' op inferred type(s) 'tensor<4x32xf32>' are incompatible with return type(s) of operation 'tensor<4x32xf16>'}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf16>
  return
}

// -----

func.func @dequant_dynamic(%qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.dequantize' op result must have a static [K, N] shape}}
  %0 = gptq.dequantize %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf16>
  return
}

// -----

func.func @dequant_type(%qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.dequantize' op result element type 'f32' differs from the scales' 'f16'}}
  %0 = gptq.dequantize %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<64x32xf32>
  return
}

// -----

func.func @dequant_n(%qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.dequantize' op result dimension 1 is 16, expected N = 32}}
  %0 = gptq.dequantize %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<64x16xf16>
  return
}

// -----

func.func @dequant_k(%qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.dequantize' op qweight dimension 0 is 8, expected 16 = ceil(K=128 * bits=4 / 32)}}
  %0 = gptq.dequantize %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 64, sym = true, desc_act = false>}
       : (tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<128x32xf16>
  return
}
