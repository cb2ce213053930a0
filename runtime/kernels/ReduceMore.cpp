//===- ReduceMore.cpp - reduce_prod, reduce_l2, reduce_log_sum_exp -*- C++
//-*-===//
//
// Float reductions accumulate in double (f16/bf16 operands in f32 first);
// integer products wrap. An empty reduction gives the identity: 1 for the
// product, 0 for L2, -inf for log-sum-exp. Log-sum-exp subtracts the group
// maximum (an infinite or NaN maximum is the result itself).
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// Calls f(i, o) for every input element i of a reduction, in row-major
/// order, with o its output element.
template <typename F>
void forEachElement(const ReduceGroups &groups, int64_t total, F &&f) {
  bool innerReduced = groups.innerReduced();
  groups.iterator(total).forRuns(
      0, total, [&](const int64_t *offs, int64_t i, int64_t n) {
        for (int64_t k = 0; k < n; ++k)
          f(i + k, offs[0] + (innerReduced ? 0 : k));
      });
}

Status reduceMoreImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  std::vector<bool> reduced;
  Shape shape;
  GPTQ_RT_TRY(reductionShape(a, x, reduced, shape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  ReduceGroups groups(x.shape(), reduced);
  int64_t total = x.numel(), n = out->numel();
  OpKind kind = a.step.kind;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    if constexpr (std::is_floating_point<T>::value) {
      if (kind == OpKind::ReduceLogSumExp) {
        std::vector<double> mx(n, -std::numeric_limits<double>::infinity());
        forEachElement(groups, total, [&](int64_t i, int64_t o) {
          double v = px[i], &m = mx[o];
          if (v != v || m != m)
            m = std::nan("");
          else if (v > m)
            m = v;
        });
        std::vector<double> sum(n, 0.0);
        forEachElement(groups, total, [&](int64_t i, int64_t o) {
          if (std::isfinite(mx[o]))
            sum[o] += std::exp((double)px[i] - mx[o]);
        });
        for (int64_t o = 0; o < n; ++o)
          po[o] = std::isfinite(mx[o]) ? T(std::log(sum[o]) + mx[o]) : T(mx[o]);
        return;
      }
      bool isProd = kind == OpKind::ReduceProd;
      std::vector<double> acc(n, isProd ? 1.0 : 0.0);
      forEachElement(groups, total, [&](int64_t i, int64_t o) {
        double v = px[i];
        if (isProd)
          acc[o] *= v;
        else
          acc[o] += v * v;
      });
      for (int64_t o = 0; o < n; ++o)
        po[o] = T(isProd ? acc[o] : std::sqrt(acc[o]));
    } else {
      // Integers: the product wraps (L2 and log-sum-exp are refused).
      using W = WideU<T>;
      std::vector<W> acc(n, W(1));
      forEachElement(groups, total, [&](int64_t i, int64_t o) {
        acc[o] = W(acc[o] * W(px[i]));
      });
      for (int64_t o = 0; o < n; ++o)
        po[o] = T(acc[o]);
    }
  });
  return Status::ok();
}

} // namespace

Status kernelReduceMore(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  GPTQ_RT_TRY(checkNumeric(a, x));
  if (a.step.kind != OpKind::ReduceProd && !isFloat(x.dtype()))
    return fail(a, "expects a floating-point tensor, got ", x.describe());
  return withF32(a, reduceMoreImpl);
}

} // namespace gptq::rt::kern
