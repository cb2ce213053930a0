// RUN: gptq-opt %s -nn-canonicalize -split-input-file | FileCheck %s

// Shapes refine from static inputs; the shape arithmetic around a linear
// layer folds away; the function signature follows.
// CHECK-LABEL: func @linear_with_shape_arith
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x64xf32>) -> tensor<16x32xf32>
// CHECK-DAG: %[[W:.*]] = nn.constant dense<5.000000e-01> : tensor<64x32xf32>
// CHECK-DAG: %[[S:.*]] = nn.constant dense<[16, 64]> : tensor<2xi64>
// CHECK: %[[R:.*]] = nn.reshape %[[X]], %[[S]] : (tensor<2x8x64xf32>, tensor<2xi64>) -> tensor<16x64xf32>
// CHECK: %[[Y:.*]] = nn.matmul %[[R]], %[[W]] : (tensor<16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
// CHECK: return %[[Y]] : tensor<16x32xf32>
func.func @linear_with_shape_arith(%x: tensor<2x8x64xf32>) -> tensor<?x?xf32> {
  %w = nn.constant dense<0.5> : tensor<64x32xf32>
  %shape = nn.shape %x : tensor<2x8x64xf32> -> tensor<3xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %i1 = nn.constant dense<1> : tensor<i64>
  %b = nn.gather %shape, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %s = nn.gather %shape, %i1 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bs = nn.mul %b, %s : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %bsu = nn.unsqueeze %bs, axes = [0] : tensor<i64> -> tensor<1xi64>
  %k = nn.constant dense<64> : tensor<1xi64>
  %flat = nn.concat %bsu, %k {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %xf = nn.reshape %x, %flat : (tensor<2x8x64xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %y = nn.matmul %xf, %w : (tensor<?x?xf32>, tensor<64x32xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// With a dynamic input, what is known is kept: the static feature size
// propagates, and a reshape to the input's own shape (proven by symbolic
// shape reasoning, nn-canonicalize-symbolic.mlir) is the input.
// CHECK-LABEL: func @dynamic_batch
// CHECK-NOT: nn.shape
// CHECK-NOT: nn.reshape
// CHECK: nn.matmul %arg0, {{.*}} -> tensor<?x?x32xf32>
// CHECK: return {{.*}} : tensor<?x?x32xf32>
func.func @dynamic_batch(%x: tensor<?x?x64xf32>) -> tensor<?x?x?xf32> {
  %w = nn.constant dense<0.5> : tensor<64x32xf32>
  %shape = nn.shape %x : tensor<?x?x64xf32> -> tensor<3xi64>
  %xr = nn.reshape %x, %shape : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %y = nn.matmul %xr, %w : (tensor<?x?x?xf32>, tensor<64x32xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Dead shape computations disappear.
// CHECK-LABEL: func @dead_code
// CHECK-NOT: nn.shape
// CHECK-NOT: nn.gather
// CHECK: return
func.func @dead_code(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %shape = nn.shape %x : tensor<?x4xf32> -> tensor<2xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %b = nn.gather %shape, %i0 : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  return %x : tensor<?x4xf32>
}

// -----

// Types refine through elementwise ops, concat and unary ops.
// CHECK-LABEL: func @refine_through_ops
// CHECK: nn.add {{.*}} -> tensor<3x4xf32>
// CHECK: nn.exp {{.*}} : tensor<3x4xf32>
// CHECK: nn.concat {{.*}} -> tensor<6x4xf32>
// CHECK: return {{.*}} : tensor<6x4xf32>
func.func @refine_through_ops(%x: tensor<3x4xf32>, %y: tensor<4xf32>) -> tensor<?x?xf32> {
  %0 = nn.add %x, %y : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<?x?xf32>
  %1 = nn.exp %0 : tensor<?x?xf32>
  %2 = nn.concat %1, %1 {axis = 0 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %2 : tensor<?x?xf32>
}

// -----

// A causal + padding mask built only from shapes (what transformers' mask
// code exports: range, unsqueeze, less_equal, and, not, where with the
// dtype's minimum, trilu of a filled matrix, cumsum, flatten's reduce_prod)
// folds to constants once the sequence length is known.
// CHECK-LABEL: func @mask_chain_folds
// CHECK-SAME: -> (tensor<3x3xf32>, tensor<3x3xf32>, tensor<3xi64>, tensor<1xi64>)
// CHECK-DAG: nn.constant dense<{{\[}}[0.000000e+00, -3.40282347E+38, -3.40282347E+38], [0.000000e+00, 0.000000e+00, -3.40282347E+38], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-DAG: nn.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 0.000000e+00], [-3.40282347E+38, 0.000000e+00, 0.000000e+00], [-3.40282347E+38, -3.40282347E+38, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-DAG: nn.constant dense<[1, 2, 3]> : tensor<3xi64>
// CHECK-DAG: nn.constant dense<24> : tensor<1xi64>
// CHECK-NOT: nn.less_equal
// CHECK-NOT: nn.greater_equal
// CHECK-NOT: nn.and
// CHECK-NOT: nn.not
// CHECK-NOT: nn.where
// CHECK-NOT: nn.trilu
// CHECK-NOT: nn.cumsum
// CHECK-NOT: nn.reduce_prod
func.func @mask_chain_folds(%x: tensor<1x3x8xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<1xi64>) {
  %shape = nn.shape %x : tensor<1x3x8xf32> -> tensor<3xi64>
  %idx = nn.constant dense<1> : tensor<i64>
  %seq = nn.gather %shape, %idx : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %zero = nn.constant dense<0> : tensor<i64>
  %one = nn.constant dense<1> : tensor<i64>
  %r = nn.range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %q = nn.unsqueeze %r, axes = [1] : tensor<?xi64> -> tensor<?x1xi64>
  %k = nn.unsqueeze %r, axes = [0] : tensor<?xi64> -> tensor<1x?xi64>
  %causal = nn.less_equal %k, %q : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %pad = nn.greater_equal %k, %zero : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi1>
  %both = nn.and %causal, %pad : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %masked = nn.not %both : tensor<?x?xi1>
  %min = nn.constant dense<-3.40282347E+38> : tensor<f32>
  %fzero = nn.constant dense<0.0> : tensor<f32>
  %m = nn.where %masked, %min, %fzero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %seq1 = nn.unsqueeze %seq, axes = [0] : tensor<i64> -> tensor<1xi64>
  %sq = nn.concat %seq1, %seq1 {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %full = nn.constant_of_shape %sq {value = -3.40282347E+38 : f32} : tensor<2xi64> -> tensor<?x?xf32>
  %tri = nn.trilu %full {upper = false, k = -1} : tensor<?x?xf32>
  %ones = nn.constant_of_shape %seq1 {value = 1 : i64} : tensor<1xi64> -> tensor<?xi64>
  %pos = nn.cumsum %ones {axis = 0} : tensor<?xi64>
  %tail = nn.shape %x {start = 1} : tensor<1x3x8xf32> -> tensor<2xi64>
  %flat = nn.reduce_prod %tail, axes = [] : tensor<2xi64> -> tensor<1xi64>
  return %m, %tri, %pos, %flat : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<1xi64>
}
