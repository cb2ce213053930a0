//===- ParameterNamesTest.cpp - framework names from ONNX names -*- C++ -*-===//

#include "passes/ParameterNames.h"
#include "passes/HFArchitectures.h"
#include "passes/QuantizeUtils.h"

#include "gptq/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace gptq;
using namespace gptq::names;

namespace {

TEST(ParameterNames, IsParameterName) {
  EXPECT_TRUE(isParameterName("model.layers.0.input_layernorm.weight"));
  EXPECT_TRUE(isParameterName("transformer.wte.weight"));
  EXPECT_TRUE(isParameterName("lm_head.weight"));
  EXPECT_FALSE(isParameterName("onnx::MatMul_123"));
  EXPECT_FALSE(isParameterName("/model/layers.0/self_attn/Constant_output_0"));
  EXPECT_FALSE(isParameterName("val_12"));
  EXPECT_FALSE(isParameterName("_param_constant3"));
  EXPECT_FALSE(isParameterName("123"));
  EXPECT_FALSE(isParameterName("1.5"));
  EXPECT_FALSE(isParameterName(""));
  EXPECT_FALSE(isParameterName(".weight"));
}

TEST(ParameterNames, NodeScope) {
  EXPECT_EQ(nodeScope("/model/layers.0/self_attn/q_proj/MatMul"),
            "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(nodeScope("/decoder/layers.1/fc1/Gemm"), "decoder.layers.1.fc1");
  EXPECT_EQ(nodeScope("/lm_head/MatMul"), "lm_head");
  EXPECT_EQ(nodeScope("/MatMul"), "");
  EXPECT_EQ(nodeScope("MatMul_12"), "");
  EXPECT_EQ(nodeScope("node_linear_3"), "");
  EXPECT_EQ(nodeScope("//x/MatMul"), "");
  EXPECT_EQ(parentPath("model.norm.weight"), "model.norm");
  EXPECT_EQ(parentPath("weight"), "");
  EXPECT_EQ(lastComponent("model.layers.0.q_proj").str(), "q_proj");
  EXPECT_EQ(lastComponent("lm_head").str(), "lm_head");
}

TEST(ParameterNames, ScopeResolverSkippedModule) {
  // OPTForCausalLM calls self.model.decoder: nodes lack the "model" level.
  ScopeResolver r;
  EXPECT_TRUE(r.addAnchor("decoder.layers.0.self_attn.q_proj",
                          "model.decoder.layers.0.self_attn.q_proj"));
  EXPECT_EQ(*r.resolve("decoder.layers.1.self_attn.k_proj"),
            "model.decoder.layers.1.self_attn.k_proj");
  EXPECT_EQ(*r.resolve("decoder.layers.0.self_attn.q_proj"),
            "model.decoder.layers.0.self_attn.q_proj");
  // A scope no anchor covers is the module path itself.
  EXPECT_EQ(*r.resolve("lm_head"), "lm_head");
}

TEST(ParameterNames, ScopeResolverSkippedInnerModule) {
  ScopeResolver r;
  EXPECT_TRUE(r.addAnchor("model.block.0.fc", "model.inner.block.0.fc"));
  EXPECT_EQ(*r.resolve("model.block.3.proj"), "model.inner.block.3.proj");
  EXPECT_EQ(*r.resolve("model.norm"), "model.norm");
}

TEST(ParameterNames, ScopeResolverRejectsForeignAnchors) {
  ScopeResolver r;
  // A tied embedding used by the LM head: not the head's own parameter.
  EXPECT_FALSE(r.addAnchor("lm_head", "model.embed_tokens"));
  // Components out of order.
  EXPECT_FALSE(r.addAnchor("b.a.x", "a.b.x"));
  EXPECT_FALSE(r.addAnchor("", "a.b"));
  EXPECT_TRUE(r.rewrites().empty());
}

TEST(ParameterNames, ScopeResolverConflict) {
  ScopeResolver r;
  EXPECT_TRUE(r.addAnchor("decoder.fc", "model.decoder.fc"));
  EXPECT_TRUE(r.addAnchor("decoder.fc2", "other.decoder.fc2"));
  std::string why;
  EXPECT_FALSE(r.resolve("decoder.fc3", &why).has_value());
  EXPECT_NE(why.find("several modules"), std::string::npos) << why;
}

class ParameterNamingTest : public ::testing::Test {
protected:
  ParameterNamingTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  OwningOpRef<ModuleOp> parse(StringRef text) {
    return parseSourceString<ModuleOp>(text, &ctx);
  }
  template <typename Op> Op nth(ModuleOp m, int n) {
    Op found;
    int i = 0;
    m.walk([&](Op op) {
      if (i++ == n)
        found = op;
    });
    return found;
  }
  MLIRContext ctx;
};

// TorchScript-style OPT: the MatMul's weight is an "onnx::" initializer under
// scope "decoder..." while the bias and the Gemm weights carry parameter
// names "model.decoder..."; a Gemm with trans_b = false uses a Conv1D-style
// [in, out] parameter; the LM head's weight is a tied embedding.
constexpr const char *kOpt = R"mlir(
func.func @main(%x: tensor<2x4xf32>, %ids: tensor<2xi64>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x6xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %wq = nn.constant dense<1.0> : tensor<4x4xf32> loc("onnx::MatMul_7")
  %bq = nn.constant dense<2.0> : tensor<4xf32> loc("model.decoder.layers.0.self_attn.q_proj.bias")
  %q = nn.matmul %x, %wq : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.0/self_attn/q_proj/MatMul")
  %qb = nn.add %bq, %q : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.0/self_attn/q_proj/Add")
  %wk = nn.constant dense<3.0> : tensor<4x4xf32> loc("onnx::MatMul_8")
  %k = nn.matmul %x, %wk : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.1/self_attn/k_proj/MatMul")
  %w1 = nn.constant dense<4.0> : tensor<4x4xf32> loc("model.decoder.layers.0.fc1.weight")
  %f = nn.gemm %x, %w1 {trans_b = true} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.0/fc1/Gemm")
  %wc = nn.constant dense<5.0> : tensor<4x6xf32> loc("transformer.h.0.attn.c_attn.weight")
  %c = nn.gemm %x, %wc : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32> loc("/transformer/h.0/attn/c_attn/Gemm")
  %emb = nn.constant dense<6.0> : tensor<4x4xf32> loc("model.decoder.embed_tokens.weight")
  %h = nn.gemm %x, %emb {trans_b = true} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/lm_head/Gemm")
  %n0 = nn.constant dense<7.0> : tensor<4xf32> loc("model.decoder.layers.0.final_layer_norm.weight")
  %a = nn.mul %n0, %x : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.0/final_layer_norm/Mul")
  %b = nn.mul %n0, %x : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.1/final_layer_norm/Mul")
  return %qb, %k, %f, %c, %h, %b : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x6xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir";

TEST_F(ParameterNamingTest, TorchScriptOpt) {
  auto m = parse(kOpt);
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  std::string why;

  auto q = naming.linear(nth<nn::MatMulOp>(*m, 0), why);
  ASSERT_TRUE(q) << why;
  EXPECT_EQ(q->module, "model.decoder.layers.0.self_attn.q_proj");
  EXPECT_FALSE(q->fromParameter);
  EXPECT_EQ(q->layout, WeightLayout::Linear);

  // Layer 1 has no named parameter: the anchor of layer 0 names it.
  auto k = naming.linear(nth<nn::MatMulOp>(*m, 1), why);
  ASSERT_TRUE(k) << why;
  EXPECT_EQ(k->module, "model.decoder.layers.1.self_attn.k_proj");

  auto fc1 = naming.linear(nth<nn::GemmOp>(*m, 0), why);
  ASSERT_TRUE(fc1) << why;
  EXPECT_EQ(fc1->module, "model.decoder.layers.0.fc1");
  EXPECT_TRUE(fc1->fromParameter);
  EXPECT_EQ(fc1->layout, WeightLayout::Linear);

  auto conv = naming.linear(nth<nn::GemmOp>(*m, 1), why);
  ASSERT_TRUE(conv) << why;
  EXPECT_EQ(conv->module, "transformer.h.0.attn.c_attn");
  EXPECT_EQ(conv->layout, WeightLayout::Conv1D);

  // The tied embedding names the weight, the node names the head.
  auto head = naming.linear(nth<nn::GemmOp>(*m, 2), why);
  ASSERT_TRUE(head) << why;
  EXPECT_EQ(head->module, "lm_head");
  EXPECT_FALSE(head->fromParameter);

  // One initializer used by two norms (equal parameters merged).
  auto norm = nth<nn::ConstantOp>(*m, 6);
  ASSERT_TRUE(norm);
  ASSERT_EQ(*naming.parameter(norm),
            "model.decoder.layers.0.final_layer_norm.weight");
  auto aliases = naming.aliases(norm);
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0], "model.decoder.layers.1.final_layer_norm.weight");
  EXPECT_FALSE(naming.parameter(nth<nn::ConstantOp>(*m, 0)).has_value());
}

// No named parameter anchors the "decoder" scope; the original checkpoint's
// module names do.
TEST_F(ParameterNamingTest, KnownModulesWithoutAnchors) {
  auto m = parse(R"mlir(
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = nn.constant dense<1.0> : tensor<4x4xf32> loc("onnx::MatMul_7")
  %y = nn.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/decoder/layers.0/self_attn/q_proj/MatMul")
  %h = nn.constant dense<1.0> : tensor<4x4xf32> loc("onnx::MatMul_8")
  %z = nn.matmul %y, %h : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/lm_head/MatMul")
  return %z : tensor<2x4xf32>
}
)mlir");
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  std::string why;
  EXPECT_EQ(naming.linear(nth<nn::MatMulOp>(*m, 0), why)->module,
            "decoder.layers.0.self_attn.q_proj");
  naming.setKnownModules({"model.decoder.layers.0.self_attn.q_proj",
                          "model.decoder.layers.0.self_attn.k_proj",
                          "lm_head"});
  EXPECT_EQ(naming.linear(nth<nn::MatMulOp>(*m, 0), why)->module,
            "model.decoder.layers.0.self_attn.q_proj");
  EXPECT_EQ(naming.linear(nth<nn::MatMulOp>(*m, 1), why)->module, "lm_head");
}

