//===- GPTQOps.cpp - gptq dialect -------------------------------*- C++ -*-===//

#include "dialects/GPTQ/IR/GPTQOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace gptq::quant;

#include "dialects/GPTQ/IR/GPTQDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/GPTQ/IR/GPTQAttrs.cpp.inc"

void GPTQDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/GPTQ/IR/GPTQAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/GPTQ/IR/GPTQOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// QuantAttr
//===----------------------------------------------------------------------===//

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t bits, int64_t groupSize, bool sym,
                                bool descAct) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return emitError() << "bits must be 2, 3, 4 or 8, got " << bits;
  if (groupSize != -1 && groupSize <= 0)
    return emitError() << "group_size must be -1 or positive, got "
                       << groupSize;
  return success();
}

int64_t QuantAttr::getNumGroups(int64_t k) const {
  if (getGroupSize() <= 0)
    return 1;
  return (k + getGroupSize() - 1) / getGroupSize();
}

int64_t QuantAttr::getPackedRows(int64_t k) const {
  return (k * getBits() + 31) / 32;
}

int64_t QuantAttr::getPackedZeroCols(int64_t n) const {
  return (n * getBits() + 31) / 32;
}

//===----------------------------------------------------------------------===//
// Shared verification of packed operands
//===----------------------------------------------------------------------===//

/// Checks that qweight/scales/qzeros/g_idx agree with K, N and the quant
/// parameters; names the operand and dimension at fault.
static LogicalResult verifyPacked(Operation *op, int64_t k, QuantAttr quant,
                                  Value qweight, Value scales, Value qzeros,
                                  Value gIdx) {
  auto qw = cast<RankedTensorType>(qweight.getType());
  auto sc = cast<RankedTensorType>(scales.getType());
  auto qz = cast<RankedTensorType>(qzeros.getType());
  int64_t n = sc.getDimSize(1);
  if (ShapedType::isDynamic(n))
    return op->emitOpError("scales must have a static N (dimension 1)");
  if (!qw.hasStaticShape() || !sc.hasStaticShape() || !qz.hasStaticShape())
    return op->emitOpError("packed operands must have static shapes");
  int64_t groups = quant.getNumGroups(k);
  int64_t rows = quant.getPackedRows(k);
  if (qw.getDimSize(0) != rows)
    return op->emitOpError("qweight dimension 0 is ")
           << qw.getDimSize(0) << ", expected " << rows << " = ceil(K=" << k
           << " * bits=" << quant.getBits() << " / 32)";
  if (qw.getDimSize(1) != n)
    return op->emitOpError("qweight dimension 1 is ")
           << qw.getDimSize(1) << ", expected N = " << n;
  if (sc.getDimSize(0) != groups)
    return op->emitOpError("scales dimension 0 is ")
           << sc.getDimSize(0) << ", expected " << groups
           << " groups (K=" << k << ", group_size=" << quant.getGroupSize()
           << ")";
  if (qz.getDimSize(0) != groups)
    return op->emitOpError("qzeros dimension 0 is ")
           << qz.getDimSize(0) << ", expected " << groups << " groups";
  int64_t zcols = quant.getPackedZeroCols(n);
  if (qz.getDimSize(1) != zcols)
    return op->emitOpError("qzeros dimension 1 is ")
           << qz.getDimSize(1) << ", expected " << zcols << " = ceil(N=" << n
           << " * bits=" << quant.getBits() << " / 32)";
  if (gIdx) {
    auto gt = cast<RankedTensorType>(gIdx.getType());
    if (gt.getDimSize(0) != k)
      return op->emitOpError("g_idx dimension 0 is ")
             << gt.getDimSize(0) << ", expected K = " << k;
  } else if (quant.getDescAct()) {
    return op->emitOpError("desc_act = true requires a g_idx operand");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MatMulNBitsOp
//===----------------------------------------------------------------------===//

int64_t MatMulNBitsOp::getK() {
  return cast<RankedTensorType>(getInput().getType()).getShape().back();
}

int64_t MatMulNBitsOp::getN() {
  return cast<RankedTensorType>(getScales().getType()).getDimSize(1);
}

LogicalResult MatMulNBitsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  if (operands.size() < 3)
    return failure();
  auto in = cast<RankedTensorType>(operands[0].getType());
  auto sc = cast<RankedTensorType>(operands[2].getType());
  if (in.getRank() < 1 || sc.getRank() != 2)
    return emitOptionalError(location, "'gptq.matmul_nbits' op input must "
                                       "have rank >= 1 and scales rank 2");
  SmallVector<int64_t> shape(in.getShape().drop_back());
  shape.push_back(sc.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult MatMulNBitsOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t k = in.getShape().back();
  if (ShapedType::isDynamic(k))
    return emitOpError("input must have a static K (last dimension)");
  if (failed(verifyPacked(*this, k, getQuant(), getQweight(), getScales(),
                          getQzeros(), getGIdx())))
    return failure();
  if (Value bias = getBias()) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (bt.getDimSize(0) != getN())
      return emitOpError("bias dimension 0 is ")
             << bt.getDimSize(0) << ", expected N = " << getN();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (!out.hasStaticShape())
    return emitOpError("result must have a static [K, N] shape");
  auto sc = cast<RankedTensorType>(getScales().getType());
  if (out.getElementType() != sc.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from the scales' "
           << sc.getElementType();
  if (out.getDimSize(1) != sc.getDimSize(1))
    return emitOpError("result dimension 1 is ")
           << out.getDimSize(1) << ", expected N = " << sc.getDimSize(1);
  return verifyPacked(*this, out.getDimSize(0), getQuant(), getQweight(),
                      getScales(), getQzeros(), getGIdx());
}

#define GET_OP_CLASSES
#include "dialects/GPTQ/IR/GPTQOps.cpp.inc"
