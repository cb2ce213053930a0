// Every verifier error of the nn dialect.
// RUN: gptq-opt %s -split-input-file -verify-diagnostics

func.func @not_float(%x: tensor<4xi32>) {
  // expected-error @+1 {{'nn.sqrt' op expects a floating-point tensor, got 'i32'}}
  %0 = nn.sqrt %x : tensor<4xi32>
  return
}

// -----

func.func @not_bool(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.not' op expects an i1 tensor, got 'f32'}}
  %0 = nn.not %x : tensor<4xf32>
  return
}

// -----

func.func @neg_bool(%x: tensor<4xi1>) {
  // expected-error @+1 {{'nn.neg' op expects a numeric tensor, got 'i1'}}
  %0 = nn.neg %x : tensor<4xi1>
  return
}

// -----

func.func @add_types(%x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @below {{'nn.add' op operand element types differ: 'f32' vs 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.add %x, %y : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @add_bool(%x: tensor<4xi1>) {
  // expected-error @below {{'nn.add' op expects numeric operands, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.add %x, %x : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @pow_bool(%x: tensor<4xf32>, %e: tensor<4xi1>) {
  // expected-error @below {{'nn.pow' op expects numeric operands, got 'f32' and 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.pow %x, %e : (tensor<4xf32>, tensor<4xi1>) -> tensor<4xf32>
  return
}

// -----

func.func @and_float(%x: tensor<4xf32>, %b: tensor<4xi1>) {
  // expected-error @below {{'nn.and' op expects i1 operands, got 'f32' and 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.and %x, %b : (tensor<4xf32>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @not_broadcastable(%x: tensor<3xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'nn.mul' op operands are not broadcastable: [3] vs [4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.mul %x, %y : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @wrong_result(%x: tensor<3xf32>, %y: tensor<3xf32>) {
  // expected-error @below {{failed to infer returned types}}
  // expected-error @below {{'nn.sub' op inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  %0 = nn.sub %x, %y : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_result(%x: tensor<3xf32>) {
  // expected-error @below {{failed to infer returned types}}
  // expected-error @below {{'nn.less' op inferred type(s) 'tensor<3xi1>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  %0 = nn.less %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @cst_of_shape_dyn(%s: tensor<?xi64>) {
  // expected-error @below {{'nn.constant_of_shape' op shape operand must have a static length}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.constant_of_shape %s {value = 0.0 : f32} : tensor<?xi64> -> tensor<?xf32>
  return
}

// -----

func.func @cst_of_shape_value(%s: tensor<1xi64>) {
  // expected-error @below {{'nn.constant_of_shape' op value must be a scalar integer or float attribute}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.constant_of_shape %s {value = dense<0.0> : tensor<1xf32>} : tensor<1xi64> -> tensor<?xf32>
  return
}

// -----

func.func @cst_of_shape_negative() {
  %s = nn.constant dense<[2, -3]> : tensor<2xi64>
  // expected-error @below {{'nn.constant_of_shape' op shape has negative size -3 at index 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.constant_of_shape %s {value = 0 : i64} : tensor<2xi64> -> tensor<?x?xi64>
  return
}

// -----

func.func @range_not_scalar(%a: tensor<2xi64>, %b: tensor<i64>) {
  // expected-error @below {{'nn.range' op start, limit and delta must be scalars, got 'tensor<2xi64>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.range %a, %b, %b : (tensor<2xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_types(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error @below {{'nn.range' op start, limit and delta must have one element type}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_bool(%a: tensor<i1>) {
  // expected-error @below {{'nn.range' op expects numeric operands, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.range %a, %a, %a : (tensor<i1>, tensor<i1>, tensor<i1>) -> tensor<?xi1>
  return
}

// -----

func.func @range_zero_delta() {
  %a = nn.constant dense<0> : tensor<i64>
  // expected-error @below {{'nn.range' op delta must not be zero}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.range %a, %a, %a : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @gelu_mode(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.gelu' op approximate must be "none" or "tanh", got "fast"}}
  %0 = nn.gelu %x {approximate = "fast"} : tensor<4xf32>
  return
}

// -----

func.func @clip_bool(%x: tensor<4xi1>) {
  // expected-error @+1 {{'nn.clip' op expects a numeric tensor, got 'i1'}}
  %0 = nn.clip %x : tensor<4xi1>
  return
}

// -----

func.func @clip_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.clip' op min 2.000000e+00 is greater than max 1.000000e+00}}
  %0 = nn.clip %x {min = 2.0 : f64, max = 1.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @cast_to_index(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.cast' op can only cast to integer or float types, got 'index'}}
  %0 = nn.cast %x : tensor<4xf32> to index
  return
}

// -----

func.func @where_cond(%c: tensor<4xf32>, %x: tensor<4xf32>) {
  // expected-error @below {{'nn.where' op condition must be an i1 tensor, got 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.where %c, %x, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @where_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi64>) {
  // expected-error @below {{'nn.where' op value element types differ: 'f32' vs 'i64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @where_shapes(%c: tensor<3xi1>, %x: tensor<4xf32>) {
  // expected-error @below {{'nn.where' op operands are not broadcastable: [3], [4], [4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.where %c, %x, %x : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) {
  // expected-error @below {{'nn.matmul' op operand element types differ: 'f32' vs 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf16>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_bool(%a: tensor<2x3xi1>) {
  // expected-error @below {{'nn.matmul' op expects numeric operands, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.matmul %a, %a : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return
}

// -----

func.func @matmul_rank0(%a: tensor<f32>, %b: tensor<3xf32>) {
  // expected-error @below {{'nn.matmul' op operands must have rank >= 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<f32>, tensor<3xf32>) -> tensor<f32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @below {{'nn.matmul' op contracting dimensions differ: lhs has K = 3, rhs has K = 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @below {{'nn.matmul' op batch dimensions are not broadcastable: [2] vs [3]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @below {{'nn.gemm' op a and b must be 2-D, got 'tensor<2x3x4xf32>' and 'tensor<4x5xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_types(%a: tensor<2x4xf32>, %b: tensor<4x5xf16>) {
  // expected-error @below {{'nn.gemm' op a and b must have one numeric element type}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b : (tensor<2x4xf32>, tensor<4x5xf16>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_k(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @below {{'nn.gemm' op contracting dimensions differ: a has K = 4, b has K = 5}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b {trans_b = true} : (tensor<2x4xf32>, tensor<4x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @gemm_c_type(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>, %c: tensor<5xf16>) {
  // expected-error @below {{'nn.gemm' op c has element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x5xf32>, tensor<5xf16>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_c_rank(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>, %c: tensor<1x2x5xf32>) {
  // expected-error @below {{'nn.gemm' op c must have rank <= 2, got 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x5xf32>, tensor<1x2x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_c_shape(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3xf32>) {
  // expected-error @below {{'nn.gemm' op c of shape [3] does not broadcast to [2, 5]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x5xf32>, tensor<3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @reshape_dyn_len(%x: tensor<4xf32>, %s: tensor<?xi64>) {
  // expected-error @below {{'nn.reshape' op shape operand must have a static length to know the rank}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @reshape_two_infer(%x: tensor<4xf32>) {
  %s = nn.constant dense<[-1, -1]> : tensor<2xi64>
  // expected-error @below {{'nn.reshape' op shape has more than one -1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_copy(%x: tensor<4xf32>) {
  %s = nn.constant dense<[2, 0]> : tensor<2xi64>
  // expected-error @below {{'nn.reshape' op shape copies dimension 1 (0) but the input has rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_negative(%x: tensor<4xf32>) {
  %s = nn.constant dense<[2, -2]> : tensor<2xi64>
  // expected-error @below {{'nn.reshape' op shape has invalid size -2 at index 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<4xf32>) {
  %s = nn.constant dense<[3, -1]> : tensor<2xi64>
  // expected-error @below {{'nn.reshape' op cannot reshape 4 elements into [3, -1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_count_static(%x: tensor<4xf32>) {
  %s = nn.constant dense<[3, 2]> : tensor<2xi64>
  // expected-error @below {{'nn.reshape' op cannot reshape 4 elements into [3, 2]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @transpose_len(%x: tensor<2x3xf32>) {
  // expected-error @below {{'nn.transpose' op perm has 3 entries for an input of rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.transpose %x, perm = [0, 1, 2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @below {{'nn.transpose' op perm [1, 1] is not a permutation of 0..1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.transpose %x, perm = [1, 1] : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @gather_idx(%x: tensor<2x3xf32>, %i: tensor<2xf32>) {
  // expected-error @below {{'nn.gather' op indices must be i32 or i64, got 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather %x, %i : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_scalar(%x: tensor<f32>, %i: tensor<2xi64>) {
  // expected-error @below {{'nn.gather' op data must have rank >= 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather %x, %i : (tensor<f32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<2xi64>) {
  // expected-error @below {{'nn.gather' op axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather %x, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) {
  // expected-error @below {{'nn.concat' op axis -3 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.concat %x, %x {axis = -3 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_types(%x: tensor<2x3xf32>, %y: tensor<2x3xf16>) {
  // expected-error @below {{'nn.concat' op input 1 has element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_rank(%x: tensor<2x3xf32>, %y: tensor<3xf32>) {
  // expected-error @below {{'nn.concat' op input 1 has rank 1, expected 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_sizes(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) {
  // expected-error @below {{'nn.concat' op input 1 has size 4 in dimension 1, expected 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @below {{'nn.concat' op needs at least one input}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.concat {axis = 0 : i64} : () -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_lengths(%x: tensor<8xf32>, %a: tensor<1xi64>, %b: tensor<2xi64>) {
  // expected-error @below {{'nn.slice' op starts, ends, axes and steps must have one length}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.slice %x, %a, %b, %a, %a : (tensor<8xf32>, tensor<1xi64>, tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<8xf32>, %a: tensor<1xi64>) {
  %zero = nn.constant dense<0> : tensor<1xi64>
  // expected-error @below {{'nn.slice' op step 0 is zero}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.slice %x, %a, %a, %zero, %zero : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @slice_axis(%x: tensor<8xf32>, %a: tensor<1xi64>) {
  %ax = nn.constant dense<1> : tensor<1xi64>
  // expected-error @below {{'nn.slice' op axis 1 is out of range for rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.slice %x, %a, %a, %ax, %a : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @slice_axis_repeated(%x: tensor<8x8xf32>, %a: tensor<2xi64>) {
  %ax = nn.constant dense<[0, -2]> : tensor<2xi64>
  // expected-error @below {{'nn.slice' op axis -2 is repeated}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.slice %x, %a, %a, %ax, %a : (tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @split_empty(%x: tensor<8xf32>) {
  // expected-error @below {{failed to infer returned types}}
  // expected-error @below {{'nn.split' op needs at least one split size}}
  %0 = nn.split %x, sizes = [] : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @split_negative(%x: tensor<8xf32>) {
  // expected-error @below {{'nn.split' op split sizes must be non-negative, got -1}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = nn.split %x, sizes = [9, -1] : tensor<8xf32> -> tensor<9xf32>, tensor<?xf32>
  return
}

// -----

func.func @split_sum(%x: tensor<8xf32>) {
  // expected-error @below {{'nn.split' op split sizes sum to 7 but dimension 0 has size 8}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = nn.split %x, sizes = [4, 3] : tensor<8xf32> -> tensor<4xf32>, tensor<3xf32>
  return
}

// -----

func.func @split_axis(%x: tensor<8xf32>) {
  // expected-error @below {{'nn.split' op axis 1 is out of range for rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = nn.split %x, sizes = [4, 4] {axis = 1 : i64} : tensor<8xf32> -> tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @split_count(%x: tensor<8xf32>) {
  // expected-error @below {{failed to infer returned types}}
  // expected-error @below {{'nn.split' op inferred type(s) 'tensor<4xf32>', 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'}}
  %0 = nn.split %x, sizes = [4, 4] : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @squeeze_dynamic(%x: tensor<1x?xf32>) {
  // expected-error @below {{'nn.squeeze' op squeeze without axes needs static sizes, dimension 1 is dynamic}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.squeeze %x, axes = [] : tensor<1x?xf32> -> tensor<?xf32>
  return
}

// -----

func.func @squeeze_size(%x: tensor<1x4xf32>) {
  // expected-error @below {{'nn.squeeze' op cannot squeeze dimension 1 of size 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.squeeze %x, axes = [1] : tensor<1x4xf32> -> tensor<1xf32>
  return
}

// -----

func.func @unsqueeze_axis(%x: tensor<4xf32>) {
  // expected-error @below {{'nn.unsqueeze' op axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.unsqueeze %x, axes = [2] : tensor<4xf32> -> tensor<4x1xf32>
  return
}

// -----

func.func @unsqueeze_repeated(%x: tensor<4xf32>) {
  // expected-error @below {{'nn.unsqueeze' op axis -3 is repeated}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.unsqueeze %x, axes = [0, -3] : tensor<4xf32> -> tensor<1x1x4xf32>
  return
}

// -----

func.func @expand_len(%x: tensor<4xf32>, %s: tensor<?xi64>) {
  // expected-error @below {{'nn.expand' op shape operand must have a static length to know the rank}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.expand %x, %s : (tensor<4xf32>, tensor<?xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @expand_negative(%x: tensor<4xf32>) {
  %s = nn.constant dense<[-2, 4]> : tensor<2xi64>
  // expected-error @below {{'nn.expand' op shape has negative size -2 at index 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.expand %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @expand_shape(%x: tensor<4xf32>) {
  %s = nn.constant dense<[2, 3]> : tensor<2xi64>
  // expected-error @below {{'nn.expand' op input of shape [4] cannot be expanded to [2, 3]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.expand %x, %s : (tensor<4xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @below {{'nn.reduce_sum' op axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reduce_sum %x, axes = [2] : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_repeated(%x: tensor<2x3xf32>) {
  // expected-error @below {{'nn.reduce_mean' op axis -1 is repeated}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reduce_mean %x, axes = [1, -1] : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_bool(%x: tensor<2x3xi1>) {
  // expected-error @below {{'nn.reduce_max' op expects a numeric tensor, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reduce_max %x, axes = [1] : tensor<2x3xi1> -> tensor<2x1xi1>
  return
}

// -----

func.func @softmax_int(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'nn.softmax' op expects a floating-point tensor, got 'i32'}}
  %0 = nn.softmax %x : tensor<2x3xi32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'nn.softmax' op axis 2 is out of range for rank 2}}
  %0 = nn.softmax %x {axis = 2} : tensor<2x3xf32>
  return
}

// -----

func.func @norm_int(%x: tensor<2x3xi32>, %g: tensor<3xi32>) {
  // expected-error @below {{'nn.rms_norm' op expects a floating-point input, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rms_norm %x, %g : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  return
}

// -----

func.func @norm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @below {{'nn.layer_norm' op axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.layer_norm %x, %g {axis = 2} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @norm_scale_type(%x: tensor<2x3xf32>, %g: tensor<3xf16>) {
  // expected-error @below {{'nn.layer_norm' op scale has element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.layer_norm %x, %g : (tensor<2x3xf32>, tensor<3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @norm_bias_shape(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @below {{'nn.layer_norm' op bias of shape [4] does not broadcast to the normalized shape [3]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.layer_norm %x, %g, %b : (tensor<2x3xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<3xf32>) {
  // expected-error @+1 {{'nn.trilu' op expects rank >= 2, got 1}}
  %0 = nn.trilu %x : tensor<3xf32>
  return
}

// -----

func.func @cumsum_axis(%x: tensor<3xf32>) {
  // expected-error @+1 {{'nn.cumsum' op axis 1 is out of range for rank 1}}
  %0 = nn.cumsum %x {axis = 1} : tensor<3xf32>
  return
}

// -----

func.func @cumsum_bool(%x: tensor<3xi1>) {
  // expected-error @+1 {{'nn.cumsum' op expects a numeric tensor, got 'i1'}}
  %0 = nn.cumsum %x {axis = 0} : tensor<3xi1>
  return
}

// -----

func.func @scatter_reduction(%d: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf32>) {
  // expected-error @below {{'nn.scatter_nd' op reduction must be one of none, add, mul, max, min; got "sub"}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u {reduction = "sub"} : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_indices(%d: tensor<4xf32>, %i: tensor<1x1xi32>, %u: tensor<1xf32>) {
  // expected-error @below {{'nn.scatter_nd' op indices must be i64, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u : (tensor<4xf32>, tensor<1x1xi32>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_updates(%d: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf16>) {
  // expected-error @below {{'nn.scatter_nd' op updates have element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_idx_rank(%d: tensor<4xf32>, %i: tensor<i64>, %u: tensor<1xf32>) {
  // expected-error @below {{'nn.scatter_nd' op indices must have rank >= 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u : (tensor<4xf32>, tensor<i64>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_depth(%d: tensor<4xf32>, %i: tensor<1x2xi64>, %u: tensor<1xf32>) {
  // expected-error @below {{'nn.scatter_nd' op index depth 2 exceeds data rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u : (tensor<4xf32>, tensor<1x2xi64>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_upd_rank(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2xf32>) {
  // expected-error @below {{'nn.scatter_nd' op updates must have rank 2, got 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_nd %d, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @rotary_rank(%x: tensor<8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op input must have rank 3 or 4, got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c : (tensor<8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @rotary_float(%x: tensor<1x8x64xi32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op input must be floating point, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c : (tensor<1x8x64xi32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xi32>
  return
}

// -----

func.func @rotary_caches(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>, %s: tensor<16x8xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op cos_cache and sin_cache types differ: 'tensor<16x4xf32>' vs 'tensor<16x8xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %s {num_heads = 8} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x8xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rotary_cache_type(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf16>) {
  // expected-error @below {{'nn.rotary_embedding' op caches have element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c {num_heads = 8} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf16>, tensor<16x4xf16>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rotary_cache_rank(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op caches must be 2-D [max_position, rotary_dim / 2], got 'tensor<16xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c {num_heads = 8} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rotary_pos(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi32>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op position_ids must be i64, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c {num_heads = 8} : (tensor<1x8x64xf32>, tensor<1x8xi32>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rotary_heads(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op num_heads is required with rotary_embedding_dim for 3-D input}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c {rotary_embedding_dim = 4} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rotary_head_size(%x: tensor<1x8x60xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op without num_heads the hidden size 60 must be a multiple of the head size 2 * 4 (twice the caches' columns)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c : (tensor<1x8x60xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x60xf32>
  return
}

// -----

func.func @rotary_dim(%x: tensor<1x8x64xf32>, %p: tensor<1x8xi64>, %c: tensor<16x4xf32>) {
  // expected-error @below {{'nn.rotary_embedding' op rotary_embedding_dim must be even and >= 0, got 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.rotary_embedding %x, %p, %c, %c {num_heads = 8, rotary_embedding_dim = 3} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @is_nan_int(%x: tensor<4xi32>) {
  // expected-error @below {{'nn.is_nan' op expects a floating-point tensor, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.is_nan %x : tensor<4xi32> -> tensor<4xi1>
  return
}

// -----

func.func @is_inf_int(%x: tensor<4xi64>) {
  // expected-error @below {{'nn.is_inf' op expects a floating-point tensor, got 'i64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.is_inf %x : tensor<4xi64> -> tensor<4xi1>
  return
}

// -----

func.func @sign_bool(%x: tensor<4xi1>) {
  // expected-error @below {{'nn.sign' op expects a numeric tensor, got 'i1'}}
  %0 = nn.sign %x : tensor<4xi1>
  return
}

// -----

func.func @round_int(%x: tensor<4xi32>) {
  // expected-error @below {{'nn.round' op expects a floating-point tensor, got 'i32'}}
  %0 = nn.round %x : tensor<4xi32>
  return
}

// -----

func.func @bitwise_not_float(%x: tensor<4xf32>) {
  // expected-error @below {{'nn.bitwise_not' op expects an integer tensor, got 'f32'}}
  %0 = nn.bitwise_not %x : tensor<4xf32>
  return
}

// -----

func.func @bitwise_and_bool(%x: tensor<4xi1>) {
  // expected-error @below {{'nn.bitwise_and' op expects integer operands, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.bitwise_and %x, %x : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @bitwise_or_types(%x: tensor<4xi32>, %y: tensor<4xi64>) {
  // expected-error @below {{'nn.bitwise_or' op operand element types differ: 'i32' vs 'i64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.bitwise_or %x, %y : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi32>
  return
}

// -----

func.func @mod_float_without_fmod(%x: tensor<4xf32>) {
  // expected-error @below {{'nn.mod' op fmod must be true for floating-point operands ('f32')}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.mod %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @mod_bool(%x: tensor<4xi1>) {
  // expected-error @below {{'nn.mod' op expects numeric operands, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.mod %x, %x : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return
}

// -----

func.func @gather_nd_i32(%d: tensor<3x4xf32>, %i: tensor<2x1xi32>) {
  // expected-error @below {{'nn.gather_nd' op indices must be i64, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i : (tensor<3x4xf32>, tensor<2x1xi32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @gather_nd_rank(%d: tensor<f32>, %i: tensor<2x1xi64>) {
  // expected-error @below {{'nn.gather_nd' op data and indices must have rank >= 1, got 0 and 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i : (tensor<f32>, tensor<2x1xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_batch_dims(%d: tensor<3x4xf32>, %i: tensor<3x1xi64>) {
  // expected-error @below {{'nn.gather_nd' op batch_dims 2 must be in [0, min(rank(data), rank(indices)) = 2)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i {batch_dims = 2} : (tensor<3x4xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_dynamic_depth(%d: tensor<3x4xf32>, %i: tensor<2x?xi64>) {
  // expected-error @below {{'nn.gather_nd' op the last dimension of indices must be static (it decides the result rank)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i : (tensor<3x4xf32>, tensor<2x?xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_depth(%d: tensor<3x4xf32>, %i: tensor<3x2xi64>) {
  // expected-error @below {{'nn.gather_nd' op index depth 2 (last dimension of indices) must be in [1, 1] for data of rank 2 and batch_dims 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i {batch_dims = 1} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_batch_mismatch(%d: tensor<3x4xf32>, %i: tensor<2x1xi64>) {
  // expected-error @below {{'nn.gather_nd' op batch dimension 0 differs: data has 3, indices have 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_nd %d, %i {batch_dims = 1} : (tensor<3x4xf32>, tensor<2x1xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_elements_type(%d: tensor<3x4xf32>, %i: tensor<3x4xf32>) {
  // expected-error @below {{'nn.gather_elements' op indices must be i32 or i64, got 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_elements %d, %i : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_elements_rank(%d: tensor<3x4xf32>, %i: tensor<4xi64>) {
  // expected-error @below {{'nn.gather_elements' op indices must have the rank of data (2), got 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_elements %d, %i : (tensor<3x4xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_elements_axis(%d: tensor<3x4xf32>, %i: tensor<3x4xi64>) {
  // expected-error @below {{'nn.gather_elements' op axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_elements %d, %i {axis = 2} : (tensor<3x4xf32>, tensor<3x4xi64>) -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_elements_rank0(%d: tensor<f32>, %i: tensor<i64>) {
  // expected-error @below {{'nn.gather_elements' op data must have rank >= 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_elements %d, %i : (tensor<f32>, tensor<i64>) -> tensor<f32>
  return
}

// -----

func.func @gather_elements_larger(%d: tensor<3x4xf32>, %i: tensor<2x5xi64>) {
  // expected-error @below {{'nn.gather_elements' op indices have size 5 in dimension 1, larger than data's 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.gather_elements %d, %i : (tensor<3x4xf32>, tensor<2x5xi64>) -> tensor<2x5xf32>
  return
}

// -----

func.func @scatter_elements_reduction(%d: tensor<3x4xf32>, %i: tensor<3x4xi64>) {
  // expected-error @below {{'nn.scatter_elements' op reduction must be one of none, add, mul, max, min; got "sub"}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_elements %d, %i, %d {reduction = "sub"} : (tensor<3x4xf32>, tensor<3x4xi64>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @scatter_elements_updates_type(%d: tensor<3x4xf32>, %i: tensor<3x4xi64>, %u: tensor<3x4xf16>) {
  // expected-error @below {{'nn.scatter_elements' op updates have element type 'f16', expected 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_elements %d, %i, %u : (tensor<3x4xf32>, tensor<3x4xi64>, tensor<3x4xf16>) -> tensor<3x4xf32>
  return
}

// -----

func.func @scatter_elements_updates_shape(%d: tensor<3x4xf32>, %i: tensor<3x4xi64>, %u: tensor<3x3xf32>) {
  // expected-error @below {{'nn.scatter_elements' op updates of shape [3, 3] do not match indices of shape [3, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_elements %d, %i, %u : (tensor<3x4xf32>, tensor<3x4xi64>, tensor<3x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @scatter_elements_bool_add(%d: tensor<3x4xi1>, %i: tensor<3x4xi64>) {
  // expected-error @below {{'nn.scatter_elements' op reduction "add" needs a numeric tensor, got i1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.scatter_elements %d, %i, %d {reduction = "add"} : (tensor<3x4xi1>, tensor<3x4xi64>, tensor<3x4xi1>) -> tensor<3x4xi1>
  return
}

// -----

func.func @tile_dynamic_repeats(%x: tensor<3x4xf32>, %r: tensor<?xi64>) {
  // expected-error @below {{'nn.tile' op repeats must have a static length}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.tile %x, %r : (tensor<3x4xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @tile_repeats_count(%x: tensor<3x4xf32>, %r: tensor<3xi64>) {
  // expected-error @below {{'nn.tile' op repeats has 3 entries for an input of rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.tile %x, %r : (tensor<3x4xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @tile_negative(%x: tensor<3x4xf32>) {
  %r = nn.constant dense<[1, -2]> : tensor<2xi64>
  // expected-error @below {{'nn.tile' op repeats has negative value -2 at index 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.tile %x, %r : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @arg_max_bool(%x: tensor<3x4xi1>) {
  // expected-error @below {{'nn.arg_max' op expects a numeric tensor, got 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.arg_max %x : tensor<3x4xi1> -> tensor<1x4xi64>
  return
}

// -----

func.func @arg_min_axis(%x: tensor<3x4xf32>) {
  // expected-error @below {{'nn.arg_min' op axis -3 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.arg_min %x {axis = -3} : tensor<3x4xf32> -> tensor<1x4xi64>
  return
}

// -----

func.func @reduce_l2_int(%x: tensor<3x4xi32>) {
  // expected-error @below {{'nn.reduce_l2' op expects a floating-point tensor, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reduce_l2 %x, axes = [1] : tensor<3x4xi32> -> tensor<3x1xi32>
  return
}

// -----

func.func @reduce_log_sum_exp_int(%x: tensor<3x4xi64>) {
  // expected-error @below {{'nn.reduce_log_sum_exp' op expects a floating-point tensor, got 'i64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.reduce_log_sum_exp %x, axes = [1] : tensor<3x4xi64> -> tensor<3x1xi64>
  return
}

// -----

// A shape operand longer than any rank (a hostile model): refused before
// a type of that rank is built.
func.func @expand_huge_rank(%x: tensor<2xf32>, %s: tensor<281440616972289xi64>) {
  // expected-error @below {{'nn.expand' op shape operand has 281440616972289 elements, more than the supported rank 256}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.expand %x, %s : (tensor<2xf32>, tensor<281440616972289xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<2x4x8xf32>, %k: tensor<2x4x4x8xf32>) {
  // expected-error @below {{'nn.attention' op query must be 4-D [batch, heads, sequence, head_size], got 'tensor<2x4x8xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %k : (tensor<2x4x8xf32>, tensor<2x4x4x8xf32>, tensor<2x4x4x8xf32>) -> tensor<2x4x4x8xf32>
  return
}

// -----

func.func @attention_int(%q: tensor<1x1x4x8xi32>) {
  // expected-error @below {{'nn.attention' op query must be floating point, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q : (tensor<1x1x4x8xi32>, tensor<1x1x4x8xi32>, tensor<1x1x4x8xi32>) -> tensor<1x1x4x8xi32>
  return
}

// -----

func.func @attention_types(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x4x8xf16>) {
  // expected-error @below {{'nn.attention' op query, key and value element types differ: 'f32', 'f16', 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %q : (tensor<1x1x4x8xf32>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x1x4x8xf32>, %k: tensor<3x1x4x8xf32>) {
  // expected-error @below {{'nn.attention' op batch sizes differ: query [2, 1, 4, 8], key [3, 1, 4, 8], value [3, 1, 4, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %k : (tensor<2x1x4x8xf32>, tensor<3x1x4x8xf32>, tensor<3x1x4x8xf32>) -> tensor<2x1x4x8xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x1x4x8xf32>) {
  // expected-error @below {{'nn.attention' op key and value head counts differ: [1, 2, 4, 8] vs [1, 1, 4, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %v : (tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  return
}

// -----

func.func @attention_kv_len(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x6x8xf32>) {
  // expected-error @below {{'nn.attention' op key and value sequence lengths differ: [1, 2, 5, 8] vs [1, 2, 6, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %v : (tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x5x4xf32>) {
  // expected-error @below {{'nn.attention' op query and key head sizes differ: [1, 2, 4, 8] vs [1, 2, 5, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %k : (tensor<1x2x4x8xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @attention_groups(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>) {
  // expected-error @below {{'nn.attention' op query heads (3) must be a multiple of key/value heads (2)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %k, %k : (tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x3x4x8xf32>
  return
}

// -----

func.func @attention_mask_type(%q: tensor<1x2x4x8xf32>, %m: tensor<4x4xi32>) {
  // expected-error @below {{'nn.attention' op mask must be i1 or 'f32', got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q, %m : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xi32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_mask_rank(%q: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4x4xi1>) {
  // expected-error @below {{'nn.attention' op mask must have rank <= 4, got 5}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q, %m : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x1x4x4xi1>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x2x4x8xf32>, %m: tensor<3x4xi1>) {
  // expected-error @below {{'nn.attention' op mask of shape [3, 4] does not broadcast to [batch, q_heads, q_len, kv_len] = [1, 2, 4, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q, %m : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<3x4xi1>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x2x4x8xf32>) {
  // expected-error @below {{'nn.attention' op scale must be positive, got 0.000000e+00}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q {scale = 0.0 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_softcap(%q: tensor<1x2x4x8xf32>) {
  // expected-error @below {{'nn.attention' op softcap must be >= 0, got -1.000000e+00}}
  // expected-error @below {{failed to infer returned types}}
  %0 = nn.attention %q, %q, %q {softcap = -1.0 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}
