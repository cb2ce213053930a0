//===- ElementwiseTest.cpp - unary, binary, where, clip, cast -------------===//
//
// Tolerances: integer and data movement results exact; f32 math 1e-6
// relative against a double reference; f64 1e-12; f16 / bf16 results must
// equal the f32 result rounded to the storage type (exact).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "runtime/DType.h"

#include <functional>
#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

Shape broadcastRef(const Shape &a, const Shape &b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    int64_t db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<double> refBinary(const Tensor &a, const Tensor &b,
                              const std::function<double(double, double)> &f) {
  Shape out = broadcastRef(a.shape(), b.shape());
  std::vector<double> r(numElements(out));
  for (int64_t i = 0; i < (int64_t)r.size(); ++i) {
    auto idx = unravel(i, out);
    r[i] = f(a.getDouble(broadcastIndex(idx, a.shape())),
             b.getDouble(broadcastIndex(idx, b.shape())));
  }
  return r;
}

/// Reference Cast of element i of x to an integer dtype, as the int64 bit
/// pattern that Tensor::getInt returns for the result.
int64_t refToInt(const Tensor &x, int64_t i, DType to) {
  int bits = (int)dtypeSize(to) * 8;
  bool sgn = isSigned(to);
  if (isFloat(x.dtype())) { // truncate toward zero, saturate, NaN -> 0
    double t = std::trunc(x.getDouble(i));
    if (std::isnan(t))
      return 0;
    if (sgn) {
      double lim = std::ldexp(1.0, bits - 1);
      if (t >= lim)
        return bits == 64 ? std::numeric_limits<int64_t>::max()
                          : (int64_t(1) << (bits - 1)) - 1;
      if (t <= -lim)
        return bits == 64 ? std::numeric_limits<int64_t>::min()
                          : -(int64_t(1) << (bits - 1));
      return (int64_t)t;
    }
    if (t <= 0)
      return 0;
    if (t >= std::ldexp(1.0, bits))
      return bits == 64 ? -1 : (int64_t(1) << bits) - 1;
    return (int64_t)(uint64_t)t;
  }
  // Integers (and bools) wrap modulo 2^bits.
  uint64_t u = (uint64_t)x.getInt(i);
  if (bits < 64) {
    u &= (uint64_t(1) << bits) - 1;
    if (sgn && (u >> (bits - 1)))
      return (int64_t)u - (int64_t(1) << bits);
  }
  return (int64_t)u;
}

/// Reference Cast of element i of x to a float dtype (or bool).
double refToFloat(const Tensor &x, int64_t i, DType to) {
  if (to == DType::Bool)
    return x.getDouble(i) != 0 ? 1 : 0;
  double v;
  float f;
  if (isFloat(x.dtype()) || x.dtype() == DType::Bool) {
    v = x.getDouble(i);
    f = (float)v;
  } else if (isSigned(x.dtype())) {
    v = (double)x.getInt(i);
    f = (float)x.getInt(i);
  } else {
    v = (double)(uint64_t)x.getInt(i);
    f = (float)(uint64_t)x.getInt(i);
  }
  if (to == DType::F16)
    return halfToFloat(floatToHalf(f));
  if (to == DType::BF16)
    return bf16ToFloat(floatToBf16(f));
  return to == DType::F32 ? (double)f : v;
}

const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {}},     {{}, {2, 3, 4}},
    {{2, 3, 4}, {4}},       {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {1, 3, 1}},
    {{5, 1}, {1, 6}},       {{1}, {3}},          {{0, 3}, {3}},
    {{4, 1, 1}, {4, 1, 1}}, {{1, 1}, {}},        {{3, 1, 5}, {3, 7, 1}},
    {{200, 400}, {400}},    {{300, 300}, {300, 1}}, {{64, 1024}, {64, 1024}},
};

struct ArithCase {
  OpKind kind;
  std::function<double(double, double)> ref;
};

std::vector<ArithCase> arithCases() {
  return {
      {OpKind::Add, [](double a, double b) { return a + b; }},
      {OpKind::Sub, [](double a, double b) { return a - b; }},
      {OpKind::Mul, [](double a, double b) { return a * b; }},
      {OpKind::Div, [](double a, double b) { return a / b; }},
      {OpKind::Min, [](double a, double b) { return std::min(a, b); }},
      {OpKind::Max, [](double a, double b) { return std::max(a, b); }},
  };
}