TEST_F(ParameterNamingTest, NoScopeIsAnError) {
  auto m = parse(R"mlir(
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = nn.constant dense<1.0> : tensor<4x4xf32> loc("val_3")
  %y = nn.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("node_MatMul_4")
  return %y : tensor<2x4xf32>
}
)mlir");
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  std::string why;
  EXPECT_FALSE(naming.linear(nth<nn::MatMulOp>(*m, 0), why).has_value());
  EXPECT_NE(why.find("node 'node_MatMul_4' has no module scope"),
            std::string::npos)
      << why;
}

// torch.onnx dynamo: "node_linear" nodes, "val_*" weights (transposes
// folded), the module kept from the node's name_scopes metadata.
TEST_F(ParameterNamingTest, DynamoModuleMetadata) {
  auto m = parse(R"mlir(
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = nn.constant dense<1.0> : tensor<4x4xf32> loc("val_116")
  %y = nn.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("node_linear"("torch.module:model.layers.0.self_attn.q_proj"("m.onnx":3:0)))
  %n = nn.constant dense<2.0> : tensor<4xf32> loc("model.layers.0.input_layernorm.weight")
  %z = nn.mul %n, %y : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> loc("node_mul_2"("torch.module:model.layers.1.input_layernorm"))
  return %z : tensor<2x4xf32>
}
)mlir");
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  std::string why;
  auto q = naming.linear(nth<nn::MatMulOp>(*m, 0), why);
  ASSERT_TRUE(q) << why;
  EXPECT_EQ(q->module, "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(exporterModule(nth<nn::MatMulOp>(*m, 0)->getLoc()),
            "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(locationName(nth<nn::MatMulOp>(*m, 0)->getLoc()), "node_linear");
  // A deduplicated norm weight used by layer 1's norm.
  auto aliases = naming.aliases(nth<nn::ConstantOp>(*m, 1));
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0], "model.layers.1.input_layernorm.weight");
}

