//===- Attention.cpp - scaled dot-product attention (nn.attention) -*- C++
//-*-===//
//
// query [B, Hq, S, D], key [B, Hkv, T, D], value [B, Hkv, T, Dv] (Hq a
// multiple of Hkv; query head h reads key/value head h / (Hq / Hkv)), an
// optional mask (bool: true = attend, or additive in the query's type)
// broadcast to [B, Hq, S, T], is_causal (bottom-right: key t is visible to
// query s iff t <= s + T - S), scale (default 1/sqrt(D)), softcap.
//
// Work items are (batch, head, block of query rows), run on the runtime's
// thread pool; each holds the scores of its rows only ([rows, T] f32), so no
// buffer of B * H * S * T elements exists. f16/bf16/f64 operands are
// converted to f32 slice by slice; BLAS computes both products
// single-threaded. A row whose scores are all masked (maximum -inf or the
// lowest finite f32, what an additive mask of finfo.min gives) yields zeros,
// as onnxruntime's Attention does.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/KernelUtils.h"
#include "runtime/kernels/Kernels.h"

#include <cblas.h>
#include <cfloat>
#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// Copies n elements starting at element `offset` of `t` into f32.
void loadF32(const Tensor &t, int64_t offset, int64_t n, float *dst) {
  visitDType(t.dtype(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S *src = t.data<S>() + offset;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = (float)loadElem(src[i]);
  });
}

/// Stores n f32 values at element `offset` of `t` (rounding to its dtype).
void storeF32(Tensor &t, int64_t offset, int64_t n, const float *src) {
  visitDType(t.dtype(), [&](auto tag) {
    using D = typename decltype(tag)::type;
    D *dst = t.data<D>() + offset;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = storeElem<D>(src[i]);
  });
}

/// C[m, n] = alpha * A[m, k] * op(B) (row-major, contiguous), op(B) = B^T
/// when transB ([n, k]) else B ([k, n]).
void gemm(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
          const float *b, bool transB, float *c) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              (int)m, (int)n, (int)k, alpha, a, (int)k, b,
              transB ? (int)k : (int)n, 0.0f, c, (int)n);
}

/// Query rows per work item: enough items for the threads, few enough rows
/// that one item's scores stay small.
constexpr int64_t kRowBlock = 64;

} // namespace

