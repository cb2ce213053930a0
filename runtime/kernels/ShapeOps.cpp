//===- ShapeOps.cpp - data movement and shape computations ------*- C++ -*-===//
//
// Reshape, Squeeze and Unsqueeze share the input's storage; Cast to the same
// type too (see Elementwise.cpp). Everything else copies by element size, so
// every dtype is supported.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelUtils.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// Copies the strided view (dims, element strides from `base`) of elements
/// of `esize` bytes into contiguous `dst`. Strides may be negative or 0.
void copyView(size_t esize, const void *base, const Shape &dims,
              const std::vector<int64_t> &strides, void *dst) {
  Broadcast view;
  view.numOperands = 1;
  view.total = numElements(dims);
  view.strides.assign(1, {});
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1)
      continue;
    if (!view.dims.empty() &&
        view.strides[0].back() == strides[d] * dims[d]) {
      view.dims.back() *= dims[d];
      view.strides[0].back() = strides[d];
      continue;
    }
    view.dims.push_back(dims[d]);
    view.strides[0].push_back(strides[d]);
  }
  if (view.total == 0)
    return;
  int64_t inner = view.dims.empty() ? 0 : view.strides[0].back();
  visitBySize(esize, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *src = static_cast<const T *>(base);
    T *out = static_cast<T *>(dst);
    parallelRuns(view, kElementwiseGrain,
                 [&](const int64_t *offs, int64_t o, int64_t n) {
                   const T *s = src + offs[0];
                   T *d = out + o;
                   if (inner == 1) {
                     std::memcpy(d, s, n * sizeof(T));
                   } else if (inner == 0) {
                     std::fill(d, d + n, s[0]);
                   } else {
                     for (int64_t i = 0; i < n; ++i)
                       d[i] = s[i * inner];
                   }
                 });
  });
}

} // namespace

//===----------------------------------------------------------------------===//
// Reshape, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

Status kernelReshape(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &s = *a.inputs[1];
  if (s.rank() > 1)
    return fail(a, "shape must be a 1-D tensor, got ", s.describe());
  std::vector<int64_t> req;
  GPTQ_RT_TRY(readInts(a, s, "shape", req));
  bool allowZero = a.step.attrs.getInt("allowzero", 0) != 0;
  Shape shape(req.size());
  int inferAt = -1;
  for (size_t i = 0; i < req.size(); ++i) {
    int64_t v = req[i];
    if (v == -1) {
      if (inferAt >= 0)
        return fail(a, "shape ", shapeToString(req), " has more than one -1");
      inferAt = (int)i;
      shape[i] = 1;
    } else if (v == 0 && !allowZero) {
      if ((int64_t)i >= x.rank())
        return fail(a, "shape ", shapeToString(req), " copies dimension ", i,
                    " (0) but the input ", x.describe(), " has rank ",
                    x.rank());
      shape[i] = x.dim(i);
    } else if (v < 0) {
      return fail(a, "shape ", shapeToString(req), " has invalid size ", v,
                  " at index ", i);
    } else {
      shape[i] = v;
    }
  }
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (__builtin_mul_overflow(known, shape[i], &known))
      return fail(a, "shape ", shapeToString(req), " is too large");
  int64_t total = x.numel();
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0)
      return fail(a, "cannot reshape ", x.describe(), " (", total,
                  " elements) into ", shapeToString(req));
    shape[inferAt] = total / known;
  } else if (known != total) {
    return fail(a, "cannot reshape ", x.describe(), " (", total,
                " elements) into ", shapeToString(req));
  }
  setOutput(a, 0, x.reshaped(shape));
  return Status::ok();
}

Status kernelSqueeze(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  std::vector<int64_t> axes;
  GPTQ_RT_TRY(normalizeAxes(a, a.step.attrs.getInts("axes"), x.rank(), axes));
  std::vector<bool> drop(x.rank(), axes.empty());
  for (int64_t ax : axes) {
    if (x.dim(ax) != 1)
      return fail(a, "cannot squeeze dimension ", ax, " of size ", x.dim(ax),
                  " in ", x.describe());
    drop[ax] = true;
  }
  Shape shape;
  for (int64_t i = 0; i < x.rank(); ++i)
    if (!drop[i] || x.dim(i) != 1)
      shape.push_back(x.dim(i));
  setOutput(a, 0, x.reshaped(shape));
  return Status::ok();
}

