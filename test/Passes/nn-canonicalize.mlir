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
