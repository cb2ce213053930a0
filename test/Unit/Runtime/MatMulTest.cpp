//===- MatMulTest.cpp - matmul and gemm -----------------------------------===//
//
// Tolerances: integer results exact. Float results against a double
// reference, within the summation error bound |err| <= 2 K u sum|a_ik b_kj|
// (u = 2^-24 for f32, 2^-53 for f64); f16 / bf16 additionally within one
// rounding of the storage type (relative 2^-11 / 2^-8).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <algorithm>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

struct Ref {
  Shape shape;
  std::vector<double> value, absSum;
  int64_t k = 0;
};

Ref refMatMul(const Tensor &a, const Tensor &b) {
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t r = std::max(ba.size(), bb.size());
  Shape batch(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i + ba.size() >= r ? ba[i + ba.size() - r] : 1;
    int64_t y = i + bb.size() >= r ? bb[i + bb.size() - r] : 1;
    batch[i] = x == 1 ? y : x;
  }
  Ref ref;
  ref.k = k;
  ref.shape = batch;
  if (a.rank() > 1)
    ref.shape.push_back(m);
  if (b.rank() > 1)
    ref.shape.push_back(n);
  int64_t nb = numElements(batch);
  for (int64_t t = 0; t < nb; ++t) {
    auto idx = unravel(t, batch);
    int64_t ia = broadcastIndex(idx, ba), ib = broadcastIndex(idx, bb);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0, sa = 0;
        for (int64_t p = 0; p < k; ++p) {
          double prod = a.getDouble(ia * m * k + i * k + p) *
                        b.getDouble(ib * k * n + p * n + j);
          s += prod;
          sa += std::fabs(prod);
        }
        ref.value.push_back(s);
        ref.absSum.push_back(sa);
      }
  }
  return ref;
}

void expectMatch(const Tensor &got, const Ref &ref, DType dt,
                 const std::string &what) {
  ASSERT_EQ(got.shape(), ref.shape) << what;
  ASSERT_EQ(got.dtype(), dt) << what;
  double u = dt == DType::F64 ? std::ldexp(1.0, -53) : std::ldexp(1.0, -24);
  double storage = dt == DType::F16    ? std::ldexp(1.0, -11)
                   : dt == DType::BF16 ? std::ldexp(1.0, -8)
                                       : 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = got.getDouble(i), w = ref.value[i];
    if (isInteger(dt)) {
      ASSERT_EQ(g, wrapTo(dt, (int64_t)w)) << what << " at " << i;
      continue;
    }
    double bound = 2.0 * (double)ref.k * u * ref.absSum[i] +
                   storage * std::fabs(w) * 1.01 + 1e-300;
    ASSERT_LE(std::fabs(g - w), bound) << what << " at " << i << ": " << g
                                       << " vs " << w;
  }
}

const std::vector<std::pair<Shape, Shape>> kMatMulShapes = {
    {{2, 3}, {3, 4}},       {{5}, {5, 2}},          {{3, 5}, {5}},
    {{5}, {5}},             {{2, 4, 3}, {3, 5}},    {{3, 4}, {2, 4, 6}},
    {{2, 1, 3, 4}, {1, 3, 4, 2}}, {{1, 4}, {4, 1}}, {{3, 0}, {0, 4}},
    {{0, 3}, {3, 4}},       {{2, 3, 4}, {2, 4, 5}}, {{6, 1, 5}, {5}},
    {{4, 1, 8}, {4, 8, 3}}, {{2, 3, 7}, {1, 7, 2}}, {{33, 65}, {65, 17}},
    {{4}, {2, 4, 3}},       {{2, 2, 1, 3}, {3, 1}},
    // Batched with a short K and N >= 16 (the non-BLAS path), and around it.
    {{2, 3, 20, 8}, {2, 3, 8, 33}}, {{1, 3, 5, 1}, {2, 1, 1, 40}},
    {{3, 7, 16}, {3, 16, 17}},      {{2, 4, 17}, {2, 17, 16}},
};

TEST(MatMul, NumpySemanticsAllFloatTypes) {
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16}) {
    uint32_t seed = 1;
    for (const auto &[sa, sb] : kMatMulShapes) {
      Tensor a = random(dt, sa, seed++), b = random(dt, sb, seed++);
      KernelCall call(OpKind::MatMul);
      Tensor out = runOk(call, {&a, &b});
      expectMatch(out, refMatMul(a, b), dt,
                  std::string(dtypeName(dt)) + " " + shapeToString(sa) + " x " +
                      shapeToString(sb));
    }
  }
}

