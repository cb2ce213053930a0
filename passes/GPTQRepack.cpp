//===- GPTQRepack.cpp - weights into the layout of the CUDA kernels -------===//
//
// gptq-repack: qweight constants of quantized matmuls are rewritten from the
// GPTQ layout into the "gpu" layout (runtime/quant/Repack.h) and the op
// records layout = "gpu".
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "gptq/Exec/PlanBuilder.h"
#include "runtime/quant/Repack.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace gptq {
#define GEN_PASS_DEF_GPTQREPACK
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;

namespace {

/// The int32 contents of a constant operand, or failure.
FailureOr<std::vector<int32_t>> constantInts(Value v) {
  auto cst = v.getDefiningOp<nn::ConstantOp>();
  if (!cst)
    return failure();
  auto t = tensorFromAttr(cst.getValue());
  if (failed(t) || t->dtype() != rt::DType::I32)
    return failure();
  const int32_t *p = t->data<int32_t>();
  return std::vector<int32_t>(p, p + t->numel());
}

std::string constantName(Value v, StringRef fallback) {
  if (auto cst = v.getDefiningOp<nn::ConstantOp>())
    if (auto n = dyn_cast<NameLoc>(cst.getLoc()))
      return n.getName().str();
  return fallback.str();
}

/// Repacks the qweight operand of `op` (a MatMulNBitsOp or
/// FusedMatMulNBitsOp) in place.
template <typename OpT> LogicalResult repack(OpT op) {
  if (op.getLayoutName() == "gpu")
    return success();
  quant::QuantAttr q = op.getQuant();
  const int64_t k = op.getK(), n = op.getN();
  auto words = constantInts(op.getQweight());
  if (failed(words))
    return op.emitOpError("cannot be repacked: qweight is not an i32 "
                          "nn.constant");
  std::vector<int32_t> gIdx;
  if (Value g = op.getGIdx()) {
    auto gi = constantInts(g);
    if (failed(gi))
      return op.emitOpError("cannot be repacked: g_idx is not an i32 "
                            "nn.constant");
    gIdx = std::move(*gi);
  }
  std::vector<int32_t> out(words->size());
  rt::Status st = rt::quant::repackToGpu(
      words->data(), k, n, int(q.getBits()), gIdx.empty() ? nullptr : gIdx.data(),
      out.data());
  if (!st)
    return op.emitOpError("cannot be repacked: ") << st.message();

  OpBuilder b(op);
  auto type = cast<RankedTensorType>(op.getQweight().getType());
  ArrayRef<char> raw(reinterpret_cast<const char *>(out.data()),
                     out.size() * sizeof(int32_t));
  std::string name = constantName(op.getQweight(), "qweight") + ".gpu";
  ElementsAttr attr;
  if (type.getNumElements() <= 16)
    attr = DenseElementsAttr::getFromRawBuffer(type, raw);
  else
    attr = DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, 4));
  Location loc = NameLoc::get(b.getStringAttr(name), op.getLoc());
  Value old = op.getQweight();
  auto cst = nn::ConstantOp::create(b, loc, attr);
  op.getQweightMutable().assign(cst.getResult());
  op.setLayout(StringRef("gpu"));
  if (Operation *def = old.getDefiningOp(); def && def->use_empty())
    def->erase();
  return success();
}

struct GPTQRepackPass : public gptq::impl::GPTQRepackBase<GPTQRepackPass> {
  using GPTQRepackBase::GPTQRepackBase;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<quant::MatMulNBitsOp, quant::FusedMatMulNBitsOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      LogicalResult r = success();
      if (auto mm = dyn_cast<quant::MatMulNBitsOp>(op))
        r = repack(mm);
      else
        r = repack(cast<quant::FusedMatMulNBitsOp>(op));
      if (failed(r))
        return signalPassFailure();
    }
  }
};

} // namespace
