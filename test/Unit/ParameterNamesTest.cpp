//===- ParameterNamesTest.cpp - framework names from ONNX names -*- C++ -*-===//

#include "passes/ParameterNames.h"

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

} // namespace
