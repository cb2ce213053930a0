//===- Elementwise.cpp - unary, binary, where, clip, gelu, cast -*- C++ -*-===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Kernels.h"

#include <cmath>
#include <limits>

namespace gptq::rt::kern {
namespace {

/// a / b; signed integers truncate toward zero and MIN / -1 wraps.
template <typename T> inline T divOp(T a, T b) {
  if constexpr (std::is_integral<T>::value && std::is_signed<T>::value) {
    if (b == T(-1)) // -MIN overflows: wrap like the other ops
      return T(WideU<T>(0) - WideU<T>(a));
    return T(a / b); // truncates toward zero; b != 0 checked before
  } else {
    return T(a / b);
  }
}

/// Tags of the contiguous / broadcast operand variants of a loop.
using True = std::true_type;
using False = std::false_type;

} // namespace

//===----------------------------------------------------------------------===//
// Shared checks (Elementwise.h)
//===----------------------------------------------------------------------===//

Status broadcastOperands(const KernelArgs &a, Shape &out) {
  if (!broadcastShapes(a.inputs[0]->shape(), a.inputs[1]->shape(), out))
    return fail(a, "operands are not broadcastable: ",
                shapesList({a.inputs[0], a.inputs[1]}));
  return Status::ok();
}

Status sameDTypes(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  if (x.dtype() != y.dtype())
    return fail(a, "operand dtypes differ: ", x.describe(), " vs ",
                y.describe());
  return Status::ok();
}

Status parseScatterReduction(const KernelArgs &a, const std::string &name,
                             ScatterReduction &out) {
  if (name == "none")
    out = ScatterReduction::None;
  else if (name == "add")
    out = ScatterReduction::Add;
  else if (name == "mul")
    out = ScatterReduction::Mul;
  else if (name == "max")
    out = ScatterReduction::Max;
  else if (name == "min")
    out = ScatterReduction::Min;
  else
    return fail(a, "reduction must be one of none, add, mul, max, min; got \"",
                name, "\"");
  return Status::ok();
}

namespace {

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

Status arithImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  Broadcast bc;
  bc.init(shape, {&x.shape(), &y.shape()});
  Status st;
  OpKind kind = a.step.kind;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *py = y.data<T>();
    T *po = out->data<T>();
    switch (kind) {
    case OpKind::Add:
      applyBinary(bc, px, py, po, [](T u, T v) { return addOp(u, v); });
      break;
    case OpKind::Sub:
      applyBinary(bc, px, py, po, [](T u, T v) { return subOp(u, v); });
      break;
    case OpKind::Mul:
      applyBinary(bc, px, py, po, [](T u, T v) { return mulOp(u, v); });
      break;
    case OpKind::Div:
      if constexpr (std::is_integral<T>::value) {
        if (bc.total > 0)
          for (int64_t i = 0; i < y.numel(); ++i)
            if (py[i] == 0) {
              st = fail(a, "integer division by zero: the divisor ",
                        y.describe(), " is 0 at index ", i);
              return;
            }
      }
      applyBinary(
          bc, px, py, po, [](T u, T v) { return divOp(u, v); }, 1 << 13);
      break;
    case OpKind::Min:
      applyBinary(bc, px, py, po, [](T u, T v) { return minOp(u, v); });
      break;
    case OpKind::Max:
      applyBinary(bc, px, py, po, [](T u, T v) { return maxOp(u, v); });
      break;
    default:
      st = fail(a, "is not a binary arithmetic op");
    }
  });
  return st;
}

} // namespace

Status kernelArith(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  GPTQ_RT_TRY(sameDTypes(a));
  DType t = a.inputs[0]->dtype();
  if (t == DType::Bool)
    return fail(a, "expects numeric operands, got ", a.inputs[0]->describe());
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  return withF32(a, arithImpl);
}

//===----------------------------------------------------------------------===//
// Pow
//===----------------------------------------------------------------------===//

