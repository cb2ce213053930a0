// Round trip of every gptq op and attribute.
// RUN: gptq-opt %s | gptq-opt | FileCheck %s
// RUN: gptq-opt %s -mlir-print-op-generic | gptq-opt | FileCheck %s
// RUN: gptq-opt %s -emit-bytecode | gptq-opt | FileCheck %s

// CHECK-LABEL: func @matmul_nbits_4bit
func.func @matmul_nbits_4bit(%x: tensor<?x8x64xf32>, %qw: tensor<8x32xi32>,
                             %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<?x8x32xf32> {
  // CHECK: gptq.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x8x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x8x32xf32>
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x8x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x8x32xf32>
  return %0 : tensor<?x8x32xf32>
}

// CHECK-LABEL: func @matmul_nbits_act_order_bias
func.func @matmul_nbits_act_order_bias(%x: tensor<4x172xf16>, %qw: tensor<17x64xi32>,
    %s: tensor<6x64xf16>, %qz: tensor<6x6xi32>, %g: tensor<172xi32>, %b: tensor<64xf16>) -> tensor<4x64xf16> {
  // CHECK: gptq.matmul_nbits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} g_idx(%{{.*}}) bias(%{{.*}}) {quant = #gptq.quant<bits = 3, group_size = 32, sym = false, desc_act = true>}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz g_idx(%g) bias(%b) {quant = #gptq.quant<bits = 3, group_size = 32, sym = false, desc_act = true>}
       : (tensor<4x172xf16>, tensor<17x64xi32>, tensor<6x64xf16>, tensor<6x6xi32>, tensor<172xi32>, tensor<64xf16>) -> tensor<4x64xf16>
  return %0 : tensor<4x64xf16>
}

// CHECK-LABEL: func @matmul_nbits_per_channel_8bit
func.func @matmul_nbits_per_channel_8bit(%x: tensor<64xf32>, %qw: tensor<16x10xi32>,
    %s: tensor<1x10xf32>, %qz: tensor<1x3xi32>) -> tensor<10xf32> {
  // CHECK: gptq.matmul_nbits {{.*}} {quant = #gptq.quant<bits = 8, group_size = -1, sym = true, desc_act = false>} : (tensor<64xf32>, tensor<16x10xi32>, tensor<1x10xf32>, tensor<1x3xi32>) -> tensor<10xf32>
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {quant = #gptq.quant<bits = 8, group_size = -1, sym = true, desc_act = false>}
       : (tensor<64xf32>, tensor<16x10xi32>, tensor<1x10xf32>, tensor<1x3xi32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// K from the weight: an input with a dynamic last dimension carries
// in_features, or has g_idx (whose length is K).
// CHECK-LABEL: func @matmul_nbits_dynamic_k
func.func @matmul_nbits_dynamic_k(%x: tensor<?x?x?xf32>, %qw: tensor<8x32xi32>,
    %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>, %g: tensor<64xi32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: gptq.matmul_nbits {{.*}} {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x?x32xf32>
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x?x32xf32>
  // CHECK: gptq.matmul_nbits {{.*}} g_idx(%{{.*}}) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = true>}
  %1 = gptq.matmul_nbits %x, %qw, %s, %qz g_idx(%g) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = true>}
       : (tensor<?x?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<64xi32>) -> tensor<?x?x32xf32>
  // CHECK: gptq.fused_matmul_nbits {{.*}} epilogue ["relu"] {in_features = 64 : i64,
  %2 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["relu"] {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x?x32xf32>
  return %0, %1, %2 : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// CHECK-LABEL: func @dequantize
func.func @dequantize(%qw: tensor<4x32xi32>, %s: tensor<2x32xf16>, %qz: tensor<2x2xi32>,
                      %g: tensor<64xi32>) -> (tensor<64x32xf16>, tensor<64x32xf16>) {
  // CHECK: gptq.dequantize %{{.*}}, %{{.*}}, %{{.*}} {quant = #gptq.quant<bits = 2, group_size = 32, sym = true, desc_act = false>} : (tensor<4x32xi32>, tensor<2x32xf16>, tensor<2x2xi32>) -> tensor<64x32xf16>
  %0 = gptq.dequantize %qw, %s, %qz {quant = #gptq.quant<bits = 2, group_size = 32, sym = true, desc_act = false>}
       : (tensor<4x32xi32>, tensor<2x32xf16>, tensor<2x2xi32>) -> tensor<64x32xf16>
  // CHECK: gptq.dequantize %{{.*}}, %{{.*}}, %{{.*}} g_idx(%{{.*}})
  %1 = gptq.dequantize %qw, %s, %qz g_idx(%g) {quant = #gptq.quant<bits = 2, group_size = 32, sym = true, desc_act = true>}
       : (tensor<4x32xi32>, tensor<2x32xf16>, tensor<2x2xi32>, tensor<64xi32>) -> tensor<64x32xf16>
  return %0, %1 : tensor<64x32xf16>, tensor<64x32xf16>
}

// CHECK-LABEL: func @matmul_nbits_gpu_layout
func.func @matmul_nbits_gpu_layout(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>,
    %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<?x32xf32> {
  // CHECK: gptq.matmul_nbits {{.*}} {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
  %0 = gptq.matmul_nbits %x, %qw, %s, %qz {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// CHECK-LABEL: func @fused_matmul_nbits
func.func @fused_matmul_nbits(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>,
    %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>, %b: tensor<32xf32>,
    %h: tensor<?x32xf32>, %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  // CHECK: gptq.fused_matmul_nbits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) epilogue ["silu", "mul", "add"](%{{.*}}, %{{.*}}) {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %0 = gptq.fused_matmul_nbits %x, %qw, %s, %qz bias(%b) epilogue ["silu", "mul", "add"] (%h, %r)
       {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>, tensor<32xf32>,
          tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  // CHECK: gptq.fused_matmul_nbits {{.*}} epilogue ["relu"] {
  %1 = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["relu"]
       {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// CHECK: gptq.cuda_kernel @l0__gemv {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [], function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>
gptq.cuda_kernel @l0__gemv {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = [],
  function = "gptq_matmul_nbits_w4_g32_gemv_f32", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64,
  mask_k = false, mask_n = false, max_m = 8 : i64, n = 32 : i64, path = "gemv",
  quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64,
  tile = array<i64: 8, 32, 32>}
// CHECK: gptq.cuda_kernel @l0__mma
gptq.cuda_kernel @l0__mma {act_order = false, bias = false, block = array<i64: 128, 1, 1>, epilogue = [],
  function = "gptq_matmul_nbits_w4_g32_mma_f32_mn", grid = array<i64: 1, -1, 1>, io_type = f32, k = 64 : i64,
  mask_k = false, mask_n = true, max_m = -1 : i64, n = 32 : i64, path = "mma",
  quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 17408 : i64,
  tile = array<i64: 64, 64, 32>}

// CHECK-LABEL: func @launch
func.func @launch(%x: tensor<?x64xf32>, %qw: tensor<8x32xi32>,
    %s: tensor<2x32xf16>, %qz: tensor<2x4xi32>) -> tensor<?x32xf32> {
  // CHECK: gptq.launch [@l0__gemv, @l0__mma] %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epilogue [] {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
  %0 = gptq.launch [@l0__gemv, @l0__mma] %x, %qw, %s, %qz epilogue []
       {layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
       : (tensor<?x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}
