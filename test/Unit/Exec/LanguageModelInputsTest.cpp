//===- LanguageModelInputsTest.cpp - filling a decoder's inputs -----------===//

#include "gptq/Exec/LanguageModelInputs.h"

#include <gtest/gtest.h>

using namespace gptq;
namespace rt = gptq::rt;

namespace {

rt::IOSpec spec(const std::string &name, rt::DType dt, rt::Shape shape,
                std::vector<std::string> dims = {}) {
  rt::IOSpec s;
  s.name = name;
  s.dtype = dt;
  s.shape = std::move(shape);
  dims.resize(s.shape.size());
  s.dimNames = std::move(dims);
  return s;
}

const rt::DType I64 = rt::DType::I64, F32 = rt::DType::F32;

/// optimum's text-generation-with-past signature with two layers.
void optimumSignature(std::vector<rt::IOSpec> &in, std::vector<rt::IOSpec> &out,
                      rt::DType maskType = I64) {
  in = {spec("input_ids", I64, {-1, -1}, {"batch_size", "sequence_length"}),
        spec("attention_mask", maskType, {-1, -1},
             {"batch_size", "past_sequence_length + sequence_length"}),
        spec("position_ids", I64, {-1, -1}, {"batch_size", "sequence_length"})};
  out = {spec("logits", F32, {-1, -1, 50})};
  for (int l = 0; l < 2; ++l)
    for (const char *k : {"key", "value"}) {
      in.push_back(spec("past_key_values." + std::to_string(l) + "." + k, F32,
                        {-1, 4, -1, 8},
                        {"batch_size", "", "past_sequence_length", ""}));
      out.push_back(
          spec("present." + std::to_string(l) + "." + k, F32, {-1, 4, -1, 8}));
    }
}

TEST(LanguageModelInputs, CacheNames) {
  struct Case {
    const char *name, *prefix;
    int layer;
    const char *kind;
  } cases[] = {
      {"past_key_values.3.key", "past", 3, "key"},
      {"past_key_values.12.value", "past", 12, "value"},
      {"present.0.key", "present", 0, "key"},
      {"past_key_values.1.key_value", "past", 1, "key_value"},
      {"past_key_values.2", "past", 2, "kv"},
      {"past.4", "past", 4, "kv"},
      {"past_5", "past", 5, "kv"},
      {"present_5", "present", 5, "kv"},
      {"past_key_7", "past", 7, "key"},
      {"past_value_7", "past", 7, "value"},
      {"present_value_7", "present", 7, "value"},
      {"past_key_values_key_cache_0", "past", 0, "key"},
      {"past_key_values_value_cache_1", "past", 1, "value"},
      {"present_key_values_value_cache_1", "present", 1, "value"},
  };
  for (const Case &c : cases) {
    int layer = -1;
    std::string kind;
    EXPECT_TRUE(parseCacheName(c.name, c.prefix, layer, kind)) << c.name;
    EXPECT_EQ(layer, c.layer) << c.name;
    EXPECT_EQ(kind, c.kind) << c.name;
  }
  int layer;
  std::string kind;
  for (const char *bad :
       {"past_key_values", "past_key_values.0.encoder.key", "present.x.key",
        "input_ids", "past_key_values.1.2.key", "pastry_1"})
    EXPECT_FALSE(parseCacheName(bad, "past", layer, kind)) << bad;
  EXPECT_FALSE(parseCacheName("past_key_values.0.key", "present", layer, kind));
}

TEST(LanguageModelInputs, OptimumSignatureZeroPast) {
  std::vector<rt::IOSpec> in, out;
  optimumSignature(in, out);
  auto lm = LanguageModelInputs::analyze(in, out);
  ASSERT_TRUE(lm) << lm.status().message();
  EXPECT_TRUE(lm->hasPast());
  EXPECT_TRUE(lm->canDecodeIncrementally());
  EXPECT_EQ(lm->vocab(), 50);
  EXPECT_EQ(lm->logits().name, "logits");
  std::vector<int64_t> ids = {5, 6, 7, 8, 9, 10};
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.batch = 2;
  r.seq = 3;
  auto feeds = lm->feeds(r, {});
  ASSERT_TRUE(feeds) << feeds.status().message();
  EXPECT_EQ(feeds->size(), 7u);
  const rt::Tensor &mask = feeds->at("attention_mask");
  EXPECT_EQ(mask.shape(), (rt::Shape{2, 3}));
  EXPECT_EQ(mask.dtype(), I64);
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(mask.getInt(i), 1);
  const rt::Tensor &pos = feeds->at("position_ids");
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(pos.getInt(i), i % 3);
  const rt::Tensor &k = feeds->at("past_key_values.1.value");
  EXPECT_EQ(k.shape(), (rt::Shape{2, 4, 0, 8}));
  EXPECT_EQ(k.dtype(), F32);
  EXPECT_EQ(feeds->at("input_ids").getInt(4), 9);
}

TEST(LanguageModelInputs, PastAndLeftPadding) {
  std::vector<rt::IOSpec> in, out;
  optimumSignature(in, out, rt::DType::Bool);
  auto lm = LanguageModelInputs::analyze(in, out, {"attention_mask"});
  ASSERT_TRUE(lm) << lm.status().message();
  // Row 0 left-padded by two, row 1 not: positions as transformers
  // computes them (cumsum - 1, 1 on pads).
  rt::Tensor mask = rt::Tensor::empty(rt::DType::Bool, {2, 5});
  int64_t m[] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  for (int64_t i = 0; i < 10; ++i)
    mask.setInt(i, m[i]);
  std::vector<int64_t> ids(10, 3);
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.batch = 2;
  r.seq = 5;
  std::vector<int64_t> used;
  auto feeds = lm->feeds(r, {{"attention_mask", mask}}, &used);
  ASSERT_TRUE(feeds) << feeds.status().message();
  int64_t want[] = {1, 1, 0, 1, 2, 0, 1, 2, 3, 4};
  for (int64_t i = 0; i < 10; ++i)
    EXPECT_EQ(feeds->at("position_ids").getInt(i), want[i]) << i;
  EXPECT_EQ(used, std::vector<int64_t>(m, m + 10));

  // One decoding step after 5 cached positions: positions continue.
  auto lm2 = LanguageModelInputs::analyze(in, out);
  ASSERT_TRUE(lm2);
  rt::NamedTensors past;
  for (int l = 0; l < 2; ++l)
    for (const char *k : {"key", "value"})
      past["past_key_values." + std::to_string(l) + "." + k] =
          rt::Tensor::zeros(F32, {1, 4, 5, 8});
  r.batch = 1;
  r.seq = 1;
  r.pastLen = 5;
  r.past = &past;
  auto step = lm2->feeds(r, {});
  ASSERT_TRUE(step) << step.status().message();
  EXPECT_EQ(step->at("attention_mask").shape(), (rt::Shape{1, 6}));
  EXPECT_EQ(step->at("position_ids").getInt(0), 5);
  EXPECT_EQ(step->at("past_key_values.0.key").shape(), (rt::Shape{1, 4, 5, 8}));

  // Presents become the next pasts.
  rt::NamedTensors outs;
  for (const rt::IOSpec &o : out)
    outs[o.name] = rt::Tensor::zeros(F32, {1, 4, 6, 8});
  auto next = lm2->pastFromPresents(outs);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->at("past_key_values.1.key").dim(2), 6);
}

