//===- ReduceMore.cpp - reduce_prod, reduce_l2, reduce_log_sum_exp -*- C++
//-*-===//
//
// Float reductions accumulate in double (f16/bf16 operands in f32 first);
// integer products wrap. An empty reduction gives the identity: 1 for the
// product, 0 for L2, -inf for log-sum-exp. Log-sum-exp subtracts the group
// maximum (an infinite or NaN maximum is the result itself).
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/KernelUtils.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// For every input element (row-major), the offset of its output element.
void outputOffsets(const Tensor &x, const std::vector<bool> &reduced,
                   std::vector<int64_t> &offs) {
  int64_t r = x.rank();
  std::vector<int64_t> st(r, 0);
  int64_t stride = 1;
  for (int64_t d = r - 1; d >= 0; --d)
    if (!reduced[d]) {
      st[d] = stride;
      stride *= x.dim(d);
    }
  offs.resize(x.numel());
  std::vector<int64_t> at(r, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    offs[i] = o;
    for (int64_t d = r - 1; d >= 0; --d) {
      o += st[d];
      if (++at[d] < x.dim(d))
        break;
      o -= st[d] * x.dim(d);
      at[d] = 0;
    }
  }
}

Status reduceMoreImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  std::vector<int64_t> axes;
  GPTQ_RT_TRY(normalizeAxes(a, a.step.attrs.getInts("axes"), x.rank(), axes));
  bool keep = a.step.attrs.getInt("keepdims", 1) != 0;
  std::vector<bool> reduced(x.rank(), axes.empty());
  for (int64_t ax : axes)
    reduced[ax] = true;
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (!reduced[d])
      shape.push_back(x.dim(d));
    else if (keep)
      shape.push_back(1);
  }
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  std::vector<int64_t> offs;
  outputOffsets(x, reduced, offs);
  int64_t n = out->numel();
  OpKind kind = a.step.kind;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    if constexpr (std::is_floating_point<T>::value) {
      if (kind == OpKind::ReduceLogSumExp) {
        std::vector<double> mx(n, -std::numeric_limits<double>::infinity());
        for (int64_t i = 0; i < x.numel(); ++i) {
          double v = px[i], &m = mx[offs[i]];
          if (v != v || m != m)
            m = std::nan("");
          else if (v > m)
            m = v;
        }
        std::vector<double> sum(n, 0.0);
        for (int64_t i = 0; i < x.numel(); ++i)
          if (std::isfinite(mx[offs[i]]))
            sum[offs[i]] += std::exp((double)px[i] - mx[offs[i]]);
        for (int64_t o = 0; o < n; ++o)
          po[o] = std::isfinite(mx[o]) ? T(std::log(sum[o]) + mx[o]) : T(mx[o]);
        return;
      }
      bool isProd = kind == OpKind::ReduceProd;
      std::vector<double> acc(n, isProd ? 1.0 : 0.0);
      for (int64_t i = 0; i < x.numel(); ++i) {
        double v = px[i];
        if (isProd)
          acc[offs[i]] *= v;
        else
          acc[offs[i]] += v * v;
      }
      for (int64_t o = 0; o < n; ++o)
        po[o] = T(isProd ? acc[o] : std::sqrt(acc[o]));
    } else {
      // Integers: the product wraps (L2 and log-sum-exp are refused).
      using W = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;
      std::vector<W> acc(n, W(1));
      for (int64_t i = 0; i < x.numel(); ++i)
        acc[offs[i]] = W(acc[offs[i]] * W(px[i]));
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
  if (x.dtype() == DType::Bool)
    return fail(a, "expects a numeric tensor, got ", x.describe());
  if (a.step.kind != OpKind::ReduceProd && !isFloat(x.dtype()))
    return fail(a, "expects a floating-point tensor, got ", x.describe());
  return withF32(a, reduceMoreImpl);
}

} // namespace gptq::rt::kern
