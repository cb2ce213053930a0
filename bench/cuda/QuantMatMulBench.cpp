//===- QuantMatMulBench.cpp - W4A16 CUDA kernels vs cuBLAS fp16 -----------===//
//
//   build/bin/bench-cuda-quant [--reps R] [--device D]
//
// For W4A16 (4-bit weights, group size 128, fp16 activations and result) on
// K x N = 4096 x 4096, 4096 x 11008, 11008 x 4096 and 8192 x 8192 at
// M = 1, 4, 16 and 64, in one run:
//   * the generated kernel (gemv path for M <= 8, tensor-core path above),
//     compiled with NVRTC from the compiler's emitter, time per call and
//     effective bandwidth (packed weight + scales + zeros + activations +
//     result bytes / time);
//   * cuBLAS fp16 GEMM (fp32 accumulation) on the dequantized weight, the
//     same M, its time and bandwidth, and the speedup of the W4 kernel;
//   * the largest difference between the two results, relative to the
//     largest cuBLAS output.
// Each timed call reads another copy of the weights (copies rotate over more
// than 256 MiB, beyond the L2 cache), so the numbers are DRAM-bound as in
// inference. The device-to-device copy bandwidth (cudaMemcpy of 1 GiB,
// read + write bytes) is measured first, as the ceiling to compare with.
// Without a usable GPU it prints why and exits with status 1.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QuantToCuda/CudaKernelSpec.h"
#include "runtime/DType.h"
#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/CudaSupport.h"
#include "runtime/quant/Packing.h"
#include "runtime/quant/Repack.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace gptq::rt;
using namespace gptq::rt::cuda;
namespace codegen = gptq::cuda;

