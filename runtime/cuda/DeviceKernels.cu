//===- DeviceKernels.cu - the simple CUDA kernels of the backend ----------===//
//
// Straightforward kernels (grid-stride loops, one block per row for row
// reductions) for the non-quantized ops; fp16 is computed in fp32. The
// formulas follow the CPU kernels (runtime/kernels), the reference.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/DeviceKernels.h"

#include <cuda_fp16.h>

#include <cfloat>

namespace gptq::rt::cuda::dev {
namespace {

constexpr int kThreads = 256;

int blocksFor(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b < 1)
    b = 1;
  return (int)(b > 65535 ? 65535 : b);
}

template <typename T> __device__ __forceinline__ float ld(const T *p, int64_t i);
template <> __device__ __forceinline__ float ld(const float *p, int64_t i) {
  return p[i];
}
template <> __device__ __forceinline__ float ld(const __half *p, int64_t i) {
  return __half2float(p[i]);
}
__device__ __forceinline__ void st(float *p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void st(__half *p, int64_t i, float v) {
  p[i] = __float2half_rn(v);
}

__device__ __forceinline__ float nanMax(float a, float b) {
  return (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
}
__device__ __forceinline__ float nanMin(float a, float b) {
  return (a != a || b != b) ? __int_as_float(0x7fc00000) : fminf(a, b);
}
__device__ __forceinline__ float sigmoidRef(float v) {
  if (v >= 0.0f)
    return 1.0f / (1.0f + expf(-v));
  const float e = expf(v);
  return e / (1.0f + e);
}

/// Offsets of operand k for output element i.
__device__ __forceinline__ void offsets(const Iter &it, int64_t i, int n,
                                        int64_t *off) {
  for (int k = 0; k < n; ++k)
    off[k] = 0;
  for (int d = it.rank - 1; d >= 0; --d) {
    const int64_t c = i % it.dims[d];
    i /= it.dims[d];
    for (int k = 0; k < n; ++k)
      off[k] += c * it.strides[k][d];
  }
}

template <typename T>
__global__ void binaryKernel(Binary op, const T *a, const T *b, T *out,
                             Iter it) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < it.total;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[2];
    offsets(it, i, 2, off);
    const float x = ld(a, off[0]), y = ld(b, off[1]);
    float r;
    switch (op) {
    case Binary::Add: r = x + y; break;
    case Binary::Sub: r = x - y; break;
    case Binary::Mul: r = x * y; break;
    case Binary::Div: r = x / y; break;
    case Binary::Pow: r = powf(x, y); break;
    case Binary::Min: r = nanMin(x, y); break;
    default: r = nanMax(x, y); break;
    }
    st(out, i, r);
  }
}

template <typename T>
__global__ void powScalarKernel(const T *x, float e, T *out, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float v = ld(x, i);
    float r;
    if (e == 2.0f)
      r = v * v;
    else if (e == 1.0f)
      r = v;
    else if (e == 0.5f)
      r = sqrtf(v);
    else
      r = powf(v, e);
    st(out, i, r);
  }
}

template <typename T>
__global__ void unaryKernel(Unary op, const T *x, T *out, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float v = ld(x, i);
    float r;
    switch (op) {
    case Unary::Neg: r = -v; break;
    case Unary::Abs: r = fabsf(v); break;
    case Unary::Sqrt: r = sqrtf(v); break;
    case Unary::Reciprocal: r = 1.0f / v; break;
    case Unary::Exp: r = expf(v); break;
    case Unary::Log: r = logf(v); break;
    case Unary::Tanh: r = tanhf(v); break;
    case Unary::Erf: r = erff(v); break;
    case Unary::Sigmoid: r = sigmoidRef(v); break;
    case Unary::Relu: r = v < 0.0f ? 0.0f : v; break;
    case Unary::Cos: r = cosf(v); break;
    case Unary::Sin: r = sinf(v); break;
    case Unary::Floor: r = floorf(v); break;
    default: r = ceilf(v); break;
    }
    st(out, i, r);
  }
}

