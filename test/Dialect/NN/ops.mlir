// Round trip of every nn op: custom syntax, generic syntax and bytecode.
// RUN: gptq-opt %s | gptq-opt | FileCheck %s
// RUN: gptq-opt %s -mlir-print-op-generic | gptq-opt | FileCheck %s
// RUN: gptq-opt %s -emit-bytecode | gptq-opt | FileCheck %s

// CHECK-LABEL: func @constants
func.func @constants(%s: tensor<2xi64>) -> (tensor<4xf32>, tensor<?x?xf16>, tensor<4xi64>) {
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
  %0 = nn.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  // CHECK: nn.constant_of_shape %{{.*}} {value = 0.000000e+00 : f16} : tensor<2xi64> -> tensor<?x?xf16>
  %1 = nn.constant_of_shape %s {value = 0.0 : f16} : tensor<2xi64> -> tensor<?x?xf16>
  %a = nn.constant dense<0> : tensor<i64>
  %b = nn.constant dense<8> : tensor<i64>
  %c = nn.constant dense<2> : tensor<i64>
  // CHECK: nn.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
  %2 = nn.range %a, %b, %c : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
  return %0, %1, %2 : tensor<4xf32>, tensor<?x?xf16>, tensor<4xi64>
}

// CHECK-LABEL: func @resource_constant
func.func @resource_constant() -> tensor<2xf32> {
  // CHECK: nn.constant dense_resource<w0> : tensor<2xf32>
  %0 = nn.constant dense_resource<w0> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x?xf32>, %i: tensor<3xi32>, %b: tensor<4xi1>) {
  // CHECK: nn.neg %{{.*}} : tensor<2x?xf32>
  %0 = nn.neg %x : tensor<2x?xf32>
  // CHECK: nn.abs %{{.*}} : tensor<3xi32>
  %1 = nn.abs %i : tensor<3xi32>
  // CHECK: nn.sqrt
  %2 = nn.sqrt %x : tensor<2x?xf32>
  // CHECK: nn.reciprocal
  %3 = nn.reciprocal %x : tensor<2x?xf32>
  // CHECK: nn.exp
  %4 = nn.exp %x : tensor<2x?xf32>
  // CHECK: nn.log
  %5 = nn.log %x : tensor<2x?xf32>
  // CHECK: nn.tanh
  %6 = nn.tanh %x : tensor<2x?xf32>
  // CHECK: nn.erf
  %7 = nn.erf %x : tensor<2x?xf32>
  // CHECK: nn.sigmoid
  %8 = nn.sigmoid %x : tensor<2x?xf32>
  // CHECK: nn.relu
  %9 = nn.relu %x : tensor<2x?xf32>
  // CHECK: nn.cos
  %10 = nn.cos %x : tensor<2x?xf32>
  // CHECK: nn.sin
  %11 = nn.sin %x : tensor<2x?xf32>
  // CHECK: nn.floor
  %12 = nn.floor %x : tensor<2x?xf32>
  // CHECK: nn.ceil
  %13 = nn.ceil %x : tensor<2x?xf32>
  // CHECK: nn.not %{{.*}} : tensor<4xi1>
  %14 = nn.not %b : tensor<4xi1>
  // CHECK: nn.gelu %{{.*}} {approximate = "tanh"} : tensor<2x?xf32>
  %15 = nn.gelu %x {approximate = "tanh"} : tensor<2x?xf32>
  // CHECK: nn.gelu %{{.*}} : tensor<2x?xf32>
  %16 = nn.gelu %x : tensor<2x?xf32>
  // CHECK: nn.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<2x?xf32>
  %17 = nn.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x?xf32>
  // CHECK: nn.cast %{{.*}} : tensor<2x?xf32> to f16
  %18 = nn.cast %x : tensor<2x?xf32> to f16
  // CHECK: nn.cast %{{.*}} : tensor<3xi32> to i1
  %19 = nn.cast %i : tensor<3xi32> to i1
  return
}