namespace {

#define BENCH_CHECK(expr)                                                      \
  do {                                                                         \
    cudaError_t _e = (expr);                                                   \
    if (_e != cudaSuccess) {                                                   \
      std::fprintf(stderr, "bench-cuda-quant: %s: %s\n", #expr,                \
                   cudaErrorText(_e).c_str());                                 \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

template <typename T> T orDie(StatusOr<T> v) {
  if (!v) {
    std::fprintf(stderr, "bench-cuda-quant: %s\n", v.status().message().c_str());
    std::exit(1);
  }
  return v.take();
}

void orDie(const Status &st) {
  if (!st) {
    std::fprintf(stderr, "bench-cuda-quant: %s\n", st.message().c_str());
    std::exit(1);
  }
}

void *deviceAlloc(size_t bytes) {
  void *p = nullptr;
  BENCH_CHECK(cudaMalloc(&p, bytes));
  return p;
}

template <typename T> void *upload(const std::vector<T> &v) {
  void *p = deviceAlloc(v.size() * sizeof(T));
  BENCH_CHECK(cudaMemcpy(p, v.data(), v.size() * sizeof(T),
                         cudaMemcpyHostToDevice));
  return p;
}

/// Average seconds of `reps` calls of f(i) (after 3 warm-up calls).
template <typename F> double timeCalls(cudaStream_t s, int reps, F &&f) {
  for (int i = 0; i < 3; ++i)
    f(i);
  cudaEvent_t a, b;
  BENCH_CHECK(cudaEventCreate(&a));
  BENCH_CHECK(cudaEventCreate(&b));
  BENCH_CHECK(cudaEventRecord(a, s));
  for (int i = 0; i < reps; ++i)
    f(i);
  BENCH_CHECK(cudaEventRecord(b, s));
  BENCH_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  BENCH_CHECK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / 1e3 / reps;
}

} // namespace

int main(int argc, char **argv) {
  int reps = 50, device = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--device" && i + 1 < argc)
      device = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--reps R] [--device D]\n", argv[0]);
      return 2;
    }
  }
  std::string description;
  if (Status st = probeDevice(device, &description); !st) {
    std::fprintf(stderr,
                 "bench-cuda-quant: no GPU to benchmark on: %s\n"
                 "bench-cuda-quant: nothing was measured.\n",
                 st.message().c_str());
    return 1;
  }
  BENCH_CHECK(cudaSetDevice(device));
  cudaStream_t stream;
  BENCH_CHECK(cudaStreamCreate(&stream));
  const int sm = orDie(deviceSm(device));
  std::printf("device %d: %s\n", device, description.c_str());

  // Device-to-device copy bandwidth: the ceiling for streaming kernels.
  {
    const size_t bytes = size_t(1) << 30;
    void *a = deviceAlloc(bytes), *b = deviceAlloc(bytes);
    double t = timeCalls(stream, 10, [&](int) {
      cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream);
    });
    std::printf("device-to-device copy: %.1f GB/s (1 GiB, read + write)\n",
                2.0 * bytes / t / 1e9);
    cudaFree(a);
    cudaFree(b);
  }

  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {4096, 4096}, {4096, 11008}, {11008, 4096}, {8192, 8192}};
  const std::vector<int64_t> ms = {1, 4, 16, 64};
  const int bits = 4;
  const int64_t gs = 128;

  // One NVRTC module with every kernel the shapes need.
  std::string source = codegen::emitPrelude();
  std::vector<std::string> emitted;
  auto specFor = [&](int64_t k, int64_t n, codegen::KernelPath path) {
    codegen::KernelSpec s;
    s.bits = bits;
    s.groupSize = gs;
    s.path = path;
    s.ioF16 = true;
    s.maskK = k % 32 != 0;
    s.maskN = n % codegen::launchShape(s).tileN != 0;
    return s;
  };
  for (auto [k, n] : shapes)
    for (codegen::KernelPath p : {codegen::KernelPath::Gemv, codegen::KernelPath::Mma}) {
      codegen::KernelSpec s = specFor(k, n, p);
      std::string name = codegen::functionName(s);
      if (std::find(emitted.begin(), emitted.end(), name) == emitted.end()) {
        emitted.push_back(name);
        source += codegen::emitKernel(s);
      }
    }
  auto library = orDie(KernelLibrary::load(orDie(compileWithNvrtc(source, sm))));
  auto blas = orDie(Blas::create(stream));
  Workspace workspace(stream);

  std::printf("\nW4A16, group size %lld, fp16 in/out; cuBLAS: fp16 GEMM with "
              "fp32 accumulation on the dequantized weight\n",
              (long long)gs);
  std::printf("%-12s %4s %5s %10s %9s %12s %10s %8s %10s\n", "K x N", "M",
              "path", "W4 us", "W4 GB/s", "cuBLAS us", "cuBLAS GB/s",
              "speedup", "rel diff");
  std::mt19937 rng(7);
  for (auto [k, n] : shapes) {
    const int64_t groups = quant::numGroups(k, gs);
    std::uniform_int_distribution<int32_t> qd(0, 15);
    std::uniform_real_distribution<float> sd(0.005f, 0.02f);
    std::vector<int32_t> q(size_t(k * n));
    for (int32_t &v : q)
      v = qd(rng);
    std::vector<int32_t> packed(size_t(quant::packedRows(k, bits) * n)),
        gpu(packed.size());
    quant::packWeights(q.data(), k, n, bits, packed.data());
    orDie(quant::repackToGpu(packed.data(), k, n, bits, nullptr, gpu.data()));
    std::vector<int32_t> zrow(size_t(n), 8);
    const int64_t zc = quant::packedZeroCols(n, bits);
    std::vector<int32_t> qz(size_t(groups * zc));
    for (int64_t g = 0; g < groups; ++g)
      quant::packRow(zrow.data(), n, bits, qz.data() + g * zc);
    std::vector<float> scales(size_t(groups * n));
    std::vector<uint16_t> scales16(scales.size());
    for (size_t i = 0; i < scales.size(); ++i) {
      scales16[i] = floatToHalf(sd(rng));
      scales[i] = halfToFloat(scales16[i]);
    }
    std::vector<uint16_t> w16(size_t(k * n));
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c)
        w16[r * n + c] = floatToHalf(float(q[r * n + c] - 8) *
                                     scales[(r / gs) * n + c]);
    q = {};
    // Rotating copies: more than 256 MiB of weights per kind.
    const size_t qBytes = gpu.size() * 4 + scales16.size() * 2 + qz.size() * 4;
    const size_t hBytes = w16.size() * 2;
    const int qCopies = int(std::max<size_t>(2, (size_t(256) << 20) / qBytes + 1));
    const int hCopies = int(std::max<size_t>(2, (size_t(256) << 20) / hBytes + 1));
    std::vector<void *> dq, ds, dz, dh;
    for (int i = 0; i < qCopies; ++i) {
      dq.push_back(upload(gpu));
      ds.push_back(upload(scales16));
      dz.push_back(upload(qz));
    }
    for (int i = 0; i < hCopies; ++i)
      dh.push_back(upload(w16));
    for (int64_t m : ms) {
      std::vector<uint16_t> x(size_t(m * k));
      std::normal_distribution<float> xd(0.0f, 1.0f);
      for (uint16_t &v : x)
        v = floatToHalf(xd(rng));
      void *dx = upload(x);
      void *outQ = deviceAlloc(size_t(m * n) * 2), *outH = deviceAlloc(size_t(m * n) * 2);
      const codegen::KernelPath path =
          m <= codegen::kGemvMaxM ? codegen::KernelPath::Gemv : codegen::KernelPath::Mma;
      codegen::KernelSpec spec = specFor(k, n, path);
      codegen::LaunchShape shape = codegen::launchShape(spec);
      QuantKernel qk;
      qk.kernel = orDie(library->kernel(codegen::functionName(spec)));
      qk.prep = orDie(library->kernel(codegen::prepKernelName(true, path)));
      qk.gemv = path == codegen::KernelPath::Gemv;
      qk.ioF16 = true;
      qk.tileM = shape.tileM;
      qk.tileN = shape.tileN;
      for (int i = 0; i < 3; ++i)
        qk.block[i] = int(shape.block[i]);
      qk.maxM = shape.maxM;
      qk.maskK = spec.maskK;
      qk.maskN = spec.maskN;
      auto runQ = [&](int i) {
        QuantArgs a;
        a.x = dx;
        a.qweight = dq[i % qCopies];
        a.scales = ds[i % qCopies];
        a.qzeros = dz[i % qCopies];
        a.out = outQ;
        a.m = m;
        a.n = n;
        a.k = k;
        orDie(launchQuant(qk, a, workspace, stream));
      };
      auto runH = [&](int i) {
        orDie(blas->gemm(true, false, false, m, n, k, 1.0f, dx, k, 0,
                         dh[i % hCopies], n, 0, 0.0f, outH, n, 0, 1));
      };
      const double tq = timeCalls(stream, reps, runQ);
      const double th = timeCalls(stream, reps, runH);
      std::vector<uint16_t> yq(size_t(m * n)), yh(size_t(m * n));
      BENCH_CHECK(cudaMemcpy(yq.data(), outQ, yq.size() * 2, cudaMemcpyDeviceToHost));
      BENCH_CHECK(cudaMemcpy(yh.data(), outH, yh.size() * 2, cudaMemcpyDeviceToHost));
      double maxAbs = 0, maxDiff = 0;
      for (size_t i = 0; i < yq.size(); ++i) {
        maxAbs = std::max(maxAbs, double(std::fabs(halfToFloat(yh[i]))));
        maxDiff = std::max(maxDiff, double(std::fabs(halfToFloat(yq[i]) -
                                                     halfToFloat(yh[i]))));
      }
      const double io = double(m * k + m * n) * 2;
      char label[32];
      std::snprintf(label, sizeof label, "%lldx%lld", (long long)k, (long long)n);
      std::printf("%-12s %4lld %5s %10.2f %9.1f %12.2f %10.1f %7.2fx %10.2e\n",
                  label, (long long)m, codegen::pathName(path), tq * 1e6,
                  (qBytes + io) / tq / 1e9, th * 1e6, (hBytes + io) / th / 1e9,
                  th / tq, maxDiff / std::max(maxAbs, 1e-30));
      cudaFree(dx);
      cudaFree(outQ);
      cudaFree(outH);
    }
    for (void *p : dq)
      cudaFree(p);
    for (void *p : ds)
      cudaFree(p);
    for (void *p : dz)
      cudaFree(p);
    for (void *p : dh)
      cudaFree(p);
  }
  BENCH_CHECK(cudaStreamSynchronize(stream));
  return 0;
}
