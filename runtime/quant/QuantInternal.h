//===- QuantInternal.h - internals of runtime/quant -------------*- C++ -*-===//
//
// Not part of the runtime's API: shared by the files of runtime/quant and
// used by its unit tests and benchmarks.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_QUANTINTERNAL_H
#define GPTQ_RUNTIME_QUANT_QUANTINTERNAL_H

#include <cstdint>

namespace gptq::rt::quant {

/// True when the AVX2/FMA/F16C code paths run (the CPU has them and they
/// were not disabled with setForcePortable).
bool useAvx2();
/// Forces the portable code paths (tests compare both).
void setForcePortable(bool portable);

/// In place: `h` holds a symmetric positive definite [k, k] matrix H
/// (row-major). On success returns 0 and `h` holds U (row-major, upper
/// triangular, strictly lower part zero) with U^T U = H^-1. Computed as
/// chol(J H J) = U' ^T U' (spotrf), U = J U'^-T J (strtri) with J the
/// reversal permutation: ~2k^3/3 flops. On failure returns the LAPACK info
/// (> 0: not positive definite) and restores `h` to H.
int inverseCholeskyUpper(float *h, int64_t k);

/// Rounds a positive scale to the nearest fp16 value, kept in [2^-24,
/// 65504] so that it is a usable, representable scale.
float roundScaleToHalf(float s);

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_QUANTINTERNAL_H
