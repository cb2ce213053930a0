// gptq-repack: weights into the "gpu" layout (runtime/quant/Repack.h).
// RUN: gptq-opt %s --gptq-repack -split-input-file | FileCheck %s

// 4 bits, values 0..7 in one word (0x76543210): interleaved into fields
// [v0 v2 v4 v6 v1 v3 v5 v7] = 0x75316420 = 1966171168.
// CHECK-LABEL: func.func @four_bits
// CHECK: %[[QW:.*]] = nn.constant dense<1966171168> : tensor<1x1xi32>
// CHECK: gptq.matmul_nbits %{{.*}}, %[[QW]], %{{.*}}, %{{.*}} {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>}
func.func @four_bits(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %qw = nn.constant dense<1985229328> : tensor<1x1xi32>
  %s = nn.constant dense<1.0> : tensor<1x1xf16>
  %qz = nn.constant dense<8> : tensor<1x1xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>} : (tensor<2x8xf32>, tensor<1x1xi32>, tensor<1x1xf16>, tensor<1x1xi32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Two columns of 32 rows at 2 bits: 2 words per column, stored column by
// column per chunk ([w0 of col 0, w1 of col 0, w0 of col 1, w1 of col 1]).
// Column 0 holds words 1 (row 0 = 1) and 2 (row 16 = 2), column 1 holds 3
// (row 0 = 3) and 0x40000000 (row 31 = 1). Interleaving keeps these values
// in place (rows 0 and 16 are even, in field 0; row 31, odd, position 15 of
// its word, goes to field 8 + 7 = 15, bits 30-31).
// CHECK-LABEL: func.func @two_bits_chunked
// CHECK: nn.constant dense<{{\[}}[1, 2], [3, 1073741824]]> : tensor<2x2xi32>
// CHECK: gptq.fused_matmul_nbits {{.*}} {layout = "gpu"
func.func @two_bits_chunked(%x: tensor<1x32xf32>) -> tensor<1x2xf32> {
  %qw = nn.constant dense<[[1, 3], [2, 1073741824]]> : tensor<2x2xi32>
  %s = nn.constant dense<1.0> : tensor<1x2xf16>
  %qz = nn.constant dense<0> : tensor<1x1xi32>
  %y = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["relu"] {quant = #gptq.quant<bits = 2, group_size = -1, sym = true, desc_act = false>} : (tensor<1x32xf32>, tensor<2x2xi32>, tensor<1x2xf16>, tensor<1x1xi32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Act-order: rows are stored sorted by g_idx (rows 1, 3, ... first). 8 rows
// of one column at 4 bits, q[r] = r: sorted order 1 3 5 7 0 2 4 6, then
// interleaved: [1 5 0 4 3 7 2 6] = 0x62734051 = 1651720273.
// CHECK-LABEL: func.func @act_order
// CHECK: nn.constant dense<1651720273> : tensor<1x1xi32>
func.func @act_order(%x: tensor<1x8xf32>) -> tensor<1x1xf32> {
  %qw = nn.constant dense<1985229328> : tensor<1x1xi32>
  %s = nn.constant dense<1.0> : tensor<2x1xf16>
  %qz = nn.constant dense<8> : tensor<2x1xi32>
  %g = nn.constant dense<[1, 0, 1, 0, 1, 0, 1, 0]> : tensor<8xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %qz g_idx(%g) {quant = #gptq.quant<bits = 4, group_size = 4, sym = true, desc_act = true>} : (tensor<1x8xf32>, tensor<1x1xi32>, tensor<2x1xf16>, tensor<2x1xi32>, tensor<8xi32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Already repacked: unchanged.
// CHECK-LABEL: func.func @already_gpu
// CHECK: nn.constant dense<1985229328> : tensor<1x1xi32>
// CHECK: {layout = "gpu"
func.func @already_gpu(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %qw = nn.constant dense<1985229328> : tensor<1x1xi32>
  %s = nn.constant dense<1.0> : tensor<1x1xf16>
  %qz = nn.constant dense<8> : tensor<1x1xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %qz {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = -1, sym = true, desc_act = false>} : (tensor<2x8xf32>, tensor<1x1xi32>, tensor<1x1xf16>, tensor<1x1xi32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
