//===- Misc.cpp - trilu, cumsum, scatter_nd, rotary_embedding ---*- C++ -*-===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>

namespace gptq::rt::kern {

//===----------------------------------------------------------------------===//
// Trilu
//===----------------------------------------------------------------------===//

Status kernelTrilu(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  if (x.rank() < 2)
    return fail(a, "expects rank >= 2, got ", x.describe());
  bool upper = a.step.attrs.getInt("upper", 1) != 0;
  int64_t k = a.step.attrs.getInt("k", 0);
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t rows = x.dim(-2), cols = x.dim(-1);
  int64_t mats = (rows * cols) != 0 ? x.numel() / (rows * cols) : 0;
  size_t es = dtypeSize(x.dtype());
  const char *src = static_cast<const char *>(x.raw());
  char *dst = static_cast<char *>(out->raw());
  auto clampCol = [cols](int64_t c) {
    return std::min(std::max<int64_t>(c, 0), cols);
  };
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      size_t base = ((size_t)m * rows + i) * cols * es;
      // Kept columns [lo, hi): upper keeps j >= i + k, lower j <= i + k.
      int64_t lo = upper ? clampCol(i + k) : 0;
      int64_t hi = upper ? cols : clampCol(i + k + 1);
      if (hi < lo)
        hi = lo;
      std::memset(dst + base, 0, lo * es);
      std::memcpy(dst + base + lo * es, src + base + lo * es, (hi - lo) * es);
      std::memset(dst + base + hi * es, 0, (cols - hi) * es);
    }
  }
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

namespace {
Status cumsumImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), x.rank(), axis));
  bool exclusive = a.step.attrs.getInt("exclusive", 0) != 0;
  bool reverse = a.step.attrs.getInt("reverse", 0) != 0;
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t outer = productOf(x.shape(), 0, axis), len = x.dim(axis),
          inner = productOf(x.shape(), axis + 1, x.rank());
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = std::conditional_t<std::is_floating_point<T>::value, double,
                                   uint64_t>;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    std::vector<Acc> acc(inner);
    for (int64_t o = 0; o < outer; ++o) {
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t s = 0; s < len; ++s) {
        int64_t at = reverse ? len - 1 - s : s;
        const T *xr = px + (o * len + at) * inner;
        T *yr = po + (o * len + at) * inner;
        for (int64_t j = 0; j < inner; ++j) {
          Acc v = std::is_floating_point<T>::value ? Acc(xr[j])
                                                   : Acc((uint64_t)(int64_t)xr[j]);
          if (exclusive) {
            yr[j] = T(acc[j]);
            acc[j] += v;
          } else {
            acc[j] += v;
            yr[j] = T(acc[j]);
          }
        }
      }
    }
  });
  return Status::ok();
}
} // namespace

Status kernelCumSum(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  GPTQ_RT_TRY(checkNumeric(a, x));
  if (x.rank() < 1)
    return fail(a, "expects rank >= 1, got ", x.describe());
  return withF32(a, cumsumImpl);
}

//===----------------------------------------------------------------------===//
// ScatterND
//===----------------------------------------------------------------------===//

namespace {

/// Validated element offsets of every index tuple, and the slice size.
Status scatterOffsets(const KernelArgs &a, std::vector<int64_t> &offsets,
                      int64_t &slice) {
  const Tensor &data = *a.inputs[0], &idx = *a.inputs[1],
               &upd = *a.inputs[2];
  if (!isInteger(idx.dtype()))
    return fail(a, "indices must be i64, got ", idx.describe());
  if (upd.dtype() != data.dtype())
    return fail(a, "updates are ", upd.describe(), ", expected dtype ",
                dtypeName(data.dtype()));
  if (idx.rank() < 1)
    return fail(a, "indices must have rank >= 1, got ", idx.describe());
  int64_t r = data.rank(), k = idx.dim(-1);
  if (k > r)
    return fail(a, "index depth ", k, " (last dimension of indices ",
                idx.describe(), ") exceeds the rank of data ", data.describe());
  Shape want(idx.shape().begin(), idx.shape().end() - 1);
  want.insert(want.end(), data.shape().begin() + k, data.shape().end());
  if (upd.shape() != want)
    return fail(a, "updates have shape ", shapeToString(upd.shape()),
                ", expected ", shapeToString(want), " (indices ",
                shapeToString(idx.shape()), ", data ",
                shapeToString(data.shape()), ")");
  std::vector<int64_t> ids;
  GPTQ_RT_TRY(readInts(a, idx, "indices", ids));
  slice = 1;
  for (int64_t d = k; d < r; ++d)
    slice *= data.dim(d);
  std::vector<int64_t> strides(k);
  int64_t acc = slice;
  for (int64_t d = k; d-- > 0;) {
    strides[d] = acc;
    acc *= data.dim(d);
  }
  int64_t n = numElements(Shape(idx.shape().begin(), idx.shape().end() - 1));
  offsets.resize(n);
  for (int64_t u = 0; u < n; ++u) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = ids[u * k + j], dim = data.dim(j);
      if (v < -dim || v >= dim)
        return fail(a, "index ", v, " (update ", u, ", position ", j,
                    ") is out of range [", -dim, ", ", dim,
                    ") for data dimension ", j);
      off += (v < 0 ? v + dim : v) * strides[j];
    }
    offsets[u] = off;
  }
  return Status::ok();
}