TEST(BinaryArith, FloatBroadcasting) {
  for (DType dt : {DType::F32, DType::F64}) {
    for (const ArithCase &c : arithCases()) {
      uint32_t seed = 1;
      for (const auto &[sa, sb] : kShapePairs) {
        Tensor a = random(dt, sa, seed++), b = random(dt, sb, seed++, 0.5, 3);
        KernelCall call(c.kind);
        Tensor out = runOk(call, {&a, &b});
        ASSERT_TRUE(out.defined());
        EXPECT_EQ(out.dtype(), dt);
        EXPECT_EQ(out.shape(), broadcastRef(sa, sb));
        expectClose(out, refBinary(a, b, c.ref), tolFor(dt),
                    opKindName(c.kind));
      }
    }
  }
}

TEST(BinaryArith, HalfTypesComputeInF32) {
  for (DType dt : {DType::F16, DType::BF16}) {
    for (const ArithCase &c : arithCases()) {
      Tensor a = random(dt, {3, 4}, 3), b = random(dt, {4}, 4, 0.5, 3);
      KernelCall call(c.kind);
      Tensor out = runOk(call, {&a, &b});
      ASSERT_EQ(out.dtype(), dt);
      std::vector<double> want = refBinary(a, b, [&](double x, double y) {
        // The f32 result (exact for these ops when computed in double and
        // rounded to f32), rounded to the storage type.
        return roundTo(dt, (double)(float)c.ref(x, y));
      });
      expectClose(out, want, 0, opKindName(c.kind));
    }
  }
}

TEST(BinaryArith, IntegersWrapAndTruncate) {
  Tensor a = makeInts(DType::I8, {4}, {100, -7, 7, -128});
  Tensor b = makeInts(DType::I8, {4}, {100, 2, -2, -1});
  KernelCall add(OpKind::Add), div(OpKind::Div), mul(OpKind::Mul),
      sub(OpKind::Sub);
  EXPECT_EQ(ints(runOk(add, {&a, &b})), (std::vector<int64_t>{-56, -5, 5, 127}));
  EXPECT_EQ(ints(runOk(div, {&a, &b})), (std::vector<int64_t>{1, -3, -3, -128}));
  EXPECT_EQ(ints(runOk(mul, {&a, &b})), (std::vector<int64_t>{16, -14, -14, -128}));
  EXPECT_EQ(ints(runOk(sub, {&a, &b})), (std::vector<int64_t>{0, -9, 9, -127}));

  Tensor u = makeInts(DType::U16, {3}, {65535, 3, 10});
  Tensor v = makeInts(DType::U16, {1}, {65535});
  KernelCall umul(OpKind::Mul);
  EXPECT_EQ(ints(runOk(umul, {&u, &v})), (std::vector<int64_t>{1, 65533, 65526}));
  KernelCall udiv(OpKind::Div);
  Tensor w = makeInts(DType::U16, {}, {4});
  EXPECT_EQ(ints(runOk(udiv, {&u, &w})), (std::vector<int64_t>{16383, 0, 2}));

  Tensor big = makeInts(DType::I64, {2}, {std::numeric_limits<int64_t>::min(), 9});
  Tensor m1 = makeInts(DType::I64, {}, {-1});
  KernelCall ddiv(OpKind::Div);
  EXPECT_EQ(ints(runOk(ddiv, {&big, &m1})),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -9}));

  for (DType dt : {DType::I16, DType::I32, DType::I64, DType::U8, DType::U32,
                   DType::U64}) {
    for (const ArithCase &c : arithCases()) {
      Tensor x = random(dt, {3, 4}, 8, 0, 100), y = random(dt, {4}, 9, 1, 20);
      KernelCall call(c.kind);
      Tensor out = runOk(call, {&x, &y});
      std::vector<double> want = refBinary(x, y, [&](double p, double q) {
        double r = c.ref(p, q);
        if (c.kind == OpKind::Div)
          r = std::trunc(r);
        Tensor w = makeInts(DType::I64, {}, {(int64_t)r});
        return (double)refToInt(w, 0, dt); // wrap-around
      });
      if (c.kind != OpKind::Sub || isSigned(dt))
        expectClose(out, want, 0, opKindName(c.kind));
    }
  }
}

TEST(BinaryArith, IntegerDivisionByZeroIsAnError) {
  Tensor a = makeInts(DType::I32, {3}, {1, 2, 3});
  Tensor b = makeInts(DType::I32, {3}, {1, 0, 3});
  KernelCall call(OpKind::Div);
  Status st = call.run({&a, &b});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("step 'test' (nn.div): integer division by zero"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("index 1"), std::string::npos);
  // Float division by zero is IEEE.
  Tensor x = f32({2}, {1, -1}), z = f32({}, {0});
  KernelCall fdiv(OpKind::Div);
  EXPECT_EQ(values(runOk(fdiv, {&x, &z})),
            (std::vector<double>{INFINITY, -INFINITY}));
}

