//===- Kernel.h - the kernel interface of the CPU runtime ------*- C++ -*-===//
//
// One kernel per OpKind. A kernel reads its inputs, computes the output
// shapes from them and the step's attributes (ONNX semantics), allocates the
// outputs and fills them. Errors name the step (see stepError).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_KERNELS_KERNEL_H
#define GPTQ_RUNTIME_KERNELS_KERNEL_H

#include "runtime/Plan.h"

#include <vector>

namespace gptq::rt {

struct KernelArgs {
  const Step &step;
  /// One per step input; null for an absent optional operand.
  const std::vector<const Tensor *> &inputs;
  /// Resized to step.outputs.size() by the caller; the kernel assigns them.
  std::vector<Tensor> &outputs;
};

using KernelFn = Status (*)(const KernelArgs &);

/// The kernel of `kind` (never null for a kind listed in Ops.def).
KernelFn kernelFor(OpKind kind);

/// "step '<name>' (<op>): " prefix for kernel errors.
std::string stepPrefix(const Step &step);

// Quantized kernels, implemented in runtime/quant.
Status kernelMatMulNBits(const KernelArgs &args);
/// gptq.fused_matmul_nbits and gptq.launch (matmul, epilogue).
Status kernelFusedMatMulNBits(const KernelArgs &args);
Status kernelDequantize(const KernelArgs &args);

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_KERNELS_KERNEL_H
