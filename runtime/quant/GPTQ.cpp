//===- GPTQ.cpp - the GPTQ and round-to-nearest solvers -------------------===//
//
// GPTQ (Frantar et al. 2022, Algorithm 1 with lazy batches) on W [K, N]:
// row k of W is the paper's column k. Each row is quantized in turn and its
// error, scaled by the inverse-Hessian Cholesky factor U, is fed back into
// the rows not yet quantized:
//
//   err_k   = (w_k - deq(w_k)) / U_kk
//   w_j    -= U_kj * err_k            for j > k
//
// Within a block of rows the updates are applied row by row (right-looking);
// the rows after the block receive the block's errors at once through one
// SGEMM, W[end:] -= U[block, end:]^T Err[block]. Every output channel
// (column of W) is independent given U, so a block is processed in column
// panels, in parallel and in cache; results do not depend on the number of
// threads. Groups that are found from the error-updated weights never
// straddle a block boundary (the block size is rounded to a multiple of the
// group size), so the lazy version computes what the plain one does.
//
//===----------------------------------------------------------------------===//

#include "runtime/quant/GPTQ.h"

#include "runtime/DType.h"
#include "runtime/core/Parallel.h"
#include "runtime/quant/QuantInternal.h"
#include "runtime/quant/TaskPool.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define GPTQ_HAVE_X86 1
#else
#define GPTQ_HAVE_X86 0
#endif

namespace gptq::rt::quant {

//===----------------------------------------------------------------------===//
// Dispatch and shared helpers.
//===----------------------------------------------------------------------===//

namespace {
bool gForcePortable = false;

bool cpuHasAvx2() {
#if GPTQ_HAVE_X86
  // F16C is read from CPUID leaf 1 (ECX bit 29): older clang does not know
  // "f16c" in __builtin_cpu_supports.
  static const bool has = [] {
    unsigned eax, ebx, ecx, edx;
    bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29));
    return f16c && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}
} // namespace

bool useAvx2() { return !gForcePortable && cpuHasAvx2(); }
void setForcePortable(bool portable) { gForcePortable = portable; }

float roundScaleToHalf(float s) {
  float h = halfToFloat(floatToHalf(s));
  if (!(h >= 5.9604645e-8f)) // 0, or NaN: the smallest fp16 subnormal
    h = 5.9604645e-8f;
  if (h > 65504.0f)
    h = 65504.0f;
  return h;
}

