//===- Npy.h - numpy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes NPY format 1.0/2.0/3.0 (C order; little- and big-endian
// input; dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 and bfloat16 written as
// 'V2' is not supported). Writes format 1.0 little-endian C order.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_NPY_H
#define GPTQ_RUNTIME_NPY_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>

namespace gptq::rt {

/// Parses a .npy file; errors name the file and what is wrong with it.
StatusOr<Tensor> readNpy(const std::string &path);
/// Parses .npy bytes (`what` names the source in errors).
StatusOr<Tensor> parseNpy(const void *data, size_t size, const std::string &what);
/// Writes `tensor` to `path` atomically (temporary file, then rename).
Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_NPY_H
