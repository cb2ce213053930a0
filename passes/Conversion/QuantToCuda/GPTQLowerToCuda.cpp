//===- GPTQLowerToCuda.cpp - quantized matmuls to CUDA kernel launches ----===//
//
// gptq-lower-to-cuda: every gptq.matmul_nbits / gptq.fused_matmul_nbits
// becomes a gptq.launch of one or two outlined gptq.cuda_kernel ops (see
// Passes.td and CudaKernelSpec.h).
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QuantToCuda/CudaKernelSpec.h"
#include "passes/Passes.h"

#include "gptq/Exec/PlanBuilder.h"
#include "runtime/quant/Repack.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"

namespace gptq {
#define GEN_PASS_DEF_GPTQLOWERTOCUDA
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;

namespace {

/// The parts of a quantized matmul op the lowering reads.
struct QuantOp {
  Operation *op;
  Value input, qweight, scales, qzeros, gIdx, bias;
  ValueRange operands;
  quant::QuantAttr quant;
  StringRef layout;
  ArrayAttr epilogue;
  int64_t k, n;
};

QuantOp view(Operation *op, Builder &b) {
  QuantOp q{op, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, 0};
  if (auto mm = dyn_cast<quant::MatMulNBitsOp>(op)) {
    q = {op, mm.getInput(), mm.getQweight(), mm.getScales(), mm.getQzeros(),
         mm.getGIdx(), mm.getBias(), ValueRange(), mm.getQuant(),
         mm.getLayoutName(), b.getArrayAttr({}), mm.getK(), mm.getN()};
  } else {
    auto fm = cast<quant::FusedMatMulNBitsOp>(op);
    q = {op, fm.getInput(), fm.getQweight(), fm.getScales(), fm.getQzeros(),
         fm.getGIdx(), fm.getBias(), fm.getEpilogueOperands(), fm.getQuant(),
         fm.getLayoutName(), fm.getEpilogue(), fm.getK(), fm.getN()};
  }
  return q;
}

std::string sanitize(StringRef s) {
  std::string out;
  for (char c : s)
    out.push_back(llvm::isAlnum(c) ? c : '_');
  if (out.empty() || llvm::isDigit(out[0]))
    out.insert(out.begin(), '_');
  return out;
}

struct GPTQLowerToCudaPass
    : public gptq::impl::GPTQLowerToCudaBase<GPTQLowerToCudaPass> {
  using GPTQLowerToCudaBase::GPTQLowerToCudaBase;

  LogicalResult lower(Operation *op, size_t index, OpBuilder &kernelBuilder,
                      SymbolTable &symbols) {
    Builder b(op->getContext());
    QuantOp q = view(op, b);
    if (q.layout != "gpu")
      return op->emitOpError("has its weight in the \"")
             << q.layout
             << "\" layout; the CUDA kernels read the \"gpu\" layout (run "
                "gptq-repack first)";
    auto in = cast<RankedTensorType>(q.input.getType());
    Type elem = in.getElementType();
    if (!elem.isF16() && !elem.isF32())
      return op->emitOpError("cannot be lowered to CUDA: ")
             << elem << " activations (the kernels take f16 or f32)";
    int64_t m = 1;
    for (int64_t d : in.getShape().drop_back())
      m = ShapedType::isDynamic(d) || ShapedType::isDynamic(m)
              ? ShapedType::kDynamic
              : m * d;

    cuda::KernelSpec spec;
    spec.bits = int(q.quant.getBits());
    spec.groupSize = q.quant.getGroupSize();
    spec.actOrder = q.gIdx != nullptr;
    spec.ioF16 = elem.isF16();
    spec.bias = q.bias != nullptr;
    for (Attribute a : q.epilogue)
      spec.epilogue.push_back(cast<StringAttr>(a).getValue().str());
    spec.maskK = q.k % 32 != 0;
    std::string error;
    if (!cuda::validate(spec, error))
      return op->emitOpError("cannot be lowered to CUDA: ") << error;
    if (q.gIdx) {
      if (auto cst = q.gIdx.getDefiningOp<nn::ConstantOp>()) {
        auto t = tensorFromAttr(cst.getValue());
        std::vector<int32_t> groups;
        if (succeeded(t)) {
          rt::Status st = rt::quant::chunkGroups(t->data<int32_t>(), q.k,
                                                 spec.groupSize, groups);
          if (!st)
            return op->emitOpError("cannot be lowered to CUDA: ")
                   << st.message();
        }
      }
    }

    std::vector<cuda::KernelPath> paths;
    if (ShapedType::isDynamic(m) || m <= gemvMaxM)
      paths.push_back(cuda::KernelPath::Gemv);
    if (ShapedType::isDynamic(m) || m > gemvMaxM)
      paths.push_back(cuda::KernelPath::Mma);

    std::string base = "qmm" + std::to_string(index);
    if (auto layer = op->getAttrOfType<StringAttr>("gptq.layer"))
      base = layer.getValue().str();
    base = sanitize(base);
    SmallVector<Attribute> refs;
    for (cuda::KernelPath path : paths) {
      spec.path = path;
      cuda::LaunchShape shape = cuda::launchShape(spec);
      spec.maskN = q.n % shape.tileN != 0;
      std::string name = base + "__" + cuda::pathName(path);
      for (int i = 1; symbols.lookup(name); ++i)
        name = base + "__" + cuda::pathName(path) + "_" + std::to_string(i);
      int64_t maxM = path == cuda::KernelPath::Gemv
                         ? std::min<int64_t>(gemvMaxM, shape.maxM)
                         : -1;
      int64_t gy = ShapedType::isDynamic(m)
                       ? -1
                       : std::max<int64_t>(1, (m + shape.tileM - 1) / shape.tileM);
      auto kernel = quant::CudaKernelOp::create(
          kernelBuilder, op->getLoc(), b.getStringAttr(name),
          b.getStringAttr(cuda::functionName(spec)), q.quant,
          b.getBoolAttr(spec.actOrder), b.getStringAttr(cuda::pathName(path)),
          TypeAttr::get(elem), b.getBoolAttr(spec.bias), q.epilogue,
          b.getI64IntegerAttr(q.k), b.getI64IntegerAttr(q.n),
          b.getI64IntegerAttr(maxM),
          b.getDenseI64ArrayAttr({shape.tileM, shape.tileN, shape.tileK}),
          b.getDenseI64ArrayAttr({shape.block[0], shape.block[1], shape.block[2]}),
          b.getDenseI64ArrayAttr({(q.n + shape.tileN - 1) / shape.tileN, gy, 1}),
          b.getI64IntegerAttr(shape.smem), b.getBoolAttr(spec.maskK),
          b.getBoolAttr(spec.maskN));
      symbols.insert(kernel);
      refs.push_back(FlatSymbolRefAttr::get(kernel.getSymNameAttr()));
    }

    OpBuilder ob(op);
    auto launch = quant::LaunchOp::create(
        ob, op->getLoc(), op->getResult(0).getType(), ob.getArrayAttr(refs),
        q.input, q.qweight, q.scales, q.qzeros, q.gIdx, q.bias, q.operands,
        q.quant, ob.getStringAttr("gpu"), q.epilogue,
        ob.getI64IntegerAttr(q.k));
    for (NamedAttribute a : op->getDiscardableAttrs())
      launch->setAttr(a.getName(), a.getValue());
    op->getResult(0).replaceAllUsesWith(launch.getResult());
    op->erase();
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (gemvMaxM < 1 || gemvMaxM > cuda::kGemvMaxM) {
      emitError(module.getLoc())
          << "gptq-lower-to-cuda: gemv-max-m must be in [1, "
          << cuda::kGemvMaxM << "], got " << gemvMaxM;
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<quant::MatMulNBitsOp, quant::FusedMatMulNBitsOp>(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    SymbolTable symbols(module);
    // Kernels go to the top of the module, in the order of their ops.
    Operation *first = &module.getBody()->front();
    OpBuilder kernelBuilder(first);
    for (auto [i, op] : llvm::enumerate(ops))
      if (failed(lower(op, i, kernelBuilder, symbols)))
        return signalPassFailure();
  }
};

} // namespace
