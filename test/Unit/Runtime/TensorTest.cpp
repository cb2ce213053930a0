//===- TensorTest.cpp - tensors and f16/bf16 conversions ------------------===//
//
// Tolerances: everything here is exact (bit patterns, integers).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "runtime/DType.h"
#include "runtime/Tensor.h"

#include <cstring>
#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float fromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

/// IEEE binary16 decoded with plain arithmetic.
double refHalfValue(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  double v;
  if (exp == 0)
    v = std::ldexp((double)mant, -24);
  else if (exp == 31)
    v = mant ? std::numeric_limits<double>::quiet_NaN()
             : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp((double)(1024 + mant), exp - 25);
  return sign ? -v : v;
}

/// Nearest binary16 (ties to even) found by bisection over the ordered
/// positive patterns; overflow at the midpoint to 2^16.
uint16_t refFloatToHalf(float f) {
  uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  double a = std::fabs((double)f);
  if (a >= 65520.0)
    return sign | 0x7c00;
  uint16_t lo = 0, hi = 0x7bff;
  while (lo < hi) { // largest pattern with value <= a
    uint16_t mid = (uint16_t)((lo + hi + 1) / 2);
    if (refHalfValue(mid) <= a)
      lo = mid;
    else
      hi = (uint16_t)(mid - 1);
  }
  double vlo = refHalfValue(lo);
  double vhi = lo == 0x7bff ? 65536.0 : refHalfValue((uint16_t)(lo + 1));
  double midpoint = (vlo + vhi) / 2;
  uint16_t r;
  if (a < midpoint)
    r = lo;
  else if (a > midpoint)
    r = (uint16_t)(lo + 1);
  else
    r = (lo & 1) ? (uint16_t)(lo + 1) : lo;
  return sign | r;
}

/// Nearest bfloat16 (ties to even) computed in double.
uint16_t refFloatToBf16(float f) {
  uint32_t b = bitsOf(f);
  uint16_t sign = (b >> 16) & 0x8000;
  double a = std::fabs((double)f);
  uint16_t lo = (uint16_t)((b >> 16) & 0x7fff); // truncation toward zero
  double vlo = std::fabs((double)fromBits((uint32_t)lo << 16));
  double vhi = lo == 0x7f7f ? std::ldexp(1.0, 128)
                            : std::fabs((double)fromBits((uint32_t)(lo + 1) << 16));
  double midpoint = (vlo + vhi) / 2;
  uint16_t r;
  if (a < midpoint)
    r = lo;
  else if (a > midpoint)
    r = (uint16_t)(lo + 1);
  else
    r = (lo & 1) ? (uint16_t)(lo + 1) : lo;
  return sign | r;
}

TEST(HalfConversion, DecodeAllPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float got = halfToFloat((uint16_t)h);
    double want = refHalfValue((uint16_t)h);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << h;
      // The payload travels in the top mantissa bits.
      ASSERT_EQ(bitsOf(got) & 0x7fffff, (h & 0x3ffu) << 13) << h;
      ASSERT_EQ(bitsOf(got) >> 31, h >> 15) << h;
    } else {
      ASSERT_EQ((double)got, want) << h;
      ASSERT_EQ(std::signbit(got), (h >> 15) != 0) << h;
    }
  }
}

TEST(HalfConversion, RoundTripAllPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = halfToFloat((uint16_t)h);
    uint16_t back = floatToHalf(f);
    if (std::isnan(f))
      ASSERT_TRUE(std::isnan(halfToFloat(back))) << h;
    else
      ASSERT_EQ(back, h) << h;
  }
}