TEST(BinaryArith, MinMaxPropagateNaN) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = f32({4}, {nan, 1, 2, nan}), b = f32({4}, {1, nan, 3, nan});
  for (OpKind k : {OpKind::Min, OpKind::Max}) {
    KernelCall call(k);
    Tensor out = runOk(call, {&a, &b});
    EXPECT_TRUE(std::isnan(out.getDouble(0)));
    EXPECT_TRUE(std::isnan(out.getDouble(1)));
    EXPECT_EQ(out.getDouble(2), k == OpKind::Min ? 2 : 3);
    EXPECT_TRUE(std::isnan(out.getDouble(3)));
  }
}

TEST(BinaryArith, Errors) {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6}), b = f32({4}, {1, 2, 3, 4});
  KernelCall call(OpKind::Add);
  Status st = call.run({&a, &b});
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "step 'test' (nn.add): operands are not "
                          "broadcastable: [2, 3] vs [4]");
  Tensor c = makeInts(DType::I32, {2, 3}, {1, 2, 3, 4, 5, 6});
  st = call.run({&a, &c});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("dtypes differ"), std::string::npos);
  Tensor h = random(DType::F16, {2, 3}, 1);
  st = call.run({&a, &h}); // f32 + f16: no silent conversion
  ASSERT_FALSE(st.isOk());
  Tensor t = makeInts(DType::Bool, {2}, {1, 0});
  st = call.run({&t, &t});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("numeric"), std::string::npos);
  st = call.run({&a});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("expects 2 operands, got 1"), std::string::npos);
  st = call.run({&a, nullptr});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("operand 1 is missing"), std::string::npos);
}

TEST(Pow, FloatAndMixedExponents) {
  Tensor x = random(DType::F32, {3, 5}, 2, 0.1, 3);
  Tensor e = random(DType::F32, {5}, 3, -2, 2);
  KernelCall call(OpKind::Pow);
  expectClose(runOk(call, {&x, &e}),
              refBinary(x, e, [](double p, double q) { return std::pow(p, q); }),
              1e-6);
  for (double s : {2.0, 0.5, 1.0, 3.0, -1.0}) {
    Tensor se = f32({}, {s});
    KernelCall c(OpKind::Pow);
    expectClose(runOk(c, {&x, &se}),
                refBinary(x, se, [](double p, double q) { return std::pow(p, q); }),
                1e-6, "scalar exponent");
  }
  // The exponent may have another dtype.
  Tensor ie = makeInts(DType::I64, {}, {3});
  KernelCall c2(OpKind::Pow);
  expectClose(runOk(c2, {&x, &ie}),
              refBinary(x, ie, [](double p, double q) { return std::pow(p, q); }),
              1e-6);
  Tensor neg = f32({2}, {-2, -8});
  Tensor third = f32({}, {1.0 / 3});
  KernelCall c3(OpKind::Pow);
  Tensor r = runOk(c3, {&neg, &third});
  EXPECT_TRUE(std::isnan(r.getDouble(0))); // negative base, fractional power
  // f16 base.
  Tensor hx = random(DType::F16, {4}, 5, 0.5, 2), he = f32({}, {2.5});
  KernelCall c4(OpKind::Pow);
  Tensor hr = runOk(c4, {&hx, &he});
  ASSERT_EQ(hr.dtype(), DType::F16);
  expectClose(hr, refBinary(hx, he, [](double p, double q) {
                return roundTo(DType::F16, (double)std::pow((float)p, (float)q));
              }), 0);
}

TEST(Pow, IntegerBase) {
  Tensor b = makeInts(DType::I32, {6}, {2, -3, 2, 1, -1, 5});
  Tensor e = makeInts(DType::I64, {6}, {10, 3, -1, -5, -3, 0});
  KernelCall call(OpKind::Pow);
  EXPECT_EQ(ints(runOk(call, {&b, &e})),
            (std::vector<int64_t>{1024, -27, 0, 1, -1, 1}));
  Tensor fb = makeInts(DType::I64, {2}, {4, 10});
  Tensor fe = f32({}, {0.5});
  KernelCall c2(OpKind::Pow);
  EXPECT_EQ(ints(runOk(c2, {&fb, &fe})), (std::vector<int64_t>{2, 3}));
  Tensor u = makeInts(DType::U8, {1}, {3});
  Tensor ue = makeInts(DType::U8, {1}, {6}); // 729 wraps to 217
  KernelCall c3(OpKind::Pow);
  EXPECT_EQ(ints(runOk(c3, {&u, &ue})), (std::vector<int64_t>{217}));
}

