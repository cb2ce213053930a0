//===- OnnxOpsetsTest.cpp - operator versions vs ONNX's registry ----------===//
//
// The importer's table of default-domain operator versions (OnnxOpsets.cpp)
// against the schema registry of the linked ONNX library: for every
// converted operator and every opset the registry knows, the schema version
// the table selects is the registry's. Versions past the registry's newest
// opset (ONNX 1.12 knows opsets up to 17) come from ONNX's Changelog.md and
// are checked for consistency only.
//
//===----------------------------------------------------------------------===//

#include "gptq/Import/OnnxImport.h"

#include "onnx/defs/schema.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

/// onnxruntime's SimplifiedLayerNormalization is registered in the default
/// domain but is not an ONNX operator.
bool isOnnxOperator(const std::string &op) {
  return op != "SimplifiedLayerNormalization";
}

int64_t registryMaxOpset() {
  const auto &map =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

TEST(OnnxOpsets, EveryConvertedOperatorHasAHistory) {
  std::vector<std::string> ops = gptq::supportedDefaultDomainOps();
  ASSERT_GT(ops.size(), 50u);
  for (const std::string &op : ops) {
    if (!isOnnxOperator(op)) {
      EXPECT_EQ(gptq::onnxOpVersions(op), nullptr) << op;
      continue;
    }
    const gptq::OnnxOpVersions *v = gptq::onnxOpVersions(op);
    ASSERT_NE(v, nullptr) << op << " has no version history";
    ASSERT_FALSE(v->sinceVersions.empty()) << op;
    EXPECT_TRUE(
        std::is_sorted(v->sinceVersions.begin(), v->sinceVersions.end()))
        << op;
    EXPECT_NE(std::find(v->sinceVersions.begin(), v->sinceVersions.end(),
                        v->oldestConverted),
              v->sinceVersions.end())
        << op << ": the oldest converted version is not one of its versions";
    EXPECT_LE(v->sinceVersions.back(), gptq::kMaxDefaultOpset) << op;
  }
}

TEST(OnnxOpsets, HistoriesMatchTheSchemaRegistry) {
  int64_t maxOpset = registryMaxOpset();
  ASSERT_GE(maxOpset, 13) << "the linked ONNX registry is too old";
  int checked = 0;
  for (const std::string &op : gptq::supportedDefaultDomainOps()) {
    const gptq::OnnxOpVersions *v = gptq::onnxOpVersions(op);
    if (!v)
      continue;
    for (int64_t opset = 1; opset <= maxOpset; ++opset) {
      const onnx::OpSchema *schema =
          onnx::OpSchemaRegistry::Schema(op, (int)opset, onnx::ONNX_DOMAIN);
      // Operators newer than the registry (Gelu, the Bitwise ops) are
      // absent from it at every opset it knows.
      int64_t expected = schema ? schema->SinceVersion() : 0;
      EXPECT_EQ(v->schemaAt(opset), expected) << op << " at opset " << opset;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
}

// At the opsets the importer reads, an operator is refused only where it
// does not exist yet: every version in force from opset 7 on is converted.
TEST(OnnxOpsets, EveryVersionInRangeIsConverted) {
  for (const std::string &op : gptq::supportedDefaultDomainOps()) {
    const gptq::OnnxOpVersions *v = gptq::onnxOpVersions(op);
    if (!v)
      continue;
    for (int64_t opset = gptq::kMinDefaultOpset;
         opset <= gptq::kMaxDefaultOpset; ++opset) {
      int64_t at = v->schemaAt(opset);
      if (at != 0)
        EXPECT_GE(at, v->oldestConverted) << op << " at opset " << opset;
    }
  }
}

TEST(OnnxOpsets, SchemaAtSelectsTheNewestVersionNotAboveTheOpset) {
  const gptq::OnnxOpVersions *softmax = gptq::onnxOpVersions("Softmax");
  ASSERT_NE(softmax, nullptr);
  EXPECT_EQ(softmax->schemaAt(10), 1);
  EXPECT_EQ(softmax->schemaAt(11), 11);
  EXPECT_EQ(softmax->schemaAt(12), 11);
  EXPECT_EQ(softmax->schemaAt(13), 13);
  EXPECT_EQ(softmax->schemaAt(23), 13);
  const gptq::OnnxOpVersions *gelu = gptq::onnxOpVersions("Gelu");
  ASSERT_NE(gelu, nullptr);
  EXPECT_EQ(gelu->schemaAt(19), 0);
  EXPECT_EQ(gelu->schemaAt(20), 20);
}

} // namespace
