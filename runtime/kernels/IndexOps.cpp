//===- IndexOps.cpp - gather_nd, gather/scatter_elements, tile, arg* -*- C++
//-*-===//
//
// Data movement copies elements by size (any dtype, bool included); index
// values may be negative (counted from the end) and are range-checked, the
// error naming the index and where it is. ScatterElements applies updates in
// index order (later ones win for reduction "none", as onnxruntime does);
// its reductions compute in the element type (f16/bf16 in f32, rounded back
// once at the end). ArgMax/ArgMin treat NaN as the extreme value (numpy,
// PyTorch).
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>

namespace gptq::rt::kern {
namespace {

/// Reads integer indices, wrapping negative values into [0, dim); fails
/// naming the first one out of range.
Status readIndex(const KernelArgs &a, int64_t v, int64_t dim, int64_t &out,
                 const char *where, int64_t pos) {
  if (v < -dim || v >= dim)
    return fail(a, "index ", v, " at position ", pos,
                " of indices is out of "
                "range [",
                -dim, ", ", dim, ") for ", where);
  out = v < 0 ? v + dim : v;
  return Status::ok();
}

} // namespace

//===----------------------------------------------------------------------===//
// GatherND
//===----------------------------------------------------------------------===//

Status kernelGatherND(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &idx = *a.inputs[1];
  if (!isInteger(idx.dtype()))
    return fail(a, "indices must be i64, got ", idx.describe());
  int64_t r = x.rank(), q = idx.rank();
  int64_t b = a.step.attrs.getInt("batch_dims", 0);
  if (r < 1 || q < 1)
    return fail(a, "data and indices must have rank >= 1, got ", x.describe(),
                " and ", idx.describe());
  if (b < 0 || b >= std::min(r, q))
    return fail(a, "batch_dims ", b, " must be in [0, ", std::min(r, q), ")");
  int64_t k = idx.dim(-1);
  if (k < 1 || k > r - b)
    return fail(a, "index depth ", k, " (last dimension of indices ",
                idx.describe(), ") must be in [1, ", r - b, "] for data ",
                x.describe(), " and batch_dims ", b);
  for (int64_t d = 0; d < b; ++d)
    if (x.dim(d) != idx.dim(d))
      return fail(a, "batch dimension ", d, " differs: data ", x.describe(),
                  ", indices ", idx.describe());
  Shape shape(idx.shape().begin(), idx.shape().end() - 1);
  shape.insert(shape.end(), x.shape().begin() + b + k, x.shape().end());
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  std::vector<int64_t> ids;
  GPTQ_RT_TRY(readInts(a, idx, "indices", ids));
  std::vector<int64_t> st = stridesOf(x.shape());
  int64_t batch = productOf(x.shape(), 0, b);
  int64_t slice = productOf(x.shape(), b + k, r);
  int64_t tuples =
      numElements(Shape(idx.shape().begin(), idx.shape().end() - 1));
  int64_t perBatch = batch ? tuples / batch : 0;
  int64_t batchStride = b ? st[b - 1] : 0;
  // Element offsets of every tuple, validated before any copy.
  std::vector<int64_t> offs(tuples);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = perBatch ? (t / perBatch) * batchStride : 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v;
      GPTQ_RT_TRY(readIndex(a, ids[t * k + j], x.dim(b + j), v,
                            "a data dimension", t * k + j));
      off += v * st[b + j];
    }
    offs[t] = off;
  }
  size_t es = dtypeSize(x.dtype());
  size_t bytes = (size_t)slice * es;
  const char *src = static_cast<const char *>(x.raw());
  char *dst = static_cast<char *>(out->raw());
  int64_t grain =
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(slice, 1));
  parallelFor(tuples, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t)
      std::memcpy(dst + t * bytes, src + offs[t] * es, bytes);
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// GatherElements and ScatterElements
//===----------------------------------------------------------------------===//