int inverseCholeskyUpper(float *h, int64_t k) {
  if (k <= 0)
    return 0;
  const lapack_int n = lapack_int(k);
  // J H J is the reversed buffer; being symmetric, it reads the same in
  // row- and column-major order.
  std::reverse(h, h + k * k);
  std::vector<float> diag(static_cast<size_t>(k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    diag[i] = h[i * k + i];
  // Column-major upper U' with U'^T U' = J H J, then U'^-1 in place. Both
  // calls read and write only the upper triangle (column-major), so the
  // strict lower triangle keeps J H J for a restore.
  int info = LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', n, h, n);
  if (info == 0)
    info = LAPACKE_strtri(LAPACK_COL_MAJOR, 'U', 'N', n, h, n);
  if (info == 0) {
    for (int64_t i = 0; i < k; ++i) {
      float d = h[i * k + i];
      if (!(d > 0.0f) || !std::isfinite(d)) {
        info = int(i + 1);
        break;
      }
    }
  }
  if (info != 0) {
    for (int64_t j = 0; j < k; ++j) {
      for (int64_t i = 0; i < j; ++i)
        h[i + j * k] = h[j + i * k];
      h[j + j * k] = diag[j];
    }
    std::reverse(h, h + k * k);
    return info;
  }
  // Reversing column-major U'^-1 gives column-major J U'^-1 J = U^T, i.e.
  // row-major U.
  std::reverse(h, h + k * k);
  for (int64_t i = 1; i < k; ++i)
    std::fill(h + i * k, h + i * k + i, 0.0f);
  return 0;
}

namespace {

//===----------------------------------------------------------------------===//
// The quantizer.
//===----------------------------------------------------------------------===//

struct Quantizer {
  int bits = 4;
  int maxq = 15;
  bool sym = true;
  bool mse = false;
  float norm = 2.4f;
  int grid = 100;
  int shrinkSteps = 80;

  explicit Quantizer(const QuantConfig &cfg)
      : bits(cfg.bits), maxq((1 << cfg.bits) - 1), sym(cfg.sym), mse(cfg.mse),
        norm(cfg.mseNorm), grid(cfg.mseGrid),
        shrinkSteps(int(double(cfg.mseMaxShrink) * cfg.mseGrid)) {}

  float quantize(float w, float s, float z) const {
    float q = std::nearbyint(w / s) + z;
    q = q < 0.0f ? 0.0f : q;
    q = q > float(maxq) ? float(maxq) : q;
    return q;
  }

  /// Scale and zero of one column's range [lo, hi] (lo <= 0 <= hi).
  void paramsFromRange(float lo, float hi, float &scale, int32_t &zero) const {
    if (sym) {
      hi = std::max(std::fabs(lo), hi);
      if (lo < 0.0f)
        lo = -hi;
    }
    if (lo == 0.0f && hi == 0.0f) {
      lo = -1.0f;
      hi = 1.0f;
    }
    scale = roundScaleToHalf((hi - lo) / float(maxq));
    if (sym) {
      zero = (maxq + 1) / 2;
    } else {
      float z = std::nearbyint(-lo / scale);
      zero = int32_t(std::min(std::max(z, 0.0f), float(maxq)));
    }
  }

  /// Finds scale/zero for columns [c0, c1) of the `rows` rows starting at
  /// w (row stride ld); writes scale[c], zero[c] for c in [c0, c1).
  void findParams(const float *w, int64_t rows, int64_t ld, int64_t c0,
                  int64_t c1, float *scale, int32_t *zero,
                  std::vector<float> &scratch) const {
    const int64_t width = c1 - c0;
    scratch.resize(static_cast<size_t>(2 * width));
    float *lo = scratch.data(), *hi = scratch.data() + width;
    std::fill(lo, lo + width, 0.0f);
    std::fill(hi, hi + width, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float *wr = w + r * ld + c0;
      for (int64_t c = 0; c < width; ++c) {
        float v = wr[c];
        lo[c] = v < lo[c] ? v : lo[c];
        hi[c] = v > hi[c] ? v : hi[c];
      }
    }
    for (int64_t c = 0; c < width; ++c)
      paramsFromRange(lo[c], hi[c], scale[c0 + c], zero[c0 + c]);
    if (!mse)
      return;
    // Grid search of a shrunk range [p lo, p hi], p = 1 - i / grid, keeping
    // per column the candidate with the least sum |deq - w|^norm.
    std::vector<float> best(static_cast<size_t>(width), INFINITY), err(static_cast<size_t>(width));
    std::vector<float> s1(static_cast<size_t>(width)), z1(static_cast<size_t>(width));
    for (int i = 0; i < shrinkSteps; ++i) {
      const float p = float(1.0 - double(i) / double(grid));
      for (int64_t c = 0; c < width; ++c) {
        float lo1 = p * lo[c], hi1 = p * hi[c];
        float s;
        int32_t z;
        paramsFromRange(lo1, hi1, s, z);
        // The candidate zero of sym stays 2^(bits-1); paramsFromRange
        // symmetrizes exactly as for the full range.
        s1[c] = s;
        z1[c] = float(z);
      }
      std::fill(err.begin(), err.end(), 0.0f);
      for (int64_t r = 0; r < rows; ++r) {
        const float *wr = w + r * ld + c0;
        for (int64_t c = 0; c < width; ++c) {
          float q = quantize(wr[c], s1[c], z1[c]);
          float d = std::fabs(s1[c] * (q - z1[c]) - wr[c]);
          err[c] += norm == 2.0f ? d * d : std::pow(d, norm);
        }
      }
      for (int64_t c = 0; c < width; ++c) {
        if (err[c] < best[c]) {
          best[c] = err[c];
          scale[c0 + c] = s1[c];
          zero[c0 + c] = int32_t(z1[c]);
        }
      }
    }
  }
};

//===----------------------------------------------------------------------===//
// One block of rows, one panel of columns.
//===----------------------------------------------------------------------===//

struct BlockState {
  int64_t k = 0, n = 0;
  float *w = nullptr;          // [K, N] permuted, error-updated
  const float *u = nullptr;    // [K, K] row-major upper
  float *err = nullptr;        // [B, N] errors of the current block
  int32_t *q = nullptr;        // [K, N] permuted quantized values
  float *scale = nullptr;      // [G, N]
  int32_t *zero = nullptr;     // [G, N]
  const int32_t *paramGroup = nullptr; // [K] group of params of permuted row
  double *lossCol = nullptr;   // [N]
  int64_t groupSize = -1;
  bool findInLoop = false;     // groups found from the current weights
  const Quantizer *quant = nullptr;
};

/// Quantizes row i on columns [c0, c1): q, err = (w - deq) / d, loss.
void quantizeRowPortable(const BlockState &st, const float *w, const float *s,
                         const int32_t *z, float d, int32_t *q, float *e,
                         float *lossAcc, int64_t c0, int64_t c1) {
  const Quantizer &qz = *st.quant;
  for (int64_t c = c0; c < c1; ++c) {
    float zf = float(z[c]);
    float qv = qz.quantize(w[c], s[c], zf);
    float deq = s[c] * (qv - zf);
    float ev = (w[c] - deq) / d;
    q[c] = int32_t(qv);
    e[c] = ev;
    lossAcc[c - c0] += ev * ev;
  }
}

void updateRowsPortable(float *w, int64_t ld, const float *u, int64_t rows,
                        const float *e, int64_t c0, int64_t c1) {
  for (int64_t j = 0; j < rows; ++j) {
    const float uj = u[j];
    float *wj = w + j * ld;
    for (int64_t c = c0; c < c1; ++c)
      wj[c] -= uj * e[c];
  }
}

#if GPTQ_HAVE_X86
__attribute__((target("avx2,fma"))) void
quantizeRowAvx2(const BlockState &st, const float *w, const float *s,
                const int32_t *z, float d, int32_t *q, float *e,
                float *lossAcc, int64_t c0, int64_t c1) {
  const __m256 zeroV = _mm256_setzero_ps();
  const __m256 maxqV = _mm256_set1_ps(float(st.quant->maxq));
  const __m256 dV = _mm256_set1_ps(d);
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    __m256 wv = _mm256_loadu_ps(w + c);
    __m256 sv = _mm256_loadu_ps(s + c);
    __m256 zv = _mm256_cvtepi32_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(z + c)));
    __m256 qv = _mm256_round_ps(_mm256_div_ps(wv, sv),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    qv = _mm256_add_ps(qv, zv);
    qv = _mm256_min_ps(_mm256_max_ps(qv, zeroV), maxqV);
    __m256 deq = _mm256_mul_ps(sv, _mm256_sub_ps(qv, zv));
    __m256 ev = _mm256_div_ps(_mm256_sub_ps(wv, deq), dV);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(q + c),
                        _mm256_cvttps_epi32(qv));
    _mm256_storeu_ps(e + c, ev);
    __m256 acc = _mm256_loadu_ps(lossAcc + (c - c0));
    _mm256_storeu_ps(lossAcc + (c - c0), _mm256_add_ps(acc, _mm256_mul_ps(ev, ev)));
  }
  if (c < c1)
    quantizeRowPortable(st, w, s, z, d, q, e, lossAcc + (c - c0), c, c1);
}

