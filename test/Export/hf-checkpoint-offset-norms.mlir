// Gemma's RMSNorm computes x * (1 + w): a norm constant the graph multiplies
// by directly is the folded 1 + w (exporters fold it; the importer folds any
// constant Add), so the checkpoint gets c - 1; a named w that the graph
// adds 1 to itself stays w. Without the original weights the graph's names
// are trusted.
// REQUIRES: safetensors, numpy
// RUN: rm -rf %t && mkdir -p %t/hf
// RUN: echo '{"model_type": "gemma", "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}' > %t/hf/config.json
// RUN: gptq-opt %s --gptq-rtn=group-size=16 -o %t/q.mlirbc > /dev/null
// RUN: gptq-translate --export-gptq %t/out %t/q.mlirbc --hf-config %t/hf 2>&1 | FileCheck %s --check-prefix=WARN
// WARN: warning: 1 norm weights of 'gemma' recovered as w = c - 1 from the constant c = 1 + w the graph multiplies by
// RUN: %python -c "from safetensors.numpy import load_file; t = load_file('%t/out/model.safetensors'); print(sorted((k, float(v.min()), float(v.max())) for k, v in t.items() if 'norm' in k))" | FileCheck %s
// CHECK: [('model.layers.0.input_layernorm.weight', 0.5, 0.5), ('model.norm.weight', 0.5, 0.5)]
// The same graph for Llama (no offset): the constants as they are.
// RUN: echo '{"model_type": "llama", "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}' > %t/hf/config.json
// RUN: gptq-translate --export-gptq %t/llama %t/q.mlirbc --hf-config %t/hf
// RUN: %python -c "from safetensors.numpy import load_file; t = load_file('%t/llama/model.safetensors'); print(sorted((k, float(v.min()), float(v.max())) for k, v in t.items() if 'norm' in k))" | FileCheck %s --check-prefix=LLAMA
// LLAMA: [('model.layers.0.input_layernorm.weight', 1.5, 1.5), ('model.norm.weight', 0.5, 0.5)]

func.func @main(%x: tensor<1x4x32xf32>) -> tensor<1x4x32xf32> {
  %c = nn.constant dense<1.5> : tensor<32xf32> loc("model.layers.0.input_layernorm.weight")
  %a = nn.mul %x, %c : (tensor<1x4x32xf32>, tensor<32xf32>) -> tensor<1x4x32xf32> loc("/model/layers.0/input_layernorm/Mul")
  %lw = nn.constant dense<0.25> : tensor<32x32xf32> loc("onnx::MatMul_1")
  %y = nn.matmul %a, %lw : (tensor<1x4x32xf32>, tensor<32x32xf32>) -> tensor<1x4x32xf32> loc("/model/layers.0/mlp/down_proj/MatMul")
  %w = nn.constant dense<0.5> : tensor<32xf32> loc("model.norm.weight")
  %one = nn.constant dense<1.0> : tensor<f32> loc("one")
  %n = nn.add %one, %w : (tensor<f32>, tensor<32xf32>) -> tensor<32xf32> loc("/model/norm/Add")
  %z = nn.mul %y, %n : (tensor<1x4x32xf32>, tensor<32xf32>) -> tensor<1x4x32xf32> loc("/model/norm/Mul")
  return %z : tensor<1x4x32xf32>
}