TEST(LanguageModelInputs, OtherInputs) {
  std::vector<rt::IOSpec> in = {
      spec("tokens", rt::DType::I32, {1, 16}),
      spec("token_type_ids", rt::DType::I32, {1, 16}),
      spec("cache_position", I64, {-1}),
      spec("num_logits_to_keep", I64, {}),
      spec("use_cache_branch", rt::DType::Bool, {1}),
      spec("past.0", F32, {2, -1, 2, -1, 4}, {"", "batch", "", "past_seq", ""}),
  };
  std::vector<rt::IOSpec> out = {spec("y", F32, {1, 16, 9}),
                                 spec("present.0", F32, {2, 1, 2, -1, 4})};
  auto lm = LanguageModelInputs::analyze(in, out);
  ASSERT_TRUE(lm) << lm.status().message();
  EXPECT_EQ(lm->logits().name, "y");
  EXPECT_EQ(lm->staticBatch(), 1);
  EXPECT_EQ(lm->staticSeq(), 16);
  EXPECT_EQ(lm->find(LMInputRole::Tokens)->spec.name, "tokens");
  std::vector<int64_t> ids(16, 2);
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.seq = 16;
  auto feeds = lm->feeds(r, {});
  ASSERT_TRUE(feeds) << feeds.status().message();
  EXPECT_EQ(feeds->at("tokens").dtype(), rt::DType::I32);
  EXPECT_EQ(feeds->at("token_type_ids").getInt(7), 0);
  EXPECT_EQ(feeds->at("cache_position").getInt(7), 7);
  EXPECT_EQ(feeds->at("num_logits_to_keep").rank(), 0);
  EXPECT_EQ(feeds->at("num_logits_to_keep").getInt(0), 0);
  EXPECT_EQ(feeds->at("use_cache_branch").getInt(0), 0);
  EXPECT_EQ(feeds->at("past.0").shape(), (rt::Shape{2, 1, 2, 0, 4}));
  EXPECT_TRUE(lm->canDecodeIncrementally());
}

