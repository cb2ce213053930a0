//===- ReduceTest.cpp - reductions, softmax, layer and RMS norm -----------===//
//
// Tolerances: integer reductions exact; f32 1e-6 relative against a double
// reference (max / min exact); f64 1e-12; f16 / bf16 within one rounding
// of the storage type (1e-3 / 8e-3 relative).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

/// Reference reduction over `axes` (empty = all).
std::vector<double> refReduce(const Tensor &x, OpKind kind,
                              std::vector<int64_t> axes, bool keep,
                              Shape &outShape) {
  int64_t r = x.rank();
  std::vector<bool> red(r, axes.empty());
  for (int64_t &a : axes)
    red[a < 0 ? a + r : a] = true;
  outShape.clear();
  Shape kept;
  for (int64_t d = 0; d < r; ++d) {
    if (!red[d]) {
      outShape.push_back(x.dim(d));
      kept.push_back(x.dim(d));
    } else if (keep) {
      outShape.push_back(1);
    }
  }
  int64_t n = numElements(kept);
  std::vector<double> acc(n, kind == OpKind::ReduceMax ? -INFINITY
                             : kind == OpKind::ReduceMin ? INFINITY
                                                         : 0.0);
  std::vector<int64_t> count(n, 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto idx = unravel(i, x.shape());
    int64_t o = 0;
    for (int64_t d = 0; d < r; ++d)
      if (!red[d])
        o = o * x.dim(d) + idx[d];
    double v = x.getDouble(i);
    if (kind == OpKind::ReduceMax)
      acc[o] = std::max(acc[o], v);
    else if (kind == OpKind::ReduceMin)
      acc[o] = std::min(acc[o], v);
    else
      acc[o] += v;
    ++count[o];
  }
  if (kind == OpKind::ReduceMean)
    for (int64_t o = 0; o < n; ++o)
      acc[o] /= (double)count[o];
  return acc;
}

TEST(Reduce, AxesKeepdimsAndTypes) {
  std::vector<std::vector<int64_t>> axesList = {
      {}, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1}, {-3, -1}, {3}, {1, 3}};
  for (OpKind k : {OpKind::ReduceSum, OpKind::ReduceMean, OpKind::ReduceMax,
                   OpKind::ReduceMin}) {
    for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16,
                     DType::I32, DType::I64, DType::U8}) {
      Tensor x = random(dt, {3, 4, 5, 2}, 7, isInteger(dt) ? 0 : -3, 10);
      for (const auto &axes : axesList) {
        for (bool keep : {true, false}) {
          KernelCall call(k);
          call.attr("axes", axes).attr("keepdims", (int64_t)keep);
          Tensor out = runOk(call, {&x});
          Shape want;
          auto ref = refReduce(x, k, axes, keep, want);
          ASSERT_EQ(out.shape(), want);
          ASSERT_EQ(out.dtype(), dt);
          if (isInteger(dt)) {
            for (double &v : ref)
              v = k == OpKind::ReduceMean ? std::trunc(v) : v;
            if (dt == DType::U8 && k == OpKind::ReduceSum)
              for (double &v : ref)
                v = std::fmod(v, 256);
            expectClose(out, ref, 0, opKindName(k));
          } else {
            expectClose(out, ref, tolFor(dt), opKindName(k));
          }
        }
      }
    }
  }
}

