//===- PackingTest.cpp - the packing convention of Packing.h --------------===//

#include "runtime/DType.h"
#include "runtime/quant/Packing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using namespace gptq::rt::quant;

namespace {

std::vector<int32_t> randomValues(size_t n, int bits, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> d(0, (1 << bits) - 1);
  std::vector<int32_t> v(n);
  for (int32_t &x : v)
    x = d(rng);
  return v;
}

/// Bit b of the stream of column c.
int streamBit(const std::vector<int32_t> &packed, int64_t n, int64_t c,
              int64_t b) {
  return int((uint32_t(packed[(b / 32) * n + c]) >> (b % 32)) & 1u);
}

class PackingRoundTrip
    : public ::testing::TestWithParam<std::tuple<int, int64_t, int64_t>> {};

TEST_P(PackingRoundTrip, WeightsAndZeros) {
  auto [bits, k, n] = GetParam();
  std::vector<int32_t> q = randomValues(static_cast<size_t>(k * n), bits, 7 + bits);
  std::vector<int32_t> packed(static_cast<size_t>(packedRows(k, bits) * n), -1);
  packWeights(q.data(), k, n, bits, packed.data());
  // The stream holds value r at bits [r*bits, r*bits + bits), low bit first,
  // and zeros after the last value.
  for (int64_t c = 0; c < n; ++c) {
    for (int64_t r = 0; r < k; ++r) {
      int v = 0;
      for (int b = 0; b < bits; ++b)
        v |= streamBit(packed, n, c, r * bits + b) << b;
      ASSERT_EQ(v, q[r * n + c]) << "row " << r << " col " << c;
    }
    for (int64_t b = k * bits; b < packedRows(k, bits) * 32; ++b)
      ASSERT_EQ(streamBit(packed, n, c, b), 0) << "padding bit " << b;
  }
  std::vector<int32_t> back(static_cast<size_t>(k * n), -1);
  unpackWeights(packed.data(), k, n, bits, back.data());
  EXPECT_EQ(back, q);

  // Zero points: one row of N values packed along N.
  std::vector<int32_t> z = randomValues(static_cast<size_t>(n), bits, 99 + bits);
  std::vector<int32_t> zp(static_cast<size_t>(packedZeroCols(n, bits)), -1);
  packRow(z.data(), n, bits, zp.data());
  for (int64_t i = 0; i < n; ++i) {
    int v = 0;
    for (int b = 0; b < bits; ++b)
      v |= streamBit(zp, 1, 0, i * bits + b) << b;
    ASSERT_EQ(v, z[i]);
  }
  for (int64_t b = n * bits; b < packedZeroCols(n, bits) * 32; ++b)
    ASSERT_EQ(streamBit(zp, 1, 0, b), 0);
  std::vector<int32_t> zBack(static_cast<size_t>(n), -1);
  unpackRow(zp.data(), n, bits, zBack.data());
  EXPECT_EQ(zBack, z);
}

INSTANTIATE_TEST_SUITE_P(
    AllBits, PackingRoundTrip,
    ::testing::Combine(::testing::Values(2, 3, 4, 8),
                       ::testing::Values<int64_t>(1, 31, 32, 64, 172),
                       ::testing::Values<int64_t>(1, 32, 37)));

TEST(Packing, KnownWords) {
  // 4 bits: values 0..7 of one column -> 0x76543210.
  std::vector<int32_t> q = {0, 1, 2, 3, 4, 5, 6, 7};
  int32_t word = 0;
  packWeights(q.data(), 8, 1, 4, &word);
  EXPECT_EQ(uint32_t(word), 0x76543210u);
  // 2 bits: 16 values of 3 -> all ones; 8 bits little-endian bytes.
  std::vector<int32_t> q2(16, 3);
  packWeights(q2.data(), 16, 1, 2, &word);
  EXPECT_EQ(uint32_t(word), 0xFFFFFFFFu);
  std::vector<int32_t> q8 = {0x11, 0x22, 0x33, 0x44, 0x55};
  int32_t w8[2];
  packWeights(q8.data(), 5, 1, 8, w8);
  EXPECT_EQ(uint32_t(w8[0]), 0x44332211u);
  EXPECT_EQ(uint32_t(w8[1]), 0x00000055u);
  // 3 bits: value 10 (0b101) occupies stream bits 30..32, straddling words.
  std::vector<int32_t> q3(11, 0);
  q3[10] = 5;
  int32_t w3[2];
  packWeights(q3.data(), 11, 1, 3, w3);
  EXPECT_EQ(uint32_t(w3[0]), 1u << 30);
  EXPECT_EQ(uint32_t(w3[1]), 1u);
  // Zeros are packed along N the same way, v2 (the zero itself).
  EXPECT_TRUE(kZerosAreV2);
  std::vector<int32_t> z = {8, 8, 8, 8, 8, 8, 8, 8};
  packRow(z.data(), 8, 4, &word);
  EXPECT_EQ(uint32_t(word), 0x88888888u);
}

class DequantizeFormula
    : public ::testing::TestWithParam<std::tuple<int, int64_t, bool>> {};

TEST_P(DequantizeFormula, MatchesPlainFormula) {
  auto [bits, groupSize, actOrder] = GetParam();
  const int64_t k = 172, n = 37;
  PackedWeight w;
  w.k = k;
  w.n = n;
  w.bits = bits;
  w.groupSize = groupSize;
  w.descAct = actOrder;
  const int64_t groups = w.groups();
  std::vector<int32_t> q = randomValues(static_cast<size_t>(k * n), bits, 3);
  std::vector<int32_t> z = randomValues(static_cast<size_t>(groups * n), bits, 4);
  w.qweight.resize(static_cast<size_t>(packedRows(k, bits) * n));
  packWeights(q.data(), k, n, bits, w.qweight.data());
  const int64_t zc = packedZeroCols(n, bits);
  w.qzeros.resize(static_cast<size_t>(groups * zc));
  for (int64_t g = 0; g < groups; ++g)
    packRow(z.data() + g * n, n, bits, w.qzeros.data() + g * zc);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> sd(0.001f, 0.1f);
  w.scales.resize(static_cast<size_t>(groups * n));
  for (float &s : w.scales)
    s = gptq::rt::halfToFloat(gptq::rt::floatToHalf(sd(rng)));
  w.gIdx.resize(static_cast<size_t>(k));
  std::vector<int64_t> perm(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i)
    perm[i] = i;
  if (actOrder)
    std::shuffle(perm.begin(), perm.end(), rng);
  for (int64_t i = 0; i < k; ++i)
    w.gIdx[perm[i]] = int32_t(groupSize > 0 ? i / groupSize : 0);
  std::vector<float> out(static_cast<size_t>(k * n));
  dequantize(w, out.data());
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) {
      const int64_t g = w.gIdx[r];
      const float expect =
          float(q[r * n + c] - z[g * n + c]) * w.scales[g * n + c];
      ASSERT_EQ(out[r * n + c], expect) << r << ", " << c;
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllGroupings, DequantizeFormula,
    ::testing::Combine(::testing::Values(2, 3, 4, 8),
                       ::testing::Values<int64_t>(-1, 32, 64, 128, 48),
                       ::testing::Bool()));

TEST(Packing, Helpers) {
  EXPECT_EQ(packedRows(172, 4), 22);
  EXPECT_EQ(packedRows(172, 3), 17);
  EXPECT_EQ(packedZeroCols(37, 3), 4);
  EXPECT_EQ(numGroups(172, 32), 6);
  EXPECT_EQ(numGroups(172, -1), 1);
  EXPECT_EQ(numGroups(172, 128), 2);
}

} // namespace
