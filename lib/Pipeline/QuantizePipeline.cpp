//===- QuantizePipeline.cpp - model.onnx to shippable outputs ---*- C++ -*-===//
//
//   1. check the output directory (existing outputs need --force; it must be
//      writable) and that the chosen layout can be exported to ONNX,
//   2. import + nn-canonicalize, merge LoRA adapters,
//   3. perplexity of the float model (--eval),
//   4. gptq-quantize or gptq-rtn, with a progress bar on a terminal,
//   5. perplexity of the quantized model (and of RTN with --compare-rtn),
//   6. write model.mlirbc, model.onnx, gptq/, report.md into a staging
//      directory and rename them into place.
//
//===----------------------------------------------------------------------===//

#include "gptq/Pipeline/QuantizePipeline.h"
#include "gptq/Target/Cuda.h"

#include "gptq/Exec/ModelRunner.h"
#include "gptq/Export/Export.h"
#include "gptq/Support/StagedOutputs.h"
#include "gptq/Support/ToolSupport.h"

#include "passes/Passes.h"
#include "passes/QuantizeUtils.h"
#include "runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>

using namespace mlir;
using namespace gptq;
using Options = QuantizePipelineOptions;

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

llvm::raw_ostream &err() { return llvm::errs() << "gptq-quantize: error: "; }

/// Progress of the quantization pass: a bar redrawn in place on a terminal,
/// one line per layer otherwise; also keeps the records for the report.
class Progress : public quantize::QuantizeObserver {
public:
  Progress(Options::Progress mode) : mode(mode) {
    if (mode == Options::Progress::Auto)
      this->mode = llvm::sys::Process::StandardErrIsDisplayed()
                       ? Options::Progress::Bar
                       : Options::Progress::Lines;
  }
  void begin(size_t total, StringRef m) override {
    method = m.str();
    t0 = last = Clock::now();
    records.clear();
    wallSeconds.clear();
    if (mode == Options::Progress::Bar && total)
      drawBar(0, total, "");
  }
  void layerDone(size_t index, size_t total,
                 const quantize::LayerRecord &r) override {
    records.push_back(r);
    wallSeconds.push_back(secondsSince(last));
    last = Clock::now();
    if (mode == Options::Progress::Lines)
      llvm::errs() << "gptq-quantize: "
                   << quantize::progressLine(index, total, r,
                                             /*withLoss=*/method == "gptq")
                   << "\n";
    else if (mode == Options::Progress::Bar)
      drawBar(index, total, r.name);
  }
  void skipped(StringRef what) override { skippedLayers.push_back(what.str()); }
  void warning(StringRef message) override {
    if (barDrawn)
      llvm::errs() << "\n";
    barDrawn = false;
    if (mode != Options::Progress::None)
      llvm::errs() << "gptq-quantize: warning: " << message << "\n";
    warnings.push_back(message.str());
  }
  void end(double s) override {
    seconds = s;
    if (barDrawn)
      llvm::errs() << "\n";
    barDrawn = false;
  }

  std::string method;
  std::vector<quantize::LayerRecord> records;
  /// Per layer: seconds since the previous layer was done (calibration
  /// forward passes included).
  std::vector<double> wallSeconds;
  std::vector<std::string> skippedLayers, warnings;
  double seconds = 0;

private:
  void drawBar(size_t index, size_t total, StringRef name) {
    const size_t width = 30;
    size_t filled = total ? width * index / total : width;
    std::string line = "\r[" + std::string(filled, '#') +
                       std::string(width - filled, '.') + "] " +
                       std::to_string(index) + "/" + std::to_string(total);
    line += llvm::formatv("  {0:F1} s  ", secondsSince(t0)).str();
    line += name.str();
    size_t columns = llvm::sys::Process::StandardErrColumns();
    if (columns > 1 && line.size() > columns)
      line.resize(columns - 1);
    // Pad to clear what a longer previous line left.
    if (line.size() < lastWidth)
      line += std::string(lastWidth - line.size(), ' ');
    lastWidth = line.size();
    llvm::errs() << line;
    llvm::errs().flush();
    barDrawn = true;
  }