TEST(Reduce, LargeRowsNaNAndEmpty) {
  Tensor x = random(DType::F32, {512, 1000}, 3);
  KernelCall mean(OpKind::ReduceMean);
  mean.attr("axes", std::vector<int64_t>{-1});
  Shape s;
  expectClose(runOk(mean, {&x}),
              refReduce(x, OpKind::ReduceMean, {-1}, true, s), 1e-6);
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor n = f32({2, 3}, {1, nan, 3, 4, 5, 6});
  KernelCall mx(OpKind::ReduceMax);
  mx.attr("axes", std::vector<int64_t>{1}).attr("keepdims", (int64_t)0);
  Tensor o = runOk(mx, {&n});
  EXPECT_TRUE(std::isnan(o.getDouble(0)));
  EXPECT_EQ(o.getDouble(1), 6);
  Tensor e = f32({2, 0}, {});
  KernelCall sum(OpKind::ReduceSum), mn(OpKind::ReduceMin);
  sum.attr("axes", std::vector<int64_t>{1});
  mn.attr("axes", std::vector<int64_t>{1});
  EXPECT_EQ(values(runOk(sum, {&e})), (std::vector<double>{0, 0}));
  EXPECT_EQ(values(runOk(mn, {&e})), (std::vector<double>{INFINITY, INFINITY}));
  KernelCall bad(OpKind::ReduceSum);
  bad.attr("axes", std::vector<int64_t>{2});
  EXPECT_FALSE(bad.run({&n}).isOk());
  KernelCall rep(OpKind::ReduceSum);
  rep.attr("axes", std::vector<int64_t>{1, -1});
  EXPECT_FALSE(rep.run({&n}).isOk());
}

std::vector<double> refSoftmax(const Tensor &x, int64_t axis) {
  int64_t r = x.rank();
  if (axis < 0)
    axis += r;
  int64_t outer = 1, len = x.dim(axis), inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dim(d);
  for (int64_t d = axis + 1; d < r; ++d)
    inner *= x.dim(d);
  std::vector<double> y(x.numel());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      double m = -INFINITY, s = 0;
      for (int64_t a = 0; a < len; ++a)
        m = std::max(m, x.getDouble((o * len + a) * inner + j));
      for (int64_t a = 0; a < len; ++a)
        s += std::exp(x.getDouble((o * len + a) * inner + j) - m);
      for (int64_t a = 0; a < len; ++a) {
        int64_t i = (o * len + a) * inner + j;
        y[i] = std::exp(x.getDouble(i) - m) / s;
      }
    }
  return y;
}

TEST(Softmax, AxesAndStability) {
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
    for (int64_t axis : {-1, 0, 1, 2}) {
      Tensor x = random(dt, {3, 17, 9}, 4, -10, 10);
      KernelCall call(OpKind::Softmax);
      call.attr("axis", axis);
      expectClose(runOk(call, {&x}), refSoftmax(x, axis), tolFor(dt),
                  dtypeName(dt));
    }
  }
  // Large magnitudes: no overflow thanks to the max subtraction.
  Tensor big = f32({2, 4}, {1000, 1001, 1002, 1003, -1e30, 0, 1e30, 5});
  KernelCall call(OpKind::Softmax);
  expectClose(runOk(call, {&big}), refSoftmax(big, -1), 1e-6);
  // Masked entries (-inf) get exactly 0.
  Tensor masked = f32({1, 4}, {0.5, -INFINITY, 1.5, -INFINITY});
  Tensor m = runOk(call, {&masked});
  EXPECT_EQ(m.getDouble(1), 0.0);
  EXPECT_EQ(m.getDouble(3), 0.0);
  expectClose(m, refSoftmax(masked, -1), 1e-6);
  // Attention-sized rows exercise the vector exponential and threads.
  Tensor att = random(DType::F32, {4, 8, 128, 128}, 5, -30, 5);
  expectClose(runOk(call, {&att}), refSoftmax(att, -1), 1e-6, "attention");
  // Wide argument range of the exponential.
  Tensor wide = random(DType::F32, {8, 4096}, 6, -100, 100);
  expectClose(runOk(call, {&wide}), refSoftmax(wide, -1), 1e-6, "wide");
  Tensor i = makeInts(DType::I32, {2}, {1, 2});
  EXPECT_FALSE(call.run({&i}).isOk());
}

