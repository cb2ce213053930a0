//===- Kernels.h - the CPU kernels, by family -------------------*- C++ -*-===//
//
// Internal to runtime/kernels: the kernel functions that kernelFor hands
// out. Several OpKinds share one function, which reads step.kind.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_KERNELS_KERNELS_H
#define GPTQ_RUNTIME_KERNELS_KERNELS_H

#include "runtime/kernels/Kernel.h"

namespace gptq::rt::kern {

// Elementwise.cpp
Status kernelArith(const KernelArgs &a); ///< add sub mul div min max
Status kernelPow(const KernelArgs &a);
Status kernelCompare(const KernelArgs &a); ///< equal less ... greater_equal
Status kernelLogical(const KernelArgs &a); ///< and or xor
Status kernelNot(const KernelArgs &a);
Status kernelWhere(const KernelArgs &a);
Status kernelUnaryFloat(const KernelArgs &a);   ///< sqrt exp ... gelu
Status kernelUnaryNumeric(const KernelArgs &a); ///< neg abs relu
Status kernelClip(const KernelArgs &a);
Status kernelCast(const KernelArgs &a);

// MatMul.cpp
Status kernelMatMul(const KernelArgs &a);
Status kernelGemm(const KernelArgs &a);

// ShapeOps.cpp
Status kernelReshape(const KernelArgs &a);
Status kernelTranspose(const KernelArgs &a);
Status kernelGather(const KernelArgs &a);
Status kernelConcat(const KernelArgs &a);
Status kernelSlice(const KernelArgs &a);
Status kernelSplit(const KernelArgs &a);
Status kernelSqueeze(const KernelArgs &a);
Status kernelUnsqueeze(const KernelArgs &a);
Status kernelExpand(const KernelArgs &a);
Status kernelShapeOf(const KernelArgs &a);
Status kernelSize(const KernelArgs &a);
Status kernelConstantOfShape(const KernelArgs &a);
Status kernelRange(const KernelArgs &a);

// Reduce.cpp
Status kernelReduce(const KernelArgs &a); ///< reduce_sum/mean/max/min
Status kernelSoftmax(const KernelArgs &a);
Status kernelLayerNorm(const KernelArgs &a);
Status kernelRMSNorm(const KernelArgs &a);

// Misc.cpp
Status kernelTrilu(const KernelArgs &a);
Status kernelCumSum(const KernelArgs &a);
Status kernelScatterND(const KernelArgs &a);
Status kernelRotaryEmbedding(const KernelArgs &a);

// Attention.cpp
Status kernelAttention(const KernelArgs &a);

// MathOps.cpp
Status kernelIsNaNInf(const KernelArgs &a); ///< is_nan is_inf
Status kernelSign(const KernelArgs &a);
Status kernelRound(const KernelArgs &a);
Status kernelMod(const KernelArgs &a);
Status kernelBitwise(const KernelArgs &a); ///< bitwise_and/or/xor
Status kernelBitwiseNot(const KernelArgs &a);

// IndexOps.cpp
Status kernelGatherND(const KernelArgs &a);
Status kernelGatherElements(const KernelArgs &a);
Status kernelScatterElements(const KernelArgs &a);
Status kernelTile(const KernelArgs &a);
Status kernelArgMinMax(const KernelArgs &a); ///< arg_max arg_min

// ReduceMore.cpp
Status kernelReduceMore(const KernelArgs &a); ///< reduce_prod/l2/log_sum_exp

} // namespace gptq::rt::kern

#endif // GPTQ_RUNTIME_KERNELS_KERNELS_H