Status kernelUnsqueeze(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  std::vector<int64_t> req = a.step.attrs.getInts("axes");
  int64_t outRank = x.rank() + (int64_t)req.size();
  std::vector<int64_t> axes;
  GPTQ_RT_TRY(normalizeAxes(a, req, outRank, axes));
  std::vector<bool> insert(outRank, false);
  for (int64_t ax : axes)
    insert[ax] = true;
  Shape shape;
  int64_t src = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(insert[i] ? 1 : x.dim(src++));
  setOutput(a, 0, x.reshaped(shape));
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

Status kernelTranspose(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  std::vector<int64_t> perm = a.step.attrs.getInts("perm");
  int64_t r = x.rank();
  if (perm.empty() && !a.step.attrs.has("perm"))
    for (int64_t i = r - 1; i >= 0; --i)
      perm.push_back(i); // ONNX default: reverse the dimensions
  bool valid = (int64_t)perm.size() == r;
  std::vector<bool> seen(r, false);
  for (size_t i = 0; valid && i < perm.size(); ++i) {
    valid = perm[i] >= 0 && perm[i] < r && !seen[perm[i]];
    if (valid)
      seen[perm[i]] = true;
  }
  if (!valid)
    return fail(a, "perm ", shapeToString(perm),
                " is not a permutation of the dimensions of ", x.describe());
  Shape shape(r);
  std::vector<int64_t> inStrides = stridesOf(x.shape()), strides(r);
  for (int64_t i = 0; i < r; ++i) {
    shape[i] = x.dim(perm[i]);
    strides[i] = inStrides[perm[i]];
  }
  // Only size-1 dimensions move: the data order is unchanged.
  int64_t last = -1;
  bool sameOrder = true;
  for (int64_t i = 0; i < r && sameOrder; ++i) {
    if (shape[i] == 1)
      continue;
    sameOrder = perm[i] > last;
    last = perm[i];
  }
  if (sameOrder) {
    setOutput(a, 0, x.reshaped(shape));
    return Status::ok();
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  copyView(dtypeSize(x.dtype()), x.raw(), shape, strides, out->raw());
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

Status kernelGather(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &idx = *a.inputs[1];
  if (!isInteger(idx.dtype()))
    return fail(a, "indices must be i32 or i64, got ", idx.describe());
  if (x.rank() < 1)
    return fail(a, "data must have rank >= 1, got ", x.describe());
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), x.rank(), axis));
  std::vector<int64_t> ids;
  GPTQ_RT_TRY(readInts(a, idx, "indices", ids));
  int64_t dim = x.dim(axis);
  for (int64_t &i : ids) {
    if (i < -dim || i >= dim)
      return fail(a, "index ", i, " is out of range [", -dim, ", ", dim,
                  ") for axis ", axis);
    if (i < 0)
      i += dim;
  }
  Shape shape(x.shape().begin(), x.shape().begin() + axis);
  shape.insert(shape.end(), idx.shape().begin(), idx.shape().end());
  shape.insert(shape.end(), x.shape().begin() + axis + 1, x.shape().end());
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  int64_t outer = productOf(x.shape(), 0, axis);
  int64_t inner = productOf(x.shape(), axis + 1, x.shape().size());
  int64_t n = (int64_t)ids.size();
  size_t es = dtypeSize(x.dtype());
  size_t rowBytes = (size_t)inner * es;
  const char *src = static_cast<const char *>(x.raw());
  char *dst = static_cast<char *>(out->raw());
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(inner, 1));
  parallelFor(outer * n, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / n, j = r % n;
      std::memcpy(dst + r * rowBytes, src + (o * dim + ids[j]) * rowBytes,
                  rowBytes);
    }
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Concat and Split
//===----------------------------------------------------------------------===//

