//===- MathOps.cpp - is_nan, is_inf, sign, round, mod, bitwise --*- C++ -*-===//
//
// f16/bf16 operands are computed in f32 (withF32): sign, round and fmod of
// half-precision values are exact in f32 and round back exactly; IsNaN and
// IsInf read their bits. Integer arithmetic is done in the operand type (no overflow is
// possible: remainders are smaller than their divisors; INT_MIN % -1 is 0).
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// Checks that the two operands have one dtype and broadcast; returns the
/// result shape.
Status broadcastPair(const KernelArgs &a, Shape &shape) {
  GPTQ_RT_TRY(sameDTypes(a));
  return broadcastOperands(a, shape);
}

//===----------------------------------------------------------------------===//
// IsNaN, IsInf
//===----------------------------------------------------------------------===//

Status predicateImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::Bool, x.shape(), out));
  bool isNan = a.step.kind == OpKind::IsNaN;
  bool pos = a.step.attrs.getInt("detect_positive", 1) != 0;
  bool neg = a.step.attrs.getInt("detect_negative", 1) != 0;
  if (isHalf(x.dtype())) {
    // On the bits: exponent all ones; a zero mantissa is an infinity.
    uint16_t inf = x.dtype() == DType::F16 ? 0x7c00 : 0x7f80;
    mapUnary(x.data<uint16_t>(), out->data<uint8_t>(), x.numel(),
             [=](uint16_t h) {
               uint16_t mag = h & 0x7fff;
               if (isNan)
                 return uint8_t(mag > inf);
               bool sign = (h & 0x8000) != 0;
               return uint8_t(mag == inf && (sign ? neg : pos));
             });
    return Status::ok();
  }
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T inf = std::numeric_limits<T>::infinity();
    uint8_t *po = out->data<uint8_t>();
    if (isNan)
      mapUnary(x.data<T>(), po, x.numel(), [](T v) { return uint8_t(v != v); });
    else
      mapUnary(x.data<T>(), po, x.numel(), [=](T v) {
        return uint8_t((pos && v == inf) || (neg && v == -inf));
      });
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Sign, Round, BitwiseNot
//===----------------------------------------------------------------------===//

Status signImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    mapUnary(x.data<T>(), out->data<T>(), x.numel(), [](T v) {
      if constexpr (std::is_floating_point<T>::value) {
        if (v != v)
          return v; // NaN stays NaN (numpy, PyTorch)
      }
      return T((T(0) < v) - (v < T(0)));
    });
  });
  return Status::ok();
}

Status roundImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    // nearbyint in the default rounding mode (to nearest, ties to even).
    mapUnary(x.data<T>(), out->data<T>(), x.numel(),
             [](T v) { return std::nearbyint(v); });
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Mod
//===----------------------------------------------------------------------===//

template <typename T> inline T modElem(T a, T b, bool fmod) {
  if constexpr (std::is_floating_point<T>::value) {
    return std::fmod(a, b);
  } else if constexpr (std::is_unsigned<T>::value) {
    return T(a % b);
  } else {
    if (b == T(-1))
      return T(0); // INT_MIN % -1 overflows in C++
    T r = T(a % b);
    if (!fmod && r != 0 && ((r < 0) != (b < 0)))
      r = T(r + b);
    return r;
  }
}

Status modImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  Shape shape;
  GPTQ_RT_TRY(broadcastPair(a, shape));
  bool fmod = a.step.attrs.getInt("fmod", 0) != 0;
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  Status st;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral<T>::value) {
      if (out->numel() > 0) {
        const T *py = y.data<T>();
        for (int64_t i = 0; i < y.numel(); ++i)
          if (py[i] == 0) {
            st = fail(a, "integer modulo by zero: the divisor ", y.describe(),
                      " is 0 at index ", i);
            return;
          }
      }
    }
    applyBinary<T, T>(x, y, *out,
                      [fmod](T u, T v) { return modElem(u, v, fmod); });
  });
  return st;
}

//===----------------------------------------------------------------------===//
// Bitwise
//===----------------------------------------------------------------------===//

Status checkIntegerOperands(const KernelArgs &a) {
  for (const Tensor *t : a.inputs)
    if (!isInteger(t->dtype()))
      return fail(a, "expects integer operands, got ", t->describe());
  return Status::ok();
}

/// Calls f(TypeTag<T>{}) for the integer dtypes.
template <typename F> void visitInteger(DType t, F &&f) {
  visitNative(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral<T>::value)
      f(tag);
  });
}

} // namespace

Status kernelIsNaNInf(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  if (!isFloat(a.inputs[0]->dtype()))
    return fail(a, "expects a floating-point tensor, got ",
                a.inputs[0]->describe());
  return predicateImpl(a); // f16/bf16 are read as bits
}

Status kernelSign(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  GPTQ_RT_TRY(checkNumeric(a, *a.inputs[0]));
  return withF32(a, signImpl);
}

Status kernelRound(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  if (!isFloat(a.inputs[0]->dtype()))
    return fail(a, "expects a floating-point tensor, got ",
                a.inputs[0]->describe());
  return withF32(a, roundImpl);
}

Status kernelMod(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0];
  if (x.dtype() == DType::Bool)
    return fail(a, "expects numeric operands, got ", x.describe());
  if (isFloat(x.dtype()) && a.step.attrs.getInt("fmod", 0) == 0)
    return fail(a, "fmod must be 1 for floating-point operands (", x.describe(),
                ")");
  Shape shape;
  GPTQ_RT_TRY(broadcastPair(a, shape));
  return withF32(a, modImpl);
}

Status kernelBitwise(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  GPTQ_RT_TRY(checkIntegerOperands(a));
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  Shape shape;
  GPTQ_RT_TRY(broadcastPair(a, shape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  OpKind kind = a.step.kind;
  visitInteger(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (kind) {
    case OpKind::BitwiseAnd:
      applyBinary<T, T>(x, y, *out, [](T u, T v) { return T(u & v); });
      break;
    case OpKind::BitwiseOr:
      applyBinary<T, T>(x, y, *out, [](T u, T v) { return T(u | v); });
      break;
    default:
      applyBinary<T, T>(x, y, *out, [](T u, T v) { return T(u ^ v); });
      break;
    }
  });
  return Status::ok();
}

Status kernelBitwiseNot(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  GPTQ_RT_TRY(checkIntegerOperands(a));
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  visitInteger(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    mapUnary(x.data<T>(), out->data<T>(), x.numel(), [](T v) { return T(~v); });
  });
  return Status::ok();
}

} // namespace gptq::rt::kern
