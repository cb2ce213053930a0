//===- Reduce.cpp - reductions, softmax, layer / RMS norm -------*- C++ -*-===//
//
// Float sums accumulate in double; integer sums wrap. f16/bf16 are computed
// in f32. Softmax subtracts the row maximum; its f32 exponential is a
// vectorizable polynomial (Cephes expf, relative error < 2.5e-7) with an
// AVX2/FMA build chosen at run time.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Accumulator of a sum of T.
template <typename T>
using SumAcc = std::conditional_t<
    std::is_floating_point<T>::value, double,
    std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>>;

template <typename T> T reduceIdentity(OpKind k) {
  if (k == OpKind::ReduceMax) {
    if constexpr (std::is_floating_point<T>::value)
      return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  if constexpr (std::is_floating_point<T>::value)
    return std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::max();
}

template <typename T> inline SumAcc<T> addWrap(SumAcc<T> acc, T v) {
  if constexpr (std::is_floating_point<T>::value)
    return acc + (double)v;
  else
    return SumAcc<T>(uint64_t(acc) + uint64_t(SumAcc<T>(v)));
}

template <typename T>
void reduceTyped(const Tensor &x, Tensor &out, OpKind kind,
                 const std::vector<bool> &reduced) {
  ReduceGroups groups(x.shape(), reduced);
  const std::vector<int64_t> &dims = groups.dims;
  const std::vector<bool> &isRed = groups.isRed;
  int64_t count = 1, outN = out.numel();
  for (size_t g = 0; g < dims.size(); ++g)
    if (isRed[g])
      count *= dims[g];
  const T *px = x.data<T>();
  T *po = out.data<T>();
  bool isSum = kind == OpKind::ReduceSum || kind == OpKind::ReduceMean;
  auto finish = [&](SumAcc<T> s) -> T {
    if (kind == OpKind::ReduceSum)
      return T(s);
    if constexpr (std::is_floating_point<T>::value)
      return T(s / (double)count);
    else
      return T(s / SumAcc<T>(count)); // count > 0 checked by the caller
  };
  if (x.numel() == 0) {
    T init = isSum ? finish(SumAcc<T>(0)) : reduceIdentity<T>(kind);
    std::fill(po, po + outN, init);
    return;
  }
  // Innermost group reduced, everything outside kept: one row per output.
  if (!dims.empty() && isRed.back() && (dims.size() == 1 || !isRed[0]) &&
      dims.size() <= 2) {
    int64_t rows = outN, n = dims.back();
    parallelFor(rows, std::max<int64_t>(1, kElementwiseGrain / n),
                [&](int64_t b, int64_t e) {
                  for (int64_t r = b; r < e; ++r) {
                    const T *row = px + r * n;
                    if (isSum) {
                      SumAcc<T> s = 0;
                      for (int64_t i = 0; i < n; ++i)
                        s = addWrap<T>(s, row[i]);
                      po[r] = finish(s);
                    } else if (kind == OpKind::ReduceMax) {
                      T m = row[0];
                      for (int64_t i = 1; i < n; ++i)
                        m = maxOp(m, row[i]);
                      po[r] = m;
                    } else {
                      T m = row[0];
                      for (int64_t i = 1; i < n; ++i)
                        m = minOp(m, row[i]);
                      po[r] = m;
                    }
                  }
                });
    return;
  }
  // General: accumulate every input element into its output slot.
  Broadcast it = groups.iterator(x.numel());
  bool innerReduced = groups.innerReduced();
  if (isSum) {
    std::vector<SumAcc<T>> acc(outN, SumAcc<T>(0));
    it.forRuns(0, it.total, [&](const int64_t *offs, int64_t o, int64_t n) {
      const T *row = px + o;
      if (innerReduced) {
        SumAcc<T> s = acc[offs[0]];
        for (int64_t i = 0; i < n; ++i)
          s = addWrap<T>(s, row[i]);
        acc[offs[0]] = s;
      } else {
        SumAcc<T> *dst = acc.data() + offs[0];
        for (int64_t i = 0; i < n; ++i)
          dst[i] = addWrap<T>(dst[i], row[i]);
      }
    });
    for (int64_t i = 0; i < outN; ++i)
      po[i] = finish(acc[i]);
    return;
  }
  bool isMax = kind == OpKind::ReduceMax;
  std::fill(po, po + outN, reduceIdentity<T>(kind));
  it.forRuns(0, it.total, [&](const int64_t *offs, int64_t o, int64_t n) {
    const T *row = px + o;
    if (innerReduced) {
      T m = po[offs[0]];
      for (int64_t i = 0; i < n; ++i)
        m = isMax ? maxOp(m, row[i]) : minOp(m, row[i]);
      po[offs[0]] = m;
    } else {
      T *dst = po + offs[0];
      for (int64_t i = 0; i < n; ++i)
        dst[i] = isMax ? maxOp(dst[i], row[i]) : minOp(dst[i], row[i]);
    }
  });
}

Status reduceImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  std::vector<bool> reduced;
  Shape shape;
  GPTQ_RT_TRY(reductionShape(a, x, reduced, shape));
  int64_t count = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (reduced[d])
      count *= x.dim(d);
  if (count == 0 && a.step.kind == OpKind::ReduceMean && !isFloat(x.dtype()))
    return fail(a, "mean over zero elements of ", x.describe());
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduceTyped<T>(x, *out, a.step.kind, reduced);
  });
  return Status::ok();
}

} // namespace

