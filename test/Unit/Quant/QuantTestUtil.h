//===- QuantTestUtil.h - plain reference implementations --------*- C++ -*-===//
//
// Deliberately plain (and slow) implementations that the optimized code in
// runtime/quant is checked against: the GPTQ quantizer, a direct non-lazy
// GPTQ (column by column, full error feedback, explicit inverse by
// double-precision Gauss-Jordan), round-to-nearest and a matmul.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_TEST_UNIT_QUANT_QUANTTESTUTIL_H
#define GPTQ_TEST_UNIT_QUANT_QUANTTESTUTIL_H

#include "runtime/DType.h"
#include "runtime/quant/GPTQ.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace gptq::rt::quant::testing {

inline std::vector<float> randomNormal(size_t n, uint32_t seed, float sd = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// Activations with correlated channels: X = Z A (+ a few outlier channels).
inline std::vector<float> correlatedActivations(int64_t rows, int64_t k,
                                                uint32_t seed) {
  std::vector<float> z = randomNormal(static_cast<size_t>(rows * k), seed);
  std::vector<float> a = randomNormal(static_cast<size_t>(k * k), seed + 1, 0.3f);
  for (int64_t i = 0; i < k; ++i)
    a[i * k + i] += 1.0f;
  std::vector<float> x(static_cast<size_t>(rows * k), 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < k; ++t) {
      const float zv = z[r * k + t];
      for (int64_t c = 0; c < k; ++c)
        x[r * k + c] += zv * a[t * k + c];
    }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; c += 17)
      x[r * k + c] *= 8.0f; // outlier channels
  return x;
}

/// H = 2/n X^T X in double, returned as float.
inline std::vector<float> hessianOf(const std::vector<float> &x, int64_t rows,
                                    int64_t k) {
  std::vector<double> h(static_cast<size_t>(k * k), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        h[i * k + j] += double(x[r * k + i]) * double(x[r * k + j]);
  std::vector<float> out(static_cast<size_t>(k * k));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = float(2.0 * h[i] / double(rows));
  return out;
}

inline float refHalf(float s) {
  float h = halfToFloat(floatToHalf(s));
  if (!(h >= 5.9604645e-8f))
    h = 5.9604645e-8f;
  return std::min(h, 65504.0f);
}

/// The standard GPTQ quantizer, one column at a time.
struct RefQuantizer {
  int bits;
  bool sym;
  bool mse;
  float norm;
  int grid;
  float maxShrink;
  int maxq() const { return (1 << bits) - 1; }

  explicit RefQuantizer(const QuantConfig &c)
      : bits(c.bits), sym(c.sym), mse(c.mse), norm(c.mseNorm), grid(c.mseGrid),
        maxShrink(c.mseMaxShrink) {}

  float quant(float x, float s, float z) const {
    float q = std::nearbyint(x / s) + z;
    return std::min(std::max(q, 0.0f), float(maxq()));
  }

  void fromRange(float xmin, float xmax, float &s, float &z) const {
    if (sym) {
      xmax = std::max(std::fabs(xmin), xmax);
      if (xmin < 0)
        xmin = -xmax;
    }
    if (xmin == 0 && xmax == 0) {
      xmin = -1;
      xmax = 1;
    }
    s = refHalf((xmax - xmin) / float(maxq()));
    z = sym ? float((maxq() + 1) / 2)
            : std::min(std::max(std::nearbyint(-xmin / s), 0.0f), float(maxq()));
  }

  /// Params of one column given its values.
  void find(const std::vector<float> &col, float &s, float &z) const {
    float xmin = 0, xmax = 0;
    for (float v : col) {
      xmin = std::min(xmin, v);
      xmax = std::max(xmax, v);
    }
    fromRange(xmin, xmax, s, z);
    if (!mse)
      return;
    float best = INFINITY;
    const int steps = int(double(maxShrink) * grid);
    for (int i = 0; i < steps; ++i) {
      const float p = float(1.0 - double(i) / double(grid));
      float s1, z1;
      fromRange(p * xmin, p * xmax, s1, z1);
      float err = 0;
      for (float v : col) {
        float d = std::fabs(s1 * (quant(v, s1, z1) - z1) - v);
        err += norm == 2.0f ? d * d : std::pow(d, norm);
      }
      if (err < best) {
        best = err;
        s = s1;
        z = z1;
      }
    }
  }

  /// Params of every column from rows [r0, r1) of w [*, n].
  void findGroup(const std::vector<float> &w, int64_t n, int64_t r0, int64_t r1,
                 float *s, float *z) const {
    std::vector<float> col(static_cast<size_t>(r1 - r0));
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t r = r0; r < r1; ++r)
        col[r - r0] = w[r * n + c];
      find(col, s[c], z[c]);
    }
  }
};

