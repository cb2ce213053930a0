// Folders of the nn dialect, run through the upstream canonicalizer.
// RUN: gptq-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @shape_of_static
// CHECK: %[[C:.*]] = nn.constant dense<[2, 3, 4]> : tensor<3xi64>
// CHECK: return %[[C]]
func.func @shape_of_static(%x: tensor<2x3x4xf32>) -> tensor<3xi64> {
  %0 = nn.shape %x : tensor<2x3x4xf32> -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// CHECK-LABEL: func @shape_slice_of_partially_dynamic
// CHECK: nn.constant dense<3> : tensor<1xi64>
func.func @shape_slice_of_partially_dynamic(%x: tensor<?x3x?xf32>) -> tensor<1xi64> {
  %0 = nn.shape %x {start = 1, end = 2} : tensor<?x3x?xf32> -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// CHECK-LABEL: func @shape_of_dynamic_stays
// CHECK: nn.shape
func.func @shape_of_dynamic_stays(%x: tensor<?x3xf32>) -> tensor<2xi64> {
  %0 = nn.shape %x : tensor<?x3xf32> -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @size
// CHECK: nn.constant dense<24> : tensor<i64>
func.func @size(%x: tensor<2x3x4xf32>) -> tensor<i64> {
  %0 = nn.size %x : tensor<2x3x4xf32> -> tensor<i64>
  return %0 : tensor<i64>
}

// CHECK-LABEL: func @shape_chain
// Shape -> Gather -> Unsqueeze -> Concat, all folded:
// CHECK: %[[C:.*]] = nn.constant dense<[2, -1, 4]> : tensor<3xi64>
// CHECK-NOT: nn.gather
// CHECK-NOT: nn.concat
// CHECK: return %[[C]]
func.func @shape_chain(%x: tensor<2x3x4xf32>) -> tensor<3xi64> {
  %s = nn.shape %x : tensor<2x3x4xf32> -> tensor<3xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %i2 = nn.constant dense<2> : tensor<i64>
  %d0 = nn.gather %s, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %d2 = nn.gather %s, %i2 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u0 = nn.unsqueeze %d0, axes = [0] : tensor<i64> -> tensor<1xi64>
  %u2 = nn.unsqueeze %d2, axes = [0] : tensor<i64> -> tensor<1xi64>
  %m1 = nn.constant dense<-1> : tensor<1xi64>
  %c = nn.concat %u0, %m1, %u2 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  return %c : tensor<3xi64>
}

// CHECK-LABEL: func @repeat_interleave_pattern
// ConstantOfShape -> Mul -> Equal -> Where -> Expand, all folded:
// CHECK: %[[C:.*]] = nn.constant dense<[1, 4, 1]> : tensor<3xi64>
// CHECK: return %[[C]]
func.func @repeat_interleave_pattern() -> tensor<3xi64> {
  %shape = nn.constant dense<3> : tensor<1xi64>
  %ones = nn.constant_of_shape %shape {value = 1 : i64} : tensor<1xi64> -> tensor<3xi64>
  %m1 = nn.constant dense<-1> : tensor<i64>
  %neg = nn.mul %ones, %m1 : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %target = nn.constant dense<[1, 4, 1]> : tensor<3xi64>
  %eq = nn.equal %target, %neg : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %w = nn.where %eq, %ones, %target : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %w : tensor<3xi64>
}

// CHECK-LABEL: func @arith_fold
// CHECK-DAG: nn.constant dense<[5, 7, 9]> : tensor<3xi64>
// CHECK-DAG: nn.constant dense<-3> : tensor<3xi64>
// CHECK-DAG: nn.constant dense<[4, 10, 18]> : tensor<3xi64>
// CHECK-DAG: nn.constant dense<0> : tensor<3xi64>
// CHECK-DAG: nn.constant dense<[2.500000e+00, 5.000000e-01]> : tensor<2xf32>
func.func @arith_fold() -> (tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<2xf32>) {
  %a = nn.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = nn.constant dense<[4, 5, 6]> : tensor<3xi64>
  %0 = nn.add %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %1 = nn.sub %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %2 = nn.mul %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %3 = nn.div %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %x = nn.constant dense<[5.0, 1.0]> : tensor<2xf32>
  %two = nn.constant dense<2.0> : tensor<f32>
  %4 = nn.div %x, %two : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0, %1, %2, %3, %4 : tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<2xf32>
}

// CHECK-LABEL: func @int_div_truncates_toward_zero
// CHECK: nn.constant dense<[-2, 2]> : tensor<2xi64>
func.func @int_div_truncates_toward_zero() -> tensor<2xi64> {
  %a = nn.constant dense<[-7, 7]> : tensor<2xi64>
  %b = nn.constant dense<3> : tensor<i64>
  %0 = nn.div %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @div_by_zero_not_folded
// CHECK: nn.div
func.func @div_by_zero_not_folded() -> tensor<2xi64> {
  %a = nn.constant dense<[1, 2]> : tensor<2xi64>
  %b = nn.constant dense<0> : tensor<i64>
  %0 = nn.div %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.add
// CHECK-NOT: nn.mul
// CHECK-NOT: nn.sub
// CHECK-NOT: nn.div
// CHECK: return %[[X]]
func.func @identities(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = nn.constant dense<0.0> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %0 = nn.add %x, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = nn.mul %one, %0 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = nn.sub %1, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = nn.div %2, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %3 : tensor<4xf32>
}

// CHECK-LABEL: func @broadcasting_identity_kept
// x + 0 that broadcasts x to a larger shape is not an identity:
// CHECK: nn.add
func.func @broadcasting_identity_kept(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %zero = nn.constant dense<0.0> : tensor<2x4xf32>
  %0 = nn.add %x, %zero : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// CHECK-LABEL: func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>
// CHECK: return %[[X]]
func.func @reshape_identity(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<2x3xf32> {
  %0 = nn.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func @reshape_constant
// CHECK: nn.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
func.func @reshape_constant() -> tensor<2x3xi64> {
  %a = nn.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
  %s = nn.constant dense<[2, 3]> : tensor<2xi64>
  %0 = nn.reshape %a, %s : (tensor<6xi64>, tensor<2xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// CHECK-LABEL: func @squeeze_unsqueeze_constant
// CHECK: nn.constant dense<7> : tensor<1x1xi64>
func.func @squeeze_unsqueeze_constant() -> tensor<1x1xi64> {
  %a = nn.constant dense<[7]> : tensor<1xi64>
  %0 = nn.squeeze %a, axes = [0] : tensor<1xi64> -> tensor<i64>
  %1 = nn.unsqueeze %0, axes = [0, 1] : tensor<i64> -> tensor<1x1xi64>
  return %1 : tensor<1x1xi64>
}

// CHECK-LABEL: func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[C:.*]] = nn.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK: return %[[X]], %[[C]]
func.func @transpose(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xi64>) {
  %0 = nn.transpose %x, perm = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %a = nn.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %1 = nn.transpose %a, perm = [1, 0] : tensor<2x3xi64> -> tensor<3x2xi64>
  return %0, %1 : tensor<2x3xf32>, tensor<3x2xi64>
}

// CHECK-LABEL: func @gather_negative_index
// CHECK: nn.constant dense<[30, 10]> : tensor<2xi64>
func.func @gather_negative_index() -> tensor<2xi64> {
  %a = nn.constant dense<[10, 20, 30]> : tensor<3xi64>
  %i = nn.constant dense<[-1, 0]> : tensor<2xi64>
  %0 = nn.gather %a, %i : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @gather_out_of_range_kept
// CHECK: nn.gather
func.func @gather_out_of_range_kept() -> tensor<i64> {
  %a = nn.constant dense<[10, 20, 30]> : tensor<3xi64>
  %i = nn.constant dense<3> : tensor<i64>
  %0 = nn.gather %a, %i : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// CHECK-LABEL: func @slice
// CHECK: nn.constant dense<[5, 3]> : tensor<2xi64>
func.func @slice() -> tensor<2xi64> {
  %a = nn.constant dense<[0, 1, 2, 3, 4, 5]> : tensor<6xi64>
  %st = nn.constant dense<-1> : tensor<1xi64>
  %en = nn.constant dense<2> : tensor<1xi64>
  %ax = nn.constant dense<0> : tensor<1xi64>
  %sp = nn.constant dense<-2> : tensor<1xi64>
  %0 = nn.slice %a, %st, %en, %ax, %sp : (tensor<6xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @expand_and_constant_of_shape
// CHECK-DAG: nn.constant dense<{{\[\[}}1, 2], [1, 2]]> : tensor<2x2xi64>
// CHECK-DAG: nn.constant dense<0.000000e+00> : tensor<2x3xf16>
func.func @expand_and_constant_of_shape() -> (tensor<2x2xi64>, tensor<2x3xf16>) {
  %a = nn.constant dense<[1, 2]> : tensor<2xi64>
  %s = nn.constant dense<[2, 1]> : tensor<2xi64>
  %0 = nn.expand %a, %s : (tensor<2xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %t = nn.constant dense<[2, 3]> : tensor<2xi64>
  %1 = nn.constant_of_shape %t {value = 0.0 : f16} : tensor<2xi64> -> tensor<2x3xf16>
  return %0, %1 : tensor<2x2xi64>, tensor<2x3xf16>
}

// CHECK-LABEL: func @range
// CHECK: nn.constant dense<[0, 3, 6]> : tensor<3xi64>
func.func @range() -> tensor<3xi64> {
  %a = nn.constant dense<0> : tensor<i64>
  %b = nn.constant dense<8> : tensor<i64>
  %c = nn.constant dense<3> : tensor<i64>
  %0 = nn.range %a, %b, %c : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// CHECK-LABEL: func @cast
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK-DAG: %[[I:.*]] = nn.constant dense<[1, -2]> : tensor<2xi32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[true, false]> : tensor<2xi1>
// CHECK: return %[[X]], %[[I]], %[[B]]
func.func @cast(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi1>) {
  %0 = nn.cast %x : tensor<2xf32> to f32
  %a = nn.constant dense<[1.7, -2.9]> : tensor<2xf32>
  %1 = nn.cast %a : tensor<2xf32> to i32
  %b = nn.constant dense<[3, 0]> : tensor<2xi64>
  %2 = nn.cast %b : tensor<2xi64> to i1
  return %0, %1, %2 : tensor<2xf32>, tensor<2xi32>, tensor<2xi1>
}

// CHECK-LABEL: func @where_splat_condition
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK: return %[[Y]]
func.func @where_splat_condition(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %c = nn.constant dense<false> : tensor<4xi1>
  %0 = nn.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func @concat_single
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: return %[[X]]
func.func @concat_single(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.concat %x {axis = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func @resources_not_folded
// Weights (dense_resource blobs) are never copied into folded attributes.
// CHECK: nn.add
func.func @resources_not_folded() -> tensor<2xf32> {
  %a = nn.constant dense_resource<w0> : tensor<2xf32>
  %0 = nn.add %a, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// CHECK-LABEL: func @split_of_constant
// CHECK-DAG: %[[A:.*]] = nn.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<3> : tensor<1xi64>
// CHECK: return %[[A]], %[[B]]
func.func @split_of_constant() -> (tensor<2xi64>, tensor<1xi64>) {
  %c = nn.constant dense<[1, 2, 3]> : tensor<3xi64>
  %0:2 = nn.split %c, sizes = [2, 1] : tensor<3xi64> -> tensor<2xi64>, tensor<1xi64>
  return %0#0, %0#1 : tensor<2xi64>, tensor<1xi64>
}

// -----

// CHECK-LABEL: func @split_of_constant_2d_axis1
// CHECK-DAG: nn.constant dense<{{\[}}[1], [4]]> : tensor<2x1xi64>
// CHECK-DAG: nn.constant dense<{{\[}}[2, 3], [5, 6]]> : tensor<2x2xi64>
func.func @split_of_constant_2d_axis1() -> (tensor<2x1xi64>, tensor<2x2xi64>) {
  %c = nn.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %0:2 = nn.split %c, sizes = [1, 2] {axis = 1 : i64} : tensor<2x3xi64> -> tensor<2x1xi64>, tensor<2x2xi64>
  return %0#0, %0#1 : tensor<2x1xi64>, tensor<2x2xi64>
}

// -----

// CHECK-LABEL: func @merge_unsqueezes
// CHECK: %[[U:.*]] = nn.unsqueeze %arg0, axes = [0, 2] : tensor<3x4xf32> -> tensor<1x3x1x4xf32>
// CHECK-NOT: nn.unsqueeze
// CHECK: return %[[U]]
func.func @merge_unsqueezes(%x: tensor<3x4xf32>) -> tensor<1x3x1x4xf32> {
  %0 = nn.unsqueeze %x, axes = [0] : tensor<3x4xf32> -> tensor<1x3x4xf32>
  %1 = nn.unsqueeze %0, axes = [2] : tensor<1x3x4xf32> -> tensor<1x3x1x4xf32>
  return %1 : tensor<1x3x1x4xf32>
}

// -----

// The outer insertion lands before the inner one: positions are renumbered.
// CHECK-LABEL: func @merge_unsqueezes_reordered
// CHECK: nn.unsqueeze %arg0, axes = [0, 3] : tensor<3x4xf32> -> tensor<1x3x4x1xf32>
func.func @merge_unsqueezes_reordered(%x: tensor<3x4xf32>) -> tensor<1x3x4x1xf32> {
  %0 = nn.unsqueeze %x, axes = [-1] : tensor<3x4xf32> -> tensor<3x4x1xf32>
  %1 = nn.unsqueeze %0, axes = [0] : tensor<3x4x1xf32> -> tensor<1x3x4x1xf32>
  return %1 : tensor<1x3x4x1xf32>
}

// -----

// RMSNorm as torch.onnx exports it (pow, reduce_mean, add eps, sqrt, 1/x).
// CHECK-LABEL: func @rms_norm_pow_div
// CHECK: %[[N:.*]] = nn.rms_norm %arg0, %arg1 : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_norm_pow_div(%x: tensor<2x8x64xf32>, %w: tensor<64xf32>) -> tensor<2x8x64xf32> {
  %two = nn.constant dense<2.0> : tensor<f32>
  %eps = nn.constant dense<1.0e-5> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %0 = nn.pow %x, %two : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %1 = nn.reduce_mean %0, axes = [-1] : tensor<2x8x64xf32> -> tensor<2x8x1xf32>
  %2 = nn.add %1, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %3 = nn.sqrt %2 : tensor<2x8x1xf32>
  %4 = nn.div %one, %3 : (tensor<f32>, tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
  %5 = nn.mul %x, %4 : (tensor<2x8x64xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  %6 = nn.mul %5, %w : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
  return %6 : tensor<2x8x64xf32>
}

// -----

// x*x, reciprocal, the weight on the left, dynamic leading dims.
// CHECK-LABEL: func @rms_norm_mul_reciprocal
// CHECK: nn.rms_norm %arg0, %arg1 {epsilon = 9.99999997E-7 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
// CHECK-NOT: nn.sqrt
func.func @rms_norm_mul_reciprocal(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %eps = nn.constant dense<1.0e-6> : tensor<1xf32>
  %0 = nn.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = nn.reduce_mean %0, axes = [1] : tensor<?x64xf32> -> tensor<?x1xf32>
  %2 = nn.add %eps, %1 : (tensor<1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %3 = nn.sqrt %2 : tensor<?x1xf32>
  %4 = nn.reciprocal %3 : tensor<?x1xf32>
  %5 = nn.mul %4, %x : (tensor<?x1xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %6 = nn.mul %w, %5 : (tensor<64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %6 : tensor<?x64xf32>
}

// -----

// Not an RMS norm: the mean is over a leading axis, or x differs.
// CHECK-LABEL: func @rms_norm_negative
// CHECK-NOT: nn.rms_norm
// CHECK: nn.sqrt
func.func @rms_norm_negative(%x: tensor<4x64xf32>, %y: tensor<4x64xf32>, %w: tensor<64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %two = nn.constant dense<2.0> : tensor<f32>
  %eps = nn.constant dense<1.0e-5> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %0 = nn.pow %x, %two : (tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>
  %1 = nn.reduce_mean %0, axes = [0] : tensor<4x64xf32> -> tensor<1x64xf32>
  %2 = nn.add %1, %eps : (tensor<1x64xf32>, tensor<f32>) -> tensor<1x64xf32>
  %3 = nn.sqrt %2 : tensor<1x64xf32>
  %4 = nn.div %one, %3 : (tensor<f32>, tensor<1x64xf32>) -> tensor<1x64xf32>
  %5 = nn.mul %x, %4 : (tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  %6 = nn.mul %5, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %a = nn.reduce_mean %0, axes = [-1] : tensor<4x64xf32> -> tensor<4x1xf32>
  %b = nn.add %a, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %c = nn.sqrt %b : tensor<4x1xf32>
  %d = nn.div %one, %c : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %e = nn.mul %y, %d : (tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf32>
  %f = nn.mul %e, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %6, %f : tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// repeat_interleave of 2 KV heads x 3, as torch.onnx spells it for
// grouped-query attention.
// CHECK-LABEL: func @repeat_interleave
// CHECK-DAG: %[[ES:.*]] = nn.constant dense<[1, 5, 2, 3, 8]> : tensor<5xi64>
// CHECK-DAG: %[[RS:.*]] = nn.constant dense<[1, 5, 6, 8]> : tensor<4xi64>
// CHECK: %[[U:.*]] = nn.unsqueeze %arg0, axes = [3] : tensor<1x5x2x8xf32> -> tensor<1x5x2x1x8xf32>
// CHECK: %[[E:.*]] = nn.expand %[[U]], %[[ES]] : (tensor<1x5x2x1x8xf32>, tensor<5xi64>) -> tensor<1x5x2x3x8xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[E]], %[[RS]] : (tensor<1x5x2x3x8xf32>, tensor<4xi64>) -> tensor<1x5x6x8xf32>
// CHECK: return %[[R]]
func.func @repeat_interleave(%x: tensor<1x5x2x8xf32>) -> tensor<1x5x6x8xf32> {
  %es = nn.constant dense<[1, 5, 1, 3, 8]> : tensor<5xi64>
  %rs = nn.constant dense<[1, 5, 3, 8]> : tensor<4xi64>
  %s:2 = nn.split %x, sizes = [1, 1] {axis = 2 : i64} : tensor<1x5x2x8xf32> -> tensor<1x5x1x8xf32>, tensor<1x5x1x8xf32>
  %u0 = nn.unsqueeze %s#0, axes = [3] : tensor<1x5x1x8xf32> -> tensor<1x5x1x1x8xf32>
  %e0 = nn.expand %u0, %es : (tensor<1x5x1x1x8xf32>, tensor<5xi64>) -> tensor<1x5x1x3x8xf32>
  %r0 = nn.reshape %e0, %rs : (tensor<1x5x1x3x8xf32>, tensor<4xi64>) -> tensor<1x5x3x8xf32>
  %u1 = nn.unsqueeze %s#1, axes = [3] : tensor<1x5x1x8xf32> -> tensor<1x5x1x1x8xf32>
  %e1 = nn.expand %u1, %es : (tensor<1x5x1x1x8xf32>, tensor<5xi64>) -> tensor<1x5x1x3x8xf32>
  %r1 = nn.reshape %e1, %rs : (tensor<1x5x1x3x8xf32>, tensor<4xi64>) -> tensor<1x5x3x8xf32>
  %c = nn.concat %r0, %r1 {axis = 2 : i64} : (tensor<1x5x3x8xf32>, tensor<1x5x3x8xf32>) -> tensor<1x5x6x8xf32>
  return %c : tensor<1x5x6x8xf32>
}

// -----

// Pieces out of order are not a repeat_interleave.
// CHECK-LABEL: func @repeat_interleave_swapped
// CHECK: nn.split
// CHECK: nn.concat
func.func @repeat_interleave_swapped(%x: tensor<1x5x2x8xf32>) -> tensor<1x5x6x8xf32> {
  %es = nn.constant dense<[1, 5, 1, 3, 8]> : tensor<5xi64>
  %rs = nn.constant dense<[1, 5, 3, 8]> : tensor<4xi64>
  %s:2 = nn.split %x, sizes = [1, 1] {axis = 2 : i64} : tensor<1x5x2x8xf32> -> tensor<1x5x1x8xf32>, tensor<1x5x1x8xf32>
  %u0 = nn.unsqueeze %s#1, axes = [3] : tensor<1x5x1x8xf32> -> tensor<1x5x1x1x8xf32>
  %e0 = nn.expand %u0, %es : (tensor<1x5x1x1x8xf32>, tensor<5xi64>) -> tensor<1x5x1x3x8xf32>
  %r0 = nn.reshape %e0, %rs : (tensor<1x5x1x3x8xf32>, tensor<4xi64>) -> tensor<1x5x3x8xf32>
  %u1 = nn.unsqueeze %s#0, axes = [3] : tensor<1x5x1x8xf32> -> tensor<1x5x1x1x8xf32>
  %e1 = nn.expand %u1, %es : (tensor<1x5x1x1x8xf32>, tensor<5xi64>) -> tensor<1x5x1x3x8xf32>
  %r1 = nn.reshape %e1, %rs : (tensor<1x5x1x3x8xf32>, tensor<4xi64>) -> tensor<1x5x3x8xf32>
  %c = nn.concat %r0, %r1 {axis = 2 : i64} : (tensor<1x5x3x8xf32>, tensor<1x5x3x8xf32>) -> tensor<1x5x6x8xf32>
  return %c : tensor<1x5x6x8xf32>
}

// CHECK-LABEL: func @predicates_fold
// CHECK-DAG: nn.constant dense<[false, true, false, false]> : tensor<4xi1>
// CHECK-DAG: nn.constant dense<[false, false, true, true]> : tensor<4xi1>
// CHECK-DAG: nn.constant dense<[false, false, true, false]> : tensor<4xi1>
// CHECK-NOT: nn.is_
func.func @predicates_fold() -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %x = nn.constant dense<[1.0, 0x7FC00000, 0x7F800000, 0xFF800000]> : tensor<4xf32>
  %0 = nn.is_nan %x : tensor<4xf32> -> tensor<4xi1>
  %1 = nn.is_inf %x : tensor<4xf32> -> tensor<4xi1>
  %2 = nn.is_inf %x {detect_negative = false} : tensor<4xf32> -> tensor<4xi1>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// CHECK-LABEL: func @sign_round_fold
// CHECK-DAG: nn.constant dense<[-1, 0, 1]> : tensor<3xi32>
// CHECK-DAG: nn.constant dense<[-1.000000e+00, 0.000000e+00, 1.000000e+00, 0x7FC00000]> : tensor<4xf32>
// CHECK-DAG: nn.constant dense<[2.000000e+00, -0.000000e+00, 2.000000e+00, -4.000000e+00, 3.000000e+00]> : tensor<5xf16>
func.func @sign_round_fold() -> (tensor<3xi32>, tensor<4xf32>, tensor<5xf16>) {
  %i = nn.constant dense<[-7, 0, 9]> : tensor<3xi32>
  %0 = nn.sign %i : tensor<3xi32>
  %f = nn.constant dense<[-2.5, -0.0, 3.0, 0x7FC00000]> : tensor<4xf32>
  %1 = nn.sign %f : tensor<4xf32>
  %h = nn.constant dense<[2.5, -0.5, 1.5, -3.5, 2.75]> : tensor<5xf16>
  %2 = nn.round %h : tensor<5xf16>
  return %0, %1, %2 : tensor<3xi32>, tensor<4xf32>, tensor<5xf16>
}

// Mod: Python's sign rule (the divisor's) without fmod, C's (the dividend's)
// with it.
// CHECK-LABEL: func @mod_fold
// CHECK-DAG: nn.constant dense<[2, -2, -1, 1]> : tensor<4xi64>
// CHECK-DAG: nn.constant dense<[-1, 1, -1, 1]> : tensor<4xi64>
// CHECK-DAG: nn.constant dense<[1.500000e+00, -1.500000e+00]> : tensor<2xf32>
// CHECK-DAG: nn.constant dense<[1, 250]> : tensor<2xui8>
func.func @mod_fold() -> (tensor<4xi64>, tensor<4xi64>, tensor<2xf32>, tensor<2xui8>) {
  %a = nn.constant dense<[-7, 7, -7, 7]> : tensor<4xi64>
  %b = nn.constant dense<[3, -3, -3, 3]> : tensor<4xi64>
  %0 = nn.mod %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %1 = nn.mod %a, %b {fmod = true} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %x = nn.constant dense<[5.5, -5.5]> : tensor<2xf32>
  %y = nn.constant dense<-2.0> : tensor<f32>
  %2 = nn.mod %x, %y {fmod = true} : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %u = nn.constant dense<[251, 250]> : tensor<2xui8>
  %v = nn.constant dense<[5, 251]> : tensor<2xui8>
  %3 = nn.mod %u, %v : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<4xi64>, tensor<2xf32>, tensor<2xui8>
}

// CHECK-LABEL: func @mod_by_zero_not_folded
// CHECK: nn.mod
func.func @mod_by_zero_not_folded() -> tensor<2xi32> {
  %a = nn.constant dense<[1, 2]> : tensor<2xi32>
  %b = nn.constant dense<[1, 0]> : tensor<2xi32>
  %0 = nn.mod %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// CHECK-LABEL: func @bitwise_fold
// CHECK-DAG: nn.constant dense<[8, 0]> : tensor<2xi32>
// CHECK-DAG: nn.constant dense<[14, -1]> : tensor<2xi32>
// CHECK-DAG: nn.constant dense<[6, -1]> : tensor<2xi32>
// CHECK-DAG: nn.constant dense<[245, 0]> : tensor<2xui8>
func.func @bitwise_fold() -> (tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xui8>) {
  %a = nn.constant dense<[12, -1]> : tensor<2xi32>
  %b = nn.constant dense<[10, 0]> : tensor<2xi32>
  %0 = nn.bitwise_and %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %1 = nn.bitwise_or %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %2 = nn.bitwise_xor %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %u = nn.constant dense<[10, 255]> : tensor<2xui8>
  %3 = nn.bitwise_not %u : tensor<2xui8>
  return %0, %1, %2, %3 : tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xui8>
}

// CHECK-LABEL: func @gather_nd_fold
// CHECK-DAG: nn.constant dense<[3, 1]> : tensor<2xi64>
// CHECK-DAG: nn.constant dense<{{\[}}[4, 5], [0, 1]]> : tensor<2x2xi64>
// CHECK-DAG: nn.constant dense<[1, 6]> : tensor<2xi64>
func.func @gather_nd_fold() -> (tensor<2xi64>, tensor<2x2xi64>, tensor<2xi64>) {
  %d = nn.constant dense<[[0, 1], [2, 3], [4, 5], [6, 7]]> : tensor<4x2xi64>
  %i = nn.constant dense<[[1, 1], [0, -1]]> : tensor<2x2xi64>
  %0 = nn.gather_nd %d, %i : (tensor<4x2xi64>, tensor<2x2xi64>) -> tensor<2xi64>
  %j = nn.constant dense<[[2], [-4]]> : tensor<2x1xi64>
  %1 = nn.gather_nd %d, %j : (tensor<4x2xi64>, tensor<2x1xi64>) -> tensor<2x2xi64>
  // batch_dims = 1 over [[0, 1], [2, 3]] x 2 batches: picks [0][1], [1][0].
  %e = nn.constant dense<[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]> : tensor<2x2x2xi64>
  %k = nn.constant dense<[[0, 1], [1, 0]]> : tensor<2x2xi64>
  %2 = nn.gather_nd %e, %k {batch_dims = 1} : (tensor<2x2x2xi64>, tensor<2x2xi64>) -> tensor<2xi64>
  return %0, %1, %2 : tensor<2xi64>, tensor<2x2xi64>, tensor<2xi64>
}

// CHECK-LABEL: func @gather_nd_out_of_range_kept
// CHECK: nn.gather_nd
func.func @gather_nd_out_of_range_kept() -> tensor<1xi64> {
  %d = nn.constant dense<[0, 1, 2]> : tensor<3xi64>
  %i = nn.constant dense<[[3]]> : tensor<1x1xi64>
  %0 = nn.gather_nd %d, %i : (tensor<3xi64>, tensor<1x1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// CHECK-LABEL: func @elements_fold
// CHECK-DAG: nn.constant dense<{{\[}}[1, 1], [4, 3]]> : tensor<2x2xi64>
// CHECK-DAG: nn.constant dense<{{\[}}[9.000000e+00, 2.000000e+00], [5.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: nn.constant dense<{{\[}}[1.000000e+00, 1.200000e+01], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
func.func @elements_fold() -> (tensor<2x2xi64>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %d = nn.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %i = nn.constant dense<[[0, 0], [1, 0]]> : tensor<2x2xi64>
  %0 = nn.gather_elements %d, %i {axis = 1} : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  %f = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %j = nn.constant dense<[[0], [-2]]> : tensor<2x1xi32>
  %u = nn.constant dense<[[9.0], [5.0]]> : tensor<2x1xf32>
  %1 = nn.scatter_elements %f, %j, %u {axis = 1} : (tensor<2x2xf32>, tensor<2x1xi32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  // Duplicate indices accumulate with reduction "add": 2 + 4 + 6.
  %k = nn.constant dense<[[1, 1, 1]]> : tensor<1x3xi64>
  %v = nn.constant dense<[[4.0, 6.0, 0.0]]> : tensor<1x3xf32>
  %2 = nn.scatter_elements %f, %k, %v {axis = 1, reduction = "add"} : (tensor<2x2xf32>, tensor<1x3xi64>, tensor<1x3xf32>) -> tensor<2x2xf32>
  return %0, %1, %2 : tensor<2x2xi64>, tensor<2x2xf32>, tensor<2x2xf32>
}

// CHECK-LABEL: func @tile_fold
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-DAG: nn.constant dense<{{\[}}[1, 2, 1, 2], [3, 4, 3, 4], [1, 2, 1, 2], [3, 4, 3, 4]]> : tensor<4x4xi64>
// CHECK-NOT: nn.tile
// CHECK: return %{{.*}}, %[[X]]
func.func @tile_fold(%x: tensor<2x3xf32>) -> (tensor<4x4xi64>, tensor<2x3xf32>) {
  %d = nn.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %r = nn.constant dense<2> : tensor<2xi64>
  %0 = nn.tile %d, %r : (tensor<2x2xi64>, tensor<2xi64>) -> tensor<4x4xi64>
  %one = nn.constant dense<1> : tensor<2xi64>
  %1 = nn.tile %x, %one : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0, %1 : tensor<4x4xi64>, tensor<2x3xf32>
}

// NaN counts as the extreme; select_last_index takes the last tie.
// CHECK-LABEL: func @arg_fold
// CHECK-DAG: nn.constant dense<[1, 0]> : tensor<2xi64>
// CHECK-DAG: nn.constant dense<[2, 0]> : tensor<2xi64>
// CHECK-DAG: nn.constant dense<0> : tensor<2x1xi64>
func.func @arg_fold() -> (tensor<2xi64>, tensor<2xi64>, tensor<2x1xi64>) {
  %x = nn.constant dense<[[1.0, 3.0, 3.0], [0x7FC00000, 5.0, -1.0]]> : tensor<2x3xf32>
  %0 = nn.arg_max %x {axis = 1, keepdims = false} : tensor<2x3xf32> -> tensor<2xi64>
  %1 = nn.arg_max %x {axis = 1, keepdims = false, select_last_index = true} : tensor<2x3xf32> -> tensor<2xi64>
  %2 = nn.arg_min %x {axis = 1} : tensor<2x3xf32> -> tensor<2x1xi64>
  return %0, %1, %2 : tensor<2xi64>, tensor<2xi64>, tensor<2x1xi64>
}

// CHECK-LABEL: func @reductions_fold
// CHECK-DAG: nn.constant dense<24> : tensor<1xi64>
// CHECK-DAG: nn.constant dense<1> : tensor<i64>
// CHECK-DAG: nn.constant dense<[3.000000e+00, 7.000000e+00]> : tensor<2xf32>
// CHECK-DAG: nn.constant dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: nn.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>
func.func @reductions_fold() -> (tensor<1xi64>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %s = nn.constant dense<[2, 3, 4]> : tensor<3xi64>
  %0 = nn.reduce_prod %s, axes = [] : tensor<3xi64> -> tensor<1xi64>
  %e = nn.constant dense<> : tensor<0xi64>
  %1 = nn.reduce_prod %e, axes = [] {keepdims = false} : tensor<0xi64> -> tensor<i64>
  %x = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %2 = nn.reduce_sum %x, axes = [1] {keepdims = false} : tensor<2x2xf32> -> tensor<2xf32>
  %3 = nn.reduce_max %x, axes = [-1] {keepdims = false} : tensor<2x2xf32> -> tensor<2xf32>
  %4 = nn.reduce_min %x, axes = [1] {keepdims = false} : tensor<2x2xf32> -> tensor<2xf32>
  return %0, %1, %2, %3, %4 : tensor<1xi64>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