__attribute__((target("avx2,fma"))) void
updateRowsAvx2(float *w, int64_t ld, const float *u, int64_t rows,
               const float *e, int64_t c0, int64_t c1) {
  // Four rows at a time share the loads of the error vector.
  int64_t j = 0;
  for (; j + 4 <= rows; j += 4) {
    const __m256 u0 = _mm256_set1_ps(-u[j]), u1 = _mm256_set1_ps(-u[j + 1]);
    const __m256 u2 = _mm256_set1_ps(-u[j + 2]), u3 = _mm256_set1_ps(-u[j + 3]);
    float *w0 = w + j * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
    int64_t c = c0;
    for (; c + 8 <= c1; c += 8) {
      __m256 ev = _mm256_loadu_ps(e + c);
      _mm256_storeu_ps(w0 + c, _mm256_fmadd_ps(u0, ev, _mm256_loadu_ps(w0 + c)));
      _mm256_storeu_ps(w1 + c, _mm256_fmadd_ps(u1, ev, _mm256_loadu_ps(w1 + c)));
      _mm256_storeu_ps(w2 + c, _mm256_fmadd_ps(u2, ev, _mm256_loadu_ps(w2 + c)));
      _mm256_storeu_ps(w3 + c, _mm256_fmadd_ps(u3, ev, _mm256_loadu_ps(w3 + c)));
    }
    for (; c < c1; ++c) {
      w0[c] -= u[j] * e[c];
      w1[c] -= u[j + 1] * e[c];
      w2[c] -= u[j + 2] * e[c];
      w3[c] -= u[j + 3] * e[c];
    }
  }
  for (; j < rows; ++j) {
    const __m256 uj = _mm256_set1_ps(-u[j]);
    float *wj = w + j * ld;
    int64_t c = c0;
    for (; c + 8 <= c1; c += 8)
      _mm256_storeu_ps(wj + c, _mm256_fmadd_ps(uj, _mm256_loadu_ps(e + c),
                                               _mm256_loadu_ps(wj + c)));
    for (; c < c1; ++c)
      wj[c] -= u[j] * e[c];
  }
}
#endif