TEST(Compare, AllKindsBroadcast) {
  struct C {
    OpKind k;
    std::function<bool(double, double)> f;
  } cases[] = {{OpKind::Equal, [](double a, double b) { return a == b; }},
               {OpKind::Less, [](double a, double b) { return a < b; }},
               {OpKind::LessEqual, [](double a, double b) { return a <= b; }},
               {OpKind::Greater, [](double a, double b) { return a > b; }},
               {OpKind::GreaterEqual, [](double a, double b) { return a >= b; }}};
  for (DType dt : {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8,
                   DType::I64, DType::U32, DType::Bool}) {
    for (const C &c : cases) {
      Tensor a = random(dt, {3, 4}, 1, -3, 3), b = random(dt, {4}, 2, -3, 3);
      KernelCall call(c.k);
      Tensor out = runOk(call, {&a, &b});
      ASSERT_EQ(out.dtype(), DType::Bool);
      expectClose(out, refBinary(a, b, [&](double x, double y) {
                    return (double)c.f(x, y);
                  }), 0, dtypeName(dt));
    }
  }
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor n = f32({2}, {nan, 1}), one = f32({}, {1});
  KernelCall eq(OpKind::Equal);
  EXPECT_EQ(ints(runOk(eq, {&n, &one})), (std::vector<int64_t>{0, 1}));
}

