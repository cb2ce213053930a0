//===- KernelRegistry.cpp - OpKind -> kernel --------------------*- C++ -*-===//

#include "runtime/kernels/Kernels.h"

namespace gptq::rt {

namespace {
using namespace kern;

Status unknownKernel(const KernelArgs &a) {
  return errorf(stepPrefix(a.step), "no CPU kernel for this op");
}

KernelFn lookup(OpKind kind) {
  switch (kind) {
  case OpKind::ConstantOfShape: return kernelConstantOfShape;
  case OpKind::Range: return kernelRange;
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Relu: return kernelUnaryNumeric;
  case OpKind::Sqrt:
  case OpKind::Reciprocal:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Tanh:
  case OpKind::Erf:
  case OpKind::Sigmoid:
  case OpKind::Cos:
  case OpKind::Sin:
  case OpKind::Floor:
  case OpKind::Ceil:
  case OpKind::Gelu: return kernelUnaryFloat;
  case OpKind::Not: return kernelNot;
  case OpKind::Clip: return kernelClip;
  case OpKind::Cast: return kernelCast;
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Min:
  case OpKind::Max: return kernelArith;
  case OpKind::Pow: return kernelPow;
  case OpKind::And:
  case OpKind::Or:
  case OpKind::Xor: return kernelLogical;
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual: return kernelCompare;
  case OpKind::Where: return kernelWhere;
  case OpKind::MatMul: return kernelMatMul;
  case OpKind::Gemm: return kernelGemm;
  case OpKind::Reshape: return kernelReshape;
  case OpKind::Transpose: return kernelTranspose;
  case OpKind::Gather: return kernelGather;
  case OpKind::Concat: return kernelConcat;
  case OpKind::Slice: return kernelSlice;
  case OpKind::Split: return kernelSplit;
  case OpKind::Squeeze: return kernelSqueeze;
  case OpKind::Unsqueeze: return kernelUnsqueeze;
  case OpKind::Expand: return kernelExpand;
  case OpKind::ShapeOf: return kernelShapeOf;
  case OpKind::Size: return kernelSize;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: return kernelReduce;
  case OpKind::Softmax: return kernelSoftmax;
  case OpKind::LayerNorm: return kernelLayerNorm;
  case OpKind::RMSNorm: return kernelRMSNorm;
  case OpKind::Trilu: return kernelTrilu;
  case OpKind::CumSum: return kernelCumSum;
  case OpKind::ScatterND: return kernelScatterND;
  case OpKind::RotaryEmbedding: return kernelRotaryEmbedding;
  case OpKind::Attention: return kernelAttention;
  case OpKind::IsNaN:
  case OpKind::IsInf: return kernelIsNaNInf;
  case OpKind::Sign: return kernelSign;
  case OpKind::Round: return kernelRound;
  case OpKind::Mod: return kernelMod;
  case OpKind::BitwiseAnd:
  case OpKind::BitwiseOr:
  case OpKind::BitwiseXor: return kernelBitwise;
  case OpKind::BitwiseNot: return kernelBitwiseNot;
  case OpKind::GatherND: return kernelGatherND;
  case OpKind::GatherElements: return kernelGatherElements;
  case OpKind::ScatterElements: return kernelScatterElements;
  case OpKind::Tile: return kernelTile;
  case OpKind::ArgMax:
  case OpKind::ArgMin: return kernelArgMinMax;
  case OpKind::ReduceProd:
  case OpKind::ReduceL2:
  case OpKind::ReduceLogSumExp: return kernelReduceMore;
  case OpKind::MatMulNBits: return kernelMatMulNBits;
  case OpKind::FusedMatMulNBits:
  case OpKind::Launch: return kernelFusedMatMulNBits;
  case OpKind::Dequantize: return kernelDequantize;
  }
  return unknownKernel;
}
} // namespace

KernelFn kernelFor(OpKind kind) { return lookup(kind); }

} // namespace gptq::rt
