//===- CudaSupport.h - NVRTC, cuBLAS and kernel launches --------*- C++ -*-===//
//
// Internal to the CUDA backend, its tests and benchmarks (needs the CUDA
// toolkit headers): compiling generated CUDA C++ with NVRTC, loading the
// result, calling cuBLAS, and launching the generated quantized-matmul
// kernels with the contract of passes/Conversion/QuantToCuda/CudaKernelSpec.h.
// NVRTC and cuBLAS are loaded with dlopen on first use; compiling with NVRTC
// needs no GPU.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_CUDA_CUDASUPPORT_H
#define GPTQ_RUNTIME_CUDA_CUDASUPPORT_H

#include "runtime/Status.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gptq::rt::cuda {

/// "cudaErrorNoDevice: no CUDA-capable device is detected".
std::string cudaErrorText(cudaError_t e);

#define GPTQ_CUDA_TRY(expr, what)                                              \
  do {                                                                         \
    cudaError_t _e = (expr);                                                   \
    if (_e != cudaSuccess)                                                     \
      return ::gptq::rt::errorf(what, ": ", ::gptq::rt::cuda::cudaErrorText(_e)); \
  } while (0)

/// Compiles `source` with NVRTC into a cubin for sm_<sm> (e.g. 90). The
/// compiler log goes to `log` (and into the error message on failure).
StatusOr<std::vector<char>> compileWithNvrtc(const std::string &source, int sm,
                                             std::string *log = nullptr);

/// A loaded cubin and the kernels looked up in it by name.
class KernelLibrary {
public:
  static StatusOr<std::unique_ptr<KernelLibrary>>
  load(const std::vector<char> &cubin);
  ~KernelLibrary();
  /// The kernel (castable to the `func` of cudaLaunchKernel), or an error.
  StatusOr<const void *> kernel(const std::string &name);

private:
  KernelLibrary() = default;
  cudaLibrary_t library_ = nullptr;
  std::map<std::string, const void *> kernels_;
};

/// cuBLAS loaded with dlopen; a handle bound to one stream.
class Blas {
public:
  static StatusOr<std::unique_ptr<Blas>> create(cudaStream_t stream);
  ~Blas();
  /// Row-major C[b] = alpha * op(A[b]) op(B[b]) (+ beta C) for `batch`
  /// matrices (strides in elements; 0 broadcasts). f16 computes in fp32.
  Status gemm(bool half, bool transA, bool transB, int64_t m, int64_t n,
              int64_t k, float alpha, const void *a, int64_t lda,
              int64_t strideA, const void *b, int64_t ldb, int64_t strideB,
              float beta, void *c, int64_t ldc, int64_t strideC,
              int64_t batch);

private:
  struct Api;
  Blas() = default;
  std::unique_ptr<Api> api_;
  cublasHandle_t handle_ = nullptr;
};

/// A generated quantized-matmul kernel and its launch configuration (the
/// attributes of its gptq.cuda_kernel).
struct QuantKernel {
  const void *kernel = nullptr;
  const void *prep = nullptr; ///< gptq_prep_x_<io>_<path>
  bool gemv = true;
  bool ioF16 = false;
  int64_t tileM = 8, tileN = 32;
  int block[3] = {32, 8, 1};
  int64_t maxM = 8; ///< -1: any
  bool maskK = false, maskN = false;
};

/// Device pointers of one call (see CudaKernelSpec.h for the layouts).
struct QuantArgs {
  const void *x = nullptr;   ///< [M, K] of the io type
  const int32_t *perm = nullptr; ///< act-order [K] or null
  const void *qweight = nullptr, *scales = nullptr, *qzeros = nullptr;
  const int32_t *cgroup = nullptr;
  const float *bias = nullptr;
  const void *e0 = nullptr, *e1 = nullptr;
  void *out = nullptr;
  int64_t m = 0, n = 0, k = 0;
};

/// Scratch memory for the prepared activations, grown on demand.
class Workspace {
public:
  explicit Workspace(cudaStream_t stream) : stream_(stream) {}
  ~Workspace();
  StatusOr<void *> get(size_t bytes);

private:
  cudaStream_t stream_;
  void *ptr_ = nullptr;
  size_t bytes_ = 0;
};

/// Prepares the activations and launches the kernel on `stream`. Checks the
/// shapes against the specialization (mask_k / mask_n) first: a kernel is
/// never run on shapes it would compute wrongly.
Status launchQuant(const QuantKernel &k, const QuantArgs &a,
                   Workspace &workspace, cudaStream_t stream);

/// Name of the activation prep kernel the emitter names
/// gptq::cuda::prepKernelName (the CUDA tests check that both agree).
std::string prepKernelName(bool ioF16, bool gemv);

/// Streaming-multiprocessor version of the device (major * 10 + minor).
StatusOr<int> deviceSm(int device);

} // namespace gptq::rt::cuda

#endif // GPTQ_RUNTIME_CUDA_CUDASUPPORT_H
