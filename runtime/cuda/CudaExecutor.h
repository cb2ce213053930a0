//===- CudaExecutor.h - run a plan on an NVIDIA GPU -------------*- C++ -*-===//
//
// The CUDA backend: executes a Plan with the float tensors on the GPU.
//   * gptq.launch steps run the compiler's generated kernels (the source
//     printed by gptq-translate --emit-cuda, compiled here with NVRTC for the
//     device's architecture when the executor is created);
//   * nn.matmul / nn.gemm on f32/f16 run on cuBLAS;
//   * elementwise, gather, softmax, reductions, rms/layer norm, transpose,
//     reshape, concat, slice, split, expand, trilu, where, cast run on
//     simple CUDA kernels of this backend;
//   * everything else - mostly integer shape arithmetic on small tensors -
//     runs on the host with the CPU kernels (the reference), moving tensors
//     between host and device only when a step needs them on the other side.
// Weights (plan constants) are uploaded once, on first use.
//
// Plain C++: no CUDA type appears here, and without the CUDA toolkit the
// same API is built as a stub whose calls fail with a clear message.
// cuBLAS and NVRTC are loaded with dlopen when an executor is created, so
// programs linking this backend start (and run on the CPU) on machines
// without them.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_CUDA_CUDAEXECUTOR_H
#define GPTQ_RUNTIME_CUDA_CUDAEXECUTOR_H

#include "runtime/Executor.h"

#include <memory>
#include <string>
#include <vector>

namespace gptq::rt::cuda {

/// Whether this build has the CUDA backend (the toolkit was found).
bool backendBuilt();

/// Ok when CUDA device `device` can run kernels (sm_80 or newer); otherwise
/// an error saying why: no CUDA backend in this build, no driver, no device,
/// an older architecture. `description` receives "NVIDIA H200 (sm_90, 139
/// GiB)" on success.
Status probeDevice(int device = 0, std::string *description = nullptr);

struct CudaOptions {
  int device = 0;
  /// Print where each step ran (device or host) after the first run.
  bool verbose = false;
};

/// Counts of the last run.
struct CudaRunStats {
  size_t deviceSteps = 0, hostSteps = 0;
  size_t uploads = 0, downloads = 0; ///< tensors moved between host and device
  /// "nn.shape x12" for the kinds that ran on the host.
  std::vector<std::string> hostKinds;
};

class CudaExecutor {
public:
  /// Compiles `kernelSource` (may be empty when the plan has no
  /// gptq.launch) and prepares the device. Fails with a clear message when
  /// there is no usable GPU.
  static StatusOr<std::unique_ptr<CudaExecutor>>
  create(std::shared_ptr<const Plan> plan, const std::string &kernelSource,
         const CudaOptions &options = {});
  ~CudaExecutor();

  const Plan &plan() const;

  /// Runs the plan once; inputs are bound and checked as by Executor::run,
  /// outputs are copied back to the host.
  Status run(const NamedTensors &inputs, NamedTensors &outputs);

  const CudaRunStats &lastRunStats() const;

private:
  CudaExecutor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace gptq::rt::cuda

#endif // GPTQ_RUNTIME_CUDA_CUDAEXECUTOR_H
