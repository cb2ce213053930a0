//===- QuantMatMul.h - fused low-bit matmul on raw arrays -------*- C++ -*-===//
//
// The CPU kernels behind gptq.matmul_nbits and gptq.dequantize, on raw
// arrays in the convention of Packing.h. QuantKernels.cpp adapts them to
// KernelArgs (dtype conversion of activations, bias and output, shape
// checks). Errors carry no step prefix; the adapters add it.
//
// matMulNBits computes out[M, N] = x[M, K] @ W[K, N] (+ bias) where
// W[k][n] = (q[k][n] - zero[g(k)][n]) * scale[g(k)][n], without ever
// materializing W:
//   * M <= 4: for each column tile, the packed words are unpacked in
//     registers and multiplied into the activations; per group the integer
//     dot products sum(x * q) are scaled once: s * (sum(x q) - z sum(x)).
//     Act-order weights (g_idx not sorted) read their activations in
//     group-contiguous order (permuted once per call) so that groups stay
//     contiguous.
//   * M > 4: per column tile, a slice of K rows is dequantized into a small
//     L1-resident buffer and a register-blocked micro-GEMM runs all M rows
//     over it, so each weight is unpacked once per call.
// Work is split over N on the quantization thread pool (TaskPool.h); tiny
// problems stay on the calling thread.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_QUANTMATMUL_H
#define GPTQ_RUNTIME_QUANT_QUANTMATMUL_H

#include "runtime/DType.h"
#include "runtime/Status.h"

#include <cstdint>

namespace gptq::rt::quant {

struct MatMulNBitsArgs {
  int64_t m = 0, k = 0, n = 0;
  int bits = 4;
  int64_t groupSize = -1;          ///< -1: one group
  int64_t groups = 1;              ///< rows of scales and qzeros
  const float *x = nullptr;        ///< [m, k] (unused by dequantizeNBits)
  const int32_t *qweight = nullptr;///< [packedRows(k, bits), n]
  const void *scales = nullptr;    ///< [groups, n]
  DType scalesType = DType::F32;   ///< F32, F16 or BF16
  const int32_t *qzeros = nullptr; ///< [groups, packedZeroCols(n, bits)]
  const int32_t *gIdx = nullptr;   ///< [k], or null: k / groupSize
  const float *bias = nullptr;     ///< [n] or null
  int threads = 0;                 ///< <= 0: quantThreads()
};

/// out[m, n] = x @ dequantize(W) (+ bias). Fails on bad bits, group
/// indices out of [0, groups) or a scales type other than F32/F16/BF16.
Status matMulNBits(const MatMulNBitsArgs &a, float *out);

/// out[k, n] = dequantize(W) in fp32.
Status dequantizeNBits(const MatMulNBitsArgs &a, float *out);

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_QUANTMATMUL_H
