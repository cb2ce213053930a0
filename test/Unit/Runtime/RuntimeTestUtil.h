//===- RuntimeTestUtil.h - helpers of the runtime unit tests ----*- C++ -*-===//
#ifndef GPTQ_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H
#define GPTQ_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H

#include "runtime/Tensor.h"
#include "runtime/kernels/Kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace gptq::rt::test {

inline const std::vector<DType> &allDTypes() {
  static const std::vector<DType> all = {
      DType::F32, DType::F16, DType::BF16, DType::F64, DType::Bool,
      DType::I8,  DType::I16, DType::I32,  DType::I64, DType::U8,
      DType::U16, DType::U32, DType::U64};
  return all;
}

/// A tensor with the given values (converted with setDouble).
inline Tensor make(DType dt, Shape shape, const std::vector<double> &values) {
  Tensor t = Tensor::empty(dt, std::move(shape));
  EXPECT_EQ((int64_t)values.size(), t.numel());
  for (int64_t i = 0; i < t.numel() && i < (int64_t)values.size(); ++i)
    t.setDouble(i, values[i]);
  return t;
}

/// Exact int64 values (setInt).
inline Tensor makeInts(DType dt, Shape shape,
                       const std::vector<int64_t> &values) {
  Tensor t = Tensor::empty(dt, std::move(shape));
  EXPECT_EQ((int64_t)values.size(), t.numel());
  for (int64_t i = 0; i < t.numel() && i < (int64_t)values.size(); ++i)
    t.setInt(i, values[i]);
  return t;
}

inline Tensor f32(Shape shape, const std::vector<double> &values) {
  return make(DType::F32, std::move(shape), values);
}
inline Tensor i64(Shape shape, const std::vector<int64_t> &values) {
  return makeInts(DType::I64, std::move(shape), values);
}

/// Uniform random values in [lo, hi) (rounded to the dtype).
inline Tensor random(DType dt, Shape shape, uint32_t seed, double lo = -2,
                     double hi = 2) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t = Tensor::empty(dt, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = dist(rng);
    if (isInteger(dt) || dt == DType::Bool)
      v = std::floor(v);
    t.setDouble(i, v);
  }
  return t;
}

inline std::vector<double> values(const Tensor &t) {
  std::vector<double> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = t.getDouble(i);
  return v;
}
inline std::vector<int64_t> ints(const Tensor &t) {
  std::vector<int64_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = t.getInt(i);
  return v;
}

/// Runs one kernel on a hand-built step.
struct KernelCall {
  Step step;
  std::vector<Tensor> outputs;
  Status status;

  KernelCall(OpKind kind, size_t numOutputs = 1) {
    step.kind = kind;
    step.name = "test";
    for (size_t i = 0; i < numOutputs; ++i) {
      step.outputs.push_back((int)i);
      step.outputDTypes.push_back(DType::F32);
    }
  }
  KernelCall &attr(const std::string &name, AttrValue v) {
    step.attrs.set(name, std::move(v));
    return *this;
  }
  KernelCall &outDType(DType t, size_t i = 0) {
    step.outputDTypes[i] = t;
    return *this;
  }
  Status run(const std::vector<const Tensor *> &inputs) {
    outputs.assign(step.outputs.size(), Tensor());
    KernelArgs args{step, inputs, outputs};
    status = kernelFor(step.kind)(args);
    return status;
  }
  Status run(std::initializer_list<const Tensor *> inputs) {
    return run(std::vector<const Tensor *>(inputs));
  }
  const Tensor &out(size_t i = 0) const { return outputs[i]; }
};

/// Runs a kernel and expects success; returns output 0.
inline Tensor runOk(KernelCall &call, std::vector<const Tensor *> inputs) {
  Status st = call.run(inputs);
  EXPECT_TRUE(st.isOk()) << st.message();
  return st.isOk() ? call.out() : Tensor();
}

/// Row-major multi-index of flat index i.
inline std::vector<int64_t> unravel(int64_t i, const Shape &shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? i % shape[d] : 0;
    i = shape[d] ? i / shape[d] : 0;
  }
  return idx;
}

/// Flat index in `shape` of the output multi-index `outIdx` under numpy
/// broadcasting (shape aligned to the right, size-1 dims pinned to 0).
inline int64_t broadcastIndex(const std::vector<int64_t> &outIdx,
                              const Shape &shape) {
  size_t off = outIdx.size() - shape.size();
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[off + d]);
  return flat;
}

/// |a - b| <= tol * max(1, |b|); NaNs must agree.
inline ::testing::AssertionResult near(double a, double b, double tol) {
  if (std::isnan(a) || std::isnan(b)) {
    if (std::isnan(a) && std::isnan(b))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << a << " vs " << b;
  }
  if (std::isinf(a) || std::isinf(b)) {
    if (a == b)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << a << " vs " << b;
  }
  if (std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << a << " vs " << b << " (diff " << std::fabs(a - b) << ", tol "
         << tol << ")";
}

/// Compares every element with a tolerance (relative, see near()).
inline void expectClose(const Tensor &got, const std::vector<double> &want,
                        double tol, const char *what = "") {
  ASSERT_EQ(got.numel(), (int64_t)want.size()) << what;
  int bad = 0;
  for (int64_t i = 0; i < got.numel() && bad < 5; ++i) {
    auto r = near(got.getDouble(i), want[i], tol);
    if (!r) {
      ++bad;
      ADD_FAILURE() << what << " element " << i << ": " << r.message();
    }
  }
}

/// Tolerance of a dtype's rounding (relative).
inline double tolFor(DType t) {
  switch (t) {
  case DType::F16: return 1e-3;
  case DType::BF16: return 8e-3;
  case DType::F32: return 1e-6;
  case DType::F64: return 1e-12;
  default: return 0;
  }
}

/// Rounds a double to what a tensor of `t` stores.
inline double roundTo(DType t, double v) {
  Tensor s = Tensor::empty(t, {});
  s.setDouble(0, v);
  return s.getDouble(0);
}

/// An integer wrapped into an integer dtype, as a double.
inline double wrapTo(DType t, int64_t v) {
  Tensor s = Tensor::empty(t, {});
  s.setInt(0, v);
  return s.getDouble(0);
}

} // namespace gptq::rt::test

#endif // GPTQ_TEST_UNIT_RUNTIME_RUNTIMETESTUTIL_H
