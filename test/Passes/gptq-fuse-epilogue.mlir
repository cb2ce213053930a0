// gptq-fuse-epilogue: elementwise ops after a quantized matmul fold into it.
// RUN: gptq-opt %s --gptq-fuse-epilogue | FileCheck %s

// A Llama MLP: w2(silu(x w1) * (x w3)) + x.
// CHECK-LABEL: func.func @swiglu_residual
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>
// CHECK: %[[H3:.*]] = gptq.matmul_nbits %[[X]], {{.*}} {gptq.layer = "w3"
// CHECK: %[[G:.*]] = gptq.fused_matmul_nbits %[[X]], {{.*}} epilogue ["silu", "mul"](%[[H3]]) {gptq.layer = "w1"
// CHECK: %[[Y:.*]] = gptq.fused_matmul_nbits %[[G]], {{.*}} epilogue ["add"](%[[X]]) {gptq.layer = "w2"
// CHECK-NOT: nn.
// CHECK: return %[[Y]]
func.func @swiglu_residual(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %qw1 = nn.constant dense<0> : tensor<8x96xi32>
  %s1 = nn.constant dense<1.0> : tensor<2x96xf16>
  %z1 = nn.constant dense<0> : tensor<2x12xi32>
  %qw2 = nn.constant dense<0> : tensor<12x64xi32>
  %s2 = nn.constant dense<1.0> : tensor<3x64xf16>
  %z2 = nn.constant dense<0> : tensor<3x8xi32>
  %h1 = gptq.matmul_nbits %x, %qw1, %s1, %z1 {gptq.layer = "w1", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x64xf32>, tensor<8x96xi32>, tensor<2x96xf16>, tensor<2x12xi32>) -> tensor<?x96xf32>
  %sig = nn.sigmoid %h1 : tensor<?x96xf32>
  %silu = nn.mul %h1, %sig : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  %h3 = gptq.matmul_nbits %x, %qw1, %s1, %z1 {gptq.layer = "w3", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x64xf32>, tensor<8x96xi32>, tensor<2x96xf16>, tensor<2x12xi32>) -> tensor<?x96xf32>
  %g = nn.mul %silu, %h3 : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  %y = gptq.matmul_nbits %g, %qw2, %s2, %z2 {gptq.layer = "w2", quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x96xf32>, tensor<12x64xi32>, tensor<3x64xf16>, tensor<3x8xi32>) -> tensor<?x64xf32>
  %r = nn.add %x, %y : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// A constant [N] vector added to the result is the bias; relu follows.
// CHECK-LABEL: func.func @bias_relu
// CHECK: %[[B:.*]] = nn.constant dense<5.000000e-01> : tensor<64xf32>
// CHECK: gptq.fused_matmul_nbits {{.*}} bias(%[[B]]) epilogue ["relu"] {
// CHECK-NOT: nn.add
// CHECK-NOT: nn.relu
func.func @bias_relu(%x: tensor<4x96xf32>) -> tensor<4x64xf32> {
  %qw = nn.constant dense<0> : tensor<12x64xi32>
  %s = nn.constant dense<1.0> : tensor<3x64xf16>
  %z = nn.constant dense<0> : tensor<3x8xi32>
  %b = nn.constant dense<0.5> : tensor<64xf32>
  %y = gptq.matmul_nbits %x, %qw, %s, %z {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<4x96xf32>, tensor<12x64xi32>, tensor<3x64xf16>, tensor<3x8xi32>) -> tensor<4x64xf32>
  %yb = nn.add %b, %y : (tensor<64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %r = nn.relu %yb : tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// Nothing folds: the result has another user, the other operand broadcasts,
// or the op already has two epilogue operands.
// CHECK-LABEL: func.func @not_fused
// CHECK: %[[Y:.*]] = gptq.matmul_nbits
// CHECK: nn.add %[[Y]], %{{.*}} : (tensor<4x64xf32>, tensor<1x64xf32>)
// CHECK: %[[Y2:.*]] = gptq.matmul_nbits
// CHECK: nn.relu %[[Y2]]
// CHECK: %[[F:.*]] = gptq.fused_matmul_nbits {{.*}} epilogue ["add", "mul"]
// CHECK: nn.add %[[F]], %{{.*}} : (tensor<4x64xf32>, tensor<4x64xf32>)
func.func @not_fused(%x: tensor<4x96xf32>, %e: tensor<1x64xf32>, %a: tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
  %qw = nn.constant dense<0> : tensor<12x64xi32>
  %s = nn.constant dense<1.0> : tensor<3x64xf16>
  %z = nn.constant dense<0> : tensor<3x8xi32>
  %y = gptq.matmul_nbits %x, %qw, %s, %z {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<4x96xf32>, tensor<12x64xi32>, tensor<3x64xf16>, tensor<3x8xi32>) -> tensor<4x64xf32>
  %0 = nn.add %y, %e : (tensor<4x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  %y2 = gptq.matmul_nbits %x, %qw, %s, %z {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<4x96xf32>, tensor<12x64xi32>, tensor<3x64xf16>, tensor<3x8xi32>) -> tensor<4x64xf32>
  %1 = nn.relu %y2 : tensor<4x64xf32>
  %y3 = gptq.matmul_nbits %x, %qw, %s, %z {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<4x96xf32>, tensor<12x64xi32>, tensor<3x64xf16>, tensor<3x8xi32>) -> tensor<4x64xf32>
  %2 = nn.add %y3, %a : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %3 = nn.mul %2, %a : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %4 = nn.add %3, %a : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  return %0, %1, %y2, %4 : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>
}

// A layer whose input has a dynamic K keeps the weight's K (in_features)
// through fusion.
// CHECK-LABEL: func @dynamic_k
// CHECK: %[[Y:.*]] = gptq.fused_matmul_nbits %arg0, {{.*}} bias(%{{.*}}) epilogue ["relu"] {in_features = 64 : i64, {{.*}} : (tensor<?x?xf32>,
// CHECK: return %[[Y]]
func.func @dynamic_k(%x: tensor<?x?xf32>) -> tensor<?x32xf32> {
  %qw = nn.constant dense<0> : tensor<8x32xi32>
  %s = nn.constant dense<1.0> : tensor<2x32xf16>
  %z = nn.constant dense<0> : tensor<2x4xi32>
  %b = nn.constant dense<0.5> : tensor<32xf32>
  %y = gptq.matmul_nbits %x, %qw, %s, %z {in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<?x?xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<?x32xf32>
  %yb = nn.add %y, %b : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r = nn.relu %yb : tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}