/// Inverse of a symmetric positive definite matrix by Gauss-Jordan.
inline std::vector<double> gaussJordanInverse(std::vector<double> a, int64_t k) {
  std::vector<double> inv(static_cast<size_t>(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i)
    inv[i * k + i] = 1.0;
  for (int64_t c = 0; c < k; ++c) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < k; ++r)
      if (std::fabs(a[r * k + c]) > std::fabs(a[piv * k + c]))
        piv = r;
    for (int64_t j = 0; j < k; ++j) {
      std::swap(a[c * k + j], a[piv * k + j]);
      std::swap(inv[c * k + j], inv[piv * k + j]);
    }
    const double p = a[c * k + c];
    for (int64_t j = 0; j < k; ++j) {
      a[c * k + j] /= p;
      inv[c * k + j] /= p;
    }
    for (int64_t r = 0; r < k; ++r) {
      if (r == c)
        continue;
      const double f = a[r * k + c];
      if (f == 0)
        continue;
      for (int64_t j = 0; j < k; ++j) {
        a[r * k + j] -= f * a[c * k + j];
        inv[r * k + j] -= f * inv[c * k + j];
      }
    }
  }
  return inv;
}

/// Upper U with U^T U = A (A symmetric positive definite), in double.
inline std::vector<double> upperCholesky(const std::vector<double> &a,
                                         int64_t k) {
  // A = L L^T with L lower; U = L^T.
  std::vector<double> l(static_cast<size_t>(k * k), 0.0);
  for (int64_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (int64_t t = 0; t < j; ++t)
      d -= l[j * k + t] * l[j * k + t];
    l[j * k + j] = std::sqrt(d);
    for (int64_t i = j + 1; i < k; ++i) {
      double v = a[i * k + j];
      for (int64_t t = 0; t < j; ++t)
        v -= l[i * k + t] * l[j * k + t];
      l[i * k + j] = v / l[j * k + j];
    }
  }
  std::vector<double> u(static_cast<size_t>(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      u[i * k + j] = l[j * k + i];
  return u;
}

struct RefResult {
  std::vector<int32_t> q;     ///< [K, N] original order
  std::vector<float> scale;   ///< [G, N]
  std::vector<float> zero;    ///< [G, N]
  std::vector<int32_t> gIdx;  ///< [K]
  std::vector<float> deq;     ///< [K, N] original order
  double loss = 0;
  double damp = 0;
};

/// Direct GPTQ: one row (paper column) at a time, every later row updated
/// right away. `dampPercent` overrides cfg.dampPercent when >= 0.
inline RefResult refGptq(const std::vector<float> &w0, int64_t k, int64_t n,
                         const std::vector<float> &h0, const QuantConfig &cfg,
                         double dampPercent = -1) {
  RefQuantizer qz(cfg);
  const int64_t gs = cfg.groupSize;
  const int64_t groups = gs > 0 ? (k + gs - 1) / gs : 1;
  std::vector<float> w = w0;
  std::vector<double> h(h0.begin(), h0.end());
  for (int64_t i = 0; i < k; ++i)
    if (h[i * k + i] == 0) {
      h[i * k + i] = 1;
      for (int64_t c = 0; c < n; ++c)
        w[i * n + c] = 0;
    }
  RefResult res;
  res.scale.assign(static_cast<size_t>(groups * n), 0);
  res.zero.assign(static_cast<size_t>(groups * n), 0);
  if (gs <= 0)
    qz.findGroup(w, n, 0, k, res.scale.data(), res.zero.data());
  else if (cfg.staticGroups)
    for (int64_t g = 0; g < groups; ++g)
      qz.findGroup(w, n, g * gs, std::min(k, g * gs + gs),
                   res.scale.data() + g * n, res.zero.data() + g * n);
  std::vector<int64_t> perm(static_cast<size_t>(k));
  std::iota(perm.begin(), perm.end(), 0);
  if (cfg.descAct)
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return h[a * k + a] > h[b * k + b];
    });
  std::vector<float> wp(static_cast<size_t>(k * n));
  std::vector<double> hp(static_cast<size_t>(k * k));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t c = 0; c < n; ++c)
      wp[i * n + c] = w[perm[i] * n + c];
    for (int64_t j = 0; j < k; ++j)
      hp[i * k + j] = h[perm[i] * k + perm[j]];
  }
  double mean = 0;
  for (int64_t i = 0; i < k; ++i)
    mean += hp[i * k + i];
  mean /= double(k);
  res.damp = (dampPercent >= 0 ? dampPercent : cfg.dampPercent) * mean;
  for (int64_t i = 0; i < k; ++i)
    hp[i * k + i] = double(float(hp[i * k + i] + res.damp));
  std::vector<double> u = upperCholesky(gaussJordanInverse(hp, k), k);
  res.gIdx.assign(static_cast<size_t>(k), 0);
  std::vector<int32_t> qp(static_cast<size_t>(k * n));
  std::vector<float> err(static_cast<size_t>(n));
  // Groups take their parameters from the weights as they are when the
  // solver's block starts (the lazy solver's blocks, rounded to whole
  // groups): updated by earlier blocks, not by the block's own rows.
  int64_t block = cfg.blockSize;
  if (gs > 0 && !cfg.staticGroups)
    block = gs >= block ? gs : (block / gs) * gs;
  block = std::min(block, k);
  for (int64_t i = 0; i < k; ++i) {
    if (gs > 0 && !cfg.staticGroups && i % block == 0)
      for (int64_t r = i; r < std::min(k, i + block); ++r)
        if (r % gs == 0)
          qz.findGroup(wp, n, r, std::min(k, r + gs),
                       res.scale.data() + (r / gs) * n,
                       res.zero.data() + (r / gs) * n);
    int64_t g = 0;
    if (gs > 0) {
      if (!cfg.staticGroups) {
        g = i / gs;
      } else {
        g = perm[i] / gs;
      }
    }
    res.gIdx[perm[i]] = int32_t(g);
    const float d = float(u[i * k + i]);
    for (int64_t c = 0; c < n; ++c) {
      const float s = res.scale[g * n + c], z = res.zero[g * n + c];
      const float x = wp[i * n + c];
      const float q = qz.quant(x, s, z);
      qp[i * n + c] = int32_t(q);
      err[c] = (x - s * (q - z)) / d;
      res.loss += 0.5 * double(err[c]) * double(err[c]);
    }
    for (int64_t j = i + 1; j < k; ++j) {
      const float uij = float(u[i * k + j]);
      for (int64_t c = 0; c < n; ++c)
        wp[j * n + c] -= uij * err[c];
    }
  }
  res.q.assign(static_cast<size_t>(k * n), 0);
  res.deq.assign(static_cast<size_t>(k * n), 0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < n; ++c) {
      const int64_t r = perm[i];
      res.q[r * n + c] = qp[i * n + c];
    }
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) {
      const int64_t g = res.gIdx[r];
      res.deq[r * n + c] = res.scale[g * n + c] *
                           (float(res.q[r * n + c]) - res.zero[g * n + c]);
    }
  return res;
}