// onnxruntime-genai's builder: initializers named after their nodes
// ("<node path>.MatMul.weight", "<node path>.Add.bias"); the tied embedding
// is the head's [in, out] MatMul weight transposed.
constexpr const char *kGenai = R"mlir(
func.func @main(%x: tensor<2x4xf32>, %ids: tensor<2xi64>) -> (tensor<2x6xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = nn.constant dense<1.0> : tensor<4x6xf32> loc("model.layers.0.attn.qkv_proj.MatMul.weight")
  %y = nn.matmul %x, %w : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32> loc("/model/layers.0/attn/qkv_proj/MatMul")
  %b = nn.constant dense<2.0> : tensor<6xf32> loc("model.layers.0.attn.qkv_proj.Add.bias")
  %yb = nn.add %y, %b : (tensor<2x6xf32>, tensor<6xf32>) -> tensor<2x6xf32> loc("/model/layers.0/attn/qkv_proj/Add")
  %h = nn.constant dense<3.0> : tensor<4x4xf32> loc("lm_head.MatMul.weight")
  %t = nn.transpose %h, perm = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32> loc("/model/embed_tokens/Transpose")
  %e = nn.gather %t, %ids : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("/model/embed_tokens/Gather")
  %l = nn.matmul %e, %h : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32> loc("/lm_head/MatMul")
  %n = nn.constant dense<4.0> : tensor<4xf32> loc("model.layers.2.final_norm_layernorm.weight")
  %z = nn.mul %l, %n : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("/model/layers.2/final_norm_layernorm/Mul")
  return %yb, %e, %z : tensor<2x6xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir";

TEST_F(ParameterNamingTest, GenaiNodeNamedInitializers) {
  EXPECT_TRUE(namedAfterNode("model.layers.0.attn.qkv_proj.MatMul.weight",
                             "/model/layers.0/attn/qkv_proj/MatMul"));
  EXPECT_FALSE(namedAfterNode("model.layers.0.self_attn.q_proj.weight",
                              "/model/layers.0/self_attn/q_proj/MatMul"));
  EXPECT_FALSE(namedAfterNode("lm_head.MatMul.weight", "node_linear"));

  auto m = parse(kGenai);
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  std::string why;
  // The linear weight is in the MatMul's [in, out] layout: named by the
  // node's scope, written transposed (not as a stored parameter).
  auto qkv = naming.linear(nth<nn::MatMulOp>(*m, 0), why);
  ASSERT_TRUE(qkv) << why;
  EXPECT_EQ(qkv->module, "model.layers.0.attn.qkv_proj");
  EXPECT_FALSE(qkv->fromParameter);
  EXPECT_EQ(qkv->layout, WeightLayout::Linear);
  EXPECT_FALSE(naming.parameter(nth<nn::ConstantOp>(*m, 0)).has_value());
  // The Add's bias is the module's bias.
  EXPECT_EQ(*naming.parameter(nth<nn::ConstantOp>(*m, 1)),
            "model.layers.0.attn.qkv_proj.bias");
  // Plain names stay.
  EXPECT_EQ(*naming.parameter(nth<nn::ConstantOp>(*m, 3)),
            "model.layers.2.final_norm_layernorm.weight");
  // The head, and the embedding that gathers from its transpose.
  auto head = naming.linear(nth<nn::MatMulOp>(*m, 1), why);
  ASSERT_TRUE(head) << why;
  EXPECT_EQ(head->module, "lm_head");
  auto tables = naming.embeddingTables(nth<nn::ConstantOp>(*m, 2));
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "model.embed_tokens.weight");
  EXPECT_TRUE(tables[0].transposed);
  // gptq-quantize's layer name is the node's module, not the node.
  EXPECT_EQ(quantize::linearLayerName(nth<nn::MatMulOp>(*m, 0),
                                      nth<nn::ConstantOp>(*m, 0), 0),
            "model.layers.0.attn.qkv_proj");
}