Status kernelConcat(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, kAnyCount));
  for (size_t i = 0; i < a.inputs.size(); ++i)
    if (!a.inputs[i])
      return fail(a, "operand ", i, " is missing");
  const Tensor &first = *a.inputs[0];
  int64_t r = first.rank();
  if (r < 1)
    return fail(a, "inputs must have rank >= 1, got ", first.describe());
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), r, axis));
  Shape shape = first.shape();
  shape[axis] = 0;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor &t = *a.inputs[i];
    if (t.dtype() != first.dtype())
      return fail(a, "input ", i, " is ", t.describe(), ", expected dtype ",
                  dtypeName(first.dtype()));
    if (t.rank() != r)
      return fail(a, "input ", i, " is ", t.describe(), ", expected rank ",
                  r);
    for (int64_t d = 0; d < r; ++d)
      if (d != axis && t.dim(d) != first.dim(d))
        return fail(a, "input ", i, " has size ", t.dim(d), " in dimension ",
                    d, ", expected ", first.dim(d), " (", shapesList(a.inputs),
                    ")");
    shape[axis] += t.dim(axis);
  }
  if (a.inputs.size() == 1) {
    setOutput(a, 0, first);
    return Status::ok();
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, first.dtype(), shape, out));
  size_t es = dtypeSize(first.dtype());
  int64_t outer = productOf(shape, 0, axis);
  int64_t inner = productOf(shape, axis + 1, shape.size());
  size_t outRow = (size_t)shape[axis] * inner * es;
  char *dst = static_cast<char *>(out->raw());
  size_t offset = 0;
  for (const Tensor *t : a.inputs) {
    size_t chunk = (size_t)t->dim(axis) * inner * es;
    const char *src = static_cast<const char *>(t->raw());
    if (chunk)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + o * outRow + offset, src + o * chunk, chunk);
    offset += chunk;
  }
  return Status::ok();
}

Status kernelSplit(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1, kAnyCount));
  const Tensor &x = *a.inputs[0];
  if (x.rank() < 1)
    return fail(a, "input must have rank >= 1, got ", x.describe());
  int64_t axis;
  GPTQ_RT_TRY(normalizeAxis(a, a.step.attrs.getInt("axis", 0), x.rank(), axis));
  std::vector<int64_t> sizes = a.step.attrs.getInts("sizes");
  size_t nOut = a.step.outputs.size();
  int64_t dim = x.dim(axis);
  if (sizes.empty()) { // equal parts, the last one smaller (ONNX Split-18)
    if (nOut == 0)
      return fail(a, "has no results");
    int64_t part = (dim + (int64_t)nOut - 1) / (int64_t)nOut;
    for (size_t i = 0; i < nOut; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(part, dim - part * (int64_t)i)));
  }
  if (sizes.size() != nOut)
    return fail(a, "has ", sizes.size(), " split sizes but ", nOut,
                " results");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return fail(a, "split sizes must be non-negative, got ",
                  shapeToString(sizes));
    total += s;
  }
  if (total != dim)
    return fail(a, "split sizes ", shapeToString(sizes), " sum to ", total,
                " but dimension ", axis, " of ", x.describe(), " has size ",
                dim);
  if (nOut == 1) {
    setOutput(a, 0, x);
    return Status::ok();
  }
  size_t es = dtypeSize(x.dtype());
  int64_t outer = productOf(x.shape(), 0, axis);
  int64_t inner = productOf(x.shape(), axis + 1, x.shape().size());
  size_t inRow = (size_t)dim * inner * es;
  const char *src = static_cast<const char *>(x.raw());
  size_t offset = 0;
  for (size_t i = 0; i < nOut; ++i) {
    Shape shape = x.shape();
    shape[axis] = sizes[i];
    Tensor *out;
    GPTQ_RT_TRY(allocOutput(a, i, x.dtype(), shape, out));
    size_t chunk = (size_t)sizes[i] * inner * es;
    char *dst = static_cast<char *>(out->raw());
    if (chunk)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + o * chunk, src + o * inRow + offset, chunk);
    offset += chunk;
  }
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

