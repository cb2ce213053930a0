//===- KernelUtils.cpp - helpers shared by the CPU kernels ------*- C++ -*-===//

#include "runtime/kernels/KernelUtils.h"

#include <limits>
#include <set>

namespace gptq::rt {

std::string stepPrefix(const Step &step) {
  return "step '" + step.name + "' (" + opKindName(step.kind) + "): ";
}

namespace kern {

Status checkArity(const KernelArgs &a, size_t minIn, size_t maxIn,
                  size_t numOut) {
  size_t n = a.inputs.size();
  if (n < minIn || n > maxIn) {
    if (minIn == maxIn)
      return fail(a, "expects ", minIn, " operand", minIn == 1 ? "" : "s",
                  ", got ", n);
    return fail(a, "expects ", minIn, " to ", maxIn, " operands, got ", n);
  }
  for (size_t i = 0; i < minIn; ++i)
    if (!a.inputs[i])
      return fail(a, "operand ", i, " is missing");
  if (numOut != std::numeric_limits<size_t>::max() &&
      a.step.outputs.size() != numOut)
    return fail(a, "expects ", numOut, " result", numOut == 1 ? "" : "s",
                ", the step has ", a.step.outputs.size());
  if (a.outputs.size() < a.step.outputs.size())
    a.outputs.resize(a.step.outputs.size());
  return Status::ok();
}

Status normalizeAxis(const KernelArgs &a, int64_t axis, int64_t rank,
                     int64_t &out, const char *what) {
  if (axis < -rank || axis >= rank)
    return fail(a, what, " ", axis, " is out of range for rank ", rank);
  out = axis < 0 ? axis + rank : axis;
  return Status::ok();
}

Status normalizeAxes(const KernelArgs &a, const std::vector<int64_t> &axes,
                     int64_t rank, std::vector<int64_t> &out) {
  out.clear();
  std::vector<bool> seen(rank, false);
  for (int64_t ax : axes) {
    int64_t n;
    GPTQ_RT_TRY(normalizeAxis(a, ax, rank, n));
    if (seen[n])
      return fail(a, "axis ", ax, " is repeated in ",
                  shapeToString(Shape(axes.begin(), axes.end())));
    seen[n] = true;
    out.push_back(n);
  }
  return Status::ok();
}

Status allocOutput(const KernelArgs &a, size_t i, DType dtype, Shape shape,
                   Tensor *&out) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return fail(a, "invalid result shape ", shapeToString(shape));
    if (d != 0 && n > (std::numeric_limits<int64_t>::max() / 16) / d)
      return fail(a, "result shape ", shapeToString(shape), " is too large");
    n *= d;
  }
  if (a.outputs.size() <= i)
    a.outputs.resize(i + 1);
  Tensor t = Tensor::empty(dtype, shape);
  if (!t.defined())
    return fail(a, "cannot allocate the result ", dtypeName(dtype),
                shapeToString(shape));
  a.outputs[i] = std::move(t);
  out = &a.outputs[i];
  return Status::ok();
}

Status readInts(const KernelArgs &a, const Tensor &t, const char *what,
                std::vector<int64_t> &out) {
  if (!isInteger(t.dtype()))
    return fail(a, what, " must be an integer tensor, got ", t.describe());
  out.resize(t.numel());
  visitDType(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral<T>::value) {
      const T *p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i)
        out[i] = (int64_t)p[i];
    }
  });
  return Status::ok();
}

Status readShape(const KernelArgs &a, const Tensor &t, const char *what,
                 Shape &out) {
  if (t.rank() > 1)
    return fail(a, what, " must be a 1-D tensor, got ", t.describe());
  GPTQ_RT_TRY(readInts(a, t, what, out));
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] < 0)
      return fail(a, what, " has negative size ", out[i], " at index ", i,
                  ": ", shapeToString(out));
  return Status::ok();
}

Status checkNumeric(const KernelArgs &a, const Tensor &t) {
  if (t.dtype() == DType::Bool)
    return fail(a, "expects a numeric tensor, got ", t.describe());
  return Status::ok();
}

std::vector<int64_t> stridesOf(const Shape &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

int64_t productOf(const Shape &shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

bool broadcastShapes(const Shape &a, const Shape &b, Shape &out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return false;
  }
  return true;
}

std::string shapesList(const std::vector<const Tensor *> &ts) {
  std::string s;
  for (const Tensor *t : ts) {
    if (!s.empty())
      s += " vs ";
    s += t ? shapeToString(t->shape()) : "<none>";
  }
  return s;
}

Tensor castTensor(const Tensor &t, DType to) {
  Tensor out = Tensor::empty(to, t.shape());
  if (!out.defined())
    return out;
  visitDType(t.dtype(), [&](auto stag) {
    using S = typename decltype(stag)::type;
    visitDType(to, [&](auto dtag) {
      using D = typename decltype(dtag)::type;
      const S *src = t.data<S>();
      D *dst = out.data<D>();
      parallelFor(t.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          dst[i] = convertElem<D>(src[i]);
      });
    });
  });
  return out;
}