// torch.onnx dynamo names a tied embedding matrix after the head; the
// embedding module gathers from it. TorchScript's second call of a module
// ("wte_1": GPT-2 embeds token_type_ids with wte) is the same module.
TEST_F(ParameterNamingTest, TiedEmbeddingTables) {
  auto m = parse(R"mlir(
func.func @main(%ids: tensor<2xi64>, %tt: tensor<2xi64>) -> (tensor<2x4xf32>, tensor<4x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = nn.constant dense<1.0> : tensor<4x4xf32> loc("lm_head.weight")
  %e = nn.gather %w, %ids : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("node_embedding"("torch.module:transformer.wte"))
  %t = nn.transpose %w, perm = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32> loc("node_t"("torch.module:lm_head"))
  %v = nn.constant dense<2.0> : tensor<4x4xf32> loc("transformer.wpe.weight")
  %a = nn.gather %v, %ids : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("/transformer/wpe/Gather")
  %b = nn.gather %v, %tt : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("/transformer/wpe_1/Gather")
  %r = nn.constant dense<3.0> : tensor<4x4xf32> loc("onnx::Gather_12")
  %c = nn.gather %r, %tt : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<2x4xf32> loc("/model/rotary_emb/Gather")
  return %e, %t, %b, %c : tensor<2x4xf32>, tensor<4x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir");
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  auto tables = naming.embeddingTables(nth<nn::ConstantOp>(*m, 0));
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "transformer.wte.weight");
  EXPECT_FALSE(tables[0].transposed);
  EXPECT_TRUE(naming.embeddingTables(nth<nn::ConstantOp>(*m, 1)).empty());
  // An exporter-made constant (a rotary cache) names nothing.
  EXPECT_TRUE(naming.embeddingTables(nth<nn::ConstantOp>(*m, 2)).empty());
}

// An unnamed constant (Gemma's folded 1 + w) belongs to the modules whose
// nodes use it.
TEST_F(ParameterNamingTest, UserModules) {
  auto m = parse(R"mlir(
func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %c = nn.constant dense<1.5> : tensor<4xf32> loc("onnx::Mul_729")
  %a = nn.mul %x, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("/model/layers.0/input_layernorm/Mul_1")
  %b = nn.mul %x, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("/model/layers.1/input_layernorm/Mul_1")
  %d = nn.mul %x, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("/model/layers.1/input_layernorm/Mul_2")
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir");
  ASSERT_TRUE(m);
  auto fn = cast<func::FuncOp>(m->getBody()->front());
  ParameterNaming naming(fn);
  auto c = nth<nn::ConstantOp>(*m, 0);
  EXPECT_FALSE(naming.parameter(c).has_value());
  EXPECT_EQ(naming.userModules(c),
            (std::vector<std::string>{"model.layers.0.input_layernorm",
                                      "model.layers.1.input_layernorm"}));
}

TEST(HFArchitectures, Renames) {
  EXPECT_EQ(renameModule("model.layers.0.attn.qkv_proj", "attn", "self_attn"),
            "model.layers.0.self_attn.qkv_proj");
  // Whole components only.
  EXPECT_EQ(
      renameModule("model.layers.0.self_attn.o_proj", "attn", "self_attn"),
      "model.layers.0.self_attn.o_proj");
  EXPECT_EQ(renameModule("model.layers.2.final_norm_layernorm",
                         "layers.*.final_norm_layernorm", "norm"),
            "model.norm");
  EXPECT_EQ(renameModule("m.model.layers.7.final_norm_layernorm",
                         "layers.*.final_norm_layernorm", "norm"),
            "m.model.norm");

  ModelConfig cfg;
  cfg.modelType = "qwen3";
  cfg.hiddenSize = 32;
  cfg.numAttentionHeads = 2;
  cfg.numKeyValueHeads = 1;
  cfg.intermediateSize = 64;
  Architecture a;
  std::string error;
  ASSERT_TRUE(architectureFor(cfg, a, error)) << error;
  EXPECT_EQ(a.family, "llama");
  EXPECT_EQ(a.hfModule("model.layers.0.attn.q_norm.layernorm"),
            "model.layers.0.self_attn.q_norm");
  EXPECT_EQ(a.hfModule("model.layers.1.attn.o_proj"),
            "model.layers.1.self_attn.o_proj");
  EXPECT_EQ(a.hfModule("model.layers.2.final_norm_layernorm"), "model.norm");
  // HF names are left alone.
  EXPECT_EQ(a.hfModule("model.layers.0.self_attn.q_proj"),
            "model.layers.0.self_attn.q_proj");
  EXPECT_FALSE(a.isOffsetNorm("model.norm"));
}

TEST(HFArchitectures, FusedLinears) {
  ModelConfig cfg;
  cfg.modelType = "llama";
  cfg.hiddenSize = 64;
  cfg.numAttentionHeads = 4; // head_dim 16 from hidden_size
  cfg.numKeyValueHeads = 2;
  cfg.intermediateSize = 96;
  Architecture a;
  std::string error;
  ASSERT_TRUE(architectureFor(cfg, a, error)) << error;
  ASSERT_EQ(a.fused.size(), 2u);
  EXPECT_EQ(a.fused[0].fused, "self_attn.qkv_proj");
  EXPECT_EQ(a.fused[0].parts,
            (std::vector<std::string>{"self_attn.q_proj", "self_attn.k_proj",
                                      "self_attn.v_proj"}));
  EXPECT_EQ(a.fused[0].sizes, (std::vector<int64_t>{64, 32, 32}));
  EXPECT_FALSE(a.fused[0].hfFused);
  EXPECT_EQ(a.fused[1].sizes, (std::vector<int64_t>{96, 96}));
  EXPECT_FALSE(a.fused[1].hfFused);

  // Phi-3 keeps both fused; an explicit head_dim wins.
  cfg.modelType = "phi3";
  cfg.headDim = 8;
  ASSERT_TRUE(architectureFor(cfg, a, error)) << error;
  EXPECT_EQ(a.fused[0].sizes, (std::vector<int64_t>{32, 16, 16}));
  EXPECT_TRUE(a.fused[0].hfFused);
  EXPECT_TRUE(a.fused[1].hfFused);

  // A type the table does not know: no rules.
  cfg.modelType = "gpt2";
  ASSERT_TRUE(architectureFor(cfg, a, error)) << error;
  EXPECT_TRUE(a.fused.empty());
  EXPECT_TRUE(a.renames.empty());
  EXPECT_EQ(a.hfModule("transformer.h.0.attn.c_attn"),
            "transformer.h.0.attn.c_attn");

  // Sizes the config lacks.
  ModelConfig bare;
  bare.modelType = "mistral";
  EXPECT_FALSE(architectureFor(bare, a, error));
  EXPECT_NE(error.find("intermediate_size"), std::string::npos) << error;
}

TEST(HFArchitectures, GemmaOffsetNorms) {
  ModelConfig cfg;
  cfg.hiddenSize = 32;
  cfg.numAttentionHeads = 2;
  cfg.intermediateSize = 64;
  for (const char *type : {"gemma", "gemma2", "gemma3", "gemma3_text"}) {
    cfg.modelType = type;
    Architecture a;
    std::string error;
    ASSERT_TRUE(architectureFor(cfg, a, error)) << error;
    EXPECT_EQ(a.normOffset, 1.0) << type;
    EXPECT_TRUE(a.isOffsetNorm("model.layers.0.input_layernorm"));
    EXPECT_TRUE(a.isOffsetNorm("model.layers.0.post_feedforward_layernorm"));
    EXPECT_TRUE(a.isOffsetNorm("model.layers.0.self_attn.q_norm"));
    EXPECT_TRUE(a.isOffsetNorm("model.norm"));
    EXPECT_FALSE(a.isOffsetNorm("model.embed_tokens"));
    EXPECT_FALSE(a.isOffsetNorm("model.layers.0.mlp.down_proj"));
  }
  cfg.modelType = "gemma4";
  Architecture a;
  std::string error;
  ASSERT_TRUE(architectureFor(cfg, a, error));
  EXPECT_FALSE(a.isOffsetNorm("model.norm"));
}

TEST(HFArchitectures, Buffers) {
  EXPECT_TRUE(isBufferName("model.rotary_emb.inv_freq"));
  EXPECT_TRUE(isBufferName("model.layers.0.self_attn.rotary_emb.inv_freq"));
  EXPECT_TRUE(isBufferName("transformer.h.0.attn.masked_bias"));
  EXPECT_FALSE(isBufferName("model.norm.weight"));
  EXPECT_FALSE(isBufferName("inv_freq_table.weight"));
}

} // namespace