template <typename E>
__global__ void whereKernel(const uint8_t *c, const E *x, const E *y, E *out,
                            Iter it) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < it.total;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    offsets(it, i, 3, off);
    out[i] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

__global__ void toHalfKernel(const float *in, __half *out, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    out[i] = __float2half_rn(in[i]);
}
__global__ void toFloatKernel(const __half *in, float *out, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    out[i] = __half2float(in[i]);
}

template <typename E>
__global__ void copyKernel(const E *src, E *dst, CopyDesc d) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < d.total;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t r = i, so = d.srcOffset, dO = d.dstOffset;
    for (int k = d.rank - 1; k >= 0; --k) {
      const int64_t c = r % d.dims[k];
      r /= d.dims[k];
      so += c * d.src[k];
      dO += c * d.dst[k];
    }
    dst[dO] = src[so];
  }
}

template <typename E>
__global__ void gatherKernel(const E *data, const int64_t *idx, int64_t outer,
                             int64_t dim, int64_t n, int64_t inner, E *out) {
  const int64_t total = outer * n * inner;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t t = i % inner, j = (i / inner) % n, o = i / (inner * n);
    out[i] = data[(o * dim + idx[j]) * inner + t];
  }
}

/// Block-wide reduction of one value per thread; `identity` fills the lanes
/// beyond the block's warps (0 for sums; any element for max / min).
template <typename F>
__device__ float blockReduce(float v, F f, float *shared, float identity) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1)
    v = f(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < (int)(blockDim.x >> 5) ? shared[lane] : identity;
    for (int o = 16; o > 0; o >>= 1)
      v = f(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (lane == 0)
      shared[0] = v;
  }
  __syncthreads();
  const float r = shared[0];
  __syncthreads();
  return r;
}

struct MaxOp {
  __device__ float operator()(float a, float b) const { return nanMax(a, b); }
};
struct MinOp {
  __device__ float operator()(float a, float b) const { return nanMin(a, b); }
};
struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};

/// One block per row (inner == 1).
template <typename T>
__global__ void softmaxRows(const T *x, T *out, int64_t len) {
  __shared__ float shared[32];
  const T *row = x + blockIdx.x * len;
  T *y = out + blockIdx.x * len;
  float m = -FLT_MAX;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
    m = nanMax(m, ld(row, i));
  m = blockReduce(m, MaxOp(), shared, -FLT_MAX);
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
    s += expf(ld(row, i) - m);
  s = blockReduce(s, SumOp(), shared, 0.0f);
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
    st(y, i, expf(ld(row, i) - m) / s);
}

/// One thread per (outer, inner) column (inner > 1).
template <typename T>
__global__ void softmaxStrided(const T *x, T *out, int64_t outer, int64_t len,
                               int64_t inner) {
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
       c < outer * inner; c += (int64_t)gridDim.x * blockDim.x) {
    const int64_t base = (c / inner) * len * inner + c % inner;
    float m = -FLT_MAX;
    for (int64_t a = 0; a < len; ++a)
      m = nanMax(m, ld(x, base + a * inner));
    float s = 0.0f;
    for (int64_t a = 0; a < len; ++a)
      s += expf(ld(x, base + a * inner) - m);
    for (int64_t a = 0; a < len; ++a)
      st(out, base + a * inner, expf(ld(x, base + a * inner) - m) / s);
  }
}

template <typename T>
__global__ void reduceRows(Reduce op, const T *x, T *out, int64_t len) {
  __shared__ float shared[32];
  const T *row = x + blockIdx.x * len;
  float v;
  if (op == Reduce::Max || op == Reduce::Min) {
    v = len > 0 ? ld(row, 0) : 0.0f;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
      v = op == Reduce::Max ? nanMax(v, ld(row, i)) : nanMin(v, ld(row, i));
    v = op == Reduce::Max
            ? blockReduce(v, MaxOp(), shared, __int_as_float(0xff800000))
            : blockReduce(v, MinOp(), shared, __int_as_float(0x7f800000));
  } else {
    v = 0.0f;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
      v += ld(row, i);
    v = blockReduce(v, SumOp(), shared, 0.0f);
    if (op == Reduce::Mean)
      v = v / (float)len;
  }
  if (threadIdx.x == 0)
    st(out, blockIdx.x, v);
}