// CHECK-LABEL: func @binary
func.func @binary(%x: tensor<2x3xf32>, %y: tensor<3xf32>, %i: tensor<4xi64>,
                  %b: tensor<4xi1>, %c: tensor<2x1xi1>, %e: tensor<i32>) {
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = nn.add %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.sub
  %1 = nn.sub %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.mul
  %2 = nn.mul %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.div
  %3 = nn.div %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  // CHECK: nn.pow %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<i32>) -> tensor<3xf32>
  %4 = nn.pow %y, %e : (tensor<3xf32>, tensor<i32>) -> tensor<3xf32>
  // CHECK: nn.min
  %5 = nn.min %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.max
  %6 = nn.max %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.and
  %7 = nn.and %b, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: nn.or
  %8 = nn.or %b, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: nn.xor
  %9 = nn.xor %b, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: nn.equal %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %10 = nn.equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: nn.less
  %11 = nn.less %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.less_equal
  %12 = nn.less_equal %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.greater
  %13 = nn.greater %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.greater_equal
  %14 = nn.greater_equal %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %15 = nn.where %c, %x, %y : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// CHECK-LABEL: func @linear
func.func @linear(%a: tensor<?x8x64xf32>, %w: tensor<64x32xf32>, %v: tensor<64xf32>,
                  %m: tensor<4x64xf32>, %n: tensor<32x64xf32>, %bias: tensor<32xf32>) {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : (tensor<?x8x64xf32>, tensor<64x32xf32>) -> tensor<?x8x32xf32>
  %0 = nn.matmul %a, %w : (tensor<?x8x64xf32>, tensor<64x32xf32>) -> tensor<?x8x32xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : (tensor<64xf32>, tensor<64x32xf32>) -> tensor<32xf32>
  %1 = nn.matmul %v, %w : (tensor<64xf32>, tensor<64x32xf32>) -> tensor<32xf32>
  // CHECK: nn.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b = true} : (tensor<4x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  %2 = nn.gemm %m, %n, %bias {alpha = 0.5 : f32, trans_b = true} : (tensor<4x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  // CHECK: nn.gemm %{{.*}}, %{{.*}} : (tensor<4x64xf32>, tensor<64x32xf32>) -> tensor<4x32xf32>
  %3 = nn.gemm %m, %w : (tensor<4x64xf32>, tensor<64x32xf32>) -> tensor<4x32xf32>
  return
}

// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<2x?x64xf32>, %s: tensor<3xi64>, %idx: tensor<5xi64>,
                  %one: tensor<1xi64>) {
  // CHECK: nn.reshape %{{.*}}, %{{.*}} : (tensor<2x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %0 = nn.reshape %x, %s : (tensor<2x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: nn.reshape %{{.*}}, %{{.*}} {allowzero = true}
  %1 = nn.reshape %x, %s {allowzero = true} : (tensor<2x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: nn.transpose %{{.*}}, perm = [2, 0, 1] : tensor<2x?x64xf32> -> tensor<64x2x?xf32>
  %2 = nn.transpose %x, perm = [2, 0, 1] : tensor<2x?x64xf32> -> tensor<64x2x?xf32>
  // CHECK: nn.gather %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<2x?x64xf32>, tensor<5xi64>) -> tensor<2x?x5xf32>
  %3 = nn.gather %x, %idx {axis = 2 : i64} : (tensor<2x?x64xf32>, tensor<5xi64>) -> tensor<2x?x5xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} {axis = -1 : i64} : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x128xf32>
  %4 = nn.concat %x, %x {axis = -1 : i64} : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x128xf32>
  // CHECK: nn.slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %5 = nn.slice %x, %one, %one, %one, %one : (tensor<2x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  // CHECK: nn.split %{{.*}}, sizes = [32, 16, 16] {axis = 2 : i64} : tensor<2x?x64xf32> -> tensor<2x?x32xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>
  %6:3 = nn.split %x, sizes = [32, 16, 16] {axis = 2 : i64} : tensor<2x?x64xf32> -> tensor<2x?x32xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>
  // CHECK: nn.unsqueeze %{{.*}}, axes = [0, -1] : tensor<2x?x64xf32> -> tensor<1x2x?x64x1xf32>
  %7 = nn.unsqueeze %x, axes = [0, -1] : tensor<2x?x64xf32> -> tensor<1x2x?x64x1xf32>
  // CHECK: nn.squeeze %{{.*}}, axes = [0, 4] : tensor<1x2x?x64x1xf32> -> tensor<2x?x64xf32>
  %8 = nn.squeeze %7, axes = [0, 4] : tensor<1x2x?x64x1xf32> -> tensor<2x?x64xf32>
  // CHECK: nn.expand %{{.*}}, %{{.*}} : (tensor<2x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  %9 = nn.expand %x, %s : (tensor<2x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  // CHECK: nn.shape %{{.*}} : tensor<2x?x64xf32> -> tensor<3xi64>
  %10 = nn.shape %x : tensor<2x?x64xf32> -> tensor<3xi64>
  // CHECK: nn.shape %{{.*}} {end = -1 : i64, start = 1 : i64} : tensor<2x?x64xf32> -> tensor<1xi64>
  %11 = nn.shape %x {start = 1, end = -1} : tensor<2x?x64xf32> -> tensor<1xi64>
  // CHECK: nn.size %{{.*}} : tensor<2x?x64xf32> -> tensor<i64>
  %12 = nn.size %x : tensor<2x?x64xf32> -> tensor<i64>
  return
}

