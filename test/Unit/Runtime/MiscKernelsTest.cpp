//===- MiscKernelsTest.cpp - trilu, cumsum, scatter_nd, rotary ------------===//
//
// Tolerances: trilu, scatter_nd (none) and integer cumsum exact; f32
// cumsum / rotary 1e-6 relative against a double reference; f16 within
// its rounding (1e-3 relative).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

TEST(Trilu, UpperLowerOffsets) {
  for (DType dt : {DType::F32, DType::I64, DType::Bool, DType::F16}) {
    Tensor x = random(dt, {2, 4, 5}, 1, 1, 9);
    for (bool upper : {true, false})
      for (int64_t k : {-6, -2, -1, 0, 1, 3, 7}) {
        KernelCall call(OpKind::Trilu);
        call.attr("upper", (int64_t)upper).attr("k", k);
        Tensor out = runOk(call, {&x});
        for (int64_t i = 0; i < out.numel(); ++i) {
          auto idx = unravel(i, out.shape());
          int64_t r = idx[1], c = idx[2];
          bool keep = upper ? c - r >= k : c - r <= k;
          ASSERT_EQ(out.getDouble(i), keep ? x.getDouble(i) : 0.0)
              << upper << " k=" << k << " at " << r << "," << c;
        }
      }
  }
  Tensor v = f32({3}, {1, 2, 3});
  KernelCall call(OpKind::Trilu);
  EXPECT_FALSE(call.run({&v}).isOk());
}

TEST(CumSum, ExclusiveReverseAxes) {
  for (DType dt : {DType::F32, DType::F64, DType::I32, DType::I64, DType::F16}) {
    Tensor x = random(dt, {3, 4, 5}, 2, isInteger(dt) ? -5 : -2, 5);
    for (int64_t axis : {0, 1, 2, -1})
      for (int excl = 0; excl < 2; ++excl)
        for (int rev = 0; rev < 2; ++rev) {
          KernelCall call(OpKind::CumSum);
          call.attr("axis", axis).attr("exclusive", (int64_t)excl)
              .attr("reverse", (int64_t)rev);
          Tensor out = runOk(call, {&x});
          int64_t ax = axis < 0 ? axis + 3 : axis;
          std::vector<double> want(x.numel());
          for (int64_t i = 0; i < x.numel(); ++i) {
            auto idx = unravel(i, x.shape());
            double s = 0;
            for (int64_t j = 0; j < x.dim(ax); ++j) {
              bool in = rev ? (excl ? j > idx[ax] : j >= idx[ax])
                            : (excl ? j < idx[ax] : j <= idx[ax]);
              if (!in)
                continue;
              auto src = idx;
              src[ax] = j;
              s += x.getDouble((src[0] * 4 + src[1]) * 5 + src[2]);
            }
            want[i] = s;
          }
          expectClose(out, want, tolFor(dt), dtypeName(dt));
        }
  }
}