Status kernelSlice(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 5));
  const Tensor &x = *a.inputs[0];
  std::vector<int64_t> starts, ends, axes, steps;
  GPTQ_RT_TRY(readInts(a, *a.inputs[1], "starts", starts));
  GPTQ_RT_TRY(readInts(a, *a.inputs[2], "ends", ends));
  if (const Tensor *t = operand(a, 3)) {
    GPTQ_RT_TRY(readInts(a, *t, "axes", axes));
  } else {
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back((int64_t)i);
  }
  if (const Tensor *t = operand(a, 4))
    GPTQ_RT_TRY(readInts(a, *t, "steps", steps));
  else
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail(a, "starts, ends, axes and steps must have one length, got ",
                starts.size(), ", ", ends.size(), ", ", axes.size(), " and ",
                steps.size());
  std::vector<int64_t> normAxes;
  GPTQ_RT_TRY(normalizeAxes(a, axes, x.rank(), normAxes));
  int64_t r = x.rank();
  std::vector<int64_t> begin(r, 0), step(r, 1);
  Shape shape = x.shape();
  for (size_t i = 0; i < normAxes.size(); ++i) {
    int64_t ax = normAxes[i], dim = x.dim(ax), st = steps[i];
    if (st == 0)
      return fail(a, "step ", i, " (axis ", axes[i], ") is zero");
    int64_t s, len;
    sliceRange(dim, starts[i], ends[i], st, s, len);
    begin[ax] = s;
    step[ax] = st;
    shape[ax] = len;
  }
  if (shape == x.shape()) {
    bool whole = true;
    for (int64_t d = 0; d < r && whole; ++d)
      whole = shape[d] <= 1 || (begin[d] == 0 && step[d] == 1);
    if (whole) {
      setOutput(a, 0, x);
      return Status::ok();
    }
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  if (out->numel() == 0)
    return Status::ok();
  std::vector<int64_t> inStrides = stridesOf(x.shape()), strides(r);
  int64_t base = 0;
  for (int64_t d = 0; d < r; ++d) {
    base += begin[d] * inStrides[d];
    strides[d] = step[d] * inStrides[d];
  }
  size_t es = dtypeSize(x.dtype());
  copyView(es, static_cast<const char *>(x.raw()) + base * es, shape, strides,
           out->raw());
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Expand
//===----------------------------------------------------------------------===//

Status kernelExpand(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0];
  Shape target, shape;
  GPTQ_RT_TRY(readShape(a, *a.inputs[1], "shape", target));
  if (!broadcastShapes(x.shape(), target, shape))
    return fail(a, "input ", x.describe(), " cannot be expanded to ",
                shapeToString(target));
  if (shape == x.shape()) {
    setOutput(a, 0, x);
    return Status::ok();
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  // A view of x with stride 0 along the broadcast dimensions.
  std::vector<int64_t> inStrides = stridesOf(x.shape());
  std::vector<int64_t> strides(shape.size(), 0);
  size_t off = shape.size() - x.shape().size();
  for (size_t d = 0; d < x.shape().size(); ++d)
    strides[d + off] = x.dim(d) == 1 ? 0 : inStrides[d];
  copyView(dtypeSize(x.dtype()), x.raw(), shape, strides, out->raw());
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Shape, Size, ConstantOfShape, Range
//===----------------------------------------------------------------------===//

Status kernelShapeOf(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  int64_t r = x.rank();
  auto clampDim = [r](int64_t v) {
    if (v < 0)
      v += r;
    return std::min(std::max<int64_t>(v, 0), r);
  };
  int64_t s = clampDim(a.step.attrs.getInt("start", 0));
  int64_t e = a.step.attrs.has("end") ? clampDim(a.step.attrs.getInt("end", r))
                                      : r;
  e = std::max(s, e);
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::I64, {e - s}, out));
  for (int64_t i = s; i < e; ++i)
    out->data<int64_t>()[i - s] = x.dim(i);
  return Status::ok();
}

Status kernelSize(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::I64, {}, out));
  out->data<int64_t>()[0] = a.inputs[0]->numel();
  return Status::ok();
}