// CHECK-LABEL: func @reductions_and_norms
func.func @reductions_and_norms(%x: tensor<2x?x64xf32>, %g: tensor<64xf32>) {
  // CHECK: nn.reduce_sum %{{.*}}, axes = [-1] : tensor<2x?x64xf32> -> tensor<2x?x1xf32>
  %0 = nn.reduce_sum %x, axes = [-1] : tensor<2x?x64xf32> -> tensor<2x?x1xf32>
  // CHECK: nn.reduce_mean %{{.*}}, axes = [1, 2] {keepdims = false} : tensor<2x?x64xf32> -> tensor<2xf32>
  %1 = nn.reduce_mean %x, axes = [1, 2] {keepdims = false} : tensor<2x?x64xf32> -> tensor<2xf32>
  // CHECK: nn.reduce_max %{{.*}}, axes = [] {keepdims = false} : tensor<2x?x64xf32> -> tensor<f32>
  %2 = nn.reduce_max %x, axes = [] {keepdims = false} : tensor<2x?x64xf32> -> tensor<f32>
  // CHECK: nn.reduce_min
  %3 = nn.reduce_min %x, axes = [0] : tensor<2x?x64xf32> -> tensor<1x?x64xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64} : tensor<2x?x64xf32>
  %4 = nn.softmax %x {axis = 1} : tensor<2x?x64xf32>
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  %5 = nn.layer_norm %x, %g, %g {axis = 2, epsilon = 1.0e-5 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}} : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  %6 = nn.layer_norm %x, %g : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  // CHECK: nn.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  %7 = nn.rms_norm %x, %g {epsilon = 1.0e-6 : f32} : (tensor<2x?x64xf32>, tensor<64xf32>) -> tensor<2x?x64xf32>
  return
}

// CHECK-LABEL: func @misc
func.func @misc(%x: tensor<4x4xf32>, %d: tensor<4x4xf32>, %i: tensor<2x1xi64>,
                %u: tensor<2x4xf32>, %q: tensor<1x8x64xf32>, %p: tensor<1x8xi64>,
                %cache: tensor<16x4xf32>) {
  // CHECK: nn.trilu %{{.*}} {k = 1 : i64, upper = false} : tensor<4x4xf32>
  %0 = nn.trilu %x {upper = false, k = 1} : tensor<4x4xf32>
  // CHECK: nn.cumsum %{{.*}} {axis = 0 : i64, exclusive = true} : tensor<4x4xf32>
  %1 = nn.cumsum %x {axis = 0, exclusive = true} : tensor<4x4xf32>
  // CHECK: nn.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} {reduction = "add"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  %2 = nn.scatter_nd %d, %i, %u {reduction = "add"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  // CHECK: nn.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {interleaved = true, num_heads = 8 : i64} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  %3 = nn.rotary_embedding %q, %p, %cache, %cache {interleaved = true, num_heads = 8} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  return
}

// CHECK-LABEL: func @predicates_and_integer_math
func.func @predicates_and_integer_math(%x: tensor<2x?xf32>, %h: tensor<4xf16>,
                                       %i: tensor<3xi32>, %j: tensor<1xi32>,
                                       %u: tensor<3xui8>) {
  // CHECK: nn.is_nan %{{.*}} : tensor<2x?xf32> -> tensor<2x?xi1>
  %0 = nn.is_nan %x : tensor<2x?xf32> -> tensor<2x?xi1>
  // CHECK: nn.is_inf %{{.*}} {detect_negative = false} : tensor<4xf16> -> tensor<4xi1>
  %1 = nn.is_inf %h {detect_negative = false} : tensor<4xf16> -> tensor<4xi1>
  // CHECK: nn.sign %{{.*}} : tensor<3xi32>
  %2 = nn.sign %i : tensor<3xi32>
  // CHECK: nn.round %{{.*}} : tensor<4xf16>
  %3 = nn.round %h : tensor<4xf16>
  // CHECK: nn.mod %{{.*}}, %{{.*}} : (tensor<3xi32>, tensor<1xi32>) -> tensor<3xi32>
  %4 = nn.mod %i, %j : (tensor<3xi32>, tensor<1xi32>) -> tensor<3xi32>
  // CHECK: nn.mod %{{.*}}, %{{.*}} {fmod = true} : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  %5 = nn.mod %h, %h {fmod = true} : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  // CHECK: nn.bitwise_and %{{.*}}, %{{.*}} : (tensor<3xi32>, tensor<1xi32>) -> tensor<3xi32>
  %6 = nn.bitwise_and %i, %j : (tensor<3xi32>, tensor<1xi32>) -> tensor<3xi32>
  // CHECK: nn.bitwise_or %{{.*}}, %{{.*}} : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %7 = nn.bitwise_or %u, %u : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  // CHECK: nn.bitwise_xor %{{.*}}, %{{.*}} : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %8 = nn.bitwise_xor %i, %i : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  // CHECK: nn.bitwise_not %{{.*}} : tensor<3xui8>
  %9 = nn.bitwise_not %u : tensor<3xui8>
  return
}