template <typename T>
__global__ void reduceStrided(Reduce op, const T *x, T *out, int64_t outer,
                              int64_t len, int64_t inner) {
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
       c < outer * inner; c += (int64_t)gridDim.x * blockDim.x) {
    const int64_t base = (c / inner) * len * inner + c % inner;
    float v = (op == Reduce::Max || op == Reduce::Min) && len > 0 ? ld(x, base)
                                                                  : 0.0f;
    for (int64_t a = 0; a < len; ++a) {
      const float e = ld(x, base + a * inner);
      if (op == Reduce::Max)
        v = nanMax(v, e);
      else if (op == Reduce::Min)
        v = nanMin(v, e);
      else
        v += e;
    }
    if (op == Reduce::Mean)
      v = v / (float)len;
    st(out, c, v);
  }
}

template <typename T>
__global__ void normRows(bool rms, const T *x, const T *scale, const T *bias,
                         T *out, int64_t n, float eps) {
  __shared__ float shared[32];
  const T *row = x + blockIdx.x * n;
  T *y = out + blockIdx.x * n;
  float mean = 0.0f;
  if (!rms) {
    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      s += ld(row, i);
    mean = blockReduce(s, SumOp(), shared, 0.0f) / (float)n;
  }
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float d = ld(row, i) - mean;
    ss += d * d;
  }
  ss = blockReduce(ss, SumOp(), shared, 0.0f);
  const float inv = 1.0f / sqrtf(ss / (float)n + eps);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    float v = (ld(row, i) - mean) * inv * ld(scale, i);
    if (bias)
      v += ld(bias, i);
    st(y, i, v);
  }
}

template <typename E>
__global__ void triluKernel(const E *x, E *out, int64_t total, int64_t rows,
                            int64_t cols, bool upper, int64_t k) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = i % cols, r = (i / cols) % rows;
    const bool keep = upper ? c >= r + k : c <= r + k;
    out[i] = keep ? x[i] : E(0);
  }
}

} // namespace

cudaError_t binary(Binary op, bool half, const void *a, const void *b,
                   void *out, const Iter &it, cudaStream_t s) {
  if (it.total == 0)
    return cudaSuccess;
  if (half)
    binaryKernel<<<blocksFor(it.total), kThreads, 0, s>>>(
        op, static_cast<const __half *>(a), static_cast<const __half *>(b),
        static_cast<__half *>(out), it);
  else
    binaryKernel<<<blocksFor(it.total), kThreads, 0, s>>>(
        op, static_cast<const float *>(a), static_cast<const float *>(b),
        static_cast<float *>(out), it);
  return cudaGetLastError();
}

cudaError_t powScalar(bool half, const void *x, float e, void *out, int64_t n,
                      cudaStream_t s) {
  if (n == 0)
    return cudaSuccess;
  if (half)
    powScalarKernel<<<blocksFor(n), kThreads, 0, s>>>(
        static_cast<const __half *>(x), e, static_cast<__half *>(out), n);
  else
    powScalarKernel<<<blocksFor(n), kThreads, 0, s>>>(
        static_cast<const float *>(x), e, static_cast<float *>(out), n);
  return cudaGetLastError();
}

cudaError_t unary(Unary op, bool half, const void *x, void *out, int64_t n,
                  cudaStream_t s) {
  if (n == 0)
    return cudaSuccess;
  if (half)
    unaryKernel<<<blocksFor(n), kThreads, 0, s>>>(
        op, static_cast<const __half *>(x), static_cast<__half *>(out), n);
  else
    unaryKernel<<<blocksFor(n), kThreads, 0, s>>>(
        op, static_cast<const float *>(x), static_cast<float *>(out), n);
  return cudaGetLastError();
}

