//===- QuantMatMulTest.cpp - fused low-bit matmul, repacked layouts -------===//
//
// The fused CPU kernel (matMulNBits) against dequantize-then-matmul: the
// weight is dequantized with the plain formula and multiplied in double.
// Tolerance: |fused - reference| <= 1e-5 * sum_k |x[m][k] * w[k][n]| per
// output (relative to the magnitude of the terms summed: fp32 accumulation
// over K terms stays far below it).
//
//===----------------------------------------------------------------------===//

#include "runtime/DType.h"
#include "runtime/kernels/Kernel.h"
#include "runtime/quant/Packing.h"
#include "runtime/quant/QuantInternal.h"
#include "runtime/quant/QuantMatMul.h"
#include "runtime/quant/Repack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace gptq::rt;
using namespace gptq::rt::quant;

namespace {

struct Problem {
  int64_t m, k, n;
  int bits;
  int64_t groupSize;
  bool actOrder;
  std::vector<int32_t> q, z;         // [k][n], [groups][n]
  std::vector<float> x, scales, bias; // [m][k], [groups][n], [n]
  std::vector<int32_t> gIdx;          // [k]
  std::vector<int32_t> qweight, qzeros;
  int64_t groups;
};

Problem makeProblem(int64_t m, int64_t k, int64_t n, int bits,
                    int64_t groupSize, bool actOrder, uint32_t seed) {
  Problem p{m, k, n, bits, groupSize, actOrder, {}, {}, {}, {}, {}, {}, {}, {}, 0};
  p.groups = numGroups(k, groupSize);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> qd(0, (1 << bits) - 1);
  std::uniform_real_distribution<float> sd(0.002f, 0.05f);
  std::normal_distribution<float> xd(0.0f, 1.0f);
  p.q.resize(size_t(k * n));
  for (int32_t &v : p.q)
    v = qd(rng);
  p.z.resize(size_t(p.groups * n));
  for (int32_t &v : p.z)
    v = qd(rng);
  p.scales.resize(size_t(p.groups * n));
  for (float &s : p.scales)
    s = halfToFloat(floatToHalf(sd(rng)));
  p.x.resize(size_t(m * k));
  for (float &v : p.x)
    v = xd(rng);
  p.bias.resize(size_t(n));
  for (float &v : p.bias)
    v = xd(rng);
  std::vector<int64_t> perm(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i)
    perm[i] = i;
  if (actOrder)
    std::shuffle(perm.begin(), perm.end(), rng);
  p.gIdx.resize(size_t(k));
  for (int64_t i = 0; i < k; ++i)
    p.gIdx[perm[i]] = int32_t(groupSize > 0 ? i / groupSize : 0);
  p.qweight.resize(size_t(packedRows(k, bits) * n));
  packWeights(p.q.data(), k, n, bits, p.qweight.data());
  const int64_t zc = packedZeroCols(n, bits);
  p.qzeros.resize(size_t(p.groups * zc));
  for (int64_t g = 0; g < p.groups; ++g)
    packRow(p.z.data() + g * n, n, bits, p.qzeros.data() + g * zc);
  return p;
}

/// Dequantize (plain formula) then matmul in double; `mag` receives
/// sum_k |x w| per output.
std::vector<double> reference(const Problem &p, bool withBias,
                              std::vector<double> &mag) {
  std::vector<double> w(size_t(p.k * p.n));
  for (int64_t r = 0; r < p.k; ++r)
    for (int64_t c = 0; c < p.n; ++c) {
      const int64_t g = p.gIdx[r];
      w[r * p.n + c] = double(float(p.q[r * p.n + c] - p.z[g * p.n + c]) *
                              p.scales[g * p.n + c]);
    }
  std::vector<double> out(size_t(p.m * p.n), 0.0);
  mag.assign(out.size(), 0.0);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t r = 0; r < p.k; ++r) {
      const double xv = p.x[i * p.k + r];
      for (int64_t c = 0; c < p.n; ++c) {
        out[i * p.n + c] += xv * w[r * p.n + c];
        mag[i * p.n + c] += std::fabs(xv * w[r * p.n + c]);
      }
    }
  if (withBias)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t c = 0; c < p.n; ++c) {
        out[i * p.n + c] += p.bias[c];
        mag[i * p.n + c] += std::fabs(p.bias[c]);
      }
  return out;
}