  Options::Progress mode;
  Clock::time_point t0 = Clock::now(), last = Clock::now();
  size_t lastWidth = 0;
  bool barDrawn = false;
};

struct Perplexity {
  gptq::PerplexityResult result;
  double seconds = 0;
};

/// Linear ops with a constant 2-D float weight (what a quantizer may take).
int64_t countLinearOps(ModuleOp module) {
  int64_t n = 0;
  module.walk([&](Operation *op) {
    Value w;
    if (auto mm = dyn_cast<nn::MatMulOp>(op))
      w = mm.getRhs();
    else if (auto g = dyn_cast<nn::GemmOp>(op))
      w = g.getB();
    else
      return;
    auto t = dyn_cast<RankedTensorType>(w.getType());
    if (w.getDefiningOp<nn::ConstantOp>() && t && t.getRank() == 2 &&
        isa<FloatType>(t.getElementType()))
      ++n;
  });
  return n;
}

int64_t countQuantized(ModuleOp module) {
  int64_t n = 0;
  module.walk([&](quant::MatMulNBitsOp) { ++n; });
  return n;
}

std::string fmt(double v, const char *f = "%.4f") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

class Pipeline {
public:
  Pipeline(MLIRContext &context, const Options &options)
      : context(context), o(options) {}
  int run();

private:
  bool checkOptions();
  bool checkInputs(ModuleOp module);
  std::optional<Perplexity> evaluate(ModuleOp module, StringRef what);
  LogicalResult quantize(ModuleOp module, bool rtn,
                         quantize::QuantizeObserver *observer);
  std::string report() const;
  void note(const Twine &message) {
    if (o.progress != Options::Progress::None)
      llvm::errs() << "gptq-quantize: " << message << "\n";
  }

  MLIRContext &context;
  const Options &o;
  Clock::time_point start = Clock::now();

  // What happened, for the report.
  int64_t linearOps = 0, loraMerged = 0, quantizedLayers = 0;
  std::optional<Perplexity> pplFloat, pplQuant, pplRtn;
  std::unique_ptr<Progress> progress;
  double importSeconds = 0, quantSeconds = 0, exportSeconds = 0;
  GPTQCheckpointInfo checkpoint;
  std::string kernelsNote;
  bool kernelsWritten = false;
  std::vector<std::string> written;
  rt::NamedTensors overrides; ///< --input
  std::string inputsNote;     ///< how the model's inputs are filled
};

bool Pipeline::checkOptions() {
  if (o.rtn) {
    for (auto [set, flag] : {std::pair{o.descAct, "--desc-act"},
                             {o.staticGroups, "--static-groups"},
                             {o.compareRtn, "--compare-rtn"}})
      if (set) {
        err() << flag << " applies to GPTQ, not to --rtn\n";
        return false;
      }
  } else if (o.calibration.empty()) {
    err() << "GPTQ needs calibration data: --calibration tokens.npy (or "
             "--rtn for round-to-nearest without calibration)\n";
    return false;
  }
  for (auto [path, flag] :
       {std::pair{o.calibration, "--calibration"}, {o.evalTokens, "--eval"}})
    if (!path.empty() && !llvm::sys::fs::exists(path)) {
      err() << flag << " '" << path << "': no such file\n";
      return false;
    }
  if (!parseHalfCompute(o.halfCompute)) {
    err() << "--half-compute must be f32, f32-per-use or native, got '"
          << o.halfCompute << "'\n";
    return false;
  }
  if (!o.inputs.empty()) {
    auto given = readInputOverrides(o.inputs);
    if (!given) {
      err() << given.status().message() << "\n";
      return false;
    }
    overrides = given.take();
  }
  if (o.zerosV1 && o.zerosV2) {
    err() << "--checkpoint-format=gptq and --zeros-v2 contradict each other\n";
    return false;
  }
  if (!o.hfConfig.empty()) {
    std::string error;
    if (!checkHFConfigDir(o.hfConfig, error)) {
      err() << error << "\n";
      return false;
    }
  }
  if (o.compareRtn && o.evalTokens.empty()) {
    err() << "--compare-rtn needs --eval tokens.npy\n";
    return false;
  }
  if (o.onnx) {
    // The layout check of the ONNX exporter, for any K with several groups,
    // before hours of calibration are spent (the exporter checks each
    // layer exactly; static groups and a single group make g_idx trivial).
    std::string reason;
    bool actOrder = o.descAct && !o.staticGroups && o.groupSize > 0;
    if (failed(matMulNBitsLayout(o.bits, o.groupSize, actOrder,
                                 /*k=*/int64_t(1) << 40, reason))) {
      err() << "this quantization cannot be exported to ONNX: " << reason
            << " (--no-onnx skips the ONNX export)\n";
      return false;
    }
  }
  return true;
}