void processBlockPanel(const BlockState &st, int64_t b0, int64_t b1,
                       int64_t c0, int64_t c1, bool avx2) {
  const int64_t n = st.n, k = st.k;
  std::vector<float> lossAcc(static_cast<size_t>(c1 - c0), 0.0f);
  std::vector<float> scratch;
  // Groups starting in this block take their parameters from the weights as
  // they are when the block starts: updated by the earlier blocks' errors but
  // not yet by this block's own (as the reference implementation does; the
  // clipping this implies at the group's later rows is what makes low-bit
  // GPTQ beat round-to-nearest by a wide margin).
  if (st.findInLoop)
    for (int64_t i = b0; i < b1; ++i)
      if (i % st.groupSize == 0) {
        const int64_t g = i / st.groupSize;
        st.quant->findParams(st.w + i * n, std::min(st.groupSize, k - i), n,
                             c0, c1, st.scale + g * n, st.zero + g * n,
                             scratch);
      }
  for (int64_t i = b0; i < b1; ++i) {
    const int64_t g = st.paramGroup[i];
    const float *s = st.scale + g * n;
    const int32_t *z = st.zero + g * n;
    const float *ui = st.u + i * k;
    const float d = ui[i];
    float *wi = st.w + i * n;
    float *e = st.err + (i - b0) * n;
    int32_t *q = st.q + i * n;
#if GPTQ_HAVE_X86
    if (avx2) {
      quantizeRowAvx2(st, wi, s, z, d, q, e, lossAcc.data(), c0, c1);
      updateRowsAvx2(wi + n, n, ui + i + 1, b1 - i - 1, e, c0, c1);
      continue;
    }
#endif
    quantizeRowPortable(st, wi, s, z, d, q, e, lossAcc.data(), c0, c1);
    updateRowsPortable(wi + n, n, ui + i + 1, b1 - i - 1, e, c0, c1);
  }
  for (int64_t c = c0; c < c1; ++c)
    st.lossCol[c] += 0.5 * double(lossAcc[c - c0]);
}

//===----------------------------------------------------------------------===//
// Shared result assembly.
//===----------------------------------------------------------------------===//