MatMulNBitsArgs argsOf(const Problem &p, bool withBias) {
  MatMulNBitsArgs a;
  a.m = p.m;
  a.k = p.k;
  a.n = p.n;
  a.bits = p.bits;
  a.groupSize = p.groupSize;
  a.groups = p.groups;
  a.x = p.x.data();
  a.qweight = p.qweight.data();
  a.scales = p.scales.data();
  a.scalesType = DType::F32;
  a.qzeros = p.qzeros.data();
  a.gIdx = p.actOrder ? p.gIdx.data() : nullptr;
  a.bias = withBias ? p.bias.data() : nullptr;
  return a;
}

void expectClose(const std::vector<float> &got, const std::vector<double> &ref,
                 const std::vector<double> &mag, const char *what) {
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::fabs(double(got[i]) - ref[i]), 1e-5 * mag[i] + 1e-30)
        << what << ": output " << i << " is " << got[i] << ", expected "
        << ref[i];
}

// bits, group size, act-order, M
using Case = std::tuple<int, int64_t, bool, int64_t>;

class FusedVsDequantized : public ::testing::TestWithParam<Case> {
protected:
  void TearDown() override { setForcePortable(false); }
};

TEST_P(FusedVsDequantized, Within1e5Relative) {
  auto [bits, gs, act, m] = GetParam();
  // K and N are not multiples of anything convenient: partial words,
  // partial tiles, a partial last group.
  const int64_t k = 200, n = 75;
  Problem p = makeProblem(m, k, n, bits, gs, act, 11 * bits + uint32_t(m));
  std::vector<double> mag;
  std::vector<double> ref = reference(p, /*withBias=*/true, mag);
  for (bool portable : {false, true}) {
    setForcePortable(portable);
    std::vector<float> out(size_t(m * n), -1.0f);
    ASSERT_TRUE(matMulNBits(argsOf(p, true), out.data()).isOk());
    expectClose(out, ref, mag, portable ? "portable" : "avx2");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllConfigs, FusedVsDequantized,
    ::testing::Combine(::testing::Values(2, 3, 4, 8),
                       ::testing::Values<int64_t>(-1, 32, 64, 128),
                       ::testing::Bool(),
                       ::testing::Values<int64_t>(1, 3, 4, 9)));

TEST(FusedVsDequantized, LargeGemvShape) {
  // A real layer shape on the fused (M <= 4) path, 4 bits, group 128.
  Problem p = makeProblem(1, 1024, 512, 4, 128, false, 3);
  std::vector<double> mag;
  std::vector<double> ref = reference(p, false, mag);
  std::vector<float> out(size_t(p.n));
  ASSERT_TRUE(matMulNBits(argsOf(p, false), out.data()).isOk());
  expectClose(out, ref, mag, "1x1024x512");
}

//===----------------------------------------------------------------------===//
// The "gpu" layout (Repack.h)
//===----------------------------------------------------------------------===//

class RepackRoundTrip
    : public ::testing::TestWithParam<std::tuple<int, int64_t, bool>> {};

TEST_P(RepackRoundTrip, InverseAndLayout) {
  auto [bits, k, act] = GetParam();
  const int64_t n = 37;
  Problem p = makeProblem(1, k, n, bits, 32, act, 5);
  std::vector<int32_t> gpu(p.qweight.size()), back(p.qweight.size());
  ASSERT_TRUE(repackToGpu(p.qweight.data(), k, n, bits,
                          act ? p.gIdx.data() : nullptr, gpu.data())
                  .isOk());
  ASSERT_TRUE(repackFromGpu(gpu.data(), k, n, bits,
                            act ? p.gIdx.data() : nullptr, back.data())
                  .isOk());
  EXPECT_EQ(back, p.qweight);
  // Read value q[order[p]][c] the way the kernels do: chunk c, word w of the
  // column at c * bits * N + col * wc + w, pairs through the fp16 trick.
  std::vector<int32_t> order = actOrder(act ? p.gIdx.data() : nullptr, k);
  const int64_t rows = packedRows(k, bits);
  for (int64_t pos = 0; pos < k; ++pos)
    for (int64_t col = 0; col < n; col += 7) {
      const int64_t c = pos / 32, wc = chunkWords(c, rows, bits);
      const uint32_t *w =
          reinterpret_cast<const uint32_t *>(gpu.data()) + c * bits * n + col * wc;
      const int j = int(pos % 32);
      uint32_t v;
      if (bits == 3) {
        const int bit = 3 * j, wi = bit >> 5, sh = bit & 31;
        uint64_t both = w[wi] | (wi + 1 < wc ? uint64_t(w[wi + 1]) << 32 : 0);
        v = uint32_t(both >> sh) & 7u;
      } else {
        const int half = 16 / bits, pair = j / 2;
        const uint32_t mask = (1u << bits) - 1u;
        const uint32_t word = w[pair / half];
        const uint32_t h = ((word >> (bits * (pair % half))) & (mask | mask << 16)) |
                           0x64006400u;
        const uint16_t lane = uint16_t((j & 1) ? h >> 16 : h & 0xFFFF);
        v = uint32_t(halfToFloat(lane) - 1024.0f);
      }
      ASSERT_EQ(int32_t(v), p.q[order[pos] * n + col])
          << "position " << pos << " column " << col;
    }
}

INSTANTIATE_TEST_SUITE_P(AllBits, RepackRoundTrip,
                         ::testing::Combine(::testing::Values(2, 3, 4, 8),
                                            ::testing::Values<int64_t>(8, 64, 200),
                                            ::testing::Bool()));

TEST(Repack, KnownWord) {
  // 4 bits, values 0..7 of one column: 0x76543210 -> fields
  // [v0 v2 v4 v6 v1 v3 v5 v7] = 0x75316420.
  const int32_t in = int32_t(0x76543210u);
  int32_t out = 0;
  ASSERT_TRUE(repackToGpu(&in, 8, 1, 4, nullptr, &out).isOk());
  EXPECT_EQ(uint32_t(out), 0x75316420u);
}

TEST(Repack, ChunkGroups) {
  std::vector<int32_t> groups;
  ASSERT_TRUE(chunkGroups(nullptr, 200, 64, groups).isOk());
  EXPECT_EQ(groups, (std::vector<int32_t>{0, 0, 1, 1, 2, 2, 3}));
  ASSERT_TRUE(chunkGroups(nullptr, 200, -1, groups).isOk());
  EXPECT_EQ(groups, (std::vector<int32_t>(7, 0)));
  Status st = chunkGroups(nullptr, 64, 48, groups);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("span groups 0 and 1"), std::string::npos)
      << st.message();
}