Status kernelConstantOfShape(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  Shape shape;
  GPTQ_RT_TRY(readShape(a, *a.inputs[0], "shape", shape));
  DType dt = a.step.outputDTypes.empty() ? DType::F32 : a.step.outputDTypes[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, dt, shape, out));
  double value = a.step.attrs.getFloat("value", 0.0);
  int64_t ivalue = a.step.attrs.has("value_int")
                       ? a.step.attrs.getInt("value_int", 0)
                       : storeElem<int64_t>(value);
  visitDType(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v;
    if constexpr (std::is_integral<T>::value)
      v = storeElem<T>(ivalue);
    else if constexpr (std::is_same<T, Bool8>::value)
      v = a.step.attrs.has("value_int") ? storeElem<T>(ivalue)
                                        : storeElem<T>(value);
    else
      v = storeElem<T>(value);
    T *p = out->data<T>();
    std::fill(p, p + out->numel(), v);
  });
  return Status::ok();
}

Status kernelRange(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 3));
  const char *names[3] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    const Tensor &t = *a.inputs[i];
    if (t.numel() != 1 || t.rank() > 1)
      return fail(a, names[i], " must be a scalar, got ", t.describe());
    if (t.dtype() != a.inputs[0]->dtype())
      return fail(a, "start, limit and delta must have one dtype, got ",
                  a.inputs[0]->describe(), ", ", a.inputs[1]->describe(),
                  " and ", a.inputs[2]->describe());
  }
  DType dt = a.inputs[0]->dtype();
  if (dt == DType::Bool)
    return fail(a, "expects numeric operands, got bool");
  constexpr int64_t kMaxLen = int64_t(1) << 40;
  Status st;
  if (isFloat(dt)) {
    double s = a.inputs[0]->getDouble(0), l = a.inputs[1]->getDouble(0),
           d = a.inputs[2]->getDouble(0);
    if (d == 0)
      return fail(a, "delta must not be zero");
    double len = std::ceil((l - s) / d);
    if (!(len < (double)kMaxLen)) // also NaN
      return fail(a, "range(", s, ", ", l, ", ", d, ") has too many elements");
    int64_t n = std::max<int64_t>(0, (int64_t)len);
    Tensor *out;
    GPTQ_RT_TRY(allocOutput(a, 0, dt, {n}, out));
    visitDType(dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_floating_point<T>::value) {
        T s0 = (T)s, d0 = (T)d;
        T *p = out->data<T>();
        for (int64_t i = 0; i < n; ++i)
          p[i] = s0 + T(i) * d0;
      } else if constexpr (std::is_same<T, Half>::value ||
                           std::is_same<T, BFloat16>::value) {
        float s0 = (float)s, d0 = (float)d;
        T *p = out->data<T>();
        for (int64_t i = 0; i < n; ++i)
          p[i] = storeElem<T>(s0 + float(i) * d0);
      }
    });
    return Status::ok();
  }
  // Integers: exact length with 128-bit arithmetic.
  __int128 s, l, d;
  if (isSigned(dt)) {
    s = a.inputs[0]->getInt(0);
    l = a.inputs[1]->getInt(0);
    d = a.inputs[2]->getInt(0);
  } else {
    s = (uint64_t)a.inputs[0]->getInt(0);
    l = (uint64_t)a.inputs[1]->getInt(0);
    d = (uint64_t)a.inputs[2]->getInt(0);
  }
  if (d == 0)
    return fail(a, "delta must not be zero");
  __int128 diff = l - s, len;
  if ((diff > 0) != (d > 0) || diff == 0)
    len = 0;
  else {
    __int128 ad = d > 0 ? d : -d, adiff = diff > 0 ? diff : -diff;
    len = (adiff + ad - 1) / ad;
  }
  if (len > kMaxLen)
    return fail(a, "range has too many elements (", (int64_t)len, ")");
  int64_t n = (int64_t)len;
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, dt, {n}, out));
  for (int64_t i = 0; i < n; ++i)
    out->setInt(i, (int64_t)(s + (__int128)i * d));
  return st;
}

} // namespace gptq::rt::kern