/// Group of each input row in the IR's g_idx sense.
std::vector<int32_t> plainGIdx(int64_t k, int64_t groupSize) {
  std::vector<int32_t> g(static_cast<size_t>(k), 0);
  if (groupSize > 0)
    for (int64_t r = 0; r < k; ++r)
      g[r] = int32_t(r / groupSize);
  return g;
}

/// Fills packed (qweight, qzeros, scales, gIdx) and dequantized from q
/// ([K, N], original row order).
void assemble(QuantResult &res, const std::vector<int32_t> &q,
              std::vector<float> scale, const std::vector<int32_t> &zero,
              std::vector<int32_t> gIdx) {
  PackedWeight &p = res.packed;
  const int64_t k = p.k, n = p.n, groups = p.groups();
  p.qweight.assign(static_cast<size_t>(packedRows(k, p.bits) * n), 0);
  packWeights(q.data(), k, n, p.bits, p.qweight.data());
  const int64_t zcols = packedZeroCols(n, p.bits);
  p.qzeros.assign(static_cast<size_t>(groups * zcols), 0);
  for (int64_t g = 0; g < groups; ++g)
    packRow(zero.data() + g * n, n, p.bits, p.qzeros.data() + g * zcols);
  res.dequantized.resize(static_cast<size_t>(k * n));
  for (int64_t r = 0; r < k; ++r) {
    const int64_t g = gIdx[r];
    const int32_t *qr = q.data() + r * n;
    const int32_t *zr = zero.data() + g * n;
    const float *sr = scale.data() + g * n;
    float *o = res.dequantized.data() + r * n;
    for (int64_t c = 0; c < n; ++c)
      o[c] = float(qr[c] - zr[c]) * sr[c];
  }
  p.scales = std::move(scale);
  p.gIdx = std::move(gIdx);
}

Status checkInputs(const float *w, int64_t k, int64_t n, const QuantConfig &cfg,
                   const std::string &name) {
  GPTQ_RT_TRY(validateConfig(cfg, k, name));
  if (n <= 0)
    return errorf("layer '", name, "': N must be positive (got ", n, ")");
  if (!w)
    return errorf("layer '", name, "': no weight data");
  for (int64_t i = 0; i < k * n; ++i)
    if (!std::isfinite(w[i]))
      return errorf("layer '", name, "': weight [", i / n, ", ", i % n,
                    "] is not finite (", w[i], ")");
  return Status::ok();
}

StatusOr<QuantResult> rtnImpl(const float *w, int64_t k, int64_t n,
                              const QuantConfig &cfg) {
  auto t0 = std::chrono::steady_clock::now();
  Quantizer qz(cfg);
  QuantResult res;
  PackedWeight &p = res.packed;
  p.k = k;
  p.n = n;
  p.bits = cfg.bits;
  p.groupSize = cfg.groupSize;
  p.sym = cfg.sym;
  p.descAct = false;
  const int64_t groups = numGroups(k, cfg.groupSize);
  const int64_t gs = cfg.groupSize > 0 ? cfg.groupSize : k;
  std::vector<float> scale(static_cast<size_t>(groups * n));
  std::vector<int32_t> zero(static_cast<size_t>(groups * n));
  std::vector<int32_t> q(static_cast<size_t>(k * n));
  std::vector<float> scratch;
  double loss = 0;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t r0 = g * gs, r1 = std::min(k, r0 + gs);
    qz.findParams(w + r0 * n, r1 - r0, n, 0, n, scale.data() + g * n,
                  zero.data() + g * n, scratch);
    for (int64_t r = r0; r < r1; ++r) {
      const float *s = scale.data() + g * n;
      const int32_t *z = zero.data() + g * n;
      for (int64_t c = 0; c < n; ++c) {
        float zf = float(z[c]);
        float qv = qz.quantize(w[r * n + c], s[c], zf);
        q[r * n + c] = int32_t(qv);
        float diff = w[r * n + c] - s[c] * (qv - zf);
        loss += 0.5 * double(diff) * double(diff);
      }
    }
  }
  assemble(res, q, std::move(scale), zero, plainGIdx(k, cfg.groupSize));
  res.loss = loss;
  res.seconds = secondsSince(t0);
  return res;
}

} // namespace