TEST(HalfConversion, MidpointsRoundToEven) {
  // Between every two adjacent finite halves of one sign: the midpoint goes
  // to the even one, one float ulp either side goes to the nearer one.
  for (uint32_t s = 0; s < 2; ++s) {
    for (uint32_t h = 0; h < 0x7bff; ++h) {
      uint16_t lo = (uint16_t)(h | s << 15), hi = (uint16_t)((h + 1) | s << 15);
      float mid = (float)((refHalfValue(lo) + refHalfValue(hi)) / 2);
      ASSERT_EQ((double)mid, (refHalfValue(lo) + refHalfValue(hi)) / 2);
      uint16_t even = (h & 1) ? hi : lo;
      ASSERT_EQ(floatToHalf(mid), even) << h;
      ASSERT_EQ(floatToHalf(mid), refFloatToHalf(mid)) << h;
      float up = std::nextafter(mid, s ? -INFINITY : INFINITY);
      float down = std::nextafter(mid, s ? INFINITY : -INFINITY);
      ASSERT_EQ(floatToHalf(up), hi) << h;
      ASSERT_EQ(floatToHalf(down), lo) << h;
    }
  }
}

TEST(HalfConversion, RandomFloatsAndEdges) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000000; ++i) {
    // Random bit patterns cover every exponent, including ones that
    // overflow or underflow half.
    float f = fromBits(rng());
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
      continue;
    }
    ASSERT_EQ(floatToHalf(f), refFloatToHalf(f)) << f;
  }
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.99f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(-1e10f), 0xfc00);
  EXPECT_EQ(floatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1e-10f), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie to even (0)
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(Bf16Conversion, DecodeAndRoundTripAllPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = bf16ToFloat((uint16_t)h);
    ASSERT_EQ(bitsOf(f), h << 16) << h;
    uint16_t back = floatToBf16(f);
    if (std::isnan(f))
      ASSERT_TRUE(std::isnan(bf16ToFloat(back))) << h;
    else
      ASSERT_EQ(back, h) << h;
  }
}

TEST(Bf16Conversion, MidpointsAndRandom) {
  for (uint32_t s = 0; s < 2; ++s) {
    for (uint32_t h = 0; h < 0x7f7f; ++h) {
      uint16_t lo = (uint16_t)(h | s << 15), hi = (uint16_t)((h + 1) | s << 15);
      // The midpoint of two adjacent bf16 values is the float whose low 16
      // bits are 0x8000.
      float mid = fromBits((uint32_t)lo << 16 | 0x8000);
      uint16_t even = (h & 1) ? hi : lo;
      ASSERT_EQ(floatToBf16(mid), even) << h;
      ASSERT_EQ(floatToBf16(fromBits((uint32_t)lo << 16 | 0x8001)), hi) << h;
      ASSERT_EQ(floatToBf16(fromBits((uint32_t)lo << 16 | 0x7fff)), lo) << h;
    }
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 2000000; ++i) {
    float f = fromBits(rng());
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16ToFloat(floatToBf16(f))));
      continue;
    }
    ASSERT_EQ(floatToBf16(f), refFloatToBf16(f)) << f;
  }
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::max()), 0x7f80); // rounds up
  EXPECT_EQ(floatToBf16(-INFINITY), 0xff80);
}

TEST(Shape, Helpers) {
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({2, 3, 4}), 24);
  EXPECT_EQ(numElements({2, 0, 4}), 0);
  EXPECT_EQ(shapeToString({}), "[]");
  EXPECT_EQ(shapeToString({2, 3, 4}), "[2, 3, 4]");
}

TEST(Tensor, AllocationIsAlignedAndDefined) {
  for (DType t : allDTypes()) {
    for (Shape s : {Shape{}, Shape{0}, Shape{3}, Shape{5, 7}, Shape{2, 0, 3}}) {
      Tensor x = Tensor::empty(t, s);
      ASSERT_TRUE(x.defined());
      EXPECT_EQ(reinterpret_cast<uintptr_t>(x.raw()) % 64, 0u);
      EXPECT_EQ(x.shape(), s);
      EXPECT_EQ(x.nbytes(), (size_t)numElements(s) * dtypeSize(t));
    }
  }
  EXPECT_FALSE(Tensor().defined());
  EXPECT_FALSE(Tensor::empty(DType::F32, {-1, 2}).defined());
  Tensor z = Tensor::zeros(DType::F64, {4, 4});
  for (int64_t i = 0; i < z.numel(); ++i)
    EXPECT_EQ(z.getDouble(i), 0.0);
  EXPECT_EQ(z.describe(), "f64[4, 4]");
  EXPECT_EQ(Tensor().describe(), "<undefined>");
  EXPECT_EQ(Tensor::scalar(DType::I32, 7).describe(), "i32[]");
  EXPECT_EQ(Tensor::scalar(DType::I32, 7).getInt(0), 7);
  EXPECT_EQ(z.dim(-1), 4);
}