// CHECK-LABEL: func @indexing
func.func @indexing(%d: tensor<2x3x4xf32>, %n: tensor<2x5x1xi64>,
                    %e: tensor<2x3x2xi32>, %upd: tensor<2x3x2xf32>,
                    %r: tensor<3xi64>, %b: tensor<?x4xi1>) {
  // CHECK: nn.gather_nd %{{.*}}, %{{.*}} {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  %0 = nn.gather_nd %d, %n {batch_dims = 1} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  // CHECK: nn.gather_elements %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<2x3x2xi32>) -> tensor<2x3x2xf32>
  %1 = nn.gather_elements %d, %e {axis = 2} : (tensor<2x3x4xf32>, tensor<2x3x2xi32>) -> tensor<2x3x2xf32>
  // CHECK: nn.scatter_elements %{{.*}}, %{{.*}}, %{{.*}} {axis = -1 : i64, reduction = "max"} : (tensor<2x3x4xf32>, tensor<2x3x2xi32>, tensor<2x3x2xf32>) -> tensor<2x3x4xf32>
  %2 = nn.scatter_elements %d, %e, %upd {axis = -1, reduction = "max"} : (tensor<2x3x4xf32>, tensor<2x3x2xi32>, tensor<2x3x2xf32>) -> tensor<2x3x4xf32>
  // CHECK: nn.tile %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %3 = nn.tile %d, %r : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %reps = nn.constant dense<[2, 1, 3]> : tensor<3xi64>
  // CHECK: nn.tile %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<4x3x12xf32>
  %4 = nn.tile %d, %reps : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<4x3x12xf32>
  // CHECK: nn.arg_max %{{.*}} {axis = 1 : i64} : tensor<2x3x4xf32> -> tensor<2x1x4xi64>
  %5 = nn.arg_max %d {axis = 1} : tensor<2x3x4xf32> -> tensor<2x1x4xi64>
  // CHECK: nn.arg_min %{{.*}} {axis = -1 : i64, keepdims = false, select_last_index = true} : tensor<2x3x4xf32> -> tensor<2x3xi64>
  %6 = nn.arg_min %d {axis = -1, keepdims = false, select_last_index = true} : tensor<2x3x4xf32> -> tensor<2x3xi64>
  // CHECK: nn.reduce_prod %{{.*}}, axes = [] {keepdims = false} : tensor<3xi64> -> tensor<i64>
  %7 = nn.reduce_prod %r, axes = [] {keepdims = false} : tensor<3xi64> -> tensor<i64>
  // CHECK: nn.reduce_l2 %{{.*}}, axes = [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %8 = nn.reduce_l2 %d, axes = [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  // CHECK: nn.reduce_log_sum_exp %{{.*}}, axes = [-1] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %9 = nn.reduce_log_sum_exp %d, axes = [-1] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  return
}

// CHECK-LABEL: func @rotary_head_from_caches
func.func @rotary_head_from_caches(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) -> tensor<1x8x64xf32> {
  // Without num_heads the head size is twice the caches' columns (8 heads of 8).
  // CHECK: nn.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  %0 = nn.rotary_embedding %x, %p, %c, %c : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  return %0 : tensor<1x8x64xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<2x8x4x16xf32>, %k: tensor<2x2x?x16xf32>, %v: tensor<2x2x?x12xf32>, %b: tensor<2x1x1x?xi1>, %f: tensor<8x4x?xf32>, %h: tensor<1x4x1x8xf16>) {
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>) -> tensor<2x8x4x12xf32>
  %0 = nn.attention %q, %k, %v : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>) -> tensor<2x8x4x12xf32>
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {is_causal = true, scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>, tensor<2x1x1x?xi1>) -> tensor<2x8x4x12xf32>
  %1 = nn.attention %q, %k, %v, %b {is_causal = true, scale = 0.25 : f32, softcap = 30.0 : f32} : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>, tensor<2x1x1x?xi1>) -> tensor<2x8x4x12xf32>
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>, tensor<8x4x?xf32>) -> tensor<2x8x4x12xf32>
  %2 = nn.attention %q, %k, %v, %f : (tensor<2x8x4x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x12xf32>, tensor<8x4x?xf32>) -> tensor<2x8x4x12xf32>
  // Result types may be less static than the inferred one.
  // CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>) -> tensor<?x4x?x8xf16>
  %3 = nn.attention %h, %h, %h : (tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>) -> tensor<?x4x?x8xf16>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F00000040"
    }
  }
#-}