namespace {

/// Integer power with wrap-around; negative exponents truncate 1/x^n.
template <typename T> T intPow(T base, int64_t e) {
  if (e < 0) {
    if (base == T(1))
      return T(1);
    if constexpr (std::is_signed<T>::value)
      if (base == T(-1))
        return (e & 1) ? T(-1) : T(1);
    return T(0); // |1 / base^n| < 1 (base 0 has no defined value: 0)
  }
  WideU<T> r = 1, b = WideU<T>(base);
  while (e) {
    if (e & 1)
      r *= b;
    b *= b;
    e >>= 1;
  }
  return T(r);
}

Status powImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &e = *a.inputs[1];
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  Status st;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    if constexpr (std::is_floating_point<T>::value) {
      if (e.numel() == 1 && shape == x.shape()) {
        // Common scalar exponents exactly, without calling pow.
        T ev = (T)e.getDouble(0);
        int64_t n = x.numel();
        if (ev == T(2))
          return mapUnary(px, po, n, [](T v) { return v * v; });
        if (ev == T(1))
          return mapUnary(px, po, n, [](T v) { return v; });
        if (ev == T(0.5))
          return mapUnary(px, po, n, [](T v) { return std::sqrt(v); });
        return mapUnary(
            px, po, n, [ev](T v) { return (T)std::pow(v, ev); }, 1 << 12);
      }
      Tensor ec = e.dtype() == x.dtype() ? e : castTensor(e, x.dtype());
      if (!ec.defined()) {
        st = fail(a, "cannot allocate the converted exponent");
        return;
      }
      Broadcast bc;
      bc.init(shape, {&x.shape(), &e.shape()});
      applyBinary(
          bc, px, ec.data<T>(), po, [](T u, T v) { return (T)std::pow(u, v); },
          1 << 12);
    } else {
      Broadcast bc;
      bc.init(shape, {&x.shape(), &e.shape()});
      if (isInteger(e.dtype()) || e.dtype() == DType::Bool) {
        Tensor ec = castTensor(e, DType::I64);
        if (!ec.defined()) {
          st = fail(a, "cannot allocate the converted exponent");
          return;
        }
        applyBinary(bc, px, ec.data<int64_t>(), po,
                    [](T u, int64_t v) { return intPow<T>(u, v); }, 1 << 12);
      } else {
        Tensor ec = castTensor(e, DType::F64);
        if (!ec.defined()) {
          st = fail(a, "cannot allocate the converted exponent");
          return;
        }
        applyBinary(
            bc, px, ec.data<double>(), po,
            [](T u, double v) { return floatToInt<T>(std::pow((double)u, v)); },
            1 << 12);
      }
    }
  });
  return st;
}

} // namespace

Status kernelPow(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  for (int i = 0; i < 2; ++i)
    if (a.inputs[i]->dtype() == DType::Bool)
      return fail(a, "expects numeric operands, got ",
                  a.inputs[i]->describe());
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  return withF32(a, powImpl);
}

//===----------------------------------------------------------------------===//
// Comparisons and logic
//===----------------------------------------------------------------------===//

namespace {

Status compareImpl(const KernelArgs &a) {
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  // Booleans compare as 0 / 1 (castTensor maps any nonzero byte to 1).
  Tensor xb, yb;
  if (a.inputs[0]->dtype() == DType::Bool) {
    xb = castTensor(*a.inputs[0], DType::U8);
    yb = castTensor(*a.inputs[1], DType::U8);
    if (!xb.defined() || !yb.defined())
      return fail(a, "cannot allocate scratch");
  }
  const Tensor &x = xb.defined() ? xb : *a.inputs[0];
  const Tensor &y = yb.defined() ? yb : *a.inputs[1];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::Bool, shape, out));
  Broadcast bc;
  bc.init(shape, {&x.shape(), &y.shape()});
  OpKind kind = a.step.kind;
  auto body = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *py = y.data<T>();
    uint8_t *po = out->data<uint8_t>();
    switch (kind) {
    case OpKind::Equal:
      applyBinary(bc, px, py, po, [](T u, T v) { return uint8_t(u == v); });
      break;
    case OpKind::Less:
      applyBinary(bc, px, py, po, [](T u, T v) { return uint8_t(u < v); });
      break;
    case OpKind::LessEqual:
      applyBinary(bc, px, py, po, [](T u, T v) { return uint8_t(u <= v); });
      break;
    case OpKind::Greater:
      applyBinary(bc, px, py, po, [](T u, T v) { return uint8_t(u > v); });
      break;
    default:
      applyBinary(bc, px, py, po, [](T u, T v) { return uint8_t(u >= v); });
      break;
    }
  };
  visitNative(x.dtype(), body);
  return Status::ok();
}

} // namespace

Status kernelCompare(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  GPTQ_RT_TRY(sameDTypes(a));
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  return withF32(a, compareImpl);
}

Status kernelLogical(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  for (int i = 0; i < 2; ++i)
    if (a.inputs[i]->dtype() != DType::Bool)
      return fail(a, "expects bool operands, got ", a.inputs[i]->describe());
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  Shape shape;
  GPTQ_RT_TRY(broadcastOperands(a, shape));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::Bool, shape, out));
  Broadcast bc;
  bc.init(shape, {&x.shape(), &y.shape()});
  const uint8_t *px = x.data<uint8_t>(), *py = y.data<uint8_t>();
  uint8_t *po = out->data<uint8_t>();
  switch (a.step.kind) {
  case OpKind::And:
    applyBinary(bc, px, py, po,
                [](uint8_t u, uint8_t v) { return uint8_t((u != 0) & (v != 0)); });
    break;
  case OpKind::Or:
    applyBinary(bc, px, py, po,
                [](uint8_t u, uint8_t v) { return uint8_t((u != 0) | (v != 0)); });
    break;
  default:
    applyBinary(bc, px, py, po,
                [](uint8_t u, uint8_t v) { return uint8_t((u != 0) ^ (v != 0)); });
    break;
  }
  return Status::ok();
}