TEST(Tensor, WrapKeepsOwnerAlive) {
  std::weak_ptr<void> watch;
  Tensor view;
  {
    auto owner = std::make_shared<std::vector<float>>(6, 1.5f);
    watch = owner;
    view = Tensor::wrap(DType::F32, {2, 3}, owner->data(), owner);
  }
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(view.getDouble(5), 1.5);
  Tensor copy = view;
  view = Tensor();
  EXPECT_FALSE(watch.expired());
  copy = Tensor();
  EXPECT_TRUE(watch.expired());

  float data[4] = {1, 2, 3, 4};
  Tensor borrowed = Tensor::wrap(DType::F32, {4}, data, nullptr);
  ASSERT_TRUE(borrowed.defined());
  EXPECT_EQ(borrowed.raw(), data);
  EXPECT_EQ(borrowed.getDouble(3), 4.0);
}

TEST(Tensor, ReshapedSharesCloneCopies) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = x.reshaped({3, 2});
  ASSERT_TRUE(r.defined());
  EXPECT_EQ(r.raw(), x.raw());
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_FALSE(x.reshaped({4}).defined()); // wrong element count
  Tensor c = x.clone();
  EXPECT_NE(c.raw(), x.raw());
  x.setDouble(0, 42);
  EXPECT_EQ(c.getDouble(0), 1.0);
  EXPECT_EQ(r.getDouble(0), 42.0);
  std::weak_ptr<void> w = c.weakBuffer();
  EXPECT_FALSE(w.expired());
  c = Tensor();
  EXPECT_TRUE(w.expired());
}

TEST(Tensor, GetSetEveryDType) {
  for (DType t : allDTypes()) {
    Tensor x = Tensor::empty(t, {8});
    std::vector<double> vals = {0, 1, 2, 3, 100, 5, 6, 7};
    if (isSigned(t))
      vals[5] = -5;
    for (int i = 0; i < 8; ++i)
      x.setDouble(i, vals[i]);
    for (int i = 0; i < 8; ++i) {
      double want = t == DType::Bool ? (vals[i] != 0) : vals[i];
      EXPECT_EQ(x.getDouble(i), want) << dtypeName(t) << " " << i;
      EXPECT_EQ(x.getInt(i), (int64_t)want) << dtypeName(t) << " " << i;
    }
    x.setInt(3, 9);
    EXPECT_EQ(x.getInt(3), t == DType::Bool ? 1 : 9);
  }
  // Float -> int truncates toward zero; rounding of f16 / bf16 storage.
  Tensor i = Tensor::empty(DType::I32, {2});
  i.setDouble(0, -2.7);
  i.setDouble(1, 2.7);
  EXPECT_EQ(i.getInt(0), -2);
  EXPECT_EQ(i.getInt(1), 2);
  Tensor h = Tensor::empty(DType::F16, {1});
  h.setDouble(0, 1.0 + 1.0 / 4096); // below half an ulp of 1 in f16
  EXPECT_EQ(h.getDouble(0), 1.0);
  Tensor b = Tensor::empty(DType::BF16, {1});
  b.setDouble(0, 3.14159);
  EXPECT_EQ(b.getDouble(0), (double)bf16ToFloat(floatToBf16(3.14159f)));
  Tensor u = Tensor::empty(DType::U64, {1});
  u.setInt(0, -1);
  EXPECT_EQ(u.data<uint64_t>()[0], std::numeric_limits<uint64_t>::max());
  // Out-of-range accessors are harmless.
  EXPECT_EQ(i.getDouble(99), 0.0);
  i.setDouble(-1, 5);
}

} // namespace