std::vector<double> refNorm(const Tensor &x, const Tensor &scale,
                            const Tensor *bias, int64_t axis, double eps,
                            bool rms) {
  if (axis < 0)
    axis += x.rank();
  Shape norm(x.shape().begin() + axis, x.shape().end());
  int64_t n = numElements(norm), rows = x.numel() / n;
  std::vector<double> y(x.numel());
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; ++i)
      mean += x.getDouble(r * n + i);
    mean /= n;
    for (int64_t i = 0; i < n; ++i) {
      double v = x.getDouble(r * n + i);
      var += rms ? v * v : (v - mean) * (v - mean);
    }
    var /= n;
    double inv = 1 / std::sqrt(var + eps);
    for (int64_t i = 0; i < n; ++i) {
      auto idx = unravel(i, norm);
      double v = x.getDouble(r * n + i);
      double s = scale.getDouble(broadcastIndex(idx, scale.shape()));
      double b = bias ? bias->getDouble(broadcastIndex(idx, bias->shape())) : 0;
      y[r * n + i] = rms ? v * inv * s : (v - mean) * inv * s + b;
    }
  }
  return y;
}

TEST(LayerNorm, AxesScaleBiasBroadcast) {
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
    Tensor x = random(dt, {2, 3, 8}, 1, -4, 6);
    struct C {
      int64_t axis;
      Shape scale, bias;
    } cases[] = {{-1, {8}, {8}}, {-1, {8}, {}}, {1, {3, 8}, {8}},
                 {1, {1, 8}, {3, 1}}, {0, {2, 3, 8}, {}}, {2, {1}, {1}}};
    for (const C &c : cases) {
      Tensor s = random(dt, c.scale, 2, 0.5, 2);
      bool hasBias = !c.bias.empty();
      Tensor b = hasBias ? random(dt, c.bias, 3) : Tensor();
      KernelCall call(OpKind::LayerNorm);
      call.attr("axis", c.axis).attr("epsilon", 1e-5);
      std::vector<const Tensor *> ins = {&x, &s};
      if (hasBias)
        ins.push_back(&b);
      Tensor out = runOk(call, ins);
      ASSERT_EQ(out.dtype(), dt);
      double tol = dt == DType::F32 ? 2e-6 : tolFor(dt) * 2;
      expectClose(out, refNorm(x, s, hasBias ? &b : nullptr, c.axis, 1e-5, false),
                  tol, dtypeName(dt));
    }
  }
  Tensor x = random(DType::F32, {2, 8}, 1);
  Tensor s = random(DType::F32, {4}, 2);
  KernelCall call(OpKind::LayerNorm);
  Status st = call.run({&x, &s});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("scale of shape [4] does not broadcast to the "
                              "normalized shape [8]"),
            std::string::npos);
  Tensor sh = random(DType::F16, {8}, 2);
  EXPECT_FALSE(call.run({&x, &sh}).isOk());
}

TEST(RMSNorm, MatchesReference) {
  for (DType dt : {DType::F32, DType::F64, DType::F16}) {
    Tensor x = random(dt, {4, 5, 64}, 1);
    Tensor s = random(dt, {64}, 2, 0.5, 1.5);
    for (int64_t axis : {-1, 1}) {
      Tensor sc = axis == -1 ? s : random(dt, {5, 64}, 3);
      KernelCall call(OpKind::RMSNorm);
      call.attr("axis", axis).attr("epsilon", 1e-6);
      expectClose(runOk(call, {&x, &sc}), refNorm(x, sc, nullptr, axis, 1e-6, true),
                  dt == DType::F32 ? 2e-6 : tolFor(dt) * 2, dtypeName(dt));
    }
  }
  // Large batch: the parallel path.
  Tensor x = random(DType::F32, {4096, 64}, 9);
  Tensor s = random(DType::F32, {64}, 10);
  KernelCall call(OpKind::RMSNorm);
  expectClose(runOk(call, {&x, &s}), refNorm(x, s, nullptr, -1, 1e-5, true), 2e-6);
}

} // namespace
