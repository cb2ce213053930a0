//===- MathOpsTest.cpp - is_nan, is_inf, sign, round, mod, bitwise
//---------===//
//
// Every kernel against a plain reference loop over every dtype it accepts.
// Tolerances: all of these are exact (predicates, sign, round and fmod have
// exactly representable results; f16/bf16 inputs are drawn on their own
// grid), so the comparisons are equality, NaN matching NaN.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

const std::vector<DType> kFloats = {DType::F32, DType::F64, DType::F16,
                                    DType::BF16};
const std::vector<DType> kInts = {DType::I8,  DType::I16, DType::I32,
                                  DType::I64, DType::U8,  DType::U16,
                                  DType::U32, DType::U64};

/// Special values and a spread of ordinary ones.
Tensor specials(DType dt) {
  double inf = std::numeric_limits<double>::infinity();
  return make(dt, {2, 5},
              {0.0, -0.0, 1.5, -2.5, inf, -inf, std::nan(""), 3.25, -7.0, 0.5});
}

TEST(IsNaNInf, AllFloatTypes) {
  for (DType dt : kFloats) {
    Tensor x = specials(dt);
    KernelCall nan(OpKind::IsNaN);
    Tensor n = runOk(nan, {&x});
    ASSERT_EQ(n.dtype(), DType::Bool);
    ASSERT_EQ(n.shape(), x.shape());
    for (int64_t i = 0; i < x.numel(); ++i)
      EXPECT_EQ(n.getInt(i), std::isnan(x.getDouble(i)) ? 1 : 0)
          << dtypeName(dt) << " " << i;
    for (int pos = 0; pos < 2; ++pos)
      for (int neg = 0; neg < 2; ++neg) {
        KernelCall inf(OpKind::IsInf);
        inf.attr("detect_positive", (int64_t)pos)
            .attr("detect_negative", (int64_t)neg);
        Tensor y = runOk(inf, {&x});
        for (int64_t i = 0; i < x.numel(); ++i) {
          double v = x.getDouble(i);
          bool want = (pos && std::isinf(v) && v > 0) ||
                      (neg && std::isinf(v) && v < 0);
          EXPECT_EQ(y.getInt(i), want ? 1 : 0) << dtypeName(dt) << " " << i;
        }
      }
  }
  Tensor i = i64({2}, {1, 2});
  KernelCall call(OpKind::IsNaN);
  EXPECT_FALSE(call.run({&i}).isOk());
}

TEST(Sign, NumericTypes) {
  for (DType dt : kFloats) {
    Tensor x = specials(dt);
    KernelCall call(OpKind::Sign);
    Tensor y = runOk(call, {&x});
    ASSERT_EQ(y.dtype(), dt);
    for (int64_t i = 0; i < x.numel(); ++i) {
      double v = x.getDouble(i);
      double want = std::isnan(v) ? v : (double)((v > 0) - (v < 0));
      EXPECT_TRUE(near(y.getDouble(i), want, 0)) << dtypeName(dt) << " " << i;
    }
  }
  for (DType dt : kInts) {
    Tensor x = random(dt, {3, 7}, 3, -50, 50);
    KernelCall call(OpKind::Sign);
    Tensor y = runOk(call, {&x});
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t v = x.getInt(i);
      if (!isSigned(dt))
        v = (int64_t)x.getDouble(i);
      EXPECT_EQ(y.getInt(i), (v > 0) - (v < 0)) << dtypeName(dt) << " " << i;
    }
  }
  Tensor b = make(DType::Bool, {2}, {1, 0});
  KernelCall call(OpKind::Sign);
  EXPECT_FALSE(call.run({&b}).isOk());
}

TEST(Round, HalvesToEven) {
  std::vector<double> in = {0.5,    1.5,  2.5,   -0.5, -1.5, -2.5,
                            2.4999, 2.75, -3.25, 0.0,  7.0,  1e6 + 0.5};
  std::vector<double> want = {0, 2, 2, -0.0, -2, -2, 2, 3, -3, 0, 7, 1e6};
  for (DType dt : kFloats) {
    Tensor x = make(dt, {(int64_t)in.size()}, in);
    KernelCall call(OpKind::Round);
    Tensor y = runOk(call, {&x});
    for (int64_t i = 0; i < x.numel(); ++i) {
      // The reference on the stored input (f16 cannot hold 1e6 + 0.5).
      double v = x.getDouble(i), r = std::nearbyint(v);
      if (roundTo(dt, in[i]) == in[i]) {
        EXPECT_EQ(r, want[i]) << i;
      }
      EXPECT_EQ(y.getDouble(i), roundTo(dt, r)) << dtypeName(dt) << " " << i;
    }
  }
  Tensor x = specials(DType::F32);
  KernelCall call(OpKind::Round);
  Tensor y = runOk(call, {&x});
  EXPECT_TRUE(std::isnan(y.getDouble(6)));
  EXPECT_TRUE(std::isinf(y.getDouble(4)));
  Tensor i = i64({1}, {3});
  KernelCall bad(OpKind::Round);
  EXPECT_FALSE(bad.run({&i}).isOk());
}