/// Round-to-nearest.
inline RefResult refRtn(const std::vector<float> &w, int64_t k, int64_t n,
                        const QuantConfig &cfg) {
  RefQuantizer qz(cfg);
  const int64_t gs = cfg.groupSize > 0 ? cfg.groupSize : k;
  const int64_t groups = (k + gs - 1) / gs;
  RefResult res;
  res.scale.assign(static_cast<size_t>(groups * n), 0);
  res.zero.assign(static_cast<size_t>(groups * n), 0);
  res.q.assign(static_cast<size_t>(k * n), 0);
  res.deq.assign(static_cast<size_t>(k * n), 0);
  res.gIdx.assign(static_cast<size_t>(k), 0);
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t r1 = std::min(k, g * gs + gs);
    qz.findGroup(w, n, g * gs, r1, res.scale.data() + g * n,
                 res.zero.data() + g * n);
    for (int64_t r = g * gs; r < r1; ++r) {
      res.gIdx[r] = int32_t(cfg.groupSize > 0 ? g : 0);
      for (int64_t c = 0; c < n; ++c) {
        const float s = res.scale[g * n + c], z = res.zero[g * n + c];
        const float q = qz.quant(w[r * n + c], s, z);
        res.q[r * n + c] = int32_t(q);
        res.deq[r * n + c] = s * (q - z);
        const double d = double(w[r * n + c]) - double(res.deq[r * n + c]);
        res.loss += 0.5 * d * d;
      }
    }
  }
  return res;
}

/// y = x @ w in double.
inline std::vector<double> refMatMul(const float *x, const float *w, int64_t m,
                                     int64_t k, int64_t n) {
  std::vector<double> y(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t t = 0; t < k; ++t)
      for (int64_t j = 0; j < n; ++j)
        y[i * n + j] += double(x[i * k + t]) * double(w[t * n + j]);
  return y;
}

} // namespace gptq::rt::quant::testing

#endif // GPTQ_TEST_UNIT_QUANT_QUANTTESTUTIL_H