Status kernelNot(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  if (x.dtype() != DType::Bool)
    return fail(a, "expects a bool tensor, got ", x.describe());
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, DType::Bool, x.shape(), out));
  mapUnary(x.data<uint8_t>(), out->data<uint8_t>(), x.numel(),
           [](uint8_t v) { return uint8_t(v == 0); });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Where
//===----------------------------------------------------------------------===//

Status kernelWhere(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 3, 3));
  const Tensor &c = *a.inputs[0], &x = *a.inputs[1], &y = *a.inputs[2];
  if (c.dtype() != DType::Bool)
    return fail(a, "condition must be a bool tensor, got ", c.describe());
  if (x.dtype() != y.dtype())
    return fail(a, "value dtypes differ: ", x.describe(), " vs ",
                y.describe());
  Shape xy, shape;
  if (!broadcastShapes(x.shape(), y.shape(), xy) ||
      !broadcastShapes(c.shape(), xy, shape))
    return fail(a, "operands are not broadcastable: ",
                shapesList({&c, &x, &y}));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), shape, out));
  Broadcast bc;
  bc.init(shape, {&c.shape(), &x.shape(), &y.shape()});
  visitBySize(dtypeSize(x.dtype()), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const uint8_t *pc = c.data<uint8_t>();
    const T *px = x.data<T>(), *py = y.data<T>();
    T *po = out->data<T>();
    auto run = [&](auto cc, auto cx, auto cy) {
      constexpr bool CC = decltype(cc)::value, CX = decltype(cx)::value,
                     CY = decltype(cy)::value;
      parallelRuns(bc, kElementwiseGrain,
                   [&](const int64_t *offs, int64_t o, int64_t n) {
                     const uint8_t *__restrict cs = pc + offs[0];
                     const T *__restrict xs = px + offs[1];
                     const T *__restrict ys = py + offs[2];
                     T *__restrict zs = po + o;
                     // Loads are unconditional and broadcast operands
                     // hoisted: the select vectorizes.
                     const uint8_t c0 = cs[0];
                     const T x0 = xs[0], y0 = ys[0];
                     for (int64_t i = 0; i < n; ++i) {
                       T u = CX ? xs[i] : x0, v = CY ? ys[i] : y0;
                       zs[i] = (CC ? cs[i] : c0) ? u : v;
                     }
                   });
    };
    int mask = (bc.innerContiguous(0) ? 4 : 0) |
               (bc.innerContiguous(1) ? 2 : 0) |
               (bc.innerContiguous(2) ? 1 : 0);
    switch (mask) {
    case 7: run(True(), True(), True()); break;
    case 6: run(True(), True(), False()); break;
    case 5: run(True(), False(), True()); break;
    case 4: run(True(), False(), False()); break;
    case 3: run(False(), True(), True()); break;
    case 2: run(False(), True(), False()); break;
    case 1: run(False(), False(), True()); break;
    default: run(False(), False(), False()); break;
    }
  });
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

namespace {

template <typename T> inline T sigmoid(T v) {
  if (v >= T(0))
    return T(1) / (T(1) + std::exp(-v));
  T e = std::exp(v);
  return e / (T(1) + e);
}

Status unaryFloatImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t n = x.numel();
  OpKind kind = a.step.kind;
  std::string approximate;
  if (kind == OpKind::Gelu)
    approximate = a.step.attrs.getString("approximate", "none");
  visitFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    constexpr int64_t g = 1 << 12; // transcendental functions are slow
    switch (kind) {
    case OpKind::Sqrt:
      mapUnary(px, po, n, [](T v) { return std::sqrt(v); });
      break;
    case OpKind::Reciprocal:
      mapUnary(px, po, n, [](T v) { return T(1) / v; });
      break;
    case OpKind::Exp:
      mapUnary(px, po, n, [](T v) { return std::exp(v); }, g);
      break;
    case OpKind::Log:
      mapUnary(px, po, n, [](T v) { return std::log(v); }, g);
      break;
    case OpKind::Tanh:
      mapUnary(px, po, n, [](T v) { return std::tanh(v); }, g);
      break;
    case OpKind::Erf:
      mapUnary(px, po, n, [](T v) { return std::erf(v); }, g);
      break;
    case OpKind::Sigmoid:
      mapUnary(px, po, n, [](T v) { return sigmoid(v); }, g);
      break;
    case OpKind::Cos:
      mapUnary(px, po, n, [](T v) { return std::cos(v); }, g);
      break;
    case OpKind::Sin:
      mapUnary(px, po, n, [](T v) { return std::sin(v); }, g);
      break;
    case OpKind::Floor:
      mapUnary(px, po, n, [](T v) { return std::floor(v); });
      break;
    case OpKind::Ceil:
      mapUnary(px, po, n, [](T v) { return std::ceil(v); });
      break;
    case OpKind::Gelu:
      if (approximate == "tanh") {
        mapUnary(
            px, po, n,
            [](T v) {
              const T c = T(0.7978845608028654); // sqrt(2 / pi)
              return T(0.5) * v *
                     (T(1) + std::tanh(c * (v + T(0.044715) * v * v * v)));
            },
            g);
      } else {
        mapUnary(
            px, po, n,
            [](T v) {
              return T(0.5) * v * (T(1) + std::erf(v * T(0.7071067811865476)));
            },
            g);
      }
      break;
    default:
      break;
    }
  });
  return Status::ok();
}

} // namespace