//===----------------------------------------------------------------------===//
// The kernels of the runtime: both layouts, the fused epilogue
//===----------------------------------------------------------------------===//

Tensor tensorOf(DType t, Shape shape, const void *data) {
  Tensor out = Tensor::empty(t, shape);
  std::memcpy(out.raw(), data, out.nbytes());
  return out;
}

float sigmoidRef(float v) {
  if (v >= 0.0f)
    return 1.0f / (1.0f + std::exp(-v));
  float e = std::exp(v);
  return e / (1.0f + e);
}

TEST(QuantKernels, GpuLayoutAndEpilogue) {
  for (bool act : {false, true}) {
    const int64_t m = 3, k = 200, n = 75;
    Problem p = makeProblem(m, k, n, 4, 64, act, 21);
    std::vector<int32_t> gpu(p.qweight.size());
    ASSERT_TRUE(repackToGpu(p.qweight.data(), k, n, 4,
                            act ? p.gIdx.data() : nullptr, gpu.data())
                    .isOk());
    Tensor x = tensorOf(DType::F32, {m, k}, p.x.data());
    Tensor qwGptq = tensorOf(DType::I32, {packedRows(k, 4), n}, p.qweight.data());
    Tensor qwGpu = tensorOf(DType::I32, {packedRows(k, 4), n}, gpu.data());
    Tensor sc = tensorOf(DType::F32, {p.groups, n}, p.scales.data());
    Tensor qz = tensorOf(DType::I32, {p.groups, packedZeroCols(n, 4)},
                         p.qzeros.data());
    Tensor gi = tensorOf(DType::I32, {k}, p.gIdx.data());
    std::vector<float> ev(size_t(m * n));
    for (size_t i = 0; i < ev.size(); ++i)
      ev[i] = float(int(i % 7)) - 3.0f;
    Tensor e = tensorOf(DType::F32, {m, n}, ev.data());

    auto run = [&](OpKind kind, const Tensor &qw, const char *layout,
                   const char *epilogue, bool withE) {
      Step step;
      step.kind = kind;
      step.name = "q";
      step.attrs.set("bits", int64_t(4));
      step.attrs.set("group_size", int64_t(64));
      step.attrs.set("layout", std::string(layout));
      step.attrs.set("epilogue", std::string(epilogue));
      std::vector<const Tensor *> ins = {&x, &qw, &sc, &qz,
                                         act ? &gi : nullptr, nullptr};
      if (withE)
        ins.push_back(&e);
      std::vector<Tensor> outs(1);
      KernelArgs args{step, ins, outs};
      Status st = kernelFor(kind)(args);
      EXPECT_TRUE(st.isOk()) << st.message();
      return outs[0];
    };
    Tensor plain = run(OpKind::MatMulNBits, qwGptq, "gptq", "", false);
    Tensor repacked = run(OpKind::MatMulNBits, qwGpu, "gpu", "", false);
    ASSERT_EQ(std::memcmp(plain.raw(), repacked.raw(), plain.nbytes()), 0)
        << "the CPU must compute a repacked weight exactly as the original";
    Tensor fused = run(OpKind::FusedMatMulNBits, qwGpu, "gpu", "silu,mul", true);
    Tensor launch = run(OpKind::Launch, qwGpu, "gpu", "relu,add", true);
    for (int64_t i = 0; i < m * n; ++i) {
      const float y = plain.data<float>()[i];
      // Bit-exact with the unfused ops of the CPU runtime.
      EXPECT_EQ(fused.data<float>()[i], y * sigmoidRef(y) * ev[i]) << i;
      EXPECT_EQ(launch.data<float>()[i], (y < 0.0f ? 0.0f : y) + ev[i]) << i;
    }
  }
}