Status scatterReduceImpl(const KernelArgs &a) {
  const Tensor &data = *a.inputs[0], &upd = *a.inputs[2];
  std::vector<int64_t> offsets;
  int64_t slice;
  GPTQ_RT_TRY(scatterOffsets(a, offsets, slice));
  ScatterReduction red;
  GPTQ_RT_TRY(parseScatterReduction(
      a, a.step.attrs.getString("reduction", "none"), red));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, data.dtype(), data.shape(), out));
  std::memcpy(out->raw(), data.raw(), data.nbytes());
  visitNative(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *po = out->data<T>();
    const T *pu = upd.data<T>();
    for (size_t u = 0; u < offsets.size(); ++u) {
      T *dst = po + offsets[u];
      const T *src = pu + (int64_t)u * slice;
      for (int64_t i = 0; i < slice; ++i)
        dst[i] = scatterCombine(dst[i], src[i], red);
    }
  });
  return Status::ok();
}

} // namespace

Status kernelScatterND(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 3));
  std::string red = a.step.attrs.getString("reduction", "none");
  ScatterReduction kind;
  GPTQ_RT_TRY(parseScatterReduction(a, red, kind));
  const Tensor &data = *a.inputs[0];
  if (kind != ScatterReduction::None) {
    if (data.dtype() == DType::Bool)
      return fail(a, "reduction '", red, "' needs numeric data, got ",
                  data.describe());
    // Validate on the original operands so that errors name their dtypes.
    std::vector<int64_t> offsets;
    int64_t slice;
    GPTQ_RT_TRY(scatterOffsets(a, offsets, slice));
    return withF32(a, scatterReduceImpl);
  }
  std::vector<int64_t> offsets;
  int64_t slice;
  GPTQ_RT_TRY(scatterOffsets(a, offsets, slice));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, data.dtype(), data.shape(), out));
  std::memcpy(out->raw(), data.raw(), data.nbytes());
  size_t es = dtypeSize(data.dtype());
  const char *src = static_cast<const char *>(a.inputs[2]->raw());
  char *dst = static_cast<char *>(out->raw());
  for (size_t u = 0; u < offsets.size(); ++u)
    std::memcpy(dst + offsets[u] * es, src + u * slice * es, slice * es);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding (com.microsoft semantics)
//===----------------------------------------------------------------------===//