Tensor halfToF32(const Tensor &t) { return castTensor(t, DType::F32); }

Tensor f32ToHalf(const Tensor &t, DType half) { return castTensor(t, half); }

Status withF32(const KernelArgs &a, KernelFn impl) {
  bool any = false;
  for (const Tensor *t : a.inputs)
    any = any || (t && isHalf(t->dtype()));
  if (!any)
    return impl(a);
  std::vector<Tensor> converted(a.inputs.size());
  std::vector<const Tensor *> inputs(a.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Tensor *t = a.inputs[i];
    if (t && isHalf(t->dtype())) {
      converted[i] = halfToF32(*t);
      if (!converted[i].defined())
        return fail(a, "cannot allocate an f32 copy of operand ", i);
      inputs[i] = &converted[i];
    } else {
      inputs[i] = t;
    }
  }
  KernelArgs b{a.step, inputs, a.outputs};
  GPTQ_RT_TRY(impl(b));
  const Tensor *first = a.inputs.empty() ? nullptr : a.inputs[0];
  if (first && isHalf(first->dtype())) {
    for (Tensor &o : a.outputs) {
      if (o.defined() && o.dtype() == DType::F32) {
        o = f32ToHalf(o, first->dtype());
        if (!o.defined())
          return fail(a, "cannot allocate the ", dtypeName(first->dtype()),
                      " result");
      }
    }
  }
  return Status::ok();
}

void Broadcast::init(const Shape &out, const std::vector<const Shape *> &shapes) {
  numOperands = (int)shapes.size();
  total = numElements(out);
  int r = (int)out.size();
  std::vector<std::vector<int64_t>> st(numOperands, std::vector<int64_t>(r, 0));
  for (int k = 0; k < numOperands; ++k) {
    const Shape &s = *shapes[k];
    int off = r - (int)s.size();
    int64_t stride = 1;
    for (int d = (int)s.size() - 1; d >= 0; --d) {
      st[k][d + off] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
  }
  dims.clear();
  strides.assign(numOperands, {});
  for (int d = 0; d < r; ++d) {
    if (out[d] == 1)
      continue;
    bool merge = !dims.empty();
    for (int k = 0; k < numOperands && merge; ++k)
      merge = strides[k].back() == st[k][d] * out[d];
    if (merge) {
      dims.back() *= out[d];
      for (int k = 0; k < numOperands; ++k)
        strides[k].back() = st[k][d];
    } else {
      dims.push_back(out[d]);
      for (int k = 0; k < numOperands; ++k)
        strides[k].push_back(st[k][d]);
    }
  }
}

Status reductionShape(const KernelArgs &a, const Tensor &x,
                      std::vector<bool> &reduced, Shape &shape) {
  std::vector<int64_t> axes;
  GPTQ_RT_TRY(normalizeAxes(a, a.step.attrs.getInts("axes"), x.rank(), axes));
  bool keep = a.step.attrs.getInt("keepdims", 1) != 0;
  reduced.assign(x.rank(), axes.empty());
  for (int64_t ax : axes)
    reduced[ax] = true;
  shape.clear();
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (!reduced[d])
      shape.push_back(x.dim(d));
    else if (keep)
      shape.push_back(1);
  }
  return Status::ok();
}

ReduceGroups::ReduceGroups(const Shape &shape,
                           const std::vector<bool> &reduced) {
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    if (!dims.empty() && isRed.back() == reduced[d]) {
      dims.back() *= shape[d];
      continue;
    }
    dims.push_back(shape[d]);
    isRed.push_back(reduced[d]);
  }
}

Broadcast ReduceGroups::iterator(int64_t total) const {
  Broadcast it;
  it.numOperands = 1;
  it.total = total;
  it.dims = dims;
  it.strides.assign(1, std::vector<int64_t>(dims.size(), 0));
  int64_t stride = 1;
  for (size_t g = dims.size(); g-- > 0;) {
    if (!isRed[g]) {
      it.strides[0][g] = stride;
      stride *= dims[g];
    }
  }
  return it;
}

void sliceRange(int64_t dim, int64_t start, int64_t end, int64_t step,
                int64_t &begin, int64_t &len) {
  int64_t s = start < 0 ? start + dim : start;
  int64_t e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = std::min(std::max<int64_t>(s, 0), dim);
    e = std::min(std::max<int64_t>(e, 0), dim);
    len = e > s ? (e - s - 1) / step + 1 : 0;
  } else {
    s = std::min(std::max<int64_t>(s, 0), dim - 1);
    e = std::min(std::max<int64_t>(e, -1), dim - 1);
    len = s > e ? (s - e - 1) / (-step) + 1 : 0;
  }
  if (dim == 0)
    len = 0, s = 0;
  begin = s;
}

} // namespace kern
} // namespace gptq::rt
