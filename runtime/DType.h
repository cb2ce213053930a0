//===- DType.h - element types of runtime tensors ---------------*- C++ -*-===//
#ifndef GPTQ_RUNTIME_DTYPE_H
#define GPTQ_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace gptq::rt {

/// Element types. Bool is stored as one byte per element (0 or 1).
enum class DType : uint8_t {
  F32,
  F16,
  BF16,
  F64,
  Bool,
  I8,
  I16,
  I32,
  I64,
  U8,
  U16,
  U32,
  U64,
};

size_t dtypeSize(DType t);
const char *dtypeName(DType t); ///< "f32", "i64", "bool", ...
bool isFloat(DType t);          ///< F32, F16, BF16, F64
bool isInteger(DType t);        ///< signed or unsigned integer, not bool
bool isSigned(DType t);         ///< signed integers and floats

/// IEEE half and bfloat16 conversions (round to nearest even).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
inline float bf16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint16_t floatToBf16(float f);

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_DTYPE_H
