//===- CudaSupport.cpp - NVRTC, cuBLAS and kernel launches ----------------===//

#include "runtime/cuda/CudaSupport.h"

#include <nvrtc.h>

#include <dlfcn.h>

#include <mutex>

namespace gptq::rt::cuda {

std::string cudaErrorText(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

namespace {

/// dlopen of the first library of `names` that loads; `error` lists why none
/// did.
void *openFirst(std::initializer_list<const char *> names, std::string &error) {
  for (const char *n : names) {
    if (void *h = dlopen(n, RTLD_NOW | RTLD_LOCAL))
      return h;
    const char *e = dlerror();
    error += std::string(error.empty() ? "" : "; ") + (e ? e : n);
  }
  return nullptr;
}

template <typename F> bool bind(void *lib, const char *name, F &f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  return f != nullptr;
}

struct Nvrtc {
  decltype(&nvrtcCreateProgram) createProgram = nullptr;
  decltype(&nvrtcCompileProgram) compileProgram = nullptr;
  decltype(&nvrtcGetProgramLogSize) getProgramLogSize = nullptr;
  decltype(&nvrtcGetProgramLog) getProgramLog = nullptr;
  decltype(&nvrtcGetCUBINSize) getCUBINSize = nullptr;
  decltype(&nvrtcGetCUBIN) getCUBIN = nullptr;
  decltype(&nvrtcDestroyProgram) destroyProgram = nullptr;
  decltype(&nvrtcGetErrorString) getErrorString = nullptr;
};

StatusOr<const Nvrtc *> nvrtc() {
  static std::once_flag once;
  static Nvrtc api;
  static std::string error;
  std::call_once(once, [] {
    void *lib = openFirst({"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"},
                          error);
    if (!lib)
      return;
    bool ok = bind(lib, "nvrtcCreateProgram", api.createProgram) &&
              bind(lib, "nvrtcCompileProgram", api.compileProgram) &&
              bind(lib, "nvrtcGetProgramLogSize", api.getProgramLogSize) &&
              bind(lib, "nvrtcGetProgramLog", api.getProgramLog) &&
              bind(lib, "nvrtcGetCUBINSize", api.getCUBINSize) &&
              bind(lib, "nvrtcGetCUBIN", api.getCUBIN) &&
              bind(lib, "nvrtcDestroyProgram", api.destroyProgram) &&
              bind(lib, "nvrtcGetErrorString", api.getErrorString);
    if (!ok) {
      error = "libnvrtc lacks an expected function";
      api.createProgram = nullptr;
    }
  });
  if (!api.createProgram)
    return errorf("cannot load NVRTC (the CUDA runtime compiler): ", error);
  return &api;
}

} // namespace

StatusOr<std::vector<char>> compileWithNvrtc(const std::string &source, int sm,
                                             std::string *log) {
  auto api = nvrtc();
  if (!api)
    return api.status();
  const Nvrtc &n = **api;
  nvrtcProgram prog;
  nvrtcResult r = n.createProgram(&prog, source.c_str(), "gptq_kernels.cu", 0,
                                  nullptr, nullptr);
  if (r != NVRTC_SUCCESS)
    return errorf("nvrtcCreateProgram: ", n.getErrorString(r));
  std::string arch = "--gpu-architecture=sm_" + std::to_string(sm);
  const char *opts[] = {arch.c_str(), "-std=c++17"};
  r = n.compileProgram(prog, 2, opts);
  size_t logSize = 0;
  std::string text;
  if (n.getProgramLogSize(prog, &logSize) == NVRTC_SUCCESS && logSize > 1) {
    text.resize(logSize);
    n.getProgramLog(prog, text.data());
    text.resize(logSize - 1);
  }
  if (log)
    *log = text;
  if (r != NVRTC_SUCCESS) {
    n.destroyProgram(&prog);
    return errorf("NVRTC cannot compile the generated kernels for sm_", sm,
                  " (", n.getErrorString(r), "):\n", text);
  }
  size_t size = 0;
  std::vector<char> cubin;
  if (n.getCUBINSize(prog, &size) != NVRTC_SUCCESS || size == 0) {
    n.destroyProgram(&prog);
    return errorf("NVRTC produced no cubin for sm_", sm);
  }
  cubin.resize(size);
  r = n.getCUBIN(prog, cubin.data());
  n.destroyProgram(&prog);
  if (r != NVRTC_SUCCESS)
    return errorf("nvrtcGetCUBIN: ", n.getErrorString(r));
  return cubin;
}

StatusOr<std::unique_ptr<KernelLibrary>>
KernelLibrary::load(const std::vector<char> &cubin) {
  std::unique_ptr<KernelLibrary> lib(new KernelLibrary());
  GPTQ_CUDA_TRY(cudaLibraryLoadData(&lib->library_, cubin.data(), nullptr,
                                    nullptr, 0, nullptr, nullptr, 0),
                "loading the compiled kernels");
  return lib;
}

KernelLibrary::~KernelLibrary() {
  if (library_)
    cudaLibraryUnload(library_);
}

StatusOr<const void *> KernelLibrary::kernel(const std::string &name) {
  auto it = kernels_.find(name);
  if (it != kernels_.end())
    return it->second;
  cudaKernel_t k = nullptr;
  cudaError_t e = cudaLibraryGetKernel(&k, library_, name.c_str());
  if (e != cudaSuccess)
    return errorf("kernel '", name, "' is not in the compiled module: ",
                  cudaErrorText(e));
  kernels_[name] = reinterpret_cast<const void *>(k);
  return reinterpret_cast<const void *>(k);
}

//===----------------------------------------------------------------------===//
// cuBLAS
//===----------------------------------------------------------------------===//

struct Blas::Api {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) setStream = nullptr;
  decltype(&cublasSetMathMode) setMathMode = nullptr;
  // Spelled out: the C++ header overloads cublasGemmStridedBatchedEx.
  cublasStatus_t (*gemmStridedBatchedEx)(
      cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
      const void *, const void *, cudaDataType, int, long long int,
      const void *, cudaDataType, int, long long int, const void *, void *,
      cudaDataType, int, long long int, int, cublasComputeType_t,
      cublasGemmAlgo_t) = nullptr;
  decltype(&cublasGetStatusString) statusString = nullptr;
};

StatusOr<std::unique_ptr<Blas>> Blas::create(cudaStream_t stream) {
  std::string error;
  static void *lib = nullptr;
  if (!lib)
    lib = openFirst({"libcublas.so.13", "libcublas.so.12", "libcublas.so"},
                    error);
  if (!lib)
    return errorf("cannot load cuBLAS: ", error);
  std::unique_ptr<Blas> blas(new Blas());
  blas->api_ = std::make_unique<Api>();
  Api &a = *blas->api_;
  if (!bind(lib, "cublasCreate_v2", a.create) ||
      !bind(lib, "cublasDestroy_v2", a.destroy) ||
      !bind(lib, "cublasSetStream_v2", a.setStream) ||
      !bind(lib, "cublasSetMathMode", a.setMathMode) ||
      !bind(lib, "cublasGemmStridedBatchedEx", a.gemmStridedBatchedEx) ||
      !bind(lib, "cublasGetStatusString", a.statusString))
    return errorf("libcublas lacks an expected function");
  cublasStatus_t st = a.create(&blas->handle_);
  if (st != CUBLAS_STATUS_SUCCESS)
    return errorf("cublasCreate: ", a.statusString(st));
  a.setStream(blas->handle_, stream);
  // Plain fp32 arithmetic for fp32 data (no TF32): the CPU is the reference.
  a.setMathMode(blas->handle_, CUBLAS_DEFAULT_MATH);
  return blas;
}

Blas::~Blas() {
  if (handle_ && api_)
    api_->destroy(handle_);
}

Status Blas::gemm(bool half, bool transA, bool transB, int64_t m, int64_t n,
                  int64_t k, float alpha, const void *a, int64_t lda,
                  int64_t strideA, const void *b, int64_t ldb, int64_t strideB,
                  float beta, void *c, int64_t ldc, int64_t strideC,
                  int64_t batch) {
  const int64_t lim = int64_t(1) << 31;
  if (m >= lim || n >= lim || k >= lim || lda >= lim || ldb >= lim ||
      ldc >= lim || batch >= lim)
    return errorf("matmul dimensions exceed cuBLAS's int range");
  if (m == 0 || n == 0 || batch == 0)
    return Status::ok();
  cudaDataType_t t = half ? CUDA_R_16F : CUDA_R_32F;
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  cublasStatus_t st = api_->gemmStridedBatchedEx(
      handle_, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
      transA ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k), &alpha, b, t,
      int(ldb), strideB, a, t, int(lda), strideA, &beta, c, t, int(ldc),
      strideC, int(batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (st != CUBLAS_STATUS_SUCCESS)
    return errorf("cublasGemmStridedBatchedEx: ", api_->statusString(st));
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Quantized matmul launches
//===----------------------------------------------------------------------===//

Workspace::~Workspace() {
  if (ptr_)
    cudaFreeAsync(ptr_, stream_);
}

StatusOr<void *> Workspace::get(size_t bytes) {
  if (bytes <= bytes_ && ptr_)
    return ptr_;
  if (ptr_)
    cudaFreeAsync(ptr_, stream_);
  ptr_ = nullptr;
  bytes_ = 0;
  GPTQ_CUDA_TRY(cudaMallocAsync(&ptr_, bytes, stream_),
                "allocating the activation workspace");
  bytes_ = bytes;
  return ptr_;
}

Status launchQuant(const QuantKernel &k, const QuantArgs &a,
                   Workspace &workspace, cudaStream_t stream) {
  if (!k.maskK && a.k % 32 != 0)
    return errorf("the kernel is specialized for K % 32 == 0, got K = ", a.k);
  if (!k.maskN && a.n % k.tileN != 0)
    return errorf("the kernel is specialized for N % ", k.tileN,
                  " == 0, got N = ", a.n);
  if (k.maxM >= 0 && a.m > k.maxM)
    return errorf("the gemv kernel takes M <= ", k.maxM, ", got M = ", a.m);
  if (a.m > INT32_MAX || a.n > INT32_MAX || a.k > INT32_MAX)
    return errorf("dimensions exceed the kernels' int range");
  if (a.m == 0 || a.n == 0)
    return Status::ok();
  int m = int(a.m), n = int(a.n), kk = int(a.k);
  int kp = ((kk + 31) / 32) * 32;
  int mp = k.gemv ? m : ((m + 63) / 64) * 64;
  const size_t bytes = size_t(mp) * size_t(kp) * (k.gemv ? 4 : 2);
  auto ws = workspace.get(bytes > 0 ? bytes : 4);
  if (!ws)
    return ws.status();
  void *xp = *ws;
  {
    const void *x = a.x;
    const int32_t *perm = a.perm;
    void *args[] = {&x, &perm, &xp, &m, &kk, &mp, &kp};
    const int64_t total = int64_t(mp) * kp;
    const unsigned blocks =
        unsigned(std::min<int64_t>((total + 255) / 256, 65535));
    GPTQ_CUDA_TRY(cudaLaunchKernel(k.prep, dim3(blocks > 0 ? blocks : 1),
                                   dim3(256), args, 0, stream),
                  "launching the activation prep kernel");
  }
  const void *xpc = xp, *qw = a.qweight, *sc = a.scales, *qz = a.qzeros,
             *e0 = a.e0, *e1 = a.e1;
  const int32_t *cg = a.cgroup;
  const float *bias = a.bias;
  void *out = a.out;
  void *args[] = {&xpc, &qw, &sc, &qz, &cg, &bias, &e0, &e1, &out, &m, &n, &kk};
  dim3 grid(unsigned((a.n + k.tileN - 1) / k.tileN),
            unsigned((a.m + k.tileM - 1) / k.tileM), 1);
  if (grid.y > 65535)
    return errorf("M = ", a.m, " needs more than 65535 row tiles");
  GPTQ_CUDA_TRY(cudaLaunchKernel(k.kernel, grid,
                                 dim3(k.block[0], k.block[1], k.block[2]),
                                 args, 0, stream),
                "launching the quantized matmul kernel");
  return Status::ok();
}

std::string prepKernelName(bool ioF16, bool gemv) {
  return std::string("gptq_prep_x_") + (ioF16 ? "f16" : "f32") +
         (gemv ? "_gemv" : "_mma");
}

StatusOr<int> deviceSm(int device) {
  cudaDeviceProp prop;
  GPTQ_CUDA_TRY(cudaGetDeviceProperties(&prop, device),
                "reading the device properties");
  return prop.major * 10 + prop.minor;
}

} // namespace gptq::rt::cuda
