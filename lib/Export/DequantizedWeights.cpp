//===- DequantizedWeights.cpp - the weights a module computes with -------===//
//
// For every gptq.matmul_nbits, <dir>/<layer>.npy holds the float32 [K, N]
// weight the runtime computes with, from rt::quant::dequantize: the
// reference that exported checkpoints are checked against.
//
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "runtime/Npy.h"
#include "runtime/quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace gptq;

LogicalResult gptq::exportDequantizedWeights(ModuleOp module, StringRef dir) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return emitError(UnknownLoc::get(module.getContext()))
           << "no function @main to export";
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(UnknownLoc::get(module.getContext()))
           << "cannot create '" << dir << "': " << ec.message();
  auto constTensor = [](Value v) -> FailureOr<rt::Tensor> {
    auto c = v ? v.getDefiningOp<nn::ConstantOp>() : nn::ConstantOp();
    if (!c)
      return failure();
    return tensorFromAttr(c.getValue());
  };
  int64_t index = 0;
  WalkResult walk = fn.walk([&](quant::MatMulNBitsOp op) -> WalkResult {
    auto nameAttr = op->getAttrOfType<StringAttr>("gptq.layer");
    std::string name =
        nameAttr ? nameAttr.str() : "layer" + std::to_string(index);
    ++index;
    auto q = op.getQuant();
    rt::quant::PackedWeight w;
    w.k = op.getK();
    w.n = op.getN();
    w.bits = (int)q.getBits();
    w.groupSize = q.getGroupSize();
    w.sym = q.getSym();
    w.descAct = q.getDescAct();
    auto qweight = constTensor(op.getQweight());
    auto scales = constTensor(op.getScales());
    auto qzeros = constTensor(op.getQzeros());
    if (failed(qweight) || failed(scales) || failed(qzeros)) {
      op.emitOpError("layer '")
          << name << "': packed operands must be constants";
      return WalkResult::interrupt();
    }
    w.qweight.assign(qweight->data<int32_t>(),
                     qweight->data<int32_t>() + qweight->numel());
    w.qzeros.assign(qzeros->data<int32_t>(),
                    qzeros->data<int32_t>() + qzeros->numel());
    w.scales.resize(scales->numel());
    for (int64_t i = 0; i < scales->numel(); ++i)
      w.scales[i] = (float)scales->getDouble(i);
    if (Value g = op.getGIdx()) {
      auto gt = constTensor(g);
      if (failed(gt)) {
        op.emitOpError("layer '") << name << "': g_idx must be a constant";
        return WalkResult::interrupt();
      }
      w.gIdx.assign(gt->data<int32_t>(), gt->data<int32_t>() + gt->numel());
    }
    rt::Tensor out = rt::Tensor::empty(rt::DType::F32, {w.k, w.n});
    rt::quant::dequantize(w, out.data<float>());
    SmallString<256> path(dir);
    llvm::sys::path::append(path, name + ".npy");
    if (auto st = rt::writeNpy(std::string(path), out); !st) {
      op.emitOpError("layer '") << name << "': " << st.message();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!index)
    return emitError(UnknownLoc::get(module.getContext()))
           << "nothing to export: the module has no quantized layer "
              "(gptq.matmul_nbits)";
  return success();
}
