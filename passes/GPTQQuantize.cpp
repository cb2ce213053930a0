//===- GPTQQuantize.cpp - the GPTQ pass -------------------------*- C++ -*-===//
//
// Calibrates through the CPU runtime in one step-major sweep over the
// calibration lanes: before each selected linear step, every lane's input
// activations stream into that layer's Hessian (never stored), the layer is
// quantized, and (true-sequential) the runtime's weight is replaced by the
// dequantized one so that later layers calibrate on quantized outputs. Then
// the IR is rewritten.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/QuantizeUtils.h"

#include "gptq/Exec/ModelRunner.h"

#include "runtime/Npy.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>
#include <random>
#include <set>

namespace gptq {
#define GEN_PASS_DEF_GPTQQUANTIZE
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;
using namespace gptq::quantize;

namespace {

using Clock = std::chrono::steady_clock;
static double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct GPTQQuantizePass
    : public gptq::impl::GPTQQuantizeBase<GPTQQuantizePass> {
  using GPTQQuantizeBase::GPTQQuantizeBase;
  GPTQQuantizePass(const GPTQQuantizeOptions &options,
                   QuantizeObserver *observer)
      : GPTQQuantizeBase(options), observer(observer) {}

  QuantizeObserver *observer = nullptr;

  rt::quant::QuantConfig config() const {
    rt::quant::QuantConfig cfg;
    cfg.bits = (int)bits;
    cfg.groupSize = groupSize;
    cfg.sym = sym;
    cfg.descAct = descAct;
    cfg.staticGroups = staticGroups;
    cfg.dampPercent = dampPercent;
    cfg.blockSize = blockSize;
    cfg.mse = mse;
    return cfg;
  }

  /// Calibration windows [nsamples, seqlen] from the token file.
  LogicalResult loadCalibration(ModuleOp module, std::vector<int64_t> &ids,
                                int64_t &seq) {
    if (calibration.empty())
      return emitError(module.getLoc())
             << "gptq-quantize needs calibration data: "
                "calibration=<token ids .npy>";
    auto tokens = rt::readNpy(calibration);
    if (!tokens)
      return emitError(module.getLoc())
             << "calibration: " << tokens.status().message();
    if (!rt::isInteger(tokens->dtype()))
      return emitError(module.getLoc())
             << "calibration file '" << calibration << "' holds "
             << rt::dtypeName(tokens->dtype())
             << " values; token ids must be integers";
    if (nsamples <= 0)
      return emitError(module.getLoc()) << "nsamples must be positive, got "
                                        << (int64_t)nsamples;
    if (tokens->rank() == 2) {
      seq = seqlen > 0 ? seqlen : tokens->dim(1);
      if (seq > tokens->dim(1))
        return emitError(module.getLoc())
               << "calibration rows have " << tokens->dim(1)
               << " tokens, fewer than seqlen = " << seq;
      if (tokens->dim(0) < nsamples)
        return emitError(module.getLoc())
               << "calibration file '" << calibration << "' has "
               << tokens->dim(0) << " rows, fewer than nsamples = " << (int64_t)nsamples;
      for (int64_t r = 0; r < nsamples; ++r)
        for (int64_t t = 0; t < seq; ++t)
          ids.push_back(tokens->getInt(r * tokens->dim(1) + t));
      return success();
    }
    if (tokens->rank() != 1)
      return emitError(module.getLoc())
             << "calibration file '" << calibration << "' has shape "
             << rt::shapeToString(tokens->shape())
             << "; expected [n, seqlen] or a flat token stream";
    seq = seqlen > 0 ? seqlen : 2048;
    int64_t total = tokens->dim(0);
    if (total < nsamples * seq)
      return emitError(module.getLoc())
             << "calibration file '" << calibration << "' has " << total
             << " tokens, fewer than nsamples x seqlen = " << nsamples * seq;
    // Random windows, as the reference GPTQ draws them, with a fixed seed.
    std::mt19937_64 rng((uint64_t)seed);
    std::uniform_int_distribution<int64_t> start(0, total - seq);
    for (int64_t s = 0; s < nsamples; ++s) {
      int64_t s0 = start(rng);
      for (int64_t t = 0; t < seq; ++t)
        ids.push_back(tokens->getInt(s0 + t));
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto t0 = Clock::now();
    rt::quant::QuantConfig cfg = config();

    Selection sel{std::vector<std::string>(include.begin(), include.end()),
                  std::vector<std::string>(exclude.begin(), exclude.end())};
    std::vector<std::string> skipped;
    auto layers = collectLinearLayers(module, sel, skipped);
    if (failed(layers))
      return signalPassFailure();
    for (const LinearLayer &l : *layers)
      if (auto st = rt::quant::validateConfig(cfg, l.k, l.name); !st) {
        emitError(module.getLoc()) << st.message();
        return signalPassFailure();
      }
    if (observer) {
      for (const std::string &sk : skipped)
        observer->skipped(sk);
      observer->begin(layers->size(), "gptq");
    }
    if (layers->empty()) {
      if (!quiet)
        llvm::errs() << "gptq-quantize: no linear layer to quantize\n";
      if (observer)
        observer->end(secondsSince(t0));
      return;
    }

    // The runtime, checking every activation for NaN/Inf; f16/bf16 models
    // compute in f32 (HalfCompute.h). The model's inputs must be fillable
    // (LanguageModelInputs.h) before any calibration work.
    RunnerOptions ro;
    ro.checkFinite = true;
    ro.discardOutputs = true; // logits and present.* of every lane
    auto half = parseHalfCompute(halfCompute);
    if (!half) {
      emitError(module.getLoc())
          << "half-compute must be f32, f32-per-use or native, got '"
          << halfCompute << "'";
      return signalPassFailure();
    }
    ro.halfCompute = *half;
    auto overrides = readInputOverrides(
        std::vector<std::string>(inputs.begin(), inputs.end()));
    if (!overrides) {
      emitError(module.getLoc()) << overrides.status().message();
      return signalPassFailure();
    }
    ro.inputOverrides = overrides.take();
    auto runner = ModelRunner::create(module, ro);
    if (!runner)
      return signalPassFailure();
    if (!runner->languageModelStatus()) {
      emitError(module.getLoc()) << runner->languageModelStatus().message();
      return signalPassFailure();
    }

    std::vector<int64_t> ids;
    int64_t seq = 0;
    if (failed(loadCalibration(module, ids, seq)))
      return signalPassFailure();
    if (auto st = runner->checkTokens(ids.data(), (int64_t)ids.size(),
                                      "calibration file '" + calibration + "'");
        !st) {
      emitError(module.getLoc()) << st.message();
      return signalPassFailure();
    }

    // Which steps are the selected layers, and their weight value ids.
    std::map<size_t, size_t> layerOfStep; // step -> index in *layers
    std::map<Operation *, size_t> layerOfOp;
    for (auto [i, l] : llvm::enumerate(*layers))
      layerOfOp[l.op] = i;
    const PlanMapping &mapping = runner->mapping();
    std::set<const rt::Step *> selectedSteps;
    for (auto [s, op] : llvm::enumerate(mapping.stepOps)) {
      auto it = layerOfOp.find(op);
      if (it == layerOfOp.end())
        continue;
      layerOfStep[s] = it->second;
      selectedSteps.insert(&runner->plan().steps[s]);
    }
    std::vector<int> weightIds(layers->size());
    for (auto [i, l] : llvm::enumerate(*layers))
      weightIds[i] = mapping.valueIds.lookup(l.weight.getResult());

    // Lanes of `batch` sequences each (the token input's static batch, if
    // it has one), every input filled (attention_mask, position_ids, empty
    // pasts, ... and --input overrides).
    std::vector<rt::NamedTensors> lanes;
    int64_t lane = runner->batchFor(batch);
    if (lane != std::max<int64_t>(1, batch) && nsamples % lane != 0) {
      emitError(module.getLoc())
          << "the model's batch is fixed at " << lane << "; nsamples ("
          << (int64_t)nsamples << ") must be a multiple of it";
      return signalPassFailure();
    }
    for (int64_t s0 = 0; s0 < nsamples; s0 += lane) {
      int64_t b = std::min(lane, (int64_t)nsamples - s0);
      auto feeds =
          runner->languageModelFeeds(ids.data() + s0 * seq, b, seq, s0);
      if (!feeds) {
        emitError(module.getLoc())
            << "calibration inputs: " << feeds.status().message();
        return signalPassFailure();
      }
      lanes.push_back(feeds.take());
    }

    std::unique_ptr<rt::quant::HessianAccumulator> hessian;
    size_t hessianLayer = SIZE_MAX;
    std::vector<rt::quant::QuantResult> results(layers->size());
    std::vector<LayerRecord> records;
    double hessianSeconds = 0;
    rt::Executor::SweepCallbacks cb;
    cb.filter = [&](const rt::Step &step) {
      return selectedSteps.count(&step) != 0;
    };
    cb.observe = [&](const rt::HookEvent &ev) -> rt::Status {
      size_t li = layerOfStep.at(ev.stepIndex);
      const LinearLayer &l = (*layers)[li];
      if (hessianLayer != li) {
        hessian = std::make_unique<rt::quant::HessianAccumulator>(l.k);
        hessianLayer = li;
      }
      const rt::Tensor &x = *ev.inputs[0];
      if (x.numel() % l.k != 0)
        return rt::errorf("layer ", l.name, ": input of shape ",
                          rt::shapeToString(x.shape()), " does not end in K = ",
                          l.k);
      auto th = Clock::now();
      if (x.dtype() == rt::DType::F32) {
        hessian->add(x.data<float>(), x.numel() / l.k);
      } else {
        std::vector<float> xf(x.numel());
        for (int64_t i = 0; i < x.numel(); ++i)
          xf[i] = (float)x.getDouble(i);
        hessian->add(xf.data(), x.numel() / l.k);
      }
      hessianSeconds += secondsSince(th);
      return rt::Status::ok();
    };
    cb.beforeStep = [&](size_t stepIndex, const rt::Step &) -> rt::Status {
      auto it = layerOfStep.find(stepIndex);
      if (it == layerOfStep.end())
        return rt::Status::ok();
      size_t li = it->second;
      const LinearLayer &l = (*layers)[li];
      if (hessianLayer != li || !hessian)
        return rt::errorf("layer ", l.name, " saw no calibration activations");
      std::vector<float> w = readWeight(l);
      auto res = rt::quant::gptqQuantize(w.data(), l.k, l.n, hessian->matrix(),
                                         cfg, l.name);
      hessian.reset();
      hessianLayer = SIZE_MAX;
      if (!res)
        return res.status();
      results[li] = res.take();
      const rt::quant::QuantResult &r = results[li];
      LayerRecord rec{l.name, l.k,    l.n, r.loss, r.seconds, r.dampUsed,
                      r.fellBackToRtn, r.warning};
      records.push_back(rec);
      if (observer) {
        if (!r.warning.empty())
          observer->warning(r.warning);
        observer->layerDone(records.size(), layers->size(), rec);
      }
      if (!quiet) {
        if (!r.warning.empty())
          llvm::errs() << "gptq-quantize: warning: " << r.warning << "\n";
        llvm::errs() << progressLine(records.size(), layers->size(), rec,
                                     /*withLoss=*/true)
                     << "\n";
      }
      // In the dtype the plan computes with: an f16 model computed in f32
      // takes the dequantized weights unrounded, as its quantized matmuls
      // will compute them (f16 scales times integers are exact in f32).
      if (trueSequential)
        return runner->replaceConstant(
            weightIds[li],
            weightTensorFor(
                l, r.dequantized,
                runner->executor().constant(weightIds[li]).dtype()));
      return rt::Status::ok();
    };
    if (auto st = runner->executor().sweep(lanes, cb); !st) {
      emitError(module.getLoc()) << "calibration failed: " << st.message();
      return signalPassFailure();
    }
    if (records.size() != layers->size()) {
      emitError(module.getLoc())
          << "calibration reached " << records.size() << " of "
          << layers->size() << " selected layers";
      return signalPassFailure();
    }

    runner.reset(); // the plan references the weights about to be replaced
    for (auto [i, l] : llvm::enumerate(*layers))
      if (failed(rewriteLayer(l, results[i].packed)))
        return signalPassFailure();

    Builder b(module.getContext());
    recordQuantization(
        module,
        {b.getNamedAttr("method", b.getStringAttr("gptq")),
         b.getNamedAttr("bits", b.getI64IntegerAttr(bits)),
         b.getNamedAttr("group_size", b.getI64IntegerAttr(groupSize)),
         b.getNamedAttr("sym", b.getBoolAttr(sym)),
         b.getNamedAttr("desc_act", b.getBoolAttr(descAct)),
         b.getNamedAttr("static_groups", b.getBoolAttr(staticGroups)),
         b.getNamedAttr("true_sequential", b.getBoolAttr(trueSequential)),
         b.getNamedAttr("damp_percent", b.getF64FloatAttr(dampPercent)),
         b.getNamedAttr("mse", b.getBoolAttr(mse)),
         b.getNamedAttr("block_size", b.getI64IntegerAttr(blockSize)),
         b.getNamedAttr("nsamples", b.getI64IntegerAttr(nsamples)),
         b.getNamedAttr("seqlen", b.getI64IntegerAttr(seq))});

    double total = secondsSince(t0);
    if (observer)
      observer->end(total);
    if (!quiet) {
      for (const std::string &s : skipped)
        llvm::errs() << "gptq-quantize: note: not quantized: " << s << "\n";
      llvm::errs() << finalTable(records, "GPTQ", total, /*withLoss=*/true);
      llvm::errs() << llvm::format("calibration: %lld sequences x %lld tokens, "
                                   "Hessians %.2f s\n",
                                   (long long)nsamples, (long long)seq,
                                   hessianSeconds);
    }
    if (!reportFile.empty() &&
        failed(writeReport(module, reportFile, "gptq", records, total)))
      return signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass>
gptq::createGPTQQuantize(const GPTQQuantizeOptions &options,
                         QuantizeObserver *observer) {
  return std::make_unique<GPTQQuantizePass>(options, observer);
}
