// RUN: gptq-opt %s --gptq-merge-lora -split-input-file | FileCheck %s

// W = [[1, 2], [3, 4]], A = [[1], [2]], B = [[1, 1]]:
// A B = [[1, 1], [2, 2]]; with s = 0.5, W' = [[1.5, 2.5], [4, 5]].

// The torch.onnx form of a PEFT LoRA linear: base MatMul, branch
// MatMul(MatMul(x, A), B), scale after B, base + branch.
// CHECK-LABEL: func.func @scale_after
// CHECK-SAME: (%[[X:.*]]: tensor<3x2xf32>)
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}1.500000e+00, 2.500000e+00], [4.000000e+00, 5.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK-NEXT: return %[[Y]]
func.func @scale_after(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<0.5> : tensor<f32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %v = nn.mul %u, %s : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %z = nn.add %y, %v : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Scale on the input of A (scalar first operand), branch + base order.
// CHECK-LABEL: func.func @scale_before
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}1.500000e+00, 2.500000e+00], [4.000000e+00, 5.000000e+00]]>
// CHECK-NEXT: nn.matmul %{{.*}}, %[[W]]
// CHECK-NEXT: return
func.func @scale_before(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<0.5> : tensor<1xf32>
  %xs = nn.mul %s, %x : (tensor<1xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %xs, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %u, %y : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Scale between A and B, on 3-D activations.
// CHECK-LABEL: func.func @scale_between
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}1.500000e+00, 2.500000e+00], [4.000000e+00, 5.000000e+00]]>
// CHECK-NEXT: nn.matmul %{{.*}}, %[[W]] : (tensor<1x3x2xf32>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
// CHECK-NEXT: return
func.func @scale_between(%x: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<0.5> : tensor<f32>
  %y = nn.matmul %x, %w : (tensor<1x3x2xf32>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
  %t = nn.matmul %x, %a : (tensor<1x3x2xf32>, tensor<2x1xf32>) -> tensor<1x3x1xf32>
  %ts = nn.mul %t, %s : (tensor<1x3x1xf32>, tensor<f32>) -> tensor<1x3x1xf32>
  %u = nn.matmul %ts, %b : (tensor<1x3x1xf32>, tensor<1x2xf32>) -> tensor<1x3x2xf32>
  %z = nn.add %y, %u : (tensor<1x3x2xf32>, tensor<1x3x2xf32>) -> tensor<1x3x2xf32>
  return %z : tensor<1x3x2xf32>
}

// -----

// 2-D activations: torch.onnx exports nn.Linear as Gemm with trans_b
// (weights stored [out, in]); the base keeps its bias C and alpha = 2
// divides the update. Stored W = [[1, 3], [2, 4]] (logical [[1, 2], [3, 4]]),
// logical W' = [[2, 3], [5, 6]] (A B s = [[2, 2], [4, 4]] / alpha),
// stored transposed.
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK-DAG: %[[C:.*]] = nn.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{\[\[}}2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[Y:.*]] = nn.gemm %{{.*}}, %[[W]], %[[C]] {alpha = 2.000000e+00 : f32, trans_b = true}
// CHECK-NEXT: return %[[Y]]
func.func @gemm_trans_b(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 3.0], [2.0, 4.0]]> : tensor<2x2xf32>
  %c = nn.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %a = nn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %b = nn.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %s = nn.constant dense<2.0> : tensor<f32>
  %y = nn.gemm %x, %w, %c {alpha = 2.0 : f32, trans_b = true} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %t = nn.gemm %x, %a {trans_b = true} : (tensor<3x2xf32>, tensor<1x2xf32>) -> tensor<3x1xf32>
  %u = nn.gemm %t, %b {trans_b = true} : (tensor<3x1xf32>, tensor<2x1xf32>) -> tensor<3x2xf32>
  %v = nn.mul %u, %s : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %z = nn.add %y, %v : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Adapter weights seen through nn.transpose (constant folding off), and the