namespace {
Status rotaryImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &pos = *a.inputs[1], &cosC = *a.inputs[2],
               &sinC = *a.inputs[3];
  bool interleaved = a.step.attrs.getInt("interleaved", 0) != 0;
  int64_t numHeads = a.step.attrs.getInt("num_heads", 0);
  int64_t rotDim = a.step.attrs.getInt("rotary_embedding_dim", 0);
  int64_t batch = x.dim(0), seq, heads, head;
  int64_t batchStride, seqStride, headStride;
  if (x.rank() == 4) { // [B, H, S, D]
    heads = x.dim(1);
    seq = x.dim(2);
    head = x.dim(3);
    headStride = seq * head;
    seqStride = head;
    batchStride = heads * seq * head;
  } else { // [B, S, H * D]
    seq = x.dim(1);
    int64_t hidden = x.dim(2);
    if (numHeads > 0) {
      if (hidden % numHeads != 0)
        return fail(a, "hidden size ", hidden, " of ", x.describe(),
                    " is not divisible by num_heads = ", numHeads);
      heads = numHeads;
      head = hidden / numHeads;
    } else {
      if (rotDim > 0)
        return fail(a, "num_heads is required with rotary_embedding_dim for "
                       "3-D input");
      head = 2 * cosC.dim(1);
      if (head == 0 || hidden % head != 0)
        return fail(a, "cannot derive the head size of ", x.describe(),
                    " from the caches ", cosC.describe(),
                    "; set num_heads");
      heads = hidden / head;
    }
    headStride = head;
    seqStride = hidden;
    batchStride = seq * hidden;
  }
  if (rotDim == 0)
    rotDim = head;
  if (rotDim < 0 || rotDim % 2 != 0 || rotDim > head)
    return fail(a, "rotary_embedding_dim ", rotDim,
                " must be even and at most the head size ", head);
  int64_t half = rotDim / 2, maxPos = cosC.dim(0), cacheStride = cosC.dim(1);
  if (cacheStride < half)
    return fail(a, "caches ", cosC.describe(), " have fewer than ", half,
                " (rotary_embedding_dim / 2) columns");
  std::vector<int64_t> ids;
  GPTQ_RT_TRY(readInts(a, pos, "position_ids", ids));
  bool offsetOnly;
  if (pos.numel() == 1 && !(pos.rank() == 2 && batch == 1 && seq == 1))
    offsetOnly = true;
  else if (pos.rank() == 2 && pos.dim(0) == batch && pos.dim(1) == seq)
    offsetOnly = false;
  else if (pos.numel() == 1)
    offsetOnly = true;
  else
    return fail(a, "position_ids ", pos.describe(), " must be [", batch, ", ",
                seq, "] or hold one offset");
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t last = offsetOnly ? ids[i] + seq - 1 : ids[i];
    if (ids[i] < 0 || (seq > 0 && last >= maxPos))
      return fail(a, "position ", offsetOnly ? last : ids[i],
                  " is out of range [0, ", maxPos, ") of the caches");
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *pc = cosC.data<T>(), *ps = sinC.data<T>();
    T *po = out->data<T>();
    parallelFor(batch * seq, std::max<int64_t>(1, 8192 / std::max<int64_t>(heads * head, 1)),
                [&](int64_t rb, int64_t re) {
      for (int64_t bs = rb; bs < re; ++bs) {
        int64_t b = bs / seq, s = bs % seq;
        int64_t p = offsetOnly ? ids[0] + s : ids[b * seq + s];
        const T *cs = pc + p * cacheStride, *sn = ps + p * cacheStride;
        for (int64_t h = 0; h < heads; ++h) {
          int64_t off = b * batchStride + s * seqStride + h * headStride;
          const T *in = px + off;
          T *y = po + off;
          if (interleaved) {
            for (int64_t i = 0; i < half; ++i) {
              T x0 = in[2 * i], x1 = in[2 * i + 1];
              y[2 * i] = x0 * cs[i] - x1 * sn[i];
              y[2 * i + 1] = x1 * cs[i] + x0 * sn[i];
            }
          } else {
            for (int64_t i = 0; i < half; ++i) {
              T x0 = in[i], x1 = in[i + half];
              y[i] = x0 * cs[i] - x1 * sn[i];
              y[i + half] = x1 * cs[i] + x0 * sn[i];
            }
          }
          for (int64_t i = rotDim; i < head; ++i)
            y[i] = in[i];
        }
      }
    });
  });
  return Status::ok();
}
} // namespace

Status kernelRotaryEmbedding(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 4, 4));
  const Tensor &x = *a.inputs[0], &pos = *a.inputs[1], &cosC = *a.inputs[2],
               &sinC = *a.inputs[3];
  if (x.rank() != 3 && x.rank() != 4)
    return fail(a, "input must have rank 3 or 4, got ", x.describe());
  if (!isFloat(x.dtype()))
    return fail(a, "input must be floating point, got ", x.describe());
  if (cosC.dtype() != x.dtype() || sinC.dtype() != x.dtype() ||
      cosC.shape() != sinC.shape())
    return fail(a, "caches ", cosC.describe(), " and ", sinC.describe(),
                " must match each other and the input dtype ",
                dtypeName(x.dtype()));
  if (cosC.rank() != 2)
    return fail(a, "caches must be 2-D [max_position, rotary_dim / 2], got ",
                cosC.describe());
  if (!isInteger(pos.dtype()))
    return fail(a, "position_ids must be i64, got ", pos.describe());
  return withF32(a, rotaryImpl);
}

} // namespace gptq::rt::kern