Status kernelReduce(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  GPTQ_RT_TRY(checkNumeric(a, *a.inputs[0]));
  return withF32(a, reduceImpl);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

namespace {

/// y[i] = exp(x[i] - shift), Cephes-style: n = round(x / ln 2),
/// r = x - n ln 2 (split constant), exp(r) by a degree-6 polynomial, scaled
/// by 2^n through the exponent bits. Arguments below ln(2^-126) give 0;
/// NaN stays NaN. Branch-free so that it vectorizes.
__attribute__((always_inline)) inline void expShiftedBody(const float *x,
                                                          float *y, int64_t n,
                                                          float shift) {
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] - shift;
    float c = v > 88.0f ? 88.0f : v;
    c = c < -87.33654f ? -87.33654f : c;
    float t = c * 1.44269504088896341f + 12582912.0f; // round to nearest
    float fn = t - 12582912.0f;
    int32_t ti = __builtin_bit_cast(int32_t, t);
    int32_t ni = ti - 0x4b400000; // n as an integer
    float r = c - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    float scale = __builtin_bit_cast(float, (ni + 127) << 23);
    float e = p * scale;
    e = v < -87.33654f ? 0.0f : e;
    e = v > 88.0f ? std::numeric_limits<float>::infinity() : e;
    y[i] = v != v ? v : e;
  }
}

__attribute__((target("avx2,fma"))) void expShiftedAvx2(const float *x,
                                                         float *y, int64_t n,
                                                         float shift) {
  expShiftedBody(x, y, n, shift);
}

void expShiftedPortable(const float *x, float *y, int64_t n, float shift) {
  expShiftedBody(x, y, n, shift);
}

bool haveAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") &&
                          __builtin_cpu_supports("fma");
  return has;
}

void expShifted(const float *x, float *y, int64_t n, float shift) {
  if (haveAvx2())
    expShiftedAvx2(x, y, n, shift);
  else
    expShiftedPortable(x, y, n, shift);
}

void expShifted(const double *x, double *y, int64_t n, double shift) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = std::exp(x[i] - shift);
}

/// Sum with 8 independent float lanes (vectorizable), combined in double.
double laneSum(const float *y, int64_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      lanes[j] += y[i + j];
  double s = 0;
  for (int j = 0; j < 8; ++j)
    s += lanes[j];
  for (; i < n; ++i)
    s += y[i];
  return s;
}
double laneSum(const double *y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += y[i];
  return s;
}

template <typename T> void softmaxRow(const T *x, T *y, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < n; ++i)
    m = x[i] > m ? x[i] : m;
  expShifted(x, y, n, m);
  T s = (T)laneSum(y, n);
  for (int64_t i = 0; i < n; ++i)
    y[i] = y[i] / s;
}

template <typename T>
void softmaxStrided(const T *x, T *y, int64_t len, int64_t inner,
                    std::vector<T> &scratch) {
  // x, y: [len, inner]; softmax over len for each of the inner columns.
  scratch.assign(2 * inner, T(0));
  T *mx = scratch.data(), *sum = scratch.data() + inner;
  std::fill(mx, mx + inner, -std::numeric_limits<T>::infinity());
  for (int64_t a = 0; a < len; ++a)
    for (int64_t j = 0; j < inner; ++j)
      mx[j] = x[a * inner + j] > mx[j] ? x[a * inner + j] : mx[j];
  for (int64_t a = 0; a < len; ++a) {
    for (int64_t j = 0; j < inner; ++j) {
      T e;
      expShifted(&x[a * inner + j], &e, 1, mx[j]);
      y[a * inner + j] = e;
      sum[j] += e;
    }
  }
  for (int64_t a = 0; a < len; ++a)
    for (int64_t j = 0; j < inner; ++j)
      y[a * inner + j] /= sum[j];
}

Status softmaxImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", -1), x.rank(), axis));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t outer = productOf(x.shape(), 0, axis), len = x.dim(axis),
          inner = productOf(x.shape(), axis + 1, x.rank());
  if (x.numel() == 0)
    return Status::ok();
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    int64_t block = len * inner;
    int64_t grain = std::max<int64_t>(1, 4096 / block);
    parallelFor(outer, grain, [&](int64_t b, int64_t e) {
      std::vector<T> scratch;
      for (int64_t o = b; o < e; ++o) {
        if (inner == 1)
          softmaxRow(px + o * block, po + o * block, len);
        else
          softmaxStrided(px + o * block, po + o * block, len, inner, scratch);
      }
    });
  });
  return Status::ok();
}

} // namespace