/// Whether calibration and evaluation can fill the model's inputs (every
/// input it cannot fill is named), before any work is done.
bool Pipeline::checkInputs(ModuleOp module) {
  if (o.rtn && o.evalTokens.empty())
    return true; // nothing runs the model
  auto sig = planSignature(module);
  if (failed(sig))
    return false;
  std::set<std::string> given;
  for (const auto &[name, t] : overrides) {
    bool known = false;
    for (const rt::IOSpec &in : sig->first)
      known = known || in.name == name;
    if (!known) {
      std::string names;
      for (const rt::IOSpec &in : sig->first)
        names += (names.empty() ? "'" : ", '") + in.name + "'";
      err() << "--input '" << name << "': the model has no such input (its "
            << "inputs are " << names << ")\n";
      return false;
    }
    given.insert(name);
  }
  auto lm = LanguageModelInputs::analyze(sig->first, sig->second, given);
  if (!lm) {
    err() << "'" << o.model << "': " << lm.status().message() << "\n";
    return false;
  }
  inputsNote = lm->describe();
  if (lm->inputs().size() > 1)
    note("model inputs: " + inputsNote);
  return true;
}

std::optional<Perplexity> Pipeline::evaluate(ModuleOp module, StringRef what) {
  auto tokens = rt::readNpy(o.evalTokens);
  if (!tokens) {
    err() << "--eval: " << tokens.status().message() << "\n";
    return std::nullopt;
  }
  auto t0 = Clock::now();
  RunnerOptions ro;
  ro.halfCompute = *parseHalfCompute(o.halfCompute);
  ro.inputOverrides = overrides;
  auto runner = ModelRunner::create(module, ro);
  if (!runner)
    return std::nullopt;
  PerplexityOptions po;
  po.seqLen = o.evalSeqLen;
  po.batch = o.evalBatch;
  po.maxWindows = o.evalMaxWindows;
  auto r = runner->perplexity(*tokens, po);
  if (!r) {
    err() << "--eval '" << o.evalTokens << "': " << r.status().message()
          << "\n";
    return std::nullopt;
  }
  Perplexity p{*r, secondsSince(t0)};
  note(llvm::formatv("perplexity ({0}): {1:F4} over {2} windows of {3} "
                     "({4:F1} s)",
                     what, p.result.perplexity, p.result.windows,
                     p.result.seqLen, p.seconds));
  return p;
}

