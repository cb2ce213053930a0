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
  // expected-error @+1 {{'gptq.matmul_nbits' op input has a dynamic last dimension and neither in_features nor g_idx gives K (the packed operands give it only up to rounding)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

// K comes from the weight (in_features); a static last dimension must agree.
func.func @in_features_mismatch(%x: tensor<4x32xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op input has K = 32 (last dimension) but the weight has K = 64 (in_features)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x32xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

// in_features must fit the packed operands: 8 rows of 4-bit values are
// K in 57..64, not 70.
func.func @in_features_vs_qweight(%x: tensor<4x?xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op qweight dimension 0 is 8, expected 9 = ceil(K=70 * bits=4 / 32)}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {in_features = 70 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @in_features_not_positive(%x: tensor<4x?xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op in_features must be positive, got 0}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {in_features = 0 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_in_features_mismatch(%x: tensor<4x32xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op input has K = 32 (last dimension) but the weight has K = 64 (in_features)}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["relu"] {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x32xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
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

// -----

func.func @bad_layout(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.matmul_nbits' op layout must be "gptq" or "gpu", got "tiled"}}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {layout = "tiled", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_empty_epilogue(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op epilogue is empty (use gptq.matmul_nbits)}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue [] {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_unknown_step(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op unknown epilogue step "gelu" (expected relu, silu, add or mul)}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["gelu"] {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_operand_count(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op epilogue has 1 add/mul step(s) but 0 epilogue operand(s)}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["silu", "mul"] {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_operand_type(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>, %e: tensor<1x32xf32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op epilogue operand #0 has type 'tensor<1x32xf32>', expected the result type 'tensor<4x32xf32>'}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["add"] (%e) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<1x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fused_result_type(%x: tensor<4x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.fused_matmul_nbits' op result type 'tensor<4x33xf32>' differs from the expected 'tensor<4x32xf32>'}}
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["relu"] {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<4x33xf32>
  return
}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op path must be "gemv" or "mma", got "wgmma"}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "wgmma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op group_size 16 is not supported by the CUDA kernels (-1 or a multiple of 32)}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 16, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op io_type must be f16 or f32, got 'bf16'}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = bf16, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op grid must be [ceil(n / tile_n) = 2, ceil(M / tile_m) or -1, 1]}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 72 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op mask_k must be true for k = 72 and tile_k = 32}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 72 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op an mma kernel takes any M: max_m must be -1, got 8}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = 8 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op block has 2048 threads, more than 1024}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 1024, 2, 1>, epilogue = [], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

// expected-error @+1 {{'gptq.cuda_kernel' op at most 2 add/mul epilogue steps are supported, got 3}}
gptq.cuda_kernel @k {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = ["add", "mul", "add"], function = "f", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 0 : i64, tile = array<i64: 64, 64, 32>}

// -----

func.func @launch_layout(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op needs a weight in the "gpu" layout, got "gptq" (run gptq-repack)}}
  %0 = gptq.launch [@nope] %x, %qw, %s, %qz epilogue [] {layout = "gptq", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @launch_missing_kernel(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op kernel @nope is not a gptq.cuda_kernel}}
  %0 = gptq.launch [@nope] %x, %qw, %s, %qz epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return
}

// -----

gptq.cuda_kernel @g {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [], function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = false, max_m = 8 : i64, n = 32 : i64, path = "gemv", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64, tile = array<i64: 8, 32, 32>}

func.func @launch_gemv_only(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op its only kernel is a gemv kernel for M <= 8 but M is dynamic}}
  %0 = gptq.launch [@g] %x, %qw, %s, %qz epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return
}

// -----

gptq.cuda_kernel @g {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [], function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = false, max_m = 8 : i64, n = 32 : i64, path = "gemv", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64, tile = array<i64: 8, 32, 32>}

func.func @launch_quant_mismatch(%x: tensor<2x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<1x32xf16>, %qz: tensor<1x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op kernel @g has quant #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, the op #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>}}
  %0 = gptq.launch [@g] %x, %qw, %s, %qz epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>}
       : (tensor<2x64xf32>, tensor<8x32xi32>, tensor<1x32xf16>, tensor<1x4xi32>) -> tensor<2x32xf32>
  return
}

// -----

gptq.cuda_kernel @g {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [], function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = false, max_m = 8 : i64, n = 32 : i64, path = "gemv", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64, tile = array<i64: 8, 32, 32>}

func.func @launch_order(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op with two kernels, the first must be a gemv kernel and the second an mma kernel}}
  %0 = gptq.launch [@g, @g] %x, %qw, %s, %qz epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return
}

// -----

gptq.cuda_kernel @g {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [], function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = false, max_m = 8 : i64, n = 32 : i64, path = "gemv", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64, tile = array<i64: 8, 32, 32>}

func.func @launch_io_type(%x: tensor<2x64xf16>, %qw: tensor<8x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) {
  // expected-error @+1 {{'gptq.launch' op kernel @g has io_type 'f32', the input is 'f16'}}
  %0 = gptq.launch [@g] %x, %qw, %s, %qz epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<2x64xf16>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<2x32xf16>
  return
}