Status kernelSoftmax(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  if (!isFloat(a.inputs[0]->dtype()))
    return fail(a, "expects a floating-point tensor, got ",
                a.inputs[0]->describe());
  return withF32(a, softmaxImpl);
}

//===----------------------------------------------------------------------===//
// LayerNorm and RMSNorm
//===----------------------------------------------------------------------===//

namespace {

/// `t` broadcast (unidirectionally) to `normShape`, as a contiguous tensor;
/// false if it does not broadcast.
bool expandToNorm(const Tensor &t, const Shape &normShape, Tensor &out) {
  if (t.rank() > (int64_t)normShape.size())
    return false;
  size_t off = normShape.size() - t.rank();
  for (int64_t d = 0; d < t.rank(); ++d)
    if (t.dim(d) != normShape[off + d] && t.dim(d) != 1)
      return false;
  if (t.numel() == numElements(normShape)) {
    out = t;
    return true;
  }
  out = Tensor::empty(t.dtype(), normShape);
  if (!out.defined())
    return false;
  Broadcast bc;
  bc.init(normShape, {&t.shape()});
  size_t es = dtypeSize(t.dtype());
  const char *src = static_cast<const char *>(t.raw());
  char *dst = static_cast<char *>(out.raw());
  bc.forRuns(0, bc.total, [&](const int64_t *offs, int64_t o, int64_t n) {
    if (bc.innerContiguous(0)) {
      std::memcpy(dst + o * es, src + offs[0] * es, n * es);
    } else {
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + (o + i) * es, src + offs[0] * es, es);
    }
  });
  return true;
}

Status normImpl(const KernelArgs &a) {
  bool rms = a.step.kind == OpKind::RMSNorm;
  const Tensor &x = *a.inputs[0], &scale = *a.inputs[1];
  const Tensor *bias = rms ? nullptr : operand(a, 2);
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", -1), x.rank(), axis));
  double eps = a.step.attrs.getFloat("epsilon", 1e-5);
  Shape normShape(x.shape().begin() + axis, x.shape().end());
  Tensor s, b;
  if (!expandToNorm(scale, normShape, s))
    return fail(a, "scale of shape ", shapeToString(scale.shape()),
                " does not broadcast to the normalized shape ",
                shapeToString(normShape));
  if (bias && !expandToNorm(*bias, normShape, b))
    return fail(a, "bias of shape ", shapeToString(bias->shape()),
                " does not broadcast to the normalized shape ",
                shapeToString(normShape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t n = numElements(normShape);
  int64_t rows = n ? x.numel() / n : 0;
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *ps = s.data<T>();
    const T *pb = bias ? b.data<T>() : nullptr;
    T *po = out->data<T>();
    parallelFor(rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n, 1) / 4),
                [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const T *row = px + r * n;
        T *y = po + r * n;
        if (rms) {
          double ss = 0;
          for (int64_t i = 0; i < n; ++i)
            ss += (double)row[i] * (double)row[i];
          T inv = T(1.0 / std::sqrt(ss / (double)n + eps));
          for (int64_t i = 0; i < n; ++i)
            y[i] = row[i] * inv * ps[i];
          continue;
        }
        double sum = 0;
        for (int64_t i = 0; i < n; ++i)
          sum += (double)row[i];
        double mean = sum / (double)n, var = 0;
        for (int64_t i = 0; i < n; ++i) {
          double d = (double)row[i] - mean;
          var += d * d;
        }
        var /= (double)n;
        T m = T(mean), inv = T(1.0 / std::sqrt(var + eps));
        if (pb) {
          for (int64_t i = 0; i < n; ++i)
            y[i] = (row[i] - m) * inv * ps[i] + pb[i];
        } else {
          for (int64_t i = 0; i < n; ++i)
            y[i] = (row[i] - m) * inv * ps[i];
        }
      }
    });
  });
  return Status::ok();
}

Status checkNorm(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  if (!isFloat(x.dtype()))
    return fail(a, "expects a floating-point input, got ", x.describe());
  for (size_t i = 1; i < a.inputs.size(); ++i)
    if (a.inputs[i] && a.inputs[i]->dtype() != x.dtype())
      return fail(a, i == 1 ? "scale" : "bias", " is ",
                  a.inputs[i]->describe(), ", expected dtype ",
                  dtypeName(x.dtype()));
  return Status::ok();
}

} // namespace

Status kernelLayerNorm(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 3));
  GPTQ_RT_TRY(checkNorm(a));
  return withF32(a, normImpl);
}

Status kernelRMSNorm(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  GPTQ_RT_TRY(checkNorm(a));
  return withF32(a, normImpl);
}

} // namespace gptq::rt::kern