Status kernelAttention(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 4));
  const Tensor &q = *a.inputs[0], &k = *a.inputs[1], &v = *a.inputs[2];
  const Tensor *mask = operand(a, 3);
  for (const Tensor *t : {&q, &k, &v})
    if (t->rank() != 4)
      return fail(a, "query, key and value must be 4-D [batch, heads, ",
                  "sequence, head_size], got ", shapesList({&q, &k, &v}));
  if (!isFloat(q.dtype()) || k.dtype() != q.dtype() || v.dtype() != q.dtype())
    return fail(a,
                "query, key and value must have one floating-point type, "
                "got ",
                q.describe(), ", ", k.describe(), ", ", v.describe());
  int64_t B = q.dim(0), Hq = q.dim(1), S = q.dim(2), D = q.dim(3);
  int64_t Hkv = k.dim(1), T = k.dim(2), Dv = v.dim(3);
  if (k.dim(0) != B || v.dim(0) != B || v.dim(1) != Hkv || v.dim(2) != T ||
      k.dim(3) != D)
    return fail(a, "query ", q.describe(), ", key ", k.describe(),
                " and value ", v.describe(), " do not fit together");
  if (Hkv == 0 ? Hq != 0 : Hq % Hkv != 0)
    return fail(a, "query heads (", Hq, ") must be a multiple of key/value ",
                "heads (", Hkv, ")");
  // Mask strides over [B, Hq, S, T] (0 where broadcast).
  int64_t ms[4] = {0, 0, 0, 0};
  if (mask) {
    if (mask->dtype() != DType::Bool && mask->dtype() != q.dtype())
      return fail(a, "mask must be bool or ", dtypeName(q.dtype()), ", got ",
                  mask->describe());
    if (mask->rank() > 4)
      return fail(a, "mask must have rank <= 4, got ", mask->describe());
    const int64_t full[4] = {B, Hq, S, T};
    int64_t off = 4 - mask->rank(), stride = 1;
    for (int64_t d = 3; d >= off; --d) {
      int64_t m = mask->dim(d - off);
      if (m != 1 && m != full[d])
        return fail(a, "mask ", mask->describe(),
                    " does not broadcast to [batch, q_heads, q_len, kv_len] = ",
                    shapeToString(Shape(full, full + 4)));
      ms[d] = m == 1 ? 0 : stride;
      stride *= m;
    }
  }
  double scale = a.step.attrs.has("scale")
                     ? a.step.attrs.getFloat("scale", 1.0)
                     : (D > 0 ? 1.0 / std::sqrt((double)D) : 1.0);
  float softcap = (float)a.step.attrs.getFloat("softcap", 0.0);
  bool causal = a.step.attrs.getInt("is_causal", 0) != 0;
  if (!(scale > 0))
    return fail(a, "scale must be positive, got ", scale);
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, q.dtype(), {B, Hq, S, Dv}, out));
  if (out->numel() == 0)
    return Status::ok();

  const bool f32 = q.dtype() == DType::F32;
  const int64_t group = Hkv ? Hq / Hkv : 1;
  const int64_t blocks = (S + kRowBlock - 1) / kRowBlock;
  const float neg = -std::numeric_limits<float>::infinity();
  parallelFor(B * Hq * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> qBuf, kBuf, vBuf, oBuf, scores, maskRow;
    for (int64_t item = begin; item < end; ++item) {
      int64_t bh = item / blocks, blk = item % blocks;
      int64_t b = bh / Hq, h = bh % Hq, kvh = h / group;
      int64_t s0 = blk * kRowBlock, rows = std::min(kRowBlock, S - s0);
      int64_t qOff = ((b * Hq + h) * S + s0) * D;
      int64_t kOff = (b * Hkv + kvh) * T * D;
      int64_t vOff = (b * Hkv + kvh) * T * Dv;
      const float *qp, *kp, *vp;
      if (f32) {
        qp = q.data<float>() + qOff;
        kp = k.data<float>() + kOff;
        vp = v.data<float>() + vOff;
      } else {
        qBuf.resize(rows * D);
        kBuf.resize(T * D);
        vBuf.resize(T * Dv);
        loadF32(q, qOff, rows * D, qBuf.data());
        loadF32(k, kOff, T * D, kBuf.data());
        loadF32(v, vOff, T * Dv, vBuf.data());
        qp = qBuf.data();
        kp = kBuf.data();
        vp = vBuf.data();
      }
      // With causal masking no row of the block sees a key after
      // s0 + rows - 1 + T - S: only the first `cols` keys are computed.
      int64_t cols = causal ? std::clamp<int64_t>(s0 + rows + T - S, 0, T) : T;
      scores.resize(rows * cols);
      gemm(rows, cols, D, (float)scale, qp, kp, /*transB=*/true, scores.data());
      maskRow.resize(cols);
      for (int64_t r = 0; r < rows; ++r) {
        int64_t s = s0 + r;
        float *row = scores.data() + r * cols;
        if (softcap > 0)
          for (int64_t t = 0; t < cols; ++t)
            row[t] = softcap * std::tanh(row[t] / softcap);
        if (mask) {
          int64_t base = b * ms[0] + h * ms[1] + s * ms[2];
          if (mask->dtype() == DType::Bool) {
            const uint8_t *m = mask->data<uint8_t>() + base;
            for (int64_t t = 0; t < cols; ++t)
              if (!m[t * ms[3]])
                row[t] = neg;
          } else if (ms[3] == 1) {
            loadF32(*mask, base, cols, maskRow.data());
            for (int64_t t = 0; t < cols; ++t)
              row[t] += maskRow[t];
          } else {
            float m;
            loadF32(*mask, base, 1, &m);
            for (int64_t t = 0; t < cols; ++t)
              row[t] += m;
          }
        }
        // Keys after s + T - S are hidden (all of them when that is < 0).
        int64_t visible =
            causal ? std::clamp<int64_t>(s + T - S + 1, 0, cols) : cols;
        for (int64_t t = visible; t < cols; ++t)
          row[t] = neg;
        float mx = neg;
        for (int64_t t = 0; t < cols; ++t)
          mx = std::max(mx, row[t]);
        if (!(mx > -FLT_MAX)) { // fully masked; NaN scores stay NaN
          bool nan = false;
          for (int64_t t = 0; t < cols; ++t)
            nan = nan || std::isnan(row[t]);
          std::fill(row, row + cols, nan ? std::nanf("") : 0.0f);
          continue;
        }
        float sum = 0;
        for (int64_t t = 0; t < cols; ++t) {
          row[t] = std::exp(row[t] - mx);
          sum += row[t];
        }
        float inv = 1.0f / sum;
        for (int64_t t = 0; t < cols; ++t)
          row[t] *= inv;
      }
      int64_t oOff = ((b * Hq + h) * S + s0) * Dv;
      if (f32) {
        gemm(rows, Dv, cols, 1.0f, scores.data(), vp, /*transB=*/false,
             out->data<float>() + oOff);
      } else {
        oBuf.resize(rows * Dv);
        gemm(rows, Dv, cols, 1.0f, scores.data(), vp, /*transB=*/false,
             oBuf.data());
        storeF32(*out, oOff, rows * Dv, oBuf.data());
      }
    }
  });
  return Status::ok();
}

} // namespace gptq::rt::kern
