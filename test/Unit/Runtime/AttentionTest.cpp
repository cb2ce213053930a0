//===- AttentionTest.cpp - nn.attention against a plain loop ----*- C++ -*-===//
//
// The kernel against a reference written the obvious way (double precision,
// one query row at a time, grouped heads by index arithmetic). Tolerances
// (relative, see near()): 2e-5 for f32 (f32 accumulation and exp), 4e-3 for
// f16 and 2e-2 for bf16 (the result is rounded to that type; the reference
// reads the same rounded operands).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <cfloat>
#include <limits>

namespace gptq::rt::test {
namespace {

struct AttnCase {
  bool causal = false;
  double scale = 0; // 0: 1/sqrt(D)
  double softcap = 0;
};

/// Reference attention; mask may be null.
std::vector<double> refAttention(const Tensor &q, const Tensor &k,
                                 const Tensor &v, const Tensor *mask,
                                 const AttnCase &c) {
  int64_t B = q.dim(0), Hq = q.dim(1), S = q.dim(2), D = q.dim(3);
  int64_t Hkv = k.dim(1), T = k.dim(2), Dv = v.dim(3);
  double scale = c.scale > 0 ? c.scale : 1.0 / std::sqrt((double)D);
  std::vector<double> out(B * Hq * S * Dv, 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t kh = h / (Hq / Hkv);
      for (int64_t s = 0; s < S; ++s) {
        std::vector<double> sc(T);
        for (int64_t t = 0; t < T; ++t) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += q.getDouble(((b * Hq + h) * S + s) * D + d) *
                   k.getDouble(((b * Hkv + kh) * T + t) * D + d);
          double x = dot * scale;
          if (c.softcap > 0)
            x = c.softcap * std::tanh(x / c.softcap);
          if (mask) {
            double m =
                mask->getDouble(broadcastIndex({b, h, s, t}, mask->shape()));
            if (mask->dtype() == DType::Bool)
              x = m != 0 ? x : -inf;
            else
              x += m;
          }
          if (c.causal && t > s + T - S)
            x = -inf;
          sc[t] = x;
        }
        double mx = -inf;
        for (double x : sc)
          mx = std::max(mx, x);
        if (!(mx > -(double)FLT_MAX))
          continue; // fully masked: zeros
        double sum = 0;
        for (double &x : sc) {
          x = std::exp(x - mx);
          sum += x;
        }
        for (int64_t d = 0; d < Dv; ++d) {
          double acc = 0;
          for (int64_t t = 0; t < T; ++t)
            acc += sc[t] / sum * v.getDouble(((b * Hkv + kh) * T + t) * Dv + d);
          out[((b * Hq + h) * S + s) * Dv + d] = acc;
        }
      }
    }
  return out;
}

Tensor runAttention(const Tensor &q, const Tensor &k, const Tensor &v,
                    const Tensor *mask, const AttnCase &c) {
  KernelCall call(OpKind::Attention);
  call.outDType(q.dtype());
  call.attr("is_causal", (int64_t)c.causal).attr("softcap", c.softcap);
  if (c.scale > 0)
    call.attr("scale", c.scale);
  std::vector<const Tensor *> in{&q, &k, &v};
  if (mask)
    in.push_back(mask);
  return runOk(call, in);
}

double tolOf(DType dt) {
  return dt == DType::F32 ? 2e-5 : dt == DType::F16 ? 4e-3 : 2e-2;
}

TEST(Attention, GroupedHeadsCausalMasksDtypes) {
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    // Grouped heads (4 query heads on 2 kv heads), bottom-right causal with
    // a past (T > S), and S > 64 rows so that one head spans two row blocks.
    for (auto [S, T] : {std::pair<int64_t, int64_t>{3, 5}, {5, 5}, {70, 75}}) {
      Tensor q = random(dt, {2, 4, S, 8}, 1);
      Tensor k = random(dt, {2, 2, T, 8}, 2);
      Tensor v = random(dt, {2, 2, T, 6}, 3);
      for (bool causal : {false, true}) {
        AttnCase c;
        c.causal = causal;
        expectClose(runAttention(q, k, v, nullptr, c),
                    refAttention(q, k, v, nullptr, c), tolOf(dt), "no mask");
        // Bool key-padding mask [B, 1, 1, T] with a padded tail per batch.
        Tensor pad = Tensor::empty(DType::Bool, {2, 1, 1, T});
        for (int64_t i = 0; i < 2 * T; ++i)
          pad.setInt(i, (i % T) < T - 1 - i / T);
        expectClose(runAttention(q, k, v, &pad, c),
                    refAttention(q, k, v, &pad, c), tolOf(dt), "bool mask");
        // Additive mask [Hq, S, T] broadcast over the batch.
        Tensor add = random(dt, {4, S, T}, 4, -3, 1);
        expectClose(runAttention(q, k, v, &add, c),
                    refAttention(q, k, v, &add, c), tolOf(dt), "float mask");
      }
    }
  }
}

