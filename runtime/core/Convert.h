//===- Convert.h - element storage types and conversions --------*- C++ -*-===//
//
// Internal to the runtime. Every DType has a C++ storage type; f16, bf16 and
// bool get small wrapper structs so that overloads and templates can tell
// them apart from u16 / u8. convertElem<D>(s) implements the one conversion
// rule used by Cast, Tensor::get/set and the kernels:
//   float -> int   truncates toward zero (NaN -> 0, saturating out of range)
//   x -> bool      x != 0 (NaN -> true)
//   int -> int     wraps (two's complement)
//   -> f16/bf16    through f32, round to nearest even
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_CORE_CONVERT_H
#define GPTQ_RUNTIME_CORE_CONVERT_H

#include "runtime/DType.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace gptq::rt {

struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};
struct Bool8 {
  uint8_t v;
};
static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2 && sizeof(Bool8) == 1,
              "storage wrappers must have the element size");

template <typename T> struct TypeTag {
  using type = T;
};

/// Calls f(TypeTag<S>{}) with the storage type S of `t`.
template <typename F> decltype(auto) visitDType(DType t, F &&f) {
  switch (t) {
  case DType::F32: return f(TypeTag<float>{});
  case DType::F16: return f(TypeTag<Half>{});
  case DType::BF16: return f(TypeTag<BFloat16>{});
  case DType::F64: return f(TypeTag<double>{});
  case DType::Bool: return f(TypeTag<Bool8>{});
  case DType::I8: return f(TypeTag<int8_t>{});
  case DType::I16: return f(TypeTag<int16_t>{});
  case DType::I32: return f(TypeTag<int32_t>{});
  case DType::I64: return f(TypeTag<int64_t>{});
  case DType::U8: return f(TypeTag<uint8_t>{});
  case DType::U16: return f(TypeTag<uint16_t>{});
  case DType::U32: return f(TypeTag<uint32_t>{});
  case DType::U64: return f(TypeTag<uint64_t>{});
  }
  return f(TypeTag<float>{});
}

/// The arithmetic value of a stored element: float for f16/bf16, uint8 for
/// bool, the element itself otherwise.
inline float loadElem(Half h) { return halfToFloat(h.bits); }
inline float loadElem(BFloat16 h) { return bf16ToFloat(h.bits); }
inline uint8_t loadElem(Bool8 b) { return b.v != 0; }
template <typename T,
          typename = std::enable_if_t<std::is_arithmetic<T>::value>>
inline T loadElem(T v) {
  return v;
}

/// Float to integer: truncation toward zero, NaN -> 0, saturating.
template <typename I, typename F> inline I floatToInt(F f) {
  static_assert(std::is_integral<I>::value && std::is_floating_point<F>::value,
                "floatToInt converts floating point to integers");
  if (f != f)
    return 0;
  // hi = 2^digits and lo = -hi (or 0) are exact in F, so the comparisons
  // are exact: values at or beyond them saturate.
  const F hi = F(2) * static_cast<F>(std::numeric_limits<I>::max() / 2 + 1);
  const F lo = std::is_signed<I>::value ? -hi : F(0);
  if (f <= lo)
    return std::numeric_limits<I>::min();
  if (f >= hi)
    return std::numeric_limits<I>::max();
  return static_cast<I>(f);
}

/// Stores an arithmetic value as storage type D.
template <typename D, typename V> inline D storeElem(V v) {
  static_assert(std::is_arithmetic<V>::value, "storeElem takes numbers");
  if constexpr (std::is_same<D, Half>::value) {
    return Half{floatToHalf(static_cast<float>(v))};
  } else if constexpr (std::is_same<D, BFloat16>::value) {
    return BFloat16{floatToBf16(static_cast<float>(v))};
  } else if constexpr (std::is_same<D, Bool8>::value) {
    return Bool8{uint8_t(v != V(0))};
  } else if constexpr (std::is_floating_point<D>::value) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point<V>::value) {
    return floatToInt<D>(v);
  } else {
    return static_cast<D>(v); // integer wrap-around
  }
}

/// Converts one stored element to another storage type.
template <typename D, typename S> inline D convertElem(S s) {
  return storeElem<D>(loadElem(s));
}

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_CORE_CONVERT_H
