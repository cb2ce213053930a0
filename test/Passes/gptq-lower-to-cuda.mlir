// gptq-lower-to-cuda: quantized matmuls become launches of outlined kernels.
// RUN: gptq-opt %s --gptq-lower-to-cuda | FileCheck %s
// RUN: gptq-opt %s --gptq-lower-to-cuda="gemv-max-m=4" | FileCheck %s --check-prefix=MAXM

// Kernels are added at the top of the module, in the order of their ops.
// CHECK: gptq.cuda_kernel @w1__gemv {act_order = false, bias = false, block = array<i64: 32, 8, 1>, epilogue = ["silu", "mul"], function = "gptq_fused_matmul_nbits_w4_g32_gemv_f32_silu_mul_mn", grid = array<i64: 6, -1, 1>, io_type = f32, k = 64 : i64, mask_k = false, mask_n = true, max_m = 8 : i64, n = 172 : i64, path = "gemv", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>, smem = 8192 : i64, tile = array<i64: 8, 32, 32>}
// CHECK: gptq.cuda_kernel @w1__mma {act_order = false, {{.*}}function = "gptq_fused_matmul_nbits_w4_g32_mma_f32_silu_mul_mn", grid = array<i64: 3, -1, 1>, {{.*}}max_m = -1 : i64, {{.*}}path = "mma", {{.*}}smem = 17408 : i64, tile = array<i64: 64, 64, 32>}
// CHECK: gptq.cuda_kernel @qmm1__gemv {act_order = false, bias = true, {{.*}}function = "gptq_matmul_nbits_w8_gpc_gemv_f16_bias_mk", grid = array<i64: 2, 1, 1>, io_type = f16, k = 172 : i64, mask_k = true, mask_n = false, max_m = 8 : i64, n = 64 : i64
// CHECK-NOT: @qmm1__mma
// CHECK: gptq.cuda_kernel @qmm2__mma {act_order = true, {{.*}}function = "gptq_matmul_nbits_w3_g64_act_mma_f32", grid = array<i64: 1, 2, 1>
// CHECK-NOT: @qmm2__gemv
// CHECK: gptq.cuda_kernel @dk__gemv {{.*}}k = 64 : i64

// MAXM: gptq.cuda_kernel @w1__gemv {act_order = false, {{.*}}max_m = 4 : i64

// Dynamic M: both paths.
// CHECK-LABEL: func.func @dynamic_m
// CHECK: %[[Y:.*]] = gptq.launch [@w1__gemv, @w1__mma] %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epilogue ["silu", "mul"](%{{.*}}) {gptq.layer = "w1", in_features = 64 : i64, layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
// CHECK: return %[[Y]]
func.func @dynamic_m(%x: tensor<?x?x64xf32>, %h: tensor<?x?x172xf32>) -> tensor<?x?x172xf32> {
  %qw = nn.constant dense<0> : tensor<8x172xi32>
  %s = nn.constant dense<1.0> : tensor<2x172xf16>
  %z = nn.constant dense<0> : tensor<2x22xi32>
  %y = gptq.fused_matmul_nbits %x, %qw, %s, %z epilogue ["silu", "mul"] (%h) {gptq.layer = "w1", layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x?x64xf32>, tensor<8x172xi32>, tensor<2x172xf16>, tensor<2x22xi32>, tensor<?x?x172xf32>) -> tensor<?x?x172xf32>
  return %y : tensor<?x?x172xf32>
}

// Static M = 2: the gemv kernel only (K = 172 is masked, N = 64 is not).
// CHECK-LABEL: func.func @small_m
// CHECK: gptq.launch [@qmm1__gemv] {{.*}} bias(%{{.*}}) epilogue [] {in_features = {{[0-9]+}} : i64, layout = "gpu"
func.func @small_m(%x: tensor<2x172xf16>) -> tensor<2x64xf16> {
  %qw = nn.constant dense<0> : tensor<43x64xi32>
  %s = nn.constant dense<1.0> : tensor<1x64xf16>
  %z = nn.constant dense<0> : tensor<1x16xi32>
  %b = nn.constant dense<0.5> : tensor<64xf16>
  %y = gptq.matmul_nbits %x, %qw, %s, %z bias(%b) {layout = "gpu", quant = #gptq.quant<bits = 8, group_size = -1, sym = true, desc_act = false>} : (tensor<2x172xf16>, tensor<43x64xi32>, tensor<1x64xf16>, tensor<1x16xi32>, tensor<64xf16>) -> tensor<2x64xf16>
  return %y : tensor<2x64xf16>
}

// Static M = 128 with act-order: the tensor-core kernel only.
// CHECK-LABEL: func.func @large_m_act_order
// CHECK: gptq.launch [@qmm2__mma] {{.*}} g_idx(%{{.*}}) epilogue []
func.func @large_m_act_order(%x: tensor<128x128xf32>) -> tensor<128x64xf32> {
  %qw = nn.constant dense<0> : tensor<12x64xi32>
  %s = nn.constant dense<1.0> : tensor<2x64xf16>
  %z = nn.constant dense<0> : tensor<2x6xi32>
  %g = nn.constant dense<[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]> : tensor<128xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %z g_idx(%g) {layout = "gpu", quant = #gptq.quant<bits = 3, group_size = 64, sym = true, desc_act = true>} : (tensor<128x128xf32>, tensor<12x64xi32>, tensor<2x64xf16>, tensor<2x6xi32>, tensor<128xi32>) -> tensor<128x64xf32>
  return %y : tensor<128x64xf32>
}

// Dynamic K (an input whose last dim a dynamic import left unknown): the
// kernels are for the weight's K, which the launch carries.
// CHECK-LABEL: func.func @dynamic_k
// CHECK: gptq.launch [@dk__gemv, @dk__mma] {{.*}} {gptq.layer = "dk", in_features = 64 : i64, layout = "gpu"{{.*}} : (tensor<?x?xf32>,
func.func @dynamic_k(%x: tensor<?x?xf32>) -> tensor<?x32xf32> {
  %qw = nn.constant dense<0> : tensor<8x32xi32>
  %s = nn.constant dense<1.0> : tensor<2x32xf16>
  %z = nn.constant dense<0> : tensor<2x4xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %z {gptq.layer = "dk", in_features = 64 : i64, layout = "gpu", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