cudaError_t where(const uint8_t *cond, const void *x, const void *y, void *out,
                  int elemSize, const Iter &it, cudaStream_t s) {
  if (it.total == 0)
    return cudaSuccess;
  const int g = blocksFor(it.total);
  switch (elemSize) {
  case 1:
    whereKernel<<<g, kThreads, 0, s>>>(cond, static_cast<const uint8_t *>(x),
                                       static_cast<const uint8_t *>(y),
                                       static_cast<uint8_t *>(out), it);
    break;
  case 2:
    whereKernel<<<g, kThreads, 0, s>>>(cond, static_cast<const uint16_t *>(x),
                                       static_cast<const uint16_t *>(y),
                                       static_cast<uint16_t *>(out), it);
    break;
  case 4:
    whereKernel<<<g, kThreads, 0, s>>>(cond, static_cast<const uint32_t *>(x),
                                       static_cast<const uint32_t *>(y),
                                       static_cast<uint32_t *>(out), it);
    break;
  default:
    whereKernel<<<g, kThreads, 0, s>>>(cond, static_cast<const uint64_t *>(x),
                                       static_cast<const uint64_t *>(y),
                                       static_cast<uint64_t *>(out), it);
    break;
  }
  return cudaGetLastError();
}

cudaError_t convert(bool inHalf, const void *in, void *out, int64_t n,
                    cudaStream_t s) {
  if (n == 0)
    return cudaSuccess;
  if (inHalf)
    toFloatKernel<<<blocksFor(n), kThreads, 0, s>>>(
        static_cast<const __half *>(in), static_cast<float *>(out), n);
  else
    toHalfKernel<<<blocksFor(n), kThreads, 0, s>>>(
        static_cast<const float *>(in), static_cast<__half *>(out), n);
  return cudaGetLastError();
}

cudaError_t copyStrided(int elemSize, const void *src, void *dst,
                        const CopyDesc &d, cudaStream_t s) {
  if (d.total == 0)
    return cudaSuccess;
  const int g = blocksFor(d.total);
  switch (elemSize) {
  case 1:
    copyKernel<<<g, kThreads, 0, s>>>(static_cast<const uint8_t *>(src),
                                      static_cast<uint8_t *>(dst), d);
    break;
  case 2:
    copyKernel<<<g, kThreads, 0, s>>>(static_cast<const uint16_t *>(src),
                                      static_cast<uint16_t *>(dst), d);
    break;
  case 4:
    copyKernel<<<g, kThreads, 0, s>>>(static_cast<const uint32_t *>(src),
                                      static_cast<uint32_t *>(dst), d);
    break;
  default:
    copyKernel<<<g, kThreads, 0, s>>>(static_cast<const uint64_t *>(src),
                                      static_cast<uint64_t *>(dst), d);
    break;
  }
  return cudaGetLastError();
}

cudaError_t gather(int elemSize, const void *data, const int64_t *idx,
                   int64_t outer, int64_t dim, int64_t n, int64_t inner,
                   void *out, cudaStream_t s) {
  const int64_t total = outer * n * inner;
  if (total == 0)
    return cudaSuccess;
  const int g = blocksFor(total);
  switch (elemSize) {
  case 1:
    gatherKernel<<<g, kThreads, 0, s>>>(static_cast<const uint8_t *>(data), idx,
                                        outer, dim, n, inner,
                                        static_cast<uint8_t *>(out));
    break;
  case 2:
    gatherKernel<<<g, kThreads, 0, s>>>(static_cast<const uint16_t *>(data),
                                        idx, outer, dim, n, inner,
                                        static_cast<uint16_t *>(out));
    break;
  case 4:
    gatherKernel<<<g, kThreads, 0, s>>>(static_cast<const uint32_t *>(data),
                                        idx, outer, dim, n, inner,
                                        static_cast<uint32_t *>(out));
    break;
  default:
    gatherKernel<<<g, kThreads, 0, s>>>(static_cast<const uint64_t *>(data),
                                        idx, outer, dim, n, inner,
                                        static_cast<uint64_t *>(out));
    break;
  }
  return cudaGetLastError();
}