// adapter's alpha on the A Gemm: A B = [[1, 1], [2, 2]] * 0.5.
// CHECK-LABEL: func.func @transposed_constants
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}1.500000e+00, 2.500000e+00], [4.000000e+00, 5.000000e+00]]>
// CHECK-NEXT: nn.matmul %{{.*}}, %[[W]]
// CHECK-NEXT: return
func.func @transposed_constants(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %at = nn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %bt = nn.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %a = nn.transpose %at, perm = [1, 0] : tensor<1x2xf32> -> tensor<2x1xf32>
  %b = nn.transpose %bt, perm = [1, 0] : tensor<2x1xf32> -> tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.gemm %x, %a {alpha = 0.5 : f32} : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// 3-D nn.Linear with a bias: MatMul + Add(bias), then + branch; a [N]
// scale vector after B (per output channel): A B * [0.5, 1] =
// [[0.5, 1], [1, 2]].
// CHECK-LABEL: func.func @bias_add_vector_scale
// CHECK-DAG: %[[BIAS:.*]] = nn.constant dense<[1.000000e+00, 2.000000e+00]>
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{\[\[}}1.500000e+00, 3.000000e+00], [4.000000e+00, 6.000000e+00]]>
// CHECK: %[[Y:.*]] = nn.matmul %{{.*}}, %[[W]]
// CHECK-NEXT: %[[YB:.*]] = nn.add %[[Y]], %[[BIAS]]
// CHECK-NEXT: return %[[YB]]
func.func @bias_add_vector_scale(%x: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %bias = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<[[[0.5, 1.0]]]> : tensor<1x1x2xf32>
  %y = nn.matmul %x, %w : (tensor<1x3x2xf32>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
  %yb = nn.add %y, %bias : (tensor<1x3x2xf32>, tensor<2xf32>) -> tensor<1x3x2xf32>
  %t = nn.matmul %x, %a : (tensor<1x3x2xf32>, tensor<2x1xf32>) -> tensor<1x3x1xf32>
  %u = nn.matmul %t, %b : (tensor<1x3x1xf32>, tensor<1x2xf32>) -> tensor<1x3x2xf32>
  %v = nn.mul %u, %s : (tensor<1x3x2xf32>, tensor<1x1x2xf32>) -> tensor<1x3x2xf32>
  %z = nn.add %yb, %v : (tensor<1x3x2xf32>, tensor<1x3x2xf32>) -> tensor<1x3x2xf32>
  return %z : tensor<1x3x2xf32>
}

// -----

// Two adapters stacked on one base (x W + l1 + l2) both fold; the base
// weight shared with another layer is not changed for that layer.
// CHECK-LABEL: func.func @stacked_and_shared_weight
// CHECK-DAG: %[[W0:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
// CHECK-DAG: %[[W2:.*]] = nn.constant dense<{{\[\[}}2.000000e+00, 3.000000e+00], [5.000000e+00, 6.000000e+00]]>
// CHECK-DAG: nn.matmul %{{.*}}, %[[W2]]
// CHECK-DAG: nn.matmul %{{.*}}, %[[W0]]
// CHECK-NOT: nn.mul
func.func @stacked_and_shared_weight(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<0.5> : tensor<f32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t1 = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u1 = nn.matmul %t1, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %v1 = nn.mul %u1, %s : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %z1 = nn.add %y, %v1 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %t2 = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u2 = nn.matmul %t2, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %v2 = nn.mul %s, %u2 : (tensor<f32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %z2 = nn.add %z1, %v2 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %other = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %z2, %other : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// f16 weights merge in their own type; a rank-2 adapter.
// A B = [[1, 0], [0, 1]] @ [[1, 2], [3, 4]] = B.
// CHECK-LABEL: func.func @f16_rank2
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf16>
// CHECK-NEXT: nn.matmul %{{.*}}, %[[W]]
// CHECK-NEXT: return
func.func @f16_rank2(%x: tensor<3x2xf16>) -> tensor<3x2xf16> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>
  %a = nn.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf16>
  %b = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>
  %y = nn.matmul %x, %w : (tensor<3x2xf16>, tensor<2x2xf16>) -> tensor<3x2xf16>
  %t = nn.matmul %x, %a : (tensor<3x2xf16>, tensor<2x2xf16>) -> tensor<3x2xf16>
  %u = nn.matmul %t, %b : (tensor<3x2xf16>, tensor<2x2xf16>) -> tensor<3x2xf16>
  %z = nn.add %y, %u : (tensor<3x2xf16>, tensor<3x2xf16>) -> tensor<3x2xf16>
  return %z : tensor<3x2xf16>
}

// -----

// Negative: A is not a constant (a runtime input).
// CHECK-LABEL: func.func @non_constant_a
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.add
func.func @non_constant_a(%x: tensor<3x2xf32>, %a: tensor<2x1xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Negative: B is not a constant.
// CHECK-LABEL: func.func @non_constant_b
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.add
func.func @non_constant_b(%x: tensor<3x2xf32>, %b: tensor<1x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Negative: the intermediate x A has another user (it is returned).
// CHECK-LABEL: func.func @shared_intermediate
// CHECK: %[[W:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
// CHECK: nn.matmul %{{.*}}, %[[W]]
// CHECK: %[[T:.*]] = nn.matmul
// CHECK: nn.matmul %[[T]]
// CHECK: nn.add
// CHECK: return %{{.*}}, %[[T]]
func.func @shared_intermediate(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z, %t : tensor<3x2xf32>, tensor<3x1xf32>
}

// -----

// Negative: the scaled branch output has another user.
// CHECK-LABEL: func.func @shared_branch_output
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.mul
// CHECK: nn.add
func.func @shared_branch_output(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %s = nn.constant dense<0.5> : tensor<f32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %v = nn.mul %u, %s : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %z = nn.add %y, %v : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z, %v : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Negative: the base result is used elsewhere too.
// CHECK-LABEL: func.func @base_other_user
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.add
func.func @base_other_user(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z, %y : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Negative: the branch reads another input than the base.
// CHECK-LABEL: func.func @different_input
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.add
func.func @different_input(%x: tensor<3x2xf32>, %x2: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x2, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %z = nn.add %y, %u : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// Negative: a non-constant scale (runtime value) and a scale that
// broadcasts the branch (changes its shape) are not adapters.
// CHECK-LABEL: func.func @non_constant_scale
// CHECK-COUNT-3: nn.matmul
// CHECK: nn.mul
// CHECK: nn.add
func.func @non_constant_scale(%x: tensor<3x2xf32>, %s: tensor<f32>) -> tensor<3x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %a = nn.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = nn.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %y = nn.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %t = nn.matmul %x, %a : (tensor<3x2xf32>, tensor<2x1xf32>) -> tensor<3x1xf32>
  %u = nn.matmul %t, %b : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %v = nn.mul %u, %s : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %z = nn.add %y, %v : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}
