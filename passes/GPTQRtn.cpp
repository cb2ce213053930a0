//===- GPTQRtn.cpp - round-to-nearest quantization --------------*- C++ -*-===//
//
// The baseline every GPTQ result is compared to: the same layer selection,
// grouping, quantizer and packing as gptq-quantize, without calibration.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/QuantizeUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace gptq {
#define GEN_PASS_DEF_GPTQRTN
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;
using namespace gptq::quantize;

namespace {
struct GPTQRtnPass : public gptq::impl::GPTQRtnBase<GPTQRtnPass> {
  using GPTQRtnBase::GPTQRtnBase;
  GPTQRtnPass(const GPTQRtnOptions &options, QuantizeObserver *observer)
      : GPTQRtnBase(options), observer(observer) {}

  QuantizeObserver *observer = nullptr;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto t0 = std::chrono::steady_clock::now();
    rt::quant::QuantConfig cfg;
    cfg.bits = (int)bits;
    cfg.groupSize = groupSize;
    cfg.sym = sym;
    cfg.mse = mse;
    Selection sel{std::vector<std::string>(include.begin(), include.end()),
                  std::vector<std::string>(exclude.begin(), exclude.end())};
    std::vector<std::string> skipped;
    auto layers = collectLinearLayers(module, sel, skipped);
    if (failed(layers))
      return signalPassFailure();
    std::vector<LayerRecord> records;
    if (observer) {
      for (const std::string &sk : skipped)
        observer->skipped(sk);
      observer->begin(layers->size(), "rtn");
    }
    for (auto [i, l] : llvm::enumerate(*layers)) {
      if (auto st = rt::quant::validateConfig(cfg, l.k, l.name); !st) {
        emitError(module.getLoc()) << st.message();
        return signalPassFailure();
      }
      std::vector<float> w = readWeight(l);
      auto res = rt::quant::rtnQuantize(w.data(), l.k, l.n, cfg, l.name);
      if (!res) {
        emitError(module.getLoc()) << res.status().message();
        return signalPassFailure();
      }
      LayerRecord rec{l.name, l.k, l.n, 0, res->seconds, 0, false, res->warning};
      records.push_back(rec);
      if (observer) {
        if (!res->warning.empty())
          observer->warning(res->warning);
        observer->layerDone(i + 1, layers->size(), rec);
      }
      if (!quiet)
        llvm::errs() << progressLine(i + 1, layers->size(), rec,
                                     /*withLoss=*/false)
                     << "\n";
      if (failed(rewriteLayer(l, res->packed)))
        return signalPassFailure();
    }
    Builder b(module.getContext());
    recordQuantization(
        module, {b.getNamedAttr("method", b.getStringAttr("rtn")),
                 b.getNamedAttr("bits", b.getI64IntegerAttr(bits)),
                 b.getNamedAttr("group_size", b.getI64IntegerAttr(groupSize)),
                 b.getNamedAttr("sym", b.getBoolAttr(sym)),
                 b.getNamedAttr("desc_act", b.getBoolAttr(false)),
                 b.getNamedAttr("static_groups", b.getBoolAttr(false)),
                 b.getNamedAttr("mse", b.getBoolAttr(mse))});
    double total = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
    if (observer)
      observer->end(total);
    if (!quiet) {
      for (const std::string &s : skipped)
        llvm::errs() << "gptq-rtn: note: not quantized: " << s << "\n";
      if (!records.empty())
        llvm::errs() << finalTable(records, "RTN", total, /*withLoss=*/false);
      else
        llvm::errs() << "gptq-rtn: no linear layer to quantize\n";
    }
    if (!reportFile.empty() &&
        failed(writeReport(module, reportFile, "rtn", records, total)))
      return signalPassFailure();
  }
};
} // namespace

std::unique_ptr<Pass> gptq::createGPTQRtn(const GPTQRtnOptions &options,
                                          QuantizeObserver *observer) {
  return std::make_unique<GPTQRtnPass>(options, observer);
}