cudaError_t softmax(bool half, const void *x, void *out, int64_t outer,
                    int64_t len, int64_t inner, cudaStream_t s) {
  if (outer * len * inner == 0)
    return cudaSuccess;
  if (inner == 1 && outer <= 0x7fffffff) {
    if (half)
      softmaxRows<<<(unsigned)outer, kThreads, 0, s>>>(
          static_cast<const __half *>(x), static_cast<__half *>(out), len);
    else
      softmaxRows<<<(unsigned)outer, kThreads, 0, s>>>(
          static_cast<const float *>(x), static_cast<float *>(out), len);
  } else if (half) {
    softmaxStrided<<<blocksFor(outer * inner), kThreads, 0, s>>>(
        static_cast<const __half *>(x), static_cast<__half *>(out), outer, len,
        inner);
  } else {
    softmaxStrided<<<blocksFor(outer * inner), kThreads, 0, s>>>(
        static_cast<const float *>(x), static_cast<float *>(out), outer, len,
        inner);
  }
  return cudaGetLastError();
}

cudaError_t reduce(Reduce op, bool half, const void *x, void *out,
                   int64_t outer, int64_t len, int64_t inner, cudaStream_t s) {
  if (outer * inner == 0)
    return cudaSuccess;
  if (inner == 1 && outer <= 0x7fffffff) {
    if (half)
      reduceRows<<<(unsigned)outer, kThreads, 0, s>>>(
          op, static_cast<const __half *>(x), static_cast<__half *>(out), len);
    else
      reduceRows<<<(unsigned)outer, kThreads, 0, s>>>(
          op, static_cast<const float *>(x), static_cast<float *>(out), len);
  } else if (half) {
    reduceStrided<<<blocksFor(outer * inner), kThreads, 0, s>>>(
        op, static_cast<const __half *>(x), static_cast<__half *>(out), outer,
        len, inner);
  } else {
    reduceStrided<<<blocksFor(outer * inner), kThreads, 0, s>>>(
        op, static_cast<const float *>(x), static_cast<float *>(out), outer,
        len, inner);
  }
  return cudaGetLastError();
}

cudaError_t norm(bool rms, bool half, const void *x, const void *scale,
                 const void *bias, void *out, int64_t rows, int64_t n,
                 float eps, cudaStream_t s) {
  if (rows == 0 || n == 0)
    return cudaSuccess;
  if (rows > 0x7fffffff)
    return cudaErrorInvalidValue;
  if (half)
    normRows<<<(unsigned)rows, kThreads, 0, s>>>(
        rms, static_cast<const __half *>(x), static_cast<const __half *>(scale),
        static_cast<const __half *>(bias), static_cast<__half *>(out), n, eps);
  else
    normRows<<<(unsigned)rows, kThreads, 0, s>>>(
        rms, static_cast<const float *>(x), static_cast<const float *>(scale),
        static_cast<const float *>(bias), static_cast<float *>(out), n, eps);
  return cudaGetLastError();
}

cudaError_t trilu(int elemSize, const void *x, void *out, int64_t mats,
                  int64_t rows, int64_t cols, bool upper, int64_t k,
                  cudaStream_t s) {
  const int64_t total = mats * rows * cols;
  if (total == 0)
    return cudaSuccess;
  const int g = blocksFor(total);
  switch (elemSize) {
  case 1:
    triluKernel<<<g, kThreads, 0, s>>>(static_cast<const uint8_t *>(x),
                                       static_cast<uint8_t *>(out), total, rows,
                                       cols, upper, k);
    break;
  case 2:
    triluKernel<<<g, kThreads, 0, s>>>(static_cast<const uint16_t *>(x),
                                       static_cast<uint16_t *>(out), total,
                                       rows, cols, upper, k);
    break;
  case 4:
    triluKernel<<<g, kThreads, 0, s>>>(static_cast<const uint32_t *>(x),
                                       static_cast<uint32_t *>(out), total,
                                       rows, cols, upper, k);
    break;
  default:
    triluKernel<<<g, kThreads, 0, s>>>(static_cast<const uint64_t *>(x),
                                       static_cast<uint64_t *>(out), total,
                                       rows, cols, upper, k);
    break;
  }
  return cudaGetLastError();
}

} // namespace gptq::rt::cuda::dev
