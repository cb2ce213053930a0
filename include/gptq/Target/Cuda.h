//===- Cuda.h - modules to CUDA C++ ----------------------------*- C++ -*-===//
//
// The translation behind `gptq-translate --emit-cuda` and `gptq-run
// --device cuda`: lowering a quantized module for the CUDA backend and
// printing the source of its kernels.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_TARGET_CUDA_H
#define GPTQ_TARGET_CUDA_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace gptq {

/// Runs gptq-repack, gptq-fuse-epilogue and gptq-lower-to-cuda on `module`
/// when it still has gptq.matmul_nbits / gptq.fused_matmul_nbits ops (a
/// module without them is left alone). Emits diagnostics on failure.
mlir::LogicalResult lowerForCuda(mlir::ModuleOp module);

/// Prints the CUDA C++ of every gptq.cuda_kernel of `module`: the shared
/// prelude (helpers, activation prep kernels), then one `__global__` per
/// distinct specialization, in the order of first use. Emits a diagnostic
/// naming the kernel op whose attributes the emitter cannot honour.
mlir::LogicalResult emitCuda(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace gptq

#endif // GPTQ_TARGET_CUDA_H