TEST(Logical, AndOrXorNot) {
  Tensor a = makeInts(DType::Bool, {2, 2}, {0, 0, 1, 1});
  Tensor b = makeInts(DType::Bool, {2}, {0, 1});
  KernelCall andc(OpKind::And), orc(OpKind::Or), xorc(OpKind::Xor),
      notc(OpKind::Not);
  EXPECT_EQ(ints(runOk(andc, {&a, &b})), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(ints(runOk(orc, {&a, &b})), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(ints(runOk(xorc, {&a, &b})), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(ints(runOk(notc, {&a})), (std::vector<int64_t>{1, 1, 0, 0}));
  Tensor f = f32({2}, {1, 0});
  EXPECT_FALSE(andc.run({&f, &b}).isOk());
  EXPECT_FALSE(notc.run({&f}).isOk());
}

TEST(Where, ThreeWayBroadcastEveryDType) {
  Tensor cond = makeInts(DType::Bool, {2, 1, 4}, {1, 0, 1, 0, 0, 0, 1, 1});
  for (DType dt : allDTypes()) {
    Tensor x = random(dt, {3, 1}, 4, -50, 50), y = random(dt, {2, 3, 4}, 5, -50, 50);
    KernelCall call(OpKind::Where);
    Tensor out = runOk(call, {&cond, &x, &y});
    ASSERT_EQ(out.shape(), (Shape{2, 3, 4}));
    ASSERT_EQ(out.dtype(), dt);
    for (int64_t i = 0; i < out.numel(); ++i) {
      auto idx = unravel(i, out.shape());
      bool c = cond.getInt(broadcastIndex(idx, cond.shape())) != 0;
      double want = c ? x.getDouble(broadcastIndex(idx, x.shape()))
                      : y.getDouble(broadcastIndex(idx, y.shape()));
      ASSERT_EQ(out.getDouble(i), want) << dtypeName(dt) << " " << i;
    }
  }
  // Large, scalar branch (the attention-mask pattern).
  Tensor mask = random(DType::Bool, {1, 1, 256, 256}, 9, 0, 2);
  Tensor scores = random(DType::F32, {2, 4, 256, 256}, 10);
  Tensor ninf = f32({}, {-INFINITY});
  KernelCall call(OpKind::Where);
  Tensor out = runOk(call, {&mask, &scores, &ninf});
  for (int64_t i = 0; i < out.numel(); i += 97) {
    auto idx = unravel(i, out.shape());
    double want = mask.getInt(broadcastIndex(idx, mask.shape())) ? scores.getDouble(i)
                                                                 : -INFINITY;
    ASSERT_EQ(out.getDouble(i), want);
  }
}

TEST(Where, Errors) {
  Tensor c = f32({2}, {1, 0}), x = f32({2}, {1, 2});
  Tensor cb = makeInts(DType::Bool, {2}, {1, 0});
  Tensor xi = makeInts(DType::I32, {2}, {1, 2}), x3 = f32({3}, {1, 2, 3});
  KernelCall call(OpKind::Where);
  EXPECT_FALSE(call.run({&c, &x, &x}).isOk());
  EXPECT_FALSE(call.run({&cb, &x, &xi}).isOk());
  Status st = call.run({&cb, &x, &x3});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("[2] vs [2] vs [3]"), std::string::npos)
      << st.message();
}

TEST(Unary, FloatMath) {
  struct U {
    OpKind k;
    double lo, hi;
    std::function<double(double)> f;
  } cases[] = {
      {OpKind::Sqrt, 0, 10, [](double v) { return std::sqrt(v); }},
      {OpKind::Reciprocal, 0.1, 10, [](double v) { return 1 / v; }},
      {OpKind::Exp, -20, 20, [](double v) { return std::exp(v); }},
      {OpKind::Log, 0.01, 100, [](double v) { return std::log(v); }},
      {OpKind::Tanh, -5, 5, [](double v) { return std::tanh(v); }},
      {OpKind::Erf, -3, 3, [](double v) { return std::erf(v); }},
      {OpKind::Sigmoid, -30, 30, [](double v) { return 1 / (1 + std::exp(-v)); }},
      {OpKind::Cos, -6, 6, [](double v) { return std::cos(v); }},
      {OpKind::Sin, -6, 6, [](double v) { return std::sin(v); }},
      {OpKind::Floor, -6, 6, [](double v) { return std::floor(v); }},
      {OpKind::Ceil, -6, 6, [](double v) { return std::ceil(v); }},
      {OpKind::Neg, -6, 6, [](double v) { return -v; }},
      {OpKind::Abs, -6, 6, [](double v) { return std::fabs(v); }},
      {OpKind::Relu, -6, 6, [](double v) { return v > 0 ? v : 0; }},
  };
  for (const U &u : cases) {
    for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
      for (Shape s : {Shape{7, 9}, Shape{100000}}) {
        Tensor x = random(dt, s, 3, u.lo, u.hi);
        KernelCall call(u.k);
        Tensor out = runOk(call, {&x});
        ASSERT_EQ(out.dtype(), dt);
        std::vector<double> want(x.numel());
        for (int64_t i = 0; i < x.numel(); ++i) {
          want[i] = u.f(x.getDouble(i));
          if (dt == DType::F16 || dt == DType::BF16)
            want[i] = roundTo(dt, want[i]);
        }
        // Half types: f32 result rounded once more (within one half ulp).
        double tol = dt == DType::F32 ? 1e-6 : dt == DType::F64 ? 1e-12
                                                                : tolFor(dt);
        expectClose(out, want, tol, opKindName(u.k));
      }
    }
  }
  Tensor i = makeInts(DType::I32, {2}, {1, 2});
  KernelCall ex(OpKind::Exp);
  Status st = ex.run({&i});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("floating-point"), std::string::npos);
}

TEST(Unary, IntegerNegAbsRelu) {
  Tensor x = makeInts(DType::I8, {4}, {-128, -5, 0, 7});
  KernelCall neg(OpKind::Neg), abs(OpKind::Abs), relu(OpKind::Relu);
  EXPECT_EQ(ints(runOk(neg, {&x})), (std::vector<int64_t>{-128, 5, 0, -7}));
  EXPECT_EQ(ints(runOk(abs, {&x})), (std::vector<int64_t>{-128, 5, 0, 7}));
  EXPECT_EQ(ints(runOk(relu, {&x})), (std::vector<int64_t>{0, 0, 0, 7}));
  Tensor u = makeInts(DType::U32, {2}, {3, 0});
  EXPECT_EQ(ints(runOk(neg, {&u})), (std::vector<int64_t>{4294967293, 0}));
  EXPECT_EQ(ints(runOk(abs, {&u})), (std::vector<int64_t>{3, 0}));
}

