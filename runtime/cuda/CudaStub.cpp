//===- CudaStub.cpp - the CUDA backend API without the toolkit ------------===//
//
// Built instead of the CUDA backend when CMake found no CUDA toolkit (or
// GPTQ_ENABLE_CUDA=OFF): every call fails with a message that says so.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaExecutor.h"

namespace gptq::rt::cuda {

namespace {
Status notBuilt() {
  return errorf("this build of gptq-mlir has no CUDA backend (it was "
                "configured without the CUDA toolkit or with "
                "GPTQ_ENABLE_CUDA=OFF)");
}
} // namespace

bool backendBuilt() { return false; }

Status probeDevice(int, std::string *) { return notBuilt(); }

struct CudaExecutor::Impl {
  CudaRunStats stats;
};

CudaExecutor::CudaExecutor() : impl_(std::make_unique<Impl>()) {}
CudaExecutor::~CudaExecutor() = default;

StatusOr<std::unique_ptr<CudaExecutor>>
CudaExecutor::create(std::shared_ptr<const Plan>, const std::string &,
                     const CudaOptions &) {
  return notBuilt();
}

const Plan &CudaExecutor::plan() const {
  static const Plan empty;
  return empty;
}

Status CudaExecutor::run(const NamedTensors &, NamedTensors &) {
  return notBuilt();
}

const CudaRunStats &CudaExecutor::lastRunStats() const { return impl_->stats; }

} // namespace gptq::rt::cuda