namespace {

/// Checks data/indices of the *_elements ops and computes, for every
/// element of indices (row-major), the element offset into data.
Status elementOffsets(const KernelArgs &a, const Tensor &x, const Tensor &idx,
                      std::vector<int64_t> &offs) {
  if (!isInteger(idx.dtype()))
    return fail(a, "indices must be i32 or i64, got ", idx.describe());
  int64_t r = x.rank();
  if (r < 1)
    return fail(a, "data must have rank >= 1, got ", x.describe());
  if (idx.rank() != r)
    return fail(a, "indices ", idx.describe(), " must have the rank of data ",
                x.describe());
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), r, axis));
  for (int64_t d = 0; d < r; ++d)
    if (d != axis && idx.dim(d) > x.dim(d))
      return fail(a, "indices ", idx.describe(), " are larger than data ",
                  x.describe(), " in dimension ", d);
  std::vector<int64_t> ids;
  GPTQ_RT_TRY(readInts(a, idx, "indices", ids));
  std::vector<int64_t> st = stridesOf(x.shape());
  offs.resize(ids.size());
  std::vector<int64_t> at(r, 0);
  int64_t dim = x.dim(axis);
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t v;
    GPTQ_RT_TRY(readIndex(a, ids[i], dim, v, "the axis", (int64_t)i));
    int64_t off = 0;
    for (int64_t d = 0; d < r; ++d)
      off += (d == axis ? v : at[d]) * st[d];
    offs[i] = off;
    for (int64_t d = r - 1; d >= 0; --d) {
      if (++at[d] < idx.dim(d))
        break;
      at[d] = 0;
    }
  }
  return Status::ok();
}

Status scatterElementsImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &idx = *a.inputs[1], &upd = *a.inputs[2];
  std::vector<int64_t> offs;
  GPTQ_RT_TRY(elementOffsets(a, x, idx, offs));
  ScatterReduction red;
  GPTQ_RT_TRY(parseScatterReduction(
      a, a.step.attrs.getString("reduction", "none"), red));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  std::memcpy(out->raw(), x.raw(), x.nbytes());
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *po = out->data<T>();
    const T *pu = upd.data<T>();
    for (size_t i = 0; i < offs.size(); ++i)
      po[offs[i]] = scatterCombine(po[offs[i]], pu[i], red);
  });
  return Status::ok();
}

} // namespace

Status kernelGatherElements(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &idx = *a.inputs[1];
  std::vector<int64_t> offs;
  GPTQ_RT_TRY(elementOffsets(a, x, idx, offs));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), idx.shape(), out));
  visitBySize(dtypeSize(x.dtype()), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *src = x.data<T>();
    T *dst = out->data<T>();
    parallelFor((int64_t)offs.size(), kElementwiseGrain,
                [&](int64_t lo, int64_t hi) {
                  for (int64_t i = lo; i < hi; ++i)
                    dst[i] = src[offs[i]];
                });
  });
  return Status::ok();
}

Status kernelScatterElements(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 3));
  const Tensor &x = *a.inputs[0], &idx = *a.inputs[1], &upd = *a.inputs[2];
  if (upd.dtype() != x.dtype())
    return fail(a, "updates are ", upd.describe(), ", expected dtype ",
                dtypeName(x.dtype()));
  if (upd.shape() != idx.shape())
    return fail(a, "updates ", upd.describe(),
                " must have the shape of indices ", idx.describe());
  std::string red = a.step.attrs.getString("reduction", "none");
  ScatterReduction kind;
  GPTQ_RT_TRY(parseScatterReduction(a, red, kind));
  if (kind == ScatterReduction::None) {
    std::vector<int64_t> offs;
    GPTQ_RT_TRY(elementOffsets(a, x, idx, offs));
    Tensor *out;
    GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
    std::memcpy(out->raw(), x.raw(), x.nbytes());
    visitBySize(dtypeSize(x.dtype()), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T *src = upd.data<T>();
      T *dst = out->data<T>();
      for (size_t i = 0; i < offs.size(); ++i)
        dst[offs[i]] = src[i];
    });
    return Status::ok();
  }
  if (x.dtype() == DType::Bool)
    return fail(a, "reduction \"", red, "\" needs a numeric tensor, got ",
                x.describe());
  return withF32(a, scatterElementsImpl);
}