LogicalResult Pipeline::quantize(ModuleOp module, bool rtn,
                                 quantize::QuantizeObserver *observer) {
  PassManager pm(&context);
  // The options both passes share (QuantCommonOptions in Passes.td).
  auto common = [&](auto &po) {
    po.bits = o.bits;
    po.groupSize = o.groupSize;
    po.sym = o.sym;
    po.mse = o.mse;
    po.include.assign(o.include.begin(), o.include.end());
    po.exclude.assign(o.exclude.begin(), o.exclude.end());
    po.quiet = true;
  };
  if (rtn) {
    GPTQRtnOptions ro;
    common(ro);
    pm.addPass(createGPTQRtn(ro, observer));
  } else {
    GPTQQuantizeOptions qo;
    common(qo);
    qo.calibration = o.calibration;
    qo.nsamples = o.nsamples;
    qo.seqlen = o.seqlen;
    qo.descAct = o.descAct;
    qo.staticGroups = o.staticGroups;
    qo.dampPercent = o.dampPercent;
    qo.blockSize = o.blockSize;
    qo.trueSequential = o.trueSequential;
    qo.seed = o.seed;
    qo.batch = o.batch;
    qo.inputs.assign(o.inputs.begin(), o.inputs.end());
    qo.halfCompute = o.halfCompute;
    pm.addPass(createGPTQQuantize(qo, observer));
  }
  return pm.run(module);
}