/// Python's % for fmod = 0, C's % / fmod for fmod = 1.
double refMod(double a, double b, bool fmod) {
  double r = std::fmod(a, b);
  if (!fmod && r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

TEST(Mod, IntegersBothSignRules) {
  for (DType dt : kInts) {
    bool s = isSigned(dt);
    Tensor x = random(dt, {4, 6}, 5, s ? -40 : 0, 40);
    Tensor y = random(dt, {6}, 6, s ? -9 : 1, 9);
    for (int64_t i = 0; i < y.numel(); ++i)
      if (y.getInt(i) == 0)
        y.setInt(i, 3);
    for (int fmod = 0; fmod < 2; ++fmod) {
      KernelCall call(OpKind::Mod);
      call.attr("fmod", (int64_t)fmod);
      Tensor out = runOk(call, {&x, &y});
      ASSERT_EQ(out.shape(), x.shape());
      for (int64_t i = 0; i < out.numel(); ++i) {
        double a = x.getDouble(i), b = y.getDouble(i % 6);
        EXPECT_EQ(out.getDouble(i), refMod(a, b, fmod))
            << dtypeName(dt) << " fmod=" << fmod << " " << a << " % " << b;
      }
    }
  }
  // Extremes: INT_MIN % -1 is 0; unsigned values above INT_MAX.
  Tensor a = i64({2}, {std::numeric_limits<int64_t>::min(), -5});
  Tensor m1 = i64({2}, {-1, 3});
  KernelCall call(OpKind::Mod);
  Tensor r = runOk(call, {&a, &m1});
  EXPECT_EQ(ints(r), (std::vector<int64_t>{0, 1}));
  Tensor u = makeInts(DType::U64, {1}, {-1}); // 2^64 - 1
  Tensor d = makeInts(DType::U64, {1}, {10});
  KernelCall ucall(OpKind::Mod);
  Tensor ur = runOk(ucall, {&u, &d});
  EXPECT_EQ(ur.getInt(0), 5); // 18446744073709551615 % 10
}

TEST(Mod, FloatsNeedFmod) {
  for (DType dt : kFloats) {
    Tensor x = make(dt, {6}, {5.5, -5.5, 5.5, -5.5, 0.0, 3.0});
    Tensor y = make(dt, {6}, {2.0, 2.0, -2.0, -2.0, 1.0, 0.0});
    KernelCall call(OpKind::Mod);
    call.attr("fmod", int64_t(1));
    Tensor out = runOk(call, {&x, &y});
    for (int64_t i = 0; i < 6; ++i)
      EXPECT_TRUE(near(out.getDouble(i),
                       refMod(x.getDouble(i), y.getDouble(i), true), 0))
          << dtypeName(dt) << " " << i;
    KernelCall bad(OpKind::Mod);
    Status st = bad.run({&x, &y});
    EXPECT_FALSE(st.isOk());
    EXPECT_NE(st.message().find("fmod must be 1"), std::string::npos);
  }
}

TEST(Mod, IntegerZeroDivisorIsAnError) {
  Tensor x = i64({2}, {4, 5});
  Tensor y = i64({2}, {2, 0});
  KernelCall call(OpKind::Mod);
  Status st = call.run({&x, &y});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("step 'test' (nn.mod): integer modulo by zero"),
            std::string::npos)
      << st.message();
}

TEST(Bitwise, AllIntegerTypesBroadcast) {
  for (DType dt : kInts) {
    Tensor x = random(dt, {3, 4}, 7, isSigned(dt) ? -100 : 0, 100);
    Tensor y = random(dt, {3, 1}, 8, isSigned(dt) ? -100 : 0, 100);
    for (OpKind k :
         {OpKind::BitwiseAnd, OpKind::BitwiseOr, OpKind::BitwiseXor}) {
      KernelCall call(k);
      Tensor out = runOk(call, {&x, &y});
      ASSERT_EQ(out.shape(), x.shape());
      ASSERT_EQ(out.dtype(), dt);
      for (int64_t i = 0; i < out.numel(); ++i) {
        int64_t a = x.getInt(i), b = y.getInt(i / 4);
        int64_t r = k == OpKind::BitwiseAnd  ? (a & b)
                    : k == OpKind::BitwiseOr ? (a | b)
                                             : (a ^ b);
        EXPECT_EQ(out.getDouble(i), wrapTo(dt, r)) << dtypeName(dt) << " " << i;
      }
    }
    KernelCall notCall(OpKind::BitwiseNot);
    Tensor n = runOk(notCall, {&x});
    for (int64_t i = 0; i < n.numel(); ++i)
      EXPECT_EQ(n.getDouble(i), wrapTo(dt, ~x.getInt(i))) << dtypeName(dt);
  }
  Tensor f = f32({2}, {1, 2});
  KernelCall bad(OpKind::BitwiseAnd);
  EXPECT_FALSE(bad.run({&f, &f}).isOk());
  Tensor b = make(DType::Bool, {2}, {1, 0});
  KernelCall badNot(OpKind::BitwiseNot);
  EXPECT_FALSE(badNot.run({&b}).isOk());
  Tensor i32t = makeInts(DType::I32, {2}, {1, 2});
  Tensor i64t = i64({2}, {1, 2});
  KernelCall mixed(OpKind::BitwiseOr);
  EXPECT_FALSE(mixed.run({&i32t, &i64t}).isOk());
}

} // namespace
