//===- GPTQTest.cpp - the GPTQ and RTN solvers ----------------------------===//

#include "QuantTestUtil.h"

#include "runtime/quant/GPTQ.h"
#include "runtime/quant/QuantInternal.h"
#include "runtime/quant/TaskPool.h"

#include <gtest/gtest.h>
#include <lapacke.h>

#include <cstring>

using namespace gptq::rt;
using namespace gptq::rt::quant;
using namespace gptq::rt::quant::testing;

namespace {

/// Runs the body with the AVX2 paths and with the portable ones.
class PathGuard {
public:
  explicit PathGuard(bool portable) { setForcePortable(portable); }
  ~PathGuard() { setForcePortable(false); }
};

struct Problem {
  int64_t k, n;
  std::vector<float> w, x, h;
};

Problem makeProblem(int64_t k, int64_t n, uint32_t seed, int64_t rows = -1) {
  Problem p;
  p.k = k;
  p.n = n;
  if (rows < 0)
    rows = 2 * k;
  p.w = randomNormal(static_cast<size_t>(k * n), seed, 0.05f);
  p.x = correlatedActivations(rows, k, seed + 10);
  p.h = hessianOf(p.x, rows, k);
  return p;
}

int countMismatches(const std::vector<int32_t> &qPacked, int64_t k, int64_t n,
                    int bits, const std::vector<int32_t> &ref) {
  std::vector<int32_t> q(static_cast<size_t>(k * n));
  unpackWeights(qPacked.data(), k, n, bits, q.data());
  int bad = 0;
  for (size_t i = 0; i < q.size(); ++i)
    bad += q[i] != ref[i];
  return bad;
}

//===----------------------------------------------------------------------===//
// Hessian and inverse Cholesky.
//===----------------------------------------------------------------------===//

TEST(Hessian, IncrementalMatchesDirect) {
  const int64_t k = 40, rows = 300;
  std::vector<float> x = randomNormal(static_cast<size_t>(rows * k), 1);
  HessianAccumulator acc(k);
  // Uneven chunks, including an empty one.
  const int64_t chunks[] = {1, 0, 7, 100, 64, 128};
  int64_t r0 = 0;
  for (int64_t c : chunks) {
    acc.add(x.data() + r0 * k, c);
    r0 += c;
  }
  ASSERT_EQ(r0, rows);
  EXPECT_EQ(acc.samples(), rows);
  EXPECT_EQ(acc.k(), k);
  std::vector<float> ref = hessianOf(x, rows, k);
  std::vector<float> h = acc.matrix();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      EXPECT_NEAR(h[i * k + j], ref[i * k + j], 2e-5 * (1 + std::fabs(ref[i * k + j])));
      EXPECT_EQ(h[i * k + j], h[j * k + i]);
    }
}