TEST(MatMul, Integers) {
  for (DType dt : {DType::I32, DType::I64, DType::I8, DType::U8, DType::U64}) {
    uint32_t seed = 5;
    for (const auto &[sa, sb] : kMatMulShapes) {
      Tensor a = random(dt, sa, seed++, 0, 5), b = random(dt, sb, seed++, 0, 5);
      KernelCall call(OpKind::MatMul);
      Tensor out = runOk(call, {&a, &b});
      expectMatch(out, refMatMul(a, b), dt, dtypeName(dt));
    }
  }
  // Wrap-around like repeated integer adds.
  Tensor a = makeInts(DType::I8, {1, 2}, {100, 100});
  Tensor b = makeInts(DType::I8, {2, 1}, {1, 1});
  KernelCall call(OpKind::MatMul);
  EXPECT_EQ(ints(runOk(call, {&a, &b})), (std::vector<int64_t>{-56}));
}

TEST(MatMul, Errors) {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6}), b = f32({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  KernelCall call(OpKind::MatMul);
  Status st = call.run({&a, &b});
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "step 'test' (nn.matmul): contracting dimensions "
                          "differ: lhs [2, 3] has K = 3, rhs [4, 2] has K = 4");
  Tensor x = random(DType::F32, {2, 2, 3}, 1), y = random(DType::F32, {3, 3, 2}, 2);
  st = call.run({&x, &y});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("batch dimensions are not broadcastable"),
            std::string::npos);
  Tensor s = f32({}, {1});
  EXPECT_FALSE(call.run({&s, &a}).isOk());
  Tensor d = random(DType::F64, {3, 2}, 3);
  EXPECT_FALSE(call.run({&a, &d}).isOk());
}

/// Reference gemm: alpha op(a) op(b) + beta c (c broadcast to [m, n]).
std::vector<double> refGemm(const Tensor &a, const Tensor &b, const Tensor *c,
                            bool ta, bool tb, double alpha, double beta,
                            int64_t &m, int64_t &n) {
  m = ta ? a.dim(1) : a.dim(0);
  int64_t k = ta ? a.dim(0) : a.dim(1);
  n = tb ? b.dim(0) : b.dim(1);
  std::vector<double> out(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += a.getDouble(ta ? p * m + i : i * k + p) *
             b.getDouble(tb ? j * k + p : p * n + j);
      double cv = c ? c->getDouble(broadcastIndex({i, j}, c->shape())) : 0;
      out[i * n + j] = alpha * s + beta * cv;
    }
  return out;
}

TEST(Gemm, TransposesScalesAndBias) {
  int64_t m = 5, k = 7, n = 4;
  for (DType dt : {DType::F32, DType::F64, DType::F16}) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (Shape cs : {Shape{-1}, Shape{}, Shape{1}, Shape{n}, Shape{m, 1},
                         Shape{1, n}, Shape{m, n}}) {
          Tensor a = random(dt, ta ? Shape{k, m} : Shape{m, k}, 1);
          Tensor b = random(dt, tb ? Shape{n, k} : Shape{k, n}, 2);
          bool hasC = cs != Shape{-1};
          Tensor c = hasC ? random(dt, cs, 3) : Tensor();
          for (auto [alpha, beta] : {std::pair{1.0, 1.0}, {0.5, 2.0}, {2.0, 0.0}}) {
            KernelCall call(OpKind::Gemm);
            call.attr("trans_a", (int64_t)ta).attr("trans_b", (int64_t)tb);
            call.attr("alpha", alpha).attr("beta", beta);
            std::vector<const Tensor *> ins = {&a, &b};
            if (hasC)
              ins.push_back(&c);
            Tensor out = runOk(call, ins);
            int64_t rm, rn;
            auto want = refGemm(a, b, hasC ? &c : nullptr, ta, tb, alpha, beta,
                                rm, rn);
            ASSERT_EQ(out.shape(), (Shape{rm, rn}));
            expectClose(out, want, dt == DType::F16 ? 2e-3 : 1e-5,
                        "gemm");
          }
        }
  }
  // Integers.
  Tensor a = makeInts(DType::I32, {2, 2}, {1, 2, 3, 4});
  Tensor b = makeInts(DType::I32, {2, 2}, {5, 6, 7, 8});
  Tensor c = makeInts(DType::I32, {2}, {100, 200});
  KernelCall call(OpKind::Gemm);
  EXPECT_EQ(ints(runOk(call, {&a, &b, &c})),
            (std::vector<int64_t>{119, 222, 143, 250}));
  call.attr("trans_b", (int64_t)1).attr("alpha", 2.0).attr("beta", 0.5);
  EXPECT_EQ(ints(runOk(call, {&a, &b, &c})),
            (std::vector<int64_t>{84, 146, 128, 206}));
}

TEST(Gemm, Errors) {
  Tensor a = random(DType::F32, {2, 3}, 1), b = random(DType::F32, {3, 4}, 2);
  Tensor badC = random(DType::F32, {3, 4}, 3), v = random(DType::F32, {3}, 4);
  KernelCall call(OpKind::Gemm);
  Status st = call.run({&a, &b, &badC});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("c of shape [3, 4] does not broadcast to [2, 4]"),
            std::string::npos)
      << st.message();
  EXPECT_FALSE(call.run({&a, &a}).isOk());
  EXPECT_FALSE(call.run({&v, &b}).isOk());
}

} // namespace