TEST(ScatterND, ReductionsAndNegativeIndices) {
  Tensor data = f32({4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor idx = i64({3, 1}, {0, -1, 0});
  Tensor upd = f32({3, 3}, {1, 1, 1, 2, 2, 2, 3, 3, 3});
  struct C {
    const char *red;
    std::vector<double> want;
  } cases[] = {
      {"none", {3, 3, 3, 4, 5, 6, 7, 8, 9, 2, 2, 2}},
      {"add", {5, 6, 7, 4, 5, 6, 7, 8, 9, 12, 13, 14}},
      {"mul", {3, 6, 9, 4, 5, 6, 7, 8, 9, 20, 22, 24}},
      {"max", {3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
      {"min", {1, 1, 1, 4, 5, 6, 7, 8, 9, 2, 2, 2}},
  };
  for (const C &c : cases) {
    KernelCall call(OpKind::ScatterND);
    call.attr("reduction", std::string(c.red));
    Tensor out = runOk(call, {&data, &idx, &upd});
    EXPECT_EQ(values(out), c.want) << c.red;
  }
  // Element-level indices, integer and f16 data.
  Tensor d2 = makeInts(DType::I32, {2, 2}, {1, 2, 3, 4});
  Tensor i2 = i64({2, 2}, {0, 1, -1, -2});
  Tensor u2 = makeInts(DType::I32, {2}, {10, 20});
  KernelCall add(OpKind::ScatterND);
  add.attr("reduction", std::string("add"));
  EXPECT_EQ(ints(runOk(add, {&d2, &i2, &u2})), (std::vector<int64_t>{1, 12, 23, 4}));
  Tensor dh = make(DType::F16, {2, 2}, {1, 2, 3, 4});
  Tensor uh = make(DType::F16, {2}, {0.5, 0.25});
  Tensor oh = runOk(add, {&dh, &i2, &uh});
  ASSERT_EQ(oh.dtype(), DType::F16);
  EXPECT_EQ(values(oh), (std::vector<double>{1, 2.5, 3.25, 4}));
  KernelCall none(OpKind::ScatterND);
  Tensor db = makeInts(DType::Bool, {3}, {0, 0, 0});
  Tensor ib = i64({1, 1}, {1});
  Tensor ub = makeInts(DType::Bool, {1}, {1});
  EXPECT_EQ(ints(runOk(none, {&db, &ib, &ub})), (std::vector<int64_t>{0, 1, 0}));
  // The whole tensor (index depth 0) and full-depth indices.
  Tensor i0 = i64({1, 0}, {});
  Tensor u0 = f32({1, 4, 3}, std::vector<double>(12, 7));
  EXPECT_EQ(values(runOk(none, {&data, &i0, &u0})), std::vector<double>(12, 7));
}

TEST(ScatterND, Errors) {
  Tensor data = f32({4, 3}, std::vector<double>(12, 0));
  Tensor upd = f32({1, 3}, {1, 2, 3});
  KernelCall call(OpKind::ScatterND);
  Tensor oob = i64({1, 1}, {4});
  Status st = call.run({&data, &oob, &upd});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("index 4 (update 0, position 0) is out of range "
                              "[-4, 4) for data dimension 0"),
            std::string::npos)
      << st.message();
  Tensor neg = i64({1, 1}, {-5});
  EXPECT_FALSE(call.run({&data, &neg, &upd}).isOk());
  Tensor ok = i64({1, 1}, {1});
  Tensor badUpd = f32({1, 2}, {1, 2});
  EXPECT_FALSE(call.run({&data, &ok, &badUpd}).isOk());
  Tensor deep = i64({1, 3}, {0, 0, 0});
  EXPECT_FALSE(call.run({&data, &deep, &upd}).isOk());
  KernelCall bad(OpKind::ScatterND);
  bad.attr("reduction", std::string("sum"));
  EXPECT_FALSE(bad.run({&data, &ok, &upd}).isOk());
}

/// Reference com.microsoft RotaryEmbedding on [B, S, H, D] logical layout.
std::vector<double> refRotary(const Tensor &x, const Tensor &pos,
                              const Tensor &cosC, const Tensor &sinC,
                              bool interleaved, int64_t heads, int64_t rotDim) {
  bool fourD = x.rank() == 4;
  int64_t b = x.dim(0), s = fourD ? x.dim(2) : x.dim(1);
  int64_t h = fourD ? x.dim(1) : heads;
  int64_t d = fourD ? x.dim(3) : x.dim(2) / heads;
  if (rotDim == 0)
    rotDim = d;
  int64_t half = rotDim / 2;
  std::vector<double> y(x.numel());
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t si = 0; si < s; ++si) {
      int64_t p = pos.numel() == 1 ? pos.getInt(0) + si : pos.getInt(bi * s + si);
      for (int64_t hi = 0; hi < h; ++hi) {
        int64_t base = fourD ? ((bi * h + hi) * s + si) * d
                             : (bi * s + si) * h * d + hi * d;
        for (int64_t i = 0; i < d; ++i) {
          double v = x.getDouble(base + i);
          if (i >= rotDim) {
            y[base + i] = v;
            continue;
          }
          int64_t ci, j;
          double sign;
          if (interleaved) {
            ci = i / 2;
            sign = i % 2 == 0 ? -1 : 1;
            j = i % 2 == 0 ? i + 1 : i - 1;
          } else {
            ci = i % half;
            sign = i < half ? -1 : 1;
            j = (i + half) % rotDim;
          }
          double c = cosC.getDouble(p * cosC.dim(1) + ci);
          double sn = sinC.getDouble(p * sinC.dim(1) + ci);
          y[base + i] = v * c + sign * x.getDouble(base + j) * sn;
        }
      }
    }
  return y;
}

void makeCaches(DType dt, int64_t maxPos, int64_t half, Tensor &c, Tensor &s) {
  c = Tensor::empty(dt, {maxPos, half});
  s = Tensor::empty(dt, {maxPos, half});
  for (int64_t p = 0; p < maxPos; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double f = p / std::pow(10000.0, 2.0 * i / (2 * half));
      c.setDouble(p * half + i, std::cos(f));
      s.setDouble(p * half + i, std::sin(f));
    }
}

TEST(RotaryEmbedding, LayoutsInterleavingPartialDims) {
  for (DType dt : {DType::F32, DType::F16}) {
    for (bool interleaved : {false, true})
      for (int64_t rotDim : {0, 4}) {
        int64_t half = (rotDim ? rotDim : 8) / 2;
        Tensor cosC, sinC;
        makeCaches(dt, 32, half, cosC, sinC);
        // 3-D [B, S, H * D] with position ids [B, S].
        Tensor x3 = random(dt, {2, 5, 3 * 8}, 1);
        Tensor pos = i64({2, 5}, {0, 1, 2, 3, 4, 7, 9, 11, 13, 31});
        KernelCall c3(OpKind::RotaryEmbedding);
        c3.attr("interleaved", (int64_t)interleaved).attr("num_heads", (int64_t)3)
            .attr("rotary_embedding_dim", rotDim).attr("scale", 1.0);
        expectClose(runOk(c3, {&x3, &pos, &cosC, &sinC}),
                    refRotary(x3, pos, cosC, sinC, interleaved, 3, rotDim),
                    dt == DType::F32 ? 1e-6 : 2e-3, "3-D");
        // 4-D [B, H, S, D] with a start offset.
        Tensor x4 = random(dt, {2, 3, 5, 8}, 2);
        Tensor off = i64({1}, {20});
        KernelCall c4(OpKind::RotaryEmbedding);
        c4.attr("interleaved", (int64_t)interleaved)
            .attr("rotary_embedding_dim", rotDim);
        expectClose(runOk(c4, {&x4, &off, &cosC, &sinC}),
                    refRotary(x4, off, cosC, sinC, interleaved, 0, rotDim),
                    dt == DType::F32 ? 1e-6 : 2e-3, "4-D");
      }
  }
}

TEST(RotaryEmbedding, Errors) {
  Tensor cosC, sinC;
  makeCaches(DType::F32, 8, 4, cosC, sinC);
  Tensor x = random(DType::F32, {1, 4, 16}, 1);
  Tensor pos = i64({1, 4}, {0, 1, 2, 8});
  KernelCall call(OpKind::RotaryEmbedding);
  call.attr("num_heads", (int64_t)2);
  Status st = call.run({&x, &pos, &cosC, &sinC});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("position 8 is out of range [0, 8)"),
            std::string::npos)
      << st.message();
  Tensor off = i64({1}, {5}); // positions 5..8
  EXPECT_FALSE(call.run({&x, &off, &cosC, &sinC}).isOk());
  Tensor badPos = i64({2, 4}, std::vector<int64_t>(8, 0));
  EXPECT_FALSE(call.run({&x, &badPos, &cosC, &sinC}).isOk());
  KernelCall heads(OpKind::RotaryEmbedding);
  heads.attr("num_heads", (int64_t)3);
  Tensor p0 = i64({1}, {0});
  EXPECT_FALSE(heads.run({&x, &p0, &cosC, &sinC}).isOk());
  KernelCall odd(OpKind::RotaryEmbedding);
  odd.attr("num_heads", (int64_t)2).attr("rotary_embedding_dim", (int64_t)3);
  EXPECT_FALSE(odd.run({&x, &p0, &cosC, &sinC}).isOk());
  Tensor x2 = random(DType::F32, {4, 16}, 1);
  EXPECT_FALSE(call.run({&x2, &p0, &cosC, &sinC}).isOk());
}

} // namespace
