//===- Elementwise.h - element operations and loops ------------*- C++ -*-===//
//
// Internal to runtime/kernels: the element operations that several kernels
// compute (wrapping integer arithmetic, NaN-propagating min / max, the
// scatter reductions) and the elementwise loops over contiguous data and
// over a two-operand broadcast. The loops are templates, so that the
// operation inlines into them and they vectorize.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_KERNELS_ELEMENTWISE_H
#define GPTQ_RUNTIME_KERNELS_ELEMENTWISE_H

#include "runtime/kernels/KernelUtils.h"

#include <string>
#include <type_traits>

namespace gptq::rt::kern {

//===----------------------------------------------------------------------===//
// Element operations
//===----------------------------------------------------------------------===//

/// Unsigned type wide enough that wrapping arithmetic on T never promotes
/// to (overflowing) int.
template <typename T>
using WideU = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;

/// a + b, a - b, a * b; integers wrap around.
template <typename T> inline T addOp(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return T(WideU<T>(a) + WideU<T>(b));
  else
    return a + b;
}
template <typename T> inline T subOp(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return T(WideU<T>(a) - WideU<T>(b));
  else
    return a - b;
}
template <typename T> inline T mulOp(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return T(WideU<T>(a) * WideU<T>(b));
  else
    return a * b;
}

/// Min / max that propagate NaN (the first NaN operand).
template <typename T> inline T minOp(T a, T b) {
  if constexpr (std::is_floating_point<T>::value)
    return a != a ? a : b != b ? b : (b < a ? b : a);
  else
    return b < a ? b : a;
}
template <typename T> inline T maxOp(T a, T b) {
  if constexpr (std::is_floating_point<T>::value)
    return a != a ? a : b != b ? b : (a < b ? b : a);
  else
    return a < b ? b : a;
}

/// The reduction of scatter_nd / scatter_elements.
enum class ScatterReduction { None, Add, Mul, Max, Min };

/// Parses the "reduction" attribute value `name`; fails naming it when it is
/// not one of none, add, mul, max, min.
Status parseScatterReduction(const KernelArgs &a, const std::string &name,
                             ScatterReduction &out);

/// `dst` updated with `src` under reduction `r` (not None): wrapping integer
/// add / mul, NaN-propagating max / min.
template <typename T>
inline T scatterCombine(T dst, T src, ScatterReduction r) {
  switch (r) {
  case ScatterReduction::Add:
    return addOp(dst, src);
  case ScatterReduction::Mul:
    return mulOp(dst, src);
  case ScatterReduction::Max:
    return maxOp(dst, src);
  default:
    return minOp(dst, src);
  }
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

/// out[i] = f(x[i]) over contiguous data, in parallel.
template <typename TI, typename TO, typename F>
void mapUnary(const TI *x, TO *y, int64_t n, F f,
              int64_t grain = kElementwiseGrain) {
  parallelFor(n, grain, [&](int64_t b, int64_t e) {
    const TI *__restrict xs = x;
    TO *__restrict ys = y;
    for (int64_t i = b; i < e; ++i)
      ys[i] = f(xs[i]);
  });
}

/// out[i] = op(a[i], b[i]) over a two-operand broadcast, in parallel.
template <typename TA, typename TB, typename TO, typename Op>
void applyBinary(const Broadcast &bc, const TA *pa, const TB *pb, TO *po, Op op,
                 int64_t grain = kElementwiseGrain) {
  auto run = [&](auto ca, auto cb) {
    constexpr bool CA = decltype(ca)::value, CB = decltype(cb)::value;
    parallelRuns(bc, grain, [&](const int64_t *offs, int64_t o, int64_t n) {
      const TA *__restrict x = pa + offs[0];
      const TB *__restrict y = pb + offs[1];
      TO *__restrict z = po + o;
      // Broadcast operands are hoisted so that every variant vectorizes.
      if constexpr (CA && CB) {
        for (int64_t i = 0; i < n; ++i)
          z[i] = op(x[i], y[i]);
      } else if constexpr (CA) {
        const TB yv = y[0];
        for (int64_t i = 0; i < n; ++i)
          z[i] = op(x[i], yv);
      } else if constexpr (CB) {
        const TA xv = x[0];
        for (int64_t i = 0; i < n; ++i)
          z[i] = op(xv, y[i]);
      } else {
        const TO v = op(x[0], y[0]);
        for (int64_t i = 0; i < n; ++i)
          z[i] = v;
      }
    });
  };
  using True = std::true_type;
  using False = std::false_type;
  bool ca = bc.innerContiguous(0), cb = bc.innerContiguous(1);
  if (ca && cb)
    run(True(), True());
  else if (ca)
    run(True(), False());
  else if (cb)
    run(False(), True());
  else
    run(False(), False());
}

/// out = op(x, y) with x, y of element type T broadcast to out's shape.
template <typename T, typename TO, typename Op>
void applyBinary(const Tensor &x, const Tensor &y, Tensor &out, Op op,
                 int64_t grain = kElementwiseGrain) {
  Broadcast bc;
  bc.init(out.shape(), {&x.shape(), &y.shape()});
  applyBinary(bc, x.data<T>(), y.data<T>(), out.data<TO>(), op, grain);
}

/// Checks that the two operands broadcast; returns the result shape.
Status broadcastOperands(const KernelArgs &a, Shape &out);
/// Checks that the two operands have the same dtype.
Status sameDTypes(const KernelArgs &a);

} // namespace gptq::rt::kern

#endif // GPTQ_RUNTIME_KERNELS_ELEMENTWISE_H