TEST(QuantKernels, FusedErrors) {
  Problem p = makeProblem(1, 64, 32, 4, 32, false, 1);
  Tensor x = tensorOf(DType::F32, {1, 64}, p.x.data());
  Tensor qw = tensorOf(DType::I32, {8, 32}, p.qweight.data());
  Tensor sc = tensorOf(DType::F32, {2, 32}, p.scales.data());
  Tensor qz = tensorOf(DType::I32, {2, 4}, p.qzeros.data());
  Tensor bad = Tensor::zeros(DType::F32, {2, 32});
  Step step;
  step.kind = OpKind::FusedMatMulNBits;
  step.name = "fused";
  step.attrs.set("bits", int64_t(4));
  step.attrs.set("group_size", int64_t(32));
  step.attrs.set("epilogue", std::string("add"));
  std::vector<const Tensor *> ins = {&x, &qw, &sc, &qz, nullptr, nullptr, &bad};
  std::vector<Tensor> outs(1);
  KernelArgs args{step, ins, outs};
  Status st = kernelFor(step.kind)(args);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("epilogue operand 0 must be a float tensor of "
                              "the result's shape [1, 32]"),
            std::string::npos)
      << st.message();
  step.attrs.set("epilogue", std::string("tanh"));
  st = kernelFor(step.kind)(args);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("unknown epilogue step 'tanh'"),
            std::string::npos)
      << st.message();
}

} // namespace
