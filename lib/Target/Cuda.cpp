//===- Cuda.cpp - modules to CUDA C++ ---------------------------*- C++ -*-===//

#include "gptq/Target/Cuda.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "passes/Conversion/QuantToCuda/CudaKernelSpec.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

#include <set>

using namespace mlir;

LogicalResult gptq::lowerForCuda(ModuleOp module) {
  bool quantized = false;
  module.walk([&](Operation *op) {
    if (isa<quant::MatMulNBitsOp, quant::FusedMatMulNBitsOp>(op))
      quantized = true;
  });
  if (!quantized)
    return success();
  PassManager pm(module.getContext());
  pm.addPass(createGPTQRepack());
  pm.addPass(createGPTQFuseEpilogue());
  pm.addPass(createGPTQLowerToCuda());
  return pm.run(module);
}

LogicalResult gptq::emitCuda(ModuleOp module, llvm::raw_ostream &os) {
  std::set<std::string> emitted;
  std::string body;
  WalkResult r = module.walk([&](quant::CudaKernelOp k) -> WalkResult {
    cuda::KernelSpec spec;
    spec.bits = int(k.getQuant().getBits());
    spec.groupSize = k.getQuant().getGroupSize();
    spec.actOrder = k.getActOrder();
    spec.path = k.getPath() == "gemv" ? cuda::KernelPath::Gemv
                                      : cuda::KernelPath::Mma;
    spec.ioF16 = k.getIoType().isF16();
    spec.bias = k.getBias();
    for (Attribute a : k.getEpilogue())
      spec.epilogue.push_back(cast<StringAttr>(a).getValue().str());
    spec.maskK = k.getMaskK();
    spec.maskN = k.getMaskN();
    std::string error;
    if (!cuda::validate(spec, error))
      return k.emitOpError("cannot be emitted: ") << error, WalkResult::interrupt();
    std::string name = cuda::functionName(spec);
    if (name != k.getFunction())
      return k.emitOpError("names function '")
                 << k.getFunction() << "' but its specialization is '"
                 << name << "'",
             WalkResult::interrupt();
    cuda::LaunchShape shape = cuda::launchShape(spec);
    ArrayRef<int64_t> tile = k.getTile(), block = k.getBlock();
    if (tile[0] != shape.tileM || tile[1] != shape.tileN ||
        tile[2] != shape.tileK || block[0] != shape.block[0] ||
        block[1] != shape.block[1] || block[2] != shape.block[2])
      return k.emitOpError("has a tile or block the emitted kernel does not "
                           "use (expected tile [")
                 << shape.tileM << ", " << shape.tileN << ", " << shape.tileK
                 << "], block [" << shape.block[0] << ", " << shape.block[1]
                 << ", " << shape.block[2] << "])",
             WalkResult::interrupt();
    if (emitted.insert(name).second)
      body += cuda::emitKernel(spec) + "\n";
    return WalkResult::advance();
  });
  if (r.wasInterrupted())
    return failure();
  os << cuda::emitPrelude() << body;
  return success();
}