int Pipeline::run() {
  if (!checkOptions())
    return 2;

  // 1. The output directory: existing outputs are refused without --force
  // before anything is computed; it must be writable.
  const std::vector<std::string> &managed = quantizePipelineOutputs();
  if (!o.force) {
    auto existing = StagedOutputs::existing(o.outputDir, managed);
    if (!existing.empty()) {
      auto &os = err();
      os << "'" << o.outputDir << "' already holds ";
      for (size_t i = 0; i < existing.size(); ++i)
        os << (i ? ", " : "") << existing[i];
      os << "; refusing to overwrite (use --force)\n";
      return 1;
    }
  }
  std::string error;
  std::unique_ptr<StagedOutputs> out =
      StagedOutputs::create(o.outputDir, error);
  if (!out) {
    err() << error << "\n";
    return 1;
  }
  // From here on, returning without commit removes everything written.

  // 2. Import, canonicalize, merge LoRA adapters.
  auto t0 = Clock::now();
  note("importing '" + o.model + "'");
  OwningOpRef<ModuleOp> module = loadModel(&context, o.model, o.inputShapes);
  if (!module)
    return 1;
  linearOps = countLinearOps(*module);
  if (o.mergeLora) {
    PassManager pm(&context);
    pm.addPass(createGPTQMergeLora());
    if (failed(pm.run(*module)))
      return 1;
    // Each merged adapter drops its two low-rank linear ops.
    int64_t after = countLinearOps(*module);
    loraMerged = (linearOps - after) / 2;
    linearOps = after;
    if (loraMerged)
      note(llvm::formatv("merged {0} LoRA adapter(s) into their base weights",
                         loraMerged));
  }
  importSeconds = secondsSince(t0);
  if (!checkInputs(*module))
    return 1;

  // 3. The float model's perplexity.
  if (!o.evalTokens.empty()) {
    pplFloat = evaluate(*module, "float");
    if (!pplFloat)
      return 1;
  }
  OwningOpRef<ModuleOp> rtnModule;
  if (o.compareRtn)
    rtnModule = cast<ModuleOp>((*module)->clone());

  // 4. Quantize.
  progress = std::make_unique<Progress>(o.progress);
  note(llvm::formatv(
      "quantizing with {0}{1} ({2} linear layers)", o.rtn ? "RTN" : "GPTQ",
      o.rtn ? std::string() : " on '" + o.calibration + "'", linearOps));
  t0 = Clock::now();
  if (failed(quantize(*module, o.rtn, progress.get())))
    return 1;
  quantSeconds = secondsSince(t0);
  quantizedLayers = countQuantized(*module);
  if (quantizedLayers == 0) {
    auto &os = err();
    os << "nothing was quantized: ";
    if (linearOps == 0)
      os << "'" << o.model << "' has no linear layer with a constant weight";
    else
      os << "none of the " << linearOps << " linear layers of '" << o.model
         << "' was selected"
         << (o.include.empty() ? " (the layer producing a graph output is "
                                 "left out unless --include names it)"
                               : " by --include");
    for (const std::string &s : progress->skippedLayers)
      os << "; " << s;
    os << "\n";
    return 1;
  }

  // 5. Perplexity after (and of RTN).
  if (!o.evalTokens.empty()) {
    pplQuant = evaluate(*module, o.rtn ? "RTN" : "GPTQ");
    if (!pplQuant)
      return 1;
    if (rtnModule) {
      if (failed(quantize(*rtnModule, /*rtn=*/true, nullptr)))
        return 1;
      pplRtn = evaluate(*rtnModule, "RTN");
      if (!pplRtn)
        return 1;
      rtnModule = nullptr;
    }
  }

  // 6. Outputs, into the staging directory.
  t0 = Clock::now();
  if (failed(writeModule(*module, out->path("model.mlirbc"), true)))
    return 1;
  out->add("model.mlirbc");
  if (o.onnx) {
    OnnxExportOptions eo;
    eo.externalData = true;
    if (failed(exportOnnx(*module, out->path("model.onnx"), eo)))
      return 1;
    out->add("model.onnx");
    if (llvm::sys::fs::exists(out->path("model.onnx.data")))
      out->add("model.onnx.data");
    else
      out->retire("model.onnx.data");
  } else {
    out->retire("model.onnx");
    out->retire("model.onnx.data");
  }
  GPTQCheckpointOptions co;
  co.zerosV2 = o.zerosV2;
  co.zerosV1 = o.zerosV1;
  co.fallBackToV2 = !o.zerosV1;
  co.hfConfigDir = o.hfConfig;
  if (failed(exportGPTQCheckpoint(*module, out->path("gptq"), co, &checkpoint)))
    return 1;
  out->add("gptq");
  if (!o.zerosV2 && checkpoint.zerosV2 && checkpoint.formatReason.empty())
    llvm::errs() << "gptq-quantize: warning: " << checkpoint.v1Problem
                 << "; wrote the checkpoint with v2 zeros (checkpoint_format "
                    "gptq_v2)\n";
  if (!checkpoint.formatReason.empty())
    note("gptq/ is gptq_v2 (" + checkpoint.formatReason +
         "); transformers 4.x with optimum >= 2 reads v2 as v1: "
         "--checkpoint-format=gptq writes v1 for it");
  for (const std::string &w : checkpoint.warnings)
    llvm::errs() << "gptq-quantize: warning: gptq/: " << w << "\n";
  // kernels.cu: the CUDA C++ the GPU backend compiles for this model, from a
  // copy lowered with gptq-repack, gptq-fuse-epilogue and gptq-lower-to-cuda.
  // A configuration the kernels do not cover is a warning, not a failure:
  // the other outputs do not depend on it.
  if (o.kernels) {
    OwningOpRef<ModuleOp> lowered(cast<ModuleOp>((*module)->clone()));
    std::string source, why;
    {
      ScopedDiagnosticHandler capture(&context, [&](Diagnostic &d) {
        if (why.empty())
          why = d.str();
        return success();
      });
      llvm::raw_string_ostream os(source);
      if (failed(lowerForCuda(*lowered)) || failed(emitCuda(*lowered, os)))
        source.clear();
    }
    if (source.empty()) {
      kernelsNote = "not written: " + (why.empty() ? "the CUDA lowering failed" : why);
      llvm::errs() << "gptq-quantize: warning: kernels.cu " << kernelsNote << "\n";
      out->retire("kernels.cu");
    } else {
      if (failed(writeFileAtomically(&context, out->path("kernels.cu"),
                                     [&](llvm::raw_ostream &os) {
                                       os << source;
                                       return success();
                                     })))
        return 1;
      out->add("kernels.cu");
      kernelsWritten = true;
      int64_t globals = 0;
      for (size_t at = source.find("__global__"); at != std::string::npos;
           at = source.find("__global__", at + 1))
        ++globals;
      kernelsNote = "`kernels.cu` (" + std::to_string(globals) +
                    " `__global__` functions, from gptq-lower-to-cuda)";
    }
  } else {
    kernelsNote = "not written (--no-kernels)";
    out->retire("kernels.cu");
  }
  exportSeconds = secondsSince(t0);
  std::string reportText = report();
  if (failed(writeFileAtomically(&context, out->path("report.md"),
                                 [&](llvm::raw_ostream &os) {
                                   os << reportText;
                                   return success();
                                 })))
    return 1;
  out->add("report.md");

  if (!out->commit(error)) {
    err() << error << "\n";
    return 1;
  }
  note(llvm::formatv("wrote {0}/: model.mlirbc{1}, gptq/{2}, report.md "
                     "({3:F1} s in all)",
                     StringRef(o.outputDir).rtrim('/'),
                     o.onnx ? ", model.onnx (+ model.onnx.data)" : "",
                     kernelsWritten ? ", kernels.cu" : "",
                     secondsSince(start)));
  return 0;
}