//===----------------------------------------------------------------------===//
// Tile
//===----------------------------------------------------------------------===//

Status kernelTile(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &rep = *a.inputs[1];
  if (rep.rank() != 1)
    return fail(a, "repeats must be a 1-D tensor, got ", rep.describe());
  std::vector<int64_t> reps;
  GPTQ_RT_TRY(readInts(a, rep, "repeats", reps));
  int64_t r = x.rank();
  if ((int64_t)reps.size() != r)
    return fail(a, "repeats has ", reps.size(), " entries for ", x.describe());
  Shape shape(r);
  for (int64_t d = 0; d < r; ++d) {
    if (reps[d] < 0)
      return fail(a, "repeats has negative value ", reps[d], " at index ", d);
    shape[d] = x.dim(d) * reps[d];
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  if (out->numel() == 0)
    return Status::ok();
  size_t es = dtypeSize(x.dtype());
  const char *src = static_cast<const char *>(x.raw());
  char *dst = static_cast<char *>(out->raw());
  if (r == 0) {
    std::memcpy(dst, src, es);
    return Status::ok();
  }
  // One output row (last dimension) is the input row repeated; rows map to
  // input rows through the other dimensions modulo the input sizes.
  int64_t inRow = x.dim(-1), outRow = shape.back();
  int64_t rows = out->numel() / outRow;
  std::vector<int64_t> st = stridesOf(x.shape());
  size_t rowBytes = (size_t)inRow * es;
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / outRow);
  parallelFor(rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      int64_t rest = row, off = 0;
      for (int64_t d = r - 2; d >= 0; --d) {
        off += (rest % shape[d]) % x.dim(d) * st[d];
        rest /= shape[d];
      }
      char *o = dst + row * outRow * es;
      for (int64_t k = 0; k < reps[r - 1]; ++k)
        std::memcpy(o + k * rowBytes, src + off * es, rowBytes);
    }
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

namespace {
Status argImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), x.rank(), axis));
  bool keep = a.step.attrs.getInt("keepdims", 1) != 0;
  bool last = a.step.attrs.getInt("select_last_index", 0) != 0;
  bool isMax = a.step.kind == OpKind::ArgMax;
  int64_t len = x.dim(axis);
  if (len == 0)
    return fail(a, "cannot take the arg", isMax ? "max" : "min",
                " of an empty axis ", axis, " of ", x.describe());
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis)
      shape.push_back(x.dim(d));
    else if (keep)
      shape.push_back(1);
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::I64, shape, out));
  int64_t outer = productOf(x.shape(), 0, axis);
  int64_t inner = productOf(x.shape(), axis + 1, x.rank());
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    int64_t *po = out->data<int64_t>();
    // Whether u replaces the best v seen so far.
    auto better = [&](T u, T v) {
      if constexpr (std::is_floating_point<T>::value) {
        if (v != v)
          return last && u != u;
        if (u != u)
          return true;
      }
      return (isMax ? u > v : u < v) || (last && u == v);
    };
    parallelFor(outer * inner, std::max<int64_t>(1, kElementwiseGrain / len),
                [&](int64_t lo, int64_t hi) {
                  for (int64_t p = lo; p < hi; ++p) {
                    int64_t o = p / inner, i = p % inner;
                    const T *base = px + o * len * inner + i;
                    int64_t best = 0;
                    for (int64_t j = 1; j < len; ++j)
                      if (better(base[j * inner], base[best * inner]))
                        best = j;
                    po[p] = best;
                  }
                });
  });
  return Status::ok();
}
} // namespace

Status kernelArgMinMax(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  GPTQ_RT_TRY(checkNumeric(a, x));
  if (x.rank() < 1)
    return fail(a, "expects rank >= 1, got ", x.describe());
  return withF32(a, argImpl);
}

} // namespace gptq::rt::kern
