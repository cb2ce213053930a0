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

/// K of a quantized matmul: `in_features` if present, else the input's
/// static last dimension, else the static length of `g_idx`; kDynamic if
/// none is known (the verifier refuses that).
static int64_t quantMatMulK(Value input, Value gIdx,
                            std::optional<uint64_t> inFeatures) {
  if (inFeatures)
    return int64_t(*inFeatures);
  auto in = cast<RankedTensorType>(input.getType());
  if (in.getRank() >= 1 && !in.isDynamicDim(in.getRank() - 1))
    return in.getShape().back();
  if (gIdx) {
    auto gt = cast<RankedTensorType>(gIdx.getType());
    if (!gt.isDynamicDim(0))
      return gt.getDimSize(0);
  }
  return ShapedType::kDynamic;
}

int64_t MatMulNBitsOp::getK() {
  return quantMatMulK(getInput(), getGIdx(), getInFeatures());
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

static LogicalResult verifyLayout(Operation *op, std::optional<StringRef> layout) {
  if (layout && *layout != "gptq" && *layout != "gpu")
    return op->emitOpError("layout must be \"gptq\" or \"gpu\", got \"")
           << *layout << "\"";
  return success();
}

/// Input, packed operands and bias of matmul_nbits and the ops built from it.
static LogicalResult
verifyMatMulOperands(Operation *op, Value input, QuantAttr quant, Value qweight,
                     Value scales, Value qzeros, Value gIdx, Value bias,
                     std::optional<uint64_t> inFeatures, bool checkResult) {
  auto in = cast<RankedTensorType>(input.getType());
  if (in.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  if (inFeatures && (int64_t)*inFeatures <= 0)
    return op->emitOpError("in_features must be positive, got ")
           << (int64_t)*inFeatures;
  int64_t k = quantMatMulK(input, gIdx, inFeatures);
  if (ShapedType::isDynamic(k))
    return op->emitOpError(
        "input has a dynamic last dimension and neither in_features nor "
        "g_idx gives K (the packed operands give it only up to rounding)");
  int64_t inK = in.getShape().back();
  if (!ShapedType::isDynamic(inK) && inK != k)
    return op->emitOpError("input has K = ")
           << inK << " (last dimension) but the weight has K = " << k
           << (inFeatures ? " (in_features)" : " (g_idx)");
  if (failed(verifyPacked(op, k, quant, qweight, scales, qzeros, gIdx)))
    return failure();
  int64_t n = cast<RankedTensorType>(scales.getType()).getDimSize(1);
  if (bias) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (bt.getDimSize(0) != n)
      return op->emitOpError("bias dimension 0 is ")
             << bt.getDimSize(0) << ", expected N = " << n;
  }
  if (!checkResult) // matmul_nbits: InferTypeOpInterface checks it
    return success();
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> expected(in.getShape().drop_back());
  expected.push_back(n);
  if (out.getElementType() != in.getElementType() ||
      out.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("result type ")
           << out << " differs from the expected "
           << RankedTensorType::get(expected, in.getElementType());
  return success();
}

/// The steps of an epilogue and the operands they consume.
static LogicalResult verifyEpilogue(Operation *op, ArrayAttr steps,
                                    ValueRange operands) {
  size_t binary = 0;
  for (Attribute a : steps) {
    StringRef s = cast<StringAttr>(a).getValue();
    if (s == "add" || s == "mul")
      ++binary;
    else if (s != "relu" && s != "silu")
      return op->emitOpError("unknown epilogue step \"")
             << s << "\" (expected relu, silu, add or mul)";
  }
  if (binary != operands.size())
    return op->emitOpError("epilogue has ")
           << binary << " add/mul step(s) but " << operands.size()
           << " epilogue operand(s)";
  Type outType = op->getResult(0).getType();
  for (auto [i, v] : llvm::enumerate(operands))
    if (v.getType() != outType)
      return op->emitOpError("epilogue operand #")
             << i << " has type " << v.getType()
             << ", expected the result type " << outType;
  return success();
}

LogicalResult MatMulNBitsOp::verify() {
  if (failed(verifyLayout(*this, getLayout())))
    return failure();
  return verifyMatMulOperands(*this, getInput(), getQuant(), getQweight(),
                              getScales(), getQzeros(), getGIdx(), getBias(),
                              getInFeatures(), /*checkResult=*/false);
}

//===----------------------------------------------------------------------===//
// FusedMatMulNBitsOp
//===----------------------------------------------------------------------===//

int64_t FusedMatMulNBitsOp::getK() {
  return quantMatMulK(getInput(), getGIdx(), getInFeatures());
}

int64_t FusedMatMulNBitsOp::getN() {
  return cast<RankedTensorType>(getScales().getType()).getDimSize(1);
}

LogicalResult FusedMatMulNBitsOp::verify() {
  if (failed(verifyLayout(*this, getLayout())) ||
      failed(verifyMatMulOperands(*this, getInput(), getQuant(), getQweight(),
                                  getScales(), getQzeros(), getGIdx(),
                                  getBias(), getInFeatures(),
                                  /*checkResult=*/true)))
    return failure();
  if (getEpilogue().empty())
    return emitOpError("epilogue is empty (use gptq.matmul_nbits)");
  return verifyEpilogue(*this, getEpilogue(), getEpilogueOperands());
}

//===----------------------------------------------------------------------===//
// CudaKernelOp
//===----------------------------------------------------------------------===//

LogicalResult CudaKernelOp::verify() {
  if (getFunction().empty())
    return emitOpError("function name is empty");
  StringRef path = getPath();
  if (path != "gemv" && path != "mma")
    return emitOpError("path must be \"gemv\" or \"mma\", got \"")
           << path << "\"";
  Type io = getIoType();
  if (!io.isF16() && !io.isF32())
    return emitOpError("io_type must be f16 or f32, got ") << io;
  int64_t gs = getQuant().getGroupSize();
  if (gs != -1 && gs % 32 != 0)
    return emitOpError("group_size ")
           << gs << " is not supported by the CUDA kernels (-1 or a multiple "
                    "of 32)";
  for (auto [name, arr] : {std::pair<StringRef, ArrayRef<int64_t>>{"tile", getTile()},
                          {"block", getBlock()},
                          {"grid", getGrid()}})
    if (arr.size() != 3)
      return emitOpError(name) << " must have 3 entries, got " << arr.size();
  const int64_t k = int64_t(getK()), n = int64_t(getN()),
                maxM = int64_t(getMaxM()), smem = int64_t(getSmem());
  if (k <= 0 || n <= 0)
    return emitOpError("k and n must be positive, got k = ")
           << k << ", n = " << n;
  ArrayRef<int64_t> tile = getTile(), block = getBlock(), grid = getGrid();
  if (llvm::any_of(tile, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(block, [](int64_t v) { return v <= 0; }))
    return emitOpError("tile and block entries must be positive");
  if (block[0] * block[1] * block[2] > 1024)
    return emitOpError("block has ")
           << block[0] * block[1] * block[2] << " threads, more than 1024";
  if (tile[2] % 32 != 0)
    return emitOpError("tile_k ") << tile[2] << " is not a multiple of 32";
  int64_t gx = (n + tile[1] - 1) / tile[1];
  if (grid[0] != gx || (grid[1] != -1 && grid[1] <= 0) || grid[2] != 1)
    return emitOpError("grid must be [ceil(n / tile_n) = ")
           << gx << ", ceil(M / tile_m) or -1, 1]";
  if (smem < 0 || smem > 48 * 1024)
    return emitOpError("smem ") << smem << " is outside [0, 49152]";
  if (path == "gemv" && (maxM < 1 || maxM > tile[0]))
    return emitOpError("a gemv kernel needs 1 <= max_m <= tile_m, got max_m = ")
           << maxM;
  if (path == "mma" && maxM != -1)
    return emitOpError("an mma kernel takes any M: max_m must be -1, got ")
           << maxM;
  if (getMaskK() != (k % tile[2] != 0))
    return emitOpError("mask_k must be ")
           << (k % tile[2] != 0 ? "true" : "false") << " for k = " << k
           << " and tile_k = " << tile[2];
  if (getMaskN() != (n % tile[1] != 0))
    return emitOpError("mask_n must be ")
           << (n % tile[1] != 0 ? "true" : "false") << " for n = " << n
           << " and tile_n = " << tile[1];
  size_t binary = 0;
  for (Attribute a : getEpilogue()) {
    StringRef s = cast<StringAttr>(a).getValue();
    if (s == "add" || s == "mul")
      ++binary;
    else if (s != "relu" && s != "silu")
      return emitOpError("unknown epilogue step \"") << s << "\"";
  }
  if (binary > 2)
    return emitOpError("at most 2 add/mul epilogue steps are supported, got ")
           << binary;
  return success();
}

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

int64_t LaunchOp::getK() {
  return quantMatMulK(getInput(), getGIdx(), getInFeatures());
}

int64_t LaunchOp::getN() {
  return cast<RankedTensorType>(getScales().getType()).getDimSize(1);
}

LogicalResult LaunchOp::verify() {
  if (getLayout() != "gpu")
    return emitOpError("needs a weight in the \"gpu\" layout, got \"")
           << getLayout() << "\" (run gptq-repack)";
  if (getKernels().empty() || getKernels().size() > 2)
    return emitOpError("takes 1 or 2 kernels, got ") << getKernels().size();
  if (failed(verifyMatMulOperands(*this, getInput(), getQuant(), getQweight(),
                                  getScales(), getQzeros(), getGIdx(),
                                  getBias(), getInFeatures(),
                                  /*checkResult=*/true)))
    return failure();
  return verifyEpilogue(*this, getEpilogue(), getEpilogueOperands());
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto in = cast<RankedTensorType>(getInput().getType());
  int64_t m = 1;
  for (int64_t d : in.getShape().drop_back())
    m = ShapedType::isDynamic(d) || ShapedType::isDynamic(m)
            ? ShapedType::kDynamic
            : m * d;
  SmallVector<CudaKernelOp> kernels;
  for (Attribute a : getKernels()) {
    auto ref = cast<FlatSymbolRefAttr>(a);
    auto k = symbols.lookupNearestSymbolFrom<CudaKernelOp>(*this, ref);
    if (!k)
      return emitOpError("kernel ") << ref << " is not a gptq.cuda_kernel";
    if (k.getQuant() != getQuant())
      return emitOpError("kernel ")
             << ref << " has quant " << k.getQuant() << ", the op "
             << getQuant();
    if (k.getEpilogue() != getEpilogue())
      return emitOpError("kernel ") << ref << " has epilogue "
                                    << k.getEpilogue() << ", the op "
                                    << getEpilogue();
    if (k.getBias() != (getBias() != nullptr) ||
        k.getActOrder() != (getGIdx() != nullptr))
      return emitOpError("kernel ")
             << ref << " disagrees with the op on bias or act_order (g_idx)";
    if (int64_t(k.getK()) != getK() || int64_t(k.getN()) != getN())
      return emitOpError("kernel ")
             << ref << " is for k = " << int64_t(k.getK()) << ", n = "
             << int64_t(k.getN()) << ", the op has k = " << getK()
             << ", n = " << getN();
    if (k.getIoType() != in.getElementType())
      return emitOpError("kernel ") << ref << " has io_type " << k.getIoType()
                                    << ", the input is " << in.getElementType();
    kernels.push_back(k);
  }
  if (kernels.size() == 2 &&
      (kernels[0].getPath() != "gemv" || kernels[1].getPath() != "mma"))
    return emitOpError("with two kernels, the first must be a gemv kernel and "
                       "the second an mma kernel");
  if (kernels.size() == 1 && kernels[0].getPath() == "gemv" &&
      (ShapedType::isDynamic(m) || m > int64_t(kernels[0].getMaxM())))
    return emitOpError("its only kernel is a gemv kernel for M <= ")
           << int64_t(kernels[0].getMaxM()) << " but M is "
           << (ShapedType::isDynamic(m) ? std::string("dynamic")
                                        : std::to_string(m));
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