std::string Pipeline::report() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  bool gptq = !o.rtn;
  os << "# gptq-quantize report\n\n";
  os << "| | |\n|---|---|\n";
  os << "| model | `" << o.model << "` |\n";
  os << "| method | " << (gptq ? "GPTQ" : "RTN (round to nearest)") << ": "
     << o.bits << " bits, group size " << o.groupSize
     << (o.sym ? ", symmetric" : ", asymmetric");
  if (gptq)
    os << ", desc_act " << (o.descAct ? "true" : "false") << ", static_groups "
       << (o.staticGroups ? "true" : "false") << ", true_sequential "
       << (o.trueSequential ? "true" : "false") << ", damp_percent "
       << fmt(o.dampPercent, "%g");
  if (o.mse)
    os << ", MSE clipping";
  os << " |\n";
  if (gptq)
    os << "| calibration | `" << o.calibration << "`: " << o.nsamples
       << " sequences" << (o.seqlen ? " of " + std::to_string(o.seqlen) : "")
       << " |\n";
  os << "| layers | " << quantizedLayers << " of " << linearOps
     << " linear layers quantized";
  if (!progress->skippedLayers.empty()) {
    os << "; not quantized: ";
    for (size_t i = 0; i < progress->skippedLayers.size(); ++i)
      os << (i ? ", " : "") << progress->skippedLayers[i];
  }
  if (quantizedLayers < linearOps)
    os << " (the output layer stays in float unless --include names it)";
  os << " |\n";
  if (!inputsNote.empty())
    os << "| inputs | " << inputsNote << " |\n";
  if (loraMerged)
    os << "| LoRA | " << loraMerged
       << " adapter(s) merged before quantization |\n";
  os << "| time | import " << fmt(importSeconds, "%.2f") << " s, quantization "
     << fmt(quantSeconds, "%.2f") << " s, export " << fmt(exportSeconds, "%.2f")
     << " s |\n";
  os << "| checkpoint | `gptq/` (" << checkpoint.tensors << " tensors, "
     << (checkpoint.zerosV2 ? "gptq_v2" : "gptq (v1)") << " zeros)";
  if (!o.zerosV2 && checkpoint.zerosV2)
    os << "; v2 because "
       << (checkpoint.formatReason.empty() ? checkpoint.v1Problem
                                           : checkpoint.formatReason);
  os << " |\n";
  if (!o.hfConfig.empty()) {
    os << "| Hugging Face folder | `gptq/config.json` from `" << o.hfConfig
       << "` with quantization_config, dtype " << checkpoint.modelDType
       << "; copied:";
    for (const std::string &f : checkpoint.copiedFiles)
      os << " `" << f << "`";
    if (checkpoint.copiedFiles.empty())
      os << " nothing";
    os << " |\n";
    for (const std::string &w : checkpoint.warnings)
      os << "| checkpoint warning | " << w << " |\n";
  }
  os << "| ONNX | "
     << (o.onnx ? "`model.onnx` (MatMulNBits, weights in `model.onnx.data`)"
                : "not written (--no-onnx)")
     << " |\n";
  os << "| CUDA | " << kernelsNote << " |\n";
  if (!progress->warnings.empty()) {
    os << "| warnings | ";
    for (size_t i = 0; i < progress->warnings.size(); ++i)
      os << (i ? "; " : "") << progress->warnings[i];
    os << " |\n";
  }

  if (pplFloat) {
    const auto &f = pplFloat->result;
    os << "\n## Perplexity\n\n";
    os << "`" << o.evalTokens << "`: " << f.windows << " windows of "
       << f.seqLen << " tokens (" << f.scoredTokens << " scored)";
    if (o.evalMaxWindows > 0)
      os << ", at most " << o.evalMaxWindows << " windows (--eval-max-windows)";
    os << ".\n\n";
    os << "| model | perplexity | vs float |\n|---|---:|---:|\n";
    auto row = [&](StringRef name, const Perplexity &p) {
      double rel = (p.result.perplexity / f.perplexity - 1.0) * 100.0;
      os << "| " << name << " | " << fmt(p.result.perplexity) << " | "
         << (rel >= 0 ? "+" : "") << fmt(rel, "%.2f") << " % |\n";
    };
    os << "| float | " << fmt(f.perplexity) << " | |\n";
    if (pplRtn)
      row("RTN " + std::to_string(o.bits) + "-bit", *pplRtn);
    if (pplQuant)
      row((gptq ? "GPTQ " : "RTN ") + std::to_string(o.bits) + "-bit",
          *pplQuant);
  }

  os << "\n## Layers\n\n";
  os << "`loss` is GPTQ's objective summed over the layer's weights (the "
        "Hessian-weighted squared error it minimizes); `solver s` is the "
        "time in the quantizer, `wall s` the time since the previous layer "
        "(calibration forward passes included).\n\n";
  os << "| # | layer | K | N | loss | damp | solver s | wall s | note |\n";
  os << "|---:|---|---:|---:|---:|---:|---:|---:|---|\n";
  double loss = 0, secs = 0, wall = 0;
  int64_t weights = 0;
  for (auto [i, r] : llvm::enumerate(progress->records)) {
    double w = progress->wallSeconds[i];
    os << "| " << i + 1 << " | " << r.name << " | " << r.k << " | " << r.n
       << " | " << (gptq ? fmt(r.loss, "%.5g") : "n/a") << " | "
       << (gptq ? fmt(r.damp, "%.3g") : "n/a") << " | "
       << fmt(r.seconds, "%.3f") << " | " << fmt(w, "%.3f") << " | "
       << (r.fellBackToRtn ? "RTN fallback" : r.warning) << " |\n";
    loss += r.loss;
    secs += r.seconds;
    wall += w;
    weights += r.k * r.n;
  }
  os << "| | **total** | | " << weights << " weights | "
     << (gptq ? fmt(loss, "%.5g") : "n/a") << " | | " << fmt(secs, "%.3f")
     << " | " << fmt(wall, "%.3f") << " | " << progress->records.size()
     << " layers |\n";
  return s;
}

} // namespace

const std::vector<std::string> &gptq::quantizePipelineOutputs() {
  static const std::vector<std::string> names = {
      "model.mlirbc", "model.onnx", "model.onnx.data",
      "gptq",         "report.md",  "kernels.cu"};
  return names;
}

int gptq::runQuantizePipeline(MLIRContext &context, const Options &options) {
  Pipeline p(context, options);
  return p.run();
}