TEST(Attention, ScaleSoftcapAndMaskBroadcastAlongKeys) {
  Tensor q = random(DType::F32, {1, 3, 4, 5}, 11, -3, 3);
  Tensor k = random(DType::F32, {1, 1, 6, 5}, 12, -3, 3);
  Tensor v = random(DType::F32, {1, 1, 6, 2}, 13);
  Tensor rowBias = random(DType::F32, {1, 3, 4, 1}, 14); // same for every key
  AttnCase c;
  c.scale = 0.7;
  c.softcap = 2.5;
  expectClose(runAttention(q, k, v, &rowBias, c),
              refAttention(q, k, v, &rowBias, c), 2e-5, "softcap");
}

TEST(Attention, FullyMaskedRowsAreZero) {
  Tensor q = random(DType::F32, {1, 2, 4, 4}, 21);
  Tensor k = random(DType::F32, {1, 2, 3, 4}, 22);
  Tensor v = random(DType::F32, {1, 2, 3, 4}, 23);
  // Causal with S > T: query row 0 sees no key (t <= s - 1).
  AttnCase causal;
  causal.causal = true;
  Tensor out = runAttention(q, k, v, nullptr, causal);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t d = 0; d < 4; ++d) // row 0 of each head
      EXPECT_EQ(out.getDouble(h * 4 * 4 + d), 0.0);
  EXPECT_NE(out.getDouble(4), 0.0); // row 1 sees key 0
  expectClose(out, refAttention(q, k, v, nullptr, causal), 2e-5, "causal");
  // A bool row of false and an additive row of the lowest f32 (finfo.min,
  // what exporters write): both zero, as in onnxruntime.
  Tensor none = Tensor::zeros(DType::Bool, {4, 3});
  for (int64_t i = 3; i < 12; ++i)
    none.setInt(i, 1);
  Tensor lowest = Tensor::zeros(DType::F32, {4, 3});
  for (int64_t t = 0; t < 3; ++t)
    lowest.setDouble(2 * 3 + t, -FLT_MAX);
  for (const Tensor *m : {&none, &lowest}) {
    Tensor o = runAttention(q, k, v, m, AttnCase());
    expectClose(o, refAttention(q, k, v, m, AttnCase()), 2e-5, "mask");
    int64_t row = m == &none ? 0 : 2;
    for (int64_t d = 0; d < 4; ++d)
      EXPECT_EQ(o.getDouble(row * 4 + d), 0.0);
  }
  // A large negative that is not the lowest value is an ordinary score.
  Tensor big = Tensor::zeros(DType::F32, {4, 3});
  for (int64_t t = 0; t < 3; ++t)
    big.setDouble(t, -1e30);
  expectClose(runAttention(q, k, v, &big, AttnCase()),
              refAttention(q, k, v, &big, AttnCase()), 2e-5, "-1e30");
}

TEST(Attention, EmptyKeysAndErrors) {
  Tensor q = random(DType::F32, {1, 2, 2, 4}, 31);
  Tensor k0 = Tensor::empty(DType::F32, {1, 1, 0, 4});
  Tensor v0 = Tensor::empty(DType::F32, {1, 1, 0, 3});
  Tensor out = runAttention(q, k0, v0, nullptr, AttnCase());
  EXPECT_EQ(out.shape(), (Shape{1, 2, 2, 3}));
  for (double x : values(out))
    EXPECT_EQ(x, 0.0);

  Tensor k = random(DType::F32, {1, 3, 5, 4}, 32);
  Tensor v = random(DType::F32, {1, 3, 5, 4}, 33);
  KernelCall call(OpKind::Attention);
  Status st = call.run({&q, &k, &v});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("must be a multiple of key/value heads"),
            std::string::npos)
      << st.message();
  Tensor k1 = random(DType::F32, {1, 1, 5, 4}, 34);
  Tensor v1 = random(DType::F32, {1, 1, 5, 4}, 35);
  Tensor badMask = Tensor::zeros(DType::Bool, {2, 4});
  st = call.run({&q, &k1, &v1, &badMask});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("does not broadcast"), std::string::npos)
      << st.message();
  Tensor intMask = Tensor::zeros(DType::I32, {2, 5});
  st = call.run({&q, &k1, &v1, &intMask});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("mask must be bool or f32"), std::string::npos)
      << st.message();
  Tensor kh = random(DType::F16, {1, 1, 5, 4}, 36);
  EXPECT_FALSE(call.run({&q, &kh, &v1}).isOk());
  Tensor k3 = random(DType::F32, {1, 5, 4}, 37);
  EXPECT_FALSE(call.run({&q, &k3, &v1}).isOk());
}

} // namespace
} // namespace gptq::rt::test