//===----------------------------------------------------------------------===//
// HessianAccumulator.
//===----------------------------------------------------------------------===//

HessianAccumulator::HessianAccumulator(int64_t k)
    : k_(k < 0 ? 0 : k), h_(static_cast<size_t>(k_ * k_), 0.0f) {}

void HessianAccumulator::add(const float *x, int64_t rows) {
  if (rows <= 0 || k_ == 0 || !x)
    return;
  const int64_t total = n_ + rows;
  // H <- n/(n+rows) H + 2/(n+rows) X^T X on the upper triangle.
  const float beta = float(double(n_) / double(total));
  const float alpha = float(2.0 / double(total));
  ScopedBlasThreads blas(defaultBlasThreads()); // also inside the executor's sweep
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, int(k_), int(rows), alpha,
              x, int(k_), beta, h_.data(), int(k_));
  n_ = total;
}

std::vector<float> HessianAccumulator::matrix() const {
  std::vector<float> m(h_);
  for (int64_t i = 0; i < k_; ++i)
    for (int64_t j = 0; j < i; ++j)
      m[i * k_ + j] = m[j * k_ + i];
  return m;
}

//===----------------------------------------------------------------------===//
// Entry points.
//===----------------------------------------------------------------------===//

Status validateConfig(const QuantConfig &cfg, int64_t k, const std::string &name) {
  auto fail = [&](auto &&...parts) {
    return errorf("layer '", name, "': ", parts...);
  };
  if (cfg.bits != 2 && cfg.bits != 3 && cfg.bits != 4 && cfg.bits != 8)
    return fail("bits must be 2, 3, 4 or 8 (got ", cfg.bits, ")");
  if (cfg.groupSize != -1 && cfg.groupSize <= 0)
    return fail("group size must be -1 or positive (got ", cfg.groupSize, ")");
  if (cfg.blockSize <= 0)
    return fail("block size must be positive (got ", cfg.blockSize, ")");
  if (!(cfg.dampPercent > 0.0 && cfg.dampPercent <= 1.0))
    return fail("damp percent must be in (0, 1] (got ", cfg.dampPercent, ")");
  if (k <= 0)
    return fail("K must be positive (got ", k, ")");
  if (cfg.mse) {
    if (cfg.mseGrid <= 0)
      return fail("mse grid must be positive (got ", cfg.mseGrid, ")");
    if (!(cfg.mseMaxShrink > 0.0f && cfg.mseMaxShrink <= 1.0f))
      return fail("mse max shrink must be in (0, 1] (got ", cfg.mseMaxShrink,
                  ")");
    if (!(cfg.mseNorm > 0.0f) || !std::isfinite(cfg.mseNorm))
      return fail("mse norm must be positive (got ", cfg.mseNorm, ")");
  }
  return Status::ok();
}

StatusOr<QuantResult> rtnQuantize(const float *w, int64_t k, int64_t n,
                                  const QuantConfig &cfg,
                                  const std::string &name) {
  GPTQ_RT_TRY(checkInputs(w, k, n, cfg, name));
  return rtnImpl(w, k, n, cfg);
}