TEST(Unary, Gelu) {
  Tensor x = random(DType::F32, {1000}, 4, -6, 6);
  KernelCall exact(OpKind::Gelu), tanhc(OpKind::Gelu);
  tanhc.attr("approximate", std::string("tanh"));
  std::vector<double> we(x.numel()), wt(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = x.getDouble(i);
    we[i] = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    wt[i] = 0.5 * v *
            (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  }
  expectClose(runOk(exact, {&x}), we, 1e-6);
  expectClose(runOk(tanhc, {&x}), wt, 1e-6);
  KernelCall bad(OpKind::Gelu);
  bad.attr("approximate", std::string("fast"));
  EXPECT_FALSE(bad.run({&x}).isOk());
}

TEST(Clip, BoundsAndTypes) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = f32({6}, {-3, -1, 0, 1, 3, nan});
  KernelCall both(OpKind::Clip), lo(OpKind::Clip), hi(OpKind::Clip),
      none(OpKind::Clip);
  both.attr("min", -1.5).attr("max", 2.0);
  lo.attr("min", 0.5);
  hi.attr("max", 0.0);
  auto check = [&](KernelCall &c, std::vector<double> want) {
    Tensor out = runOk(c, {&x});
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(out.getDouble(i), want[i]) << i;
    EXPECT_TRUE(std::isnan(out.getDouble(5)));
  };
  check(both, {-1.5, -1, 0, 1, 2});
  check(lo, {0.5, 0.5, 0.5, 1, 3});
  check(hi, {-3, -1, 0, 0, 0});
  check(none, {-3, -1, 0, 1, 3});
  Tensor xi = makeInts(DType::I32, {4}, {-100, 5, 50, 7});
  KernelCall ci(OpKind::Clip);
  ci.attr("min", 0.0).attr("max", 10.0);
  EXPECT_EQ(ints(runOk(ci, {&xi})), (std::vector<int64_t>{0, 5, 10, 7}));
  Tensor xh = make(DType::F16, {3}, {-4, 0.3, 9});
  Tensor oh = runOk(both, {&xh});
  ASSERT_EQ(oh.dtype(), DType::F16);
  EXPECT_EQ(values(oh), (std::vector<double>{-1.5, roundTo(DType::F16, 0.3), 2}));
}

TEST(Cast, EveryPairOfDTypes) {
  std::vector<double> src = {0, 1, -1, 2.5, -2.5, 100.75, -128.9, 300, 70000,
                             1e10, -0.4, 255};
  for (DType from : allDTypes()) {
    Tensor x = Tensor::empty(from, {(int64_t)src.size()});
    for (size_t i = 0; i < src.size(); ++i) {
      if (isInteger(from)) // wrapped into the type: -1 -> 255 for u8
        x.setInt((int64_t)i, (int64_t)std::trunc(src[i]));
      else
        x.setDouble((int64_t)i, src[i]);
    }
    for (DType to : allDTypes()) {
      KernelCall call(OpKind::Cast);
      call.outDType(to);
      Tensor out = runOk(call, {&x});
      ASSERT_EQ(out.dtype(), to);
      for (int64_t i = 0; i < x.numel(); ++i) {
        if (isInteger(to)) {
          ASSERT_EQ(out.getInt(i), refToInt(x, i, to))
              << dtypeName(from) << " -> " << dtypeName(to) << " of "
              << x.getDouble(i);
        } else {
          ASSERT_EQ(out.getDouble(i), refToFloat(x, i, to))
              << dtypeName(from) << " -> " << dtypeName(to) << " of "
              << x.getDouble(i);
        }
      }
      if (to == from) {
        EXPECT_EQ(out.raw(), x.raw()) << "same-type cast shares storage";
      }
    }
  }
  // Special values.
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor s = f32({4}, {nan, INFINITY, -INFINITY, -0.0});
  KernelCall toI(OpKind::Cast), toB(OpKind::Cast), toH(OpKind::Cast);
  toI.outDType(DType::I32);
  toB.outDType(DType::Bool);
  toH.outDType(DType::F16);
  EXPECT_EQ(ints(runOk(toI, {&s})),
            (std::vector<int64_t>{0, std::numeric_limits<int32_t>::max(),
                                  std::numeric_limits<int32_t>::min(), 0}));
  EXPECT_EQ(ints(runOk(toB, {&s})), (std::vector<int64_t>{1, 1, 1, 0}));
  Tensor h = runOk(toH, {&s});
  EXPECT_TRUE(std::isnan(h.getDouble(0)));
  EXPECT_EQ(h.getDouble(1), INFINITY);
  // Large tensors go through the parallel path.
  Tensor big = random(DType::F32, {300000}, 1, -1000, 1000);
  Tensor bi = runOk(toI, {&big});
  for (int64_t i = 0; i < big.numel(); i += 1013)
    ASSERT_EQ(bi.getInt(i), (int64_t)std::trunc(big.getDouble(i)));
}

} // namespace
