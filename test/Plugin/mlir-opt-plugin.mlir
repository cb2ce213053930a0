// The LLVM install's own mlir-opt (linked against libMLIR.so) runs our
// passes on nn modules through libGPTQPlugin.so.
// REQUIRES: mlir-opt
// RUN: mlir-opt %s --load-dialect-plugin=%gptq_plugin --load-pass-plugin=%gptq_plugin --pass-pipeline='builtin.module(gptq-merge-lora,nn-canonicalize)' -split-input-file | FileCheck %s --check-prefix=CANON
// RUN: mlir-opt %s --load-dialect-plugin=%gptq_plugin --load-pass-plugin=%gptq_plugin --pass-pipeline='builtin.module(nn-canonicalize,gptq-rtn{bits=4 group-size=32 include=* quiet=true})' -split-input-file | FileCheck %s --check-prefix=RTN
// The dialect plugin alone registers the passes as well:
// RUN: mlir-opt %s --load-dialect-plugin=%gptq_plugin --pass-pipeline='builtin.module(gptq-merge-lora,nn-canonicalize)' -split-input-file | FileCheck %s --check-prefix=CANON
// The pass plugin lists our flags, as gptq-opt does:
// RUN: mlir-opt --load-pass-plugin=%gptq_plugin --help | FileCheck %s --check-prefix=HELP
// HELP: --gptq-merge-lora
// HELP: --gptq-quantize
// HELP: --gptq-rtn
// HELP: --nn-canonicalize

// (@main: the quantization passes work on a model's @main.)
// The reshape's shape arithmetic folds; the weight is quantized.
// CANON-LABEL: func.func @main
// CANON-SAME: -> tensor<16x32xf32>
// CANON-NOT: nn.shape
// CANON: nn.matmul {{.*}} : (tensor<16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
// RTN-LABEL: func.func @main
// RTN: gptq.matmul_nbits {{.*}} {gptq.layer = "linear0", in_features = 64 : i64, quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>} : (tensor<16x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>) -> tensor<16x32xf32>
func.func @main(%x: tensor<2x8x64xf32>) -> tensor<?x?xf32> {
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

// A LoRA branch folds through the plugin too (W' = 0.5 + 2 x 0.25 x 1);
// RTN quantizes all three matmuls when the branch is not merged.
// CANON-LABEL: func.func @main
// CANON: %[[W:.*]] = nn.constant dense_resource<{{.*}}> : tensor<64x32xf32>
// CANON-NEXT: %[[Y:.*]] = nn.matmul %{{.*}}, %[[W]]
// CANON-NEXT: return %[[Y]]
// RTN-LABEL: func.func @main
// RTN-COUNT-3: gptq.matmul_nbits
func.func @main(%x: tensor<3x64xf32>) -> tensor<3x32xf32> {
  %w = nn.constant dense<0.5> : tensor<64x32xf32>
  %a = nn.constant dense<0.25> : tensor<64x2xf32>
  %b = nn.constant dense<1.0> : tensor<2x32xf32>
  %y = nn.matmul %x, %w : (tensor<3x64xf32>, tensor<64x32xf32>) -> tensor<3x32xf32>
  %t = nn.matmul %x, %a : (tensor<3x64xf32>, tensor<64x2xf32>) -> tensor<3x2xf32>
  %u = nn.matmul %t, %b : (tensor<3x2xf32>, tensor<2x32xf32>) -> tensor<3x32xf32>
  %z = nn.add %y, %u : (tensor<3x32xf32>, tensor<3x32xf32>) -> tensor<3x32xf32>
  return %z : tensor<3x32xf32>
}