StatusOr<QuantResult> gptqQuantize(const float *w, int64_t k, int64_t n,
                                   std::vector<float> h, const QuantConfig &cfg,
                                   const std::string &name) {
  GPTQ_RT_TRY(checkInputs(w, k, n, cfg, name));
  // BLAS-3 and LAPACK with all their threads, also when called from inside
  // the executor's sweep (which runs BLAS single-threaded).
  ScopedBlasThreads blas(defaultBlasThreads());
  if (int64_t(h.size()) != k * k)
    return errorf("layer '", name, "': Hessian has ", h.size(),
                  " elements, expected K*K = ", k * k);
  for (size_t i = 0; i < h.size(); ++i)
    if (!std::isfinite(h[i]))
      return errorf("layer '", name, "': Hessian [", int64_t(i) / k, ", ",
                    int64_t(i) % k, "] is not finite");
  auto t0 = std::chrono::steady_clock::now();
  const Quantizer qz(cfg);
  const int64_t gs = cfg.groupSize;
  const int64_t groups = numGroups(k, gs);

  // Dead inputs: never active, so their weights do not matter.
  std::vector<float> wk(w, w + k * n);
  for (int64_t r = 0; r < k; ++r) {
    if (h[r * k + r] == 0.0f) {
      h[r * k + r] = 1.0f;
      std::fill(wk.begin() + r * n, wk.begin() + (r + 1) * n, 0.0f);
    }
  }

  // Group parameters known up front: one group, or static groups from the
  // original (dead-zeroed) weights in the original row order.
  std::vector<float> scale(static_cast<size_t>(groups * n), 0.0f);
  std::vector<int32_t> zero(static_cast<size_t>(groups * n), 0);
  const bool findInLoop = gs > 0 && !cfg.staticGroups;
  {
    std::vector<float> scratch;
    if (gs <= 0) {
      qz.findParams(wk.data(), k, n, 0, n, scale.data(), zero.data(), scratch);
    } else if (!findInLoop) {
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t r0 = g * gs, r1 = std::min(k, r0 + gs);
        qz.findParams(wk.data() + r0 * n, r1 - r0, n, 0, n,
                      scale.data() + g * n, zero.data() + g * n, scratch);
      }
    }
  }

  // Act-order: rows by descending diag(H) (stable).
  std::vector<int64_t> perm(static_cast<size_t>(k));
  std::iota(perm.begin(), perm.end(), int64_t(0));
  bool permuted = false;
  if (cfg.descAct) {
    std::vector<float> diag(static_cast<size_t>(k));
    for (int64_t r = 0; r < k; ++r)
      diag[r] = h[r * k + r];
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return diag[a] > diag[b]; });
    for (int64_t i = 0; i < k; ++i)
      permuted |= perm[i] != i;
  }
  if (permuted) {
    std::vector<float> tmp(static_cast<size_t>(k * n));
    for (int64_t i = 0; i < k; ++i)
      std::memcpy(tmp.data() + i * n, wk.data() + perm[i] * n,
                  sizeof(float) * n);
    wk.swap(tmp);
    std::vector<float> hp(static_cast<size_t>(k * k));
    for (int64_t i = 0; i < k; ++i) {
      const float *src = h.data() + perm[i] * k;
      float *dst = hp.data() + i * k;
      for (int64_t j = 0; j < k; ++j)
        dst[j] = src[perm[j]];
    }
    h.swap(hp);
  }
  std::vector<int32_t> paramGroup(static_cast<size_t>(k), 0);
  std::vector<int32_t> gIdx = plainGIdx(k, gs);
  if (gs > 0) {
    for (int64_t i = 0; i < k; ++i)
      paramGroup[i] = findInLoop ? int32_t(i / gs) : int32_t(perm[i] / gs);
    if (findInLoop)
      for (int64_t i = 0; i < k; ++i)
        gIdx[perm[i]] = int32_t(i / gs);
  }

  // Damping and the inverse-Hessian factor; more damping when the
  // Cholesky factorization fails, RTN as the last resort.
  QuantResult res;
  double meanDiag = 0;
  std::vector<float> diag0(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    diag0[i] = h[i * k + i];
    meanDiag += double(diag0[i]);
  }
  meanDiag /= double(k);
  double percent = cfg.dampPercent;
  bool factored = false;
  int attempts = 0;
  if (meanDiag > 0 && std::isfinite(meanDiag)) {
    for (;;) {
      ++attempts;
      const double damp = percent * meanDiag;
      for (int64_t i = 0; i < k; ++i)
        h[i * k + i] = float(double(diag0[i]) + damp);
      if (inverseCholeskyUpper(h.data(), k) == 0) {
        factored = true;
        res.dampUsed = damp;
        break;
      }
      if (percent >= 1.0)
        break;
      percent = std::min(percent * 10.0, 1.0);
    }
  }
  if (!factored) {
    auto rtn = rtnImpl(w, k, n, cfg);
    if (!rtn)
      return rtn.status();
    QuantResult r = rtn.take();
    r.fellBackToRtn = true;
    r.warning = "layer '" + name +
                "': the Hessian is not positive definite even with damping " +
                std::to_string(percent * 100.0) +
                "% of its mean diagonal; quantized with round-to-nearest";
    r.factorSeconds = secondsSince(t0);
    r.seconds = r.factorSeconds;
    return r;
  }
  if (attempts > 1)
    res.warning = "layer '" + name + "': Cholesky factorization needed damping " +
                  std::to_string(percent * 100.0) +
                  "% of the mean diagonal (asked for " +
                  std::to_string(cfg.dampPercent * 100.0) + "%)";
  res.factorSeconds = secondsSince(t0);
  auto tLoop = std::chrono::steady_clock::now();

  // Block size: groups found in the loop must not straddle blocks.
  int64_t bs = cfg.blockSize;
  if (findInLoop)
    bs = gs >= bs ? gs : (bs / gs) * gs;
  bs = std::min(bs, k);

  std::vector<int32_t> qPerm(static_cast<size_t>(k * n), 0);
  std::vector<float> err(static_cast<size_t>(bs * n), 0.0f);
  std::vector<double> lossCol(static_cast<size_t>(n), 0.0);
  BlockState st;
  st.k = k;
  st.n = n;
  st.w = wk.data();
  st.u = h.data();
  st.err = err.data();
  st.q = qPerm.data();
  st.scale = scale.data();
  st.zero = zero.data();
  st.paramGroup = paramGroup.data();
  st.lossCol = lossCol.data();
  st.groupSize = gs;
  st.findInLoop = findInLoop;
  st.quant = &qz;
  const bool avx2 = useAvx2();
  // Column panels: ~128 KiB of a 128-row block per panel, at least two
  // panels per thread when there are enough columns.
  const int threads = quantThreads();
  int64_t panel = std::max<int64_t>(8, std::min<int64_t>(256, (32768 / bs) & ~int64_t(7)));
  if (n < panel * threads * 2)
    panel = std::max<int64_t>(8, ((n + threads * 2 - 1) / (threads * 2) + 7) & ~int64_t(7));
  const int64_t panels = (n + panel - 1) / panel;
  const int poolThreads = k * n >= 65536 ? threads : 1;
  for (int64_t b0 = 0; b0 < k; b0 += bs) {
    const int64_t b1 = std::min(k, b0 + bs);
    runTasks(panels, poolThreads, [&](int64_t t) {
      const int64_t c0 = t * panel, c1 = std::min(n, c0 + panel);
      processBlockPanel(st, b0, b1, c0, c1, avx2);
    });
    if (b1 < k)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(k - b1), int(n),
                  int(b1 - b0), -1.0f, h.data() + b0 * k + b1, int(k),
                  err.data(), int(n), 1.0f, wk.data() + b1 * n, int(n));
  }
  double loss = 0;
  for (int64_t c = 0; c < n; ++c)
    loss += lossCol[c];

  // Back to the original row order.
  std::vector<int32_t> q(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < k; ++i)
    std::memcpy(q.data() + perm[i] * n, qPerm.data() + i * n,
                sizeof(int32_t) * n);
  res.loopSeconds = secondsSince(tLoop);
  PackedWeight &p = res.packed;
  p.k = k;
  p.n = n;
  p.bits = cfg.bits;
  p.groupSize = gs;
  p.sym = cfg.sym;
  p.descAct = cfg.descAct;
  assemble(res, q, std::move(scale), zero, std::move(gIdx));
  res.loss = loss;
  res.seconds = secondsSince(t0);
  return res;
}

} // namespace gptq::rt::quant
