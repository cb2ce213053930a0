//===- DeviceKernels.h - the simple CUDA kernels of the backend -*- C++ -*-===//
//
// Internal to runtime/cuda: launchers of the kernels in DeviceKernels.cu
// (compiled ahead of time by nvcc) for the non-quantized ops. Tensors are
// dense and row-major; `half` selects fp16 elements (computed in fp32),
// else fp32. Each launcher returns the launch error (cudaSuccess if none).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_CUDA_DEVICEKERNELS_H
#define GPTQ_RUNTIME_CUDA_DEVICEKERNELS_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace gptq::rt::cuda::dev {

constexpr int kMaxRank = 8;

/// Iteration of a contiguous output of `total` elements with collapsed dims
/// `dims[0..rank)`; operand k reads element sum(idx[d] * strides[k][d]).
struct Iter {
  int rank = 0;
  int64_t total = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[3][kMaxRank] = {};
};

enum class Binary : int { Add, Sub, Mul, Div, Pow, Min, Max };
enum class Unary : int {
  Neg, Abs, Sqrt, Reciprocal, Exp, Log, Tanh, Erf, Sigmoid, Relu, Cos, Sin,
  Floor, Ceil
};
enum class Reduce : int { Sum, Mean, Max, Min };

cudaError_t binary(Binary op, bool half, const void *a, const void *b,
                   void *out, const Iter &it, cudaStream_t s);
/// out = x ^ e for a scalar exponent (2, 1 and 0.5 exactly, as the CPU).
cudaError_t powScalar(bool half, const void *x, float e, void *out, int64_t n,
                      cudaStream_t s);
cudaError_t unary(Unary op, bool half, const void *x, void *out, int64_t n,
                  cudaStream_t s);
/// out = cond ? x : y (cond bool bytes) for elements of elemSize bytes.
cudaError_t where(const uint8_t *cond, const void *x, const void *y, void *out,
                  int elemSize, const Iter &it, cudaStream_t s);
/// f32 <-> f16 (inHalf: the input is f16 and the output f32).
cudaError_t convert(bool inHalf, const void *in, void *out, int64_t n,
                    cudaStream_t s);
/// dst[dstOffset + sum(idx * dstStrides)] = src[srcOffset + sum(idx *
/// srcStrides)] over idx in dims (element units).
struct CopyDesc {
  int rank = 0;
  int64_t total = 0;
  int64_t dims[kMaxRank] = {};
  int64_t src[kMaxRank] = {};
  int64_t dst[kMaxRank] = {};
  int64_t srcOffset = 0, dstOffset = 0;
};
cudaError_t copyStrided(int elemSize, const void *src, void *dst,
                        const CopyDesc &d, cudaStream_t s);
/// out[o][j][t] = data[o][idx[j]][t] (indices already in [0, dim)).
cudaError_t gather(int elemSize, const void *data, const int64_t *idx,
                   int64_t outer, int64_t dim, int64_t n, int64_t inner,
                   void *out, cudaStream_t s);
/// Softmax over the middle dimension of [outer, len, inner].
cudaError_t softmax(bool half, const void *x, void *out, int64_t outer,
                    int64_t len, int64_t inner, cudaStream_t s);
/// Reduction over the middle dimension of [outer, len, inner] -> [outer, inner].
cudaError_t reduce(Reduce op, bool half, const void *x, void *out,
                   int64_t outer, int64_t len, int64_t inner, cudaStream_t s);
/// RMS norm (bias null) or layer norm of `rows` rows of n elements; scale
/// and bias are [n] in the element type.
cudaError_t norm(bool rms, bool half, const void *x, const void *scale,
                 const void *bias, void *out, int64_t rows, int64_t n,
                 float eps, cudaStream_t s);
/// Upper (j >= i + k) or lower (j <= i + k) triangle of `mats` matrices.
cudaError_t trilu(int elemSize, const void *x, void *out, int64_t mats,
                  int64_t rows, int64_t cols, bool upper, int64_t k,
                  cudaStream_t s);

} // namespace gptq::rt::cuda::dev

#endif // GPTQ_RUNTIME_CUDA_DEVICEKERNELS_H