TEST(InverseCholesky, MatchesStraightforwardWay) {
  for (int64_t k : {1, 5, 64, 172}) {
    Problem p = makeProblem(k, 1, 3);
    std::vector<float> h = p.h;
    double mean = 0;
    for (int64_t i = 0; i < k; ++i)
      mean += h[i * k + i];
    for (int64_t i = 0; i < k; ++i)
      h[i * k + i] += float(0.01 * mean / double(k));
    // Straightforward: H^-1 by potrf + potri, then its upper Cholesky
    // factor, all in double.
    std::vector<double> a(h.begin(), h.end());
    ASSERT_EQ(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', int(k), a.data(), int(k)), 0);
    ASSERT_EQ(LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', int(k), a.data(), int(k)), 0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < i; ++j)
        a[i * k + j] = a[j * k + i];
    ASSERT_EQ(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', int(k), a.data(), int(k)), 0);
    std::vector<float> u = h;
    ASSERT_EQ(inverseCholeskyUpper(u.data(), k), 0);
    double maxRef = 0, maxErr = 0;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const double ref = j >= i ? a[i * k + j] : 0.0;
        maxRef = std::max(maxRef, std::fabs(ref));
        maxErr = std::max(maxErr, std::fabs(ref - double(u[i * k + j])));
        if (j < i) {
          ASSERT_EQ(u[i * k + j], 0.0f);
        }
      }
    EXPECT_LT(maxErr, 2e-3 * maxRef) << "k = " << k;
  }
}

TEST(InverseCholesky, FailureRestoresTheMatrix) {
  const int64_t k = 6;
  std::vector<float> h(static_cast<size_t>(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    h[i * k + i] = 1.0f;
  h[1 * k + 4] = h[4 * k + 1] = 3.0f; // eigenvalue -2
  h[0 * k + 2] = h[2 * k + 0] = 0.25f;
  std::vector<float> copy = h;
  EXPECT_GT(inverseCholeskyUpper(copy.data(), k), 0);
  EXPECT_EQ(copy, h);
}

//===----------------------------------------------------------------------===//
// The solver against the direct implementation.
//===----------------------------------------------------------------------===//

struct SolverCase {
  int64_t k, n;
  int bits;
  int64_t groupSize;
  bool sym, descAct, staticGroups, mse;
  int64_t blockSize;
};

std::ostream &operator<<(std::ostream &os, const SolverCase &c) {
  return os << "K" << c.k << " N" << c.n << " b" << c.bits << " g"
            << c.groupSize << (c.sym ? " sym" : " asym")
            << (c.descAct ? " act" : "") << (c.staticGroups ? " static" : "")
            << (c.mse ? " mse" : "") << " B" << c.blockSize;
}

class SolverVsDirect
    : public ::testing::TestWithParam<std::tuple<SolverCase, bool>> {};

TEST_P(SolverVsDirect, SameIntegersAndLoss) {
  auto [c, portable] = GetParam();
  PathGuard guard(portable);
  Problem p = makeProblem(c.k, c.n, uint32_t(c.k * 7 + c.n + c.bits));
  QuantConfig cfg;
  cfg.bits = c.bits;
  cfg.groupSize = c.groupSize;
  cfg.sym = c.sym;
  cfg.descAct = c.descAct;
  cfg.staticGroups = c.staticGroups;
  cfg.mse = c.mse;
  cfg.blockSize = c.blockSize;
  auto res = gptqQuantize(p.w.data(), c.k, c.n, p.h, cfg, "layer0");
  ASSERT_TRUE(res.isOk()) << res.status().message();
  EXPECT_FALSE(res->fellBackToRtn);
  EXPECT_TRUE(res->warning.empty()) << res->warning;
  RefResult ref = refGptq(p.w, c.k, c.n, p.h, cfg);
  // Identical integers (the lazy and direct versions differ only in float
  // summation order; none of the cases here flips a rounding decision).
  EXPECT_EQ(countMismatches(res->packed.qweight, c.k, c.n, c.bits, ref.q), 0);
  EXPECT_NEAR(res->loss, ref.loss, 1e-5 * ref.loss);
  EXPECT_NEAR(res->dampUsed, ref.damp, 1e-9 * ref.damp);
  EXPECT_EQ(res->packed.gIdx, ref.gIdx);
  ASSERT_EQ(res->packed.scales.size(), ref.scale.size());
  for (size_t i = 0; i < ref.scale.size(); ++i)
    ASSERT_EQ(res->packed.scales[i], ref.scale[i]) << "scale " << i;
  std::vector<int32_t> zeros(ref.zero.size());
  const int64_t groups = res->packed.groups();
  const int64_t zc = packedZeroCols(c.n, c.bits);
  for (int64_t g = 0; g < groups; ++g)
    unpackRow(res->packed.qzeros.data() + g * zc, c.n, c.bits,
              zeros.data() + g * c.n);
  for (size_t i = 0; i < zeros.size(); ++i)
    ASSERT_EQ(float(zeros[i]), ref.zero[i]) << "zero " << i;
  // The dequantized weights are what the packed weight dequantizes to.
  std::vector<float> deq(static_cast<size_t>(c.k * c.n));
  dequantize(res->packed, deq.data());
  EXPECT_EQ(deq, res->dequantized);
  EXPECT_EQ(deq, ref.deq);
  // Packed metadata.
  EXPECT_EQ(res->packed.k, c.k);
  EXPECT_EQ(res->packed.n, c.n);
  EXPECT_EQ(res->packed.bits, c.bits);
  EXPECT_EQ(res->packed.groupSize, c.groupSize);
  EXPECT_EQ(res->packed.sym, c.sym);
  EXPECT_EQ(res->packed.descAct, c.descAct);
}

const SolverCase kSolverCases[] = {
    // k,  n,  bits, gs, sym, act, static, mse, block
    {64, 16, 4, -1, true, false, false, false, 128},
    {64, 16, 4, -1, false, true, false, false, 16},
    {172, 37, 4, 32, false, false, false, false, 128},
    {172, 37, 4, 32, true, true, false, false, 128},
    {172, 48, 3, 64, true, true, false, false, 128},
    {172, 48, 3, 64, false, false, false, false, 50},
    {128, 24, 2, 128, false, false, false, false, 128},
    {128, 24, 2, 128, true, true, false, false, 32},
    {172, 40, 8, 48, true, true, false, false, 128},
    {172, 40, 8, 48, false, false, false, false, 20},
    {172, 33, 4, 32, false, true, true, false, 128},
    {172, 33, 4, 32, true, true, true, false, 64},
    {100, 20, 4, 20, false, true, false, false, 7},
    {172, 37, 4, 128, false, true, false, false, 128},
    {96, 24, 4, 32, false, false, false, true, 128},
    {96, 24, 3, -1, true, true, false, true, 128},
    {172, 17, 4, 172, false, true, false, false, 64},
};

INSTANTIATE_TEST_SUITE_P(Cases, SolverVsDirect,
                         ::testing::Combine(::testing::ValuesIn(kSolverCases),
                                            ::testing::Bool()));

TEST(Solver, ActOrderPermutationAndGIdx) {
  // Duplicated inputs give equal diagonal entries: the stable sort keeps
  // their order.
  const int64_t k = 96, n = 16, gs = 16;
  Problem p = makeProblem(k, n, 42);
  for (int64_t r = 0; r < 2 * k; ++r)
    for (int64_t dup = 10; dup < 20; ++dup)
      p.x[r * k + dup + 40] = p.x[r * k + dup];
  p.h = hessianOf(p.x, 2 * k, k);
  QuantConfig cfg;
  cfg.groupSize = gs;
  cfg.descAct = true;
  auto res = gptqQuantize(p.w.data(), k, n, p.h, cfg, "act");
  ASSERT_TRUE(res.isOk()) << res.status().message();
  std::vector<int64_t> perm(static_cast<size_t>(k));
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    return p.h[a * k + a] > p.h[b * k + b];
  });
  for (int64_t i = 0; i < k; ++i)
    EXPECT_EQ(res->packed.gIdx[perm[i]], i / gs) << "position " << i;
  // Every group holds exactly gs rows.
  std::vector<int> count(static_cast<size_t>(k / gs), 0);
  for (int32_t g : res->packed.gIdx)
    ++count[g];
  for (int c : count)
    EXPECT_EQ(c, gs);
}

TEST(Solver, StaticGroupsUseOriginalWeights) {
  const int64_t k = 128, n = 24;
  Problem p = makeProblem(k, n, 5);
  QuantConfig cfg;
  cfg.groupSize = 32;
  cfg.sym = false;
  cfg.descAct = true;
  cfg.staticGroups = true;
  auto res = gptqQuantize(p.w.data(), k, n, p.h, cfg, "static");
  ASSERT_TRUE(res.isOk());
  auto rtn = rtnQuantize(p.w.data(), k, n, cfg, "static");
  ASSERT_TRUE(rtn.isOk());
  // Same groups as RTN (k / group size), same parameters.
  EXPECT_EQ(res->packed.gIdx, rtn->packed.gIdx);
  EXPECT_EQ(res->packed.scales, rtn->packed.scales);
  EXPECT_EQ(res->packed.qzeros, rtn->packed.qzeros);
}

TEST(Solver, DeadInputs) {
  const int64_t k = 64, n = 16;
  Problem p = makeProblem(k, n, 9);
  for (int64_t r = 0; r < 2 * k; ++r)
    for (int64_t dead : {3, 17, 63})
      p.x[r * k + dead] = 0.0f;
  p.h = hessianOf(p.x, 2 * k, k);
  for (bool act : {false, true}) {
    QuantConfig cfg;
    cfg.groupSize = 16;
    cfg.sym = false;
    cfg.descAct = act;
    auto res = gptqQuantize(p.w.data(), k, n, p.h, cfg, "dead");
    ASSERT_TRUE(res.isOk());
    RefResult ref = refGptq(p.w, k, n, p.h, cfg);
    EXPECT_EQ(countMismatches(res->packed.qweight, k, n, 4, ref.q), 0);
    EXPECT_NEAR(res->loss, ref.loss, 1e-5 * ref.loss);
    for (int64_t dead : {3, 17, 63})
      for (int64_t c = 0; c < n; ++c)
        EXPECT_EQ(res->dequantized[dead * n + c], 0.0f);
  }
}

TEST(Solver, CholeskyFailureFallsBackToRtn) {
  // H = I except a 2x2 block with eigenvalues -49 and 51: damping up to the
  // mean diagonal cannot make it positive definite.
  const int64_t k = 32, n = 8;
  std::vector<float> h(static_cast<size_t>(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    h[i * k + i] = 1.0f;
  h[2 * k + 5] = h[5 * k + 2] = 50.0f;
  std::vector<float> w = randomNormal(static_cast<size_t>(k * n), 11, 0.1f);
  QuantConfig cfg;
  cfg.groupSize = 16;
  cfg.descAct = true;
  auto res = gptqQuantize(w.data(), k, n, h, cfg, "blocks.0.attn.q_proj");
  ASSERT_TRUE(res.isOk()) << res.status().message();
  EXPECT_TRUE(res->fellBackToRtn);
  EXPECT_NE(res->warning.find("blocks.0.attn.q_proj"), std::string::npos)
      << res->warning;
  auto rtn = rtnQuantize(w.data(), k, n, cfg, "blocks.0.attn.q_proj");
  ASSERT_TRUE(rtn.isOk());
  EXPECT_EQ(res->packed.qweight, rtn->packed.qweight);
  EXPECT_EQ(res->packed.scales, rtn->packed.scales);
  EXPECT_EQ(res->packed.gIdx, rtn->packed.gIdx);
  EXPECT_EQ(res->dequantized, rtn->dequantized);
  EXPECT_FALSE(res->packed.descAct);
}

TEST(Solver, RaisedDampingSucceeds) {
  // Eigenvalue -0.5: 1% and 10% of the mean diagonal fail, 100% works.
  const int64_t k = 32, n = 8;
  std::vector<float> h(static_cast<size_t>(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    h[i * k + i] = 1.0f;
  h[3 * k + 9] = h[9 * k + 3] = 1.5f;
  std::vector<float> w = randomNormal(static_cast<size_t>(k * n), 12, 0.1f);
  QuantConfig cfg;
  cfg.groupSize = 16;
  auto res = gptqQuantize(w.data(), k, n, h, cfg, "mlp.up");
  ASSERT_TRUE(res.isOk());
  EXPECT_FALSE(res->fellBackToRtn);
  EXPECT_NE(res->warning.find("mlp.up"), std::string::npos);
  EXPECT_DOUBLE_EQ(res->dampUsed, 1.0);
  RefResult ref = refGptq(w, k, n, h, cfg, 1.0);
  EXPECT_EQ(countMismatches(res->packed.qweight, k, n, 4, ref.q), 0);
  EXPECT_NEAR(res->loss, ref.loss, 1e-5 * ref.loss);
}

TEST(Solver, DeterministicAcrossRunsAndThreads) {
  const int64_t k = 256, n = 300; // several column panels
  Problem p = makeProblem(k, n, 21);
  QuantConfig cfg;
  cfg.groupSize = 64;
  cfg.descAct = true;
  cfg.sym = false;
  const int saved = quantThreads();
  std::vector<QuantResult> runs;
  for (int threads : {2, 2, 1}) {
    setQuantThreads(threads);
    auto res = gptqQuantize(p.w.data(), k, n, p.h, cfg, "det");
    ASSERT_TRUE(res.isOk());
    runs.push_back(res.take());
  }
  setQuantThreads(saved);
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].packed.qweight, runs[0].packed.qweight);
    EXPECT_EQ(runs[i].packed.qzeros, runs[0].packed.qzeros);
    EXPECT_EQ(runs[i].packed.scales, runs[0].packed.scales);
    EXPECT_EQ(runs[i].packed.gIdx, runs[0].packed.gIdx);
    EXPECT_EQ(std::memcmp(runs[i].dequantized.data(), runs[0].dequantized.data(),
                          sizeof(float) * k * n),
              0);
    EXPECT_EQ(runs[i].loss, runs[0].loss);
  }
}

/// ||X (W - What)||_F^2.
double outputError(const Problem &p, int64_t rows, const std::vector<float> &deq) {
  std::vector<float> diff(p.w.size());
  for (size_t i = 0; i < diff.size(); ++i)
    diff[i] = p.w[i] - deq[i];
  std::vector<double> y = refMatMul(p.x.data(), diff.data(), rows, p.k, p.n);
  double e = 0;
  for (double v : y)
    e += v * v;
  return e;
}

TEST(Solver, BeatsRoundToNearest) {
  const int64_t k = 128, n = 64, rows = 512;
  for (int bits : {2, 3, 4}) {
    Problem p = makeProblem(k, n, 30 + bits, rows);
    for (bool act : {false, true}) {
      QuantConfig cfg;
      cfg.bits = bits;
      cfg.groupSize = 32;
      cfg.descAct = act;
      auto g = gptqQuantize(p.w.data(), k, n, p.h, cfg, "cmp");
      auto r = rtnQuantize(p.w.data(), k, n, cfg, "cmp");
      ASSERT_TRUE(g.isOk() && r.isOk());
      const double eg = outputError(p, rows, g->dequantized);
      const double er = outputError(p, rows, r->dequantized);
      EXPECT_LT(eg, 0.8 * er) << bits << " bits, act " << act;
    }
  }
}

TEST(Rtn, MatchesReference) {
  for (int bits : {2, 3, 4, 8})
    for (int64_t gs : {-1, 32, 48})
      for (bool sym : {false, true}) {
        const int64_t k = 172, n = 37;
        std::vector<float> w = randomNormal(static_cast<size_t>(k * n), 50 + bits, 0.02f);
        QuantConfig cfg;
        cfg.bits = bits;
        cfg.groupSize = gs;
        cfg.sym = sym;
        cfg.descAct = true; // meaningless for RTN
        auto res = rtnQuantize(w.data(), k, n, cfg, "rtn");
        ASSERT_TRUE(res.isOk());
        RefResult ref = refRtn(w, k, n, cfg);
        EXPECT_EQ(countMismatches(res->packed.qweight, k, n, bits, ref.q), 0);
        EXPECT_EQ(res->packed.gIdx, ref.gIdx);
        EXPECT_EQ(res->packed.scales, ref.scale);
        EXPECT_EQ(res->dequantized, ref.deq);
        EXPECT_NEAR(res->loss, ref.loss, 1e-9 * ref.loss + 1e-12);
        EXPECT_FALSE(res->packed.descAct);
      }
}

TEST(Rtn, ZeroAndTinyColumns) {
  const int64_t k = 8, n = 3;
  std::vector<float> w(static_cast<size_t>(k * n), 0.0f);
  for (int64_t r = 0; r < k; ++r)
    w[r * n + 1] = 1e-12f * float(r); // underflows fp16 scales
  QuantConfig cfg;
  cfg.groupSize = -1;
  cfg.sym = false;
  auto res = rtnQuantize(w.data(), k, n, cfg, "tiny");
  ASSERT_TRUE(res.isOk());
  for (float s : res->packed.scales) {
    EXPECT_GT(s, 0.0f);
    EXPECT_EQ(s, halfToFloat(floatToHalf(s)));
  }
  for (int64_t r = 0; r < k; ++r)
    EXPECT_EQ(res->dequantized[r * n], 0.0f);
}

TEST(Config, Validation) {
  QuantConfig ok;
  EXPECT_TRUE(validateConfig(ok, 172, "L").isOk());
  auto expectError = [](QuantConfig c, const char *what) {
    Status st = validateConfig(c, 172, "blocks.3.mlp");
    ASSERT_FALSE(st.isOk()) << what;
    EXPECT_NE(st.message().find("blocks.3.mlp"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(what), std::string::npos) << st.message();
  };
  QuantConfig c = ok;
  c.bits = 5;
  expectError(c, "bits");
  c = ok;
  c.groupSize = 0;
  expectError(c, "group size");
  c.groupSize = -2;
  expectError(c, "group size");
  c = ok;
  c.blockSize = 0;
  expectError(c, "block size");
  c = ok;
  c.dampPercent = 0;
  expectError(c, "damp");
  c.dampPercent = 1.5;
  expectError(c, "damp");
  c = ok;
  c.mse = true;
  c.mseGrid = 0;
  expectError(c, "grid");
  // Groups need not divide K.
  c = ok;
  c.groupSize = 32;
  EXPECT_TRUE(validateConfig(c, 172, "L").isOk());
  c.groupSize = 1000;
  EXPECT_TRUE(validateConfig(c, 172, "L").isOk());
}

TEST(Solver, BadInputs) {
  const int64_t k = 16, n = 4;
  std::vector<float> w = randomNormal(static_cast<size_t>(k * n), 1);
  std::vector<float> h(static_cast<size_t>(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    h[i * k + i] = 1;
  QuantConfig cfg;
  auto wrongSize = gptqQuantize(w.data(), k, n, std::vector<float>(10), cfg, "L1");
  ASSERT_FALSE(wrongSize.isOk());
  EXPECT_NE(wrongSize.status().message().find("L1"), std::string::npos);
  std::vector<float> hn = h;
  hn[5] = NAN;
  EXPECT_FALSE(gptqQuantize(w.data(), k, n, hn, cfg, "L2").isOk());
  std::vector<float> wn = w;
  wn[3] = INFINITY;
  auto badW = gptqQuantize(wn.data(), k, n, h, cfg, "L3");
  ASSERT_FALSE(badW.isOk());
  EXPECT_NE(badW.status().message().find("L3"), std::string::npos);
  EXPECT_FALSE(rtnQuantize(wn.data(), k, n, cfg, "L4").isOk());
  QuantConfig bad = cfg;
  bad.bits = 6;
  EXPECT_FALSE(gptqQuantize(w.data(), k, n, h, bad, "L5").isOk());
  EXPECT_FALSE(gptqQuantize(w.data(), k, 0, h, cfg, "L6").isOk());
  // All-zero Hessian: every input dead; the weights quantize to zero.
  auto dead = gptqQuantize(w.data(), k, n, std::vector<float>(static_cast<size_t>(k * k), 0.0f),
                           cfg, "L7");
  ASSERT_TRUE(dead.isOk());
  for (float v : dead->dequantized)
    EXPECT_EQ(v, 0.0f);
}

} // namespace