TEST(LanguageModelInputs, SharedPositionRow) {
  // position_ids [1, seq] next to a dynamic batch: one row for all.
  std::vector<rt::IOSpec> in = {spec("input_ids", I64, {-1, -1}),
                                spec("position_ids", I64, {1, -1})};
  std::vector<rt::IOSpec> out = {spec("logits", F32, {-1, -1, 9})};
  auto lm = LanguageModelInputs::analyze(in, out);
  ASSERT_TRUE(lm) << lm.status().message();
  std::vector<int64_t> ids(8, 1);
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.batch = 2;
  r.seq = 4;
  auto feeds = lm->feeds(r, {});
  ASSERT_TRUE(feeds) << feeds.status().message();
  EXPECT_EQ(feeds->at("position_ids").shape(), (rt::Shape{1, 4}));
  EXPECT_EQ(feeds->at("position_ids").getInt(3), 3);
}

TEST(LanguageModelInputs, ErrorsNameEveryInput) {
  std::vector<rt::IOSpec> in = {
      spec("input_ids", I64, {-1, -1}),
      spec("pixel_values", F32, {-1, 3}),
      spec("past_key_values.0.key", F32, {-1, -1, -1, 8},
           {"batch_size", "num_heads", "past_sequence_length", ""}),
      spec("past_key_values.0.value", F32, {-1, 4, 7, 8}),
  };
  std::vector<rt::IOSpec> out = {spec("logits", F32, {-1, -1, 9})};
  auto lm = LanguageModelInputs::analyze(in, out);
  ASSERT_FALSE(lm);
  const std::string &msg = lm.status().message();
  EXPECT_NE(msg.find("'pixel_values' (f32[?, 3]): no language-model input"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("'past_key_values.0.key' (f32[batch_size, num_heads, "
                     "past_sequence_length, 8]): dimension 1 'num_heads' has "
                     "no static size"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("'past_key_values.0.value' (f32[?, 4, 7, 8]): the past "
                     "sequence axis 2 has the static size 7"),
            std::string::npos)
      << msg;
  // Overridden, they are fine.
  auto ok = LanguageModelInputs::analyze(
      in, out,
      {"pixel_values", "past_key_values.0.key", "past_key_values.0.value"});
  EXPECT_TRUE(ok) << ok.status().message();

  // The token ids are never given.
  std::vector<rt::IOSpec> in2, out2;
  optimumSignature(in2, out2);
  auto tokens = LanguageModelInputs::analyze(in2, out2, {"input_ids"});
  ASSERT_FALSE(tokens);
  EXPECT_NE(
      tokens.status().message().find(
          "'input_ids' (i64[batch_size, sequence_length]): the token ids come "
          "from the token "
          "file or prompt, not from --input"),
      std::string::npos)
      << tokens.status().message();

  // No tokens, no logits.
  auto none = LanguageModelInputs::analyze({spec("x", F32, {2, 2})},
                                           {spec("y", F32, {2})});
  ASSERT_FALSE(none);
  EXPECT_NE(none.status().message().find("no token input"), std::string::npos);
  EXPECT_NE(none.status().message().find("no logits output"),
            std::string::npos);
}

TEST(LanguageModelInputs, OverrideRows) {
  std::vector<rt::IOSpec> in, out;
  optimumSignature(in, out);
  auto lm = LanguageModelInputs::analyze(in, out, {"attention_mask"});
  ASSERT_TRUE(lm);
  // Four rows given for four sequences: the second call gets rows 2..3.
  rt::Tensor mask = rt::Tensor::zeros(I64, {4, 3});
  for (int64_t i = 0; i < 12; ++i)
    mask.setInt(i, i >= 6 && i % 3 != 0 ? 1 : (i < 6 ? 1 : 0));
  std::vector<int64_t> ids(6, 1);
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.batch = 2;
  r.seq = 3;
  r.row0 = 2;
  auto feeds = lm->feeds(r, {{"attention_mask", mask}});
  ASSERT_TRUE(feeds) << feeds.status().message();
  EXPECT_EQ(feeds->at("attention_mask").shape(), (rt::Shape{2, 3}));
  EXPECT_EQ(feeds->at("attention_mask").getInt(0), 0);
  EXPECT_EQ(feeds->at("attention_mask").getInt(1), 1);
  // One row repeated.
  rt::Tensor one = rt::Tensor::zeros(I64, {1, 3});
  one.setInt(2, 1);
  feeds = lm->feeds(r, {{"attention_mask", one}});
  ASSERT_TRUE(feeds);
  EXPECT_EQ(feeds->at("attention_mask").getInt(5), 1);
  EXPECT_EQ(feeds->at("attention_mask").getInt(3), 0);
  // Three rows for rows 2..3: an error naming the input.
  rt::Tensor three = rt::Tensor::zeros(I64, {3, 3});
  feeds = lm->feeds(r, {{"attention_mask", three}});
  ASSERT_FALSE(feeds);
  EXPECT_NE(feeds.status().message().find("'attention_mask' has 3 rows"),
            std::string::npos)
      << feeds.status().message();
}

} // namespace