Status kernelUnaryFloat(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  if (!isFloat(a.inputs[0]->dtype()))
    return fail(a, "expects a floating-point tensor, got ",
                a.inputs[0]->describe());
  if (a.step.kind == OpKind::Gelu) {
    std::string approx = a.step.attrs.getString("approximate", "none");
    if (approx != "none" && approx != "tanh")
      return fail(a, "approximate must be \"none\" or \"tanh\", got \"",
                  approx, "\"");
  }
  return withF32(a, unaryFloatImpl);
}

namespace {
Status unaryNumericImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  int64_t n = x.numel();
  OpKind kind = a.step.kind;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>();
    T *po = out->data<T>();
    switch (kind) {
    case OpKind::Neg:
      mapUnary(px, po, n, [](T v) { return subOp<T>(T(0), v); });
      break;
    case OpKind::Abs:
      if constexpr (std::is_unsigned<T>::value)
        mapUnary(px, po, n, [](T v) { return v; });
      else if constexpr (std::is_floating_point<T>::value)
        mapUnary(px, po, n, [](T v) { return std::fabs(v); });
      else
        mapUnary(px, po, n,
                 [](T v) { return v < 0 ? subOp<T>(T(0), v) : v; });
      break;
    default: // Relu
      if constexpr (std::is_floating_point<T>::value)
        mapUnary(px, po, n, [](T v) { return v > T(0) ? v : (v != v ? v : T(0)); });
      else
        mapUnary(px, po, n, [](T v) { return v > T(0) ? v : T(0); });
      break;
    }
  });
  return Status::ok();
}
} // namespace

Status kernelUnaryNumeric(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  GPTQ_RT_TRY(checkNumeric(a, *a.inputs[0]));
  return withF32(a, unaryNumericImpl);
}

//===----------------------------------------------------------------------===//
// Clip and Cast
//===----------------------------------------------------------------------===//

namespace {
Status clipImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0];
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), x.shape(), out));
  bool hasMin = a.step.attrs.has("min"), hasMax = a.step.attrs.has("max");
  double mn = a.step.attrs.getFloat("min", 0), mx = a.step.attrs.getFloat("max", 0);
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T lo = hasMin ? storeElem<T>(mn) : std::numeric_limits<T>::lowest();
    T hi = hasMax ? storeElem<T>(mx) : std::numeric_limits<T>::max();
    if constexpr (std::is_floating_point<T>::value) {
      if (!hasMin)
        lo = -std::numeric_limits<T>::infinity();
      if (!hasMax)
        hi = std::numeric_limits<T>::infinity();
    }
    mapUnary(x.data<T>(), out->data<T>(), x.numel(), [lo, hi](T v) {
      T r = v < lo ? lo : v;
      return r > hi ? hi : r;
    });
  });
  return Status::ok();
}
} // namespace

Status kernelClip(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  GPTQ_RT_TRY(checkNumeric(a, *a.inputs[0]));
  return withF32(a, clipImpl);
}

Status kernelCast(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 1, 1));
  const Tensor &x = *a.inputs[0];
  DType to = a.step.outputDTypes.empty() ? x.dtype() : a.step.outputDTypes[0];
  if (to == x.dtype()) {
    setOutput(a, 0, x); // same storage: tensors are never written in place
    return Status::ok();
  }
  Tensor t = castTensor(x, to);
  if (!t.defined())
    return fail(a, "cannot allocate the result ", dtypeName(to),
                shapeToString(x.shape()));
  setOutput(a, 0, std::move(t));
  return Status::ok();
}

} // namespace gptq::rt::kern
