//===- gptq-quantize.cpp - quantize a model and write what ships -*- C++
//-*-===//
//
//   gptq-quantize model.onnx --calibration tokens.npy -o out/
//       [--bits 4] [--group-size 128] [--desc-act] [--sym=false]
//       [--nsamples 128] [--seqlen N] [--damp-percent 0.01] [--static-groups]
//       [--true-sequential=false] [--mse] [--rtn] [--include GLOB]...
//       [--exclude GLOB]... [--eval tokens.npy [--eval-max-windows N]
//       [--compare-rtn]] [--no-onnx] [--no-kernels] [--zeros-v2]
//       [--checkpoint-format gptq|gptq_v2] [--hf-config DIR] [--force]
//       [--progress auto|bar|lines|none] [--input NAME=file.npy]...
//       [--half-compute f32|f32-per-use|native]
//
// Writes out/model.mlirbc, out/model.onnx (+ model.onnx.data), out/gptq/
// (model.safetensors, quantize_config.json; with --hf-config also
// config.json and the tokenizer files) and out/report.md, all or nothing. The
// work is lib/Pipeline/QuantizePipeline.cpp.
//
//===----------------------------------------------------------------------===//

#include "gptq/InitAll.h"
#include "gptq/Pipeline/QuantizePipeline.h"
#include "gptq/Support/ToolSupport.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace mlir;
namespace cl = llvm::cl;
using Options = gptq::QuantizePipelineOptions;

static cl::OptionCategory category("gptq-quantize options");
static cl::OptionCategory quantCategory("quantization (names as in quantize_config.json)");
static cl::OptionCategory evalCategory("evaluation");

static cl::opt<std::string> model(cl::Positional, cl::desc("<model.onnx|.mlir|.mlirbc>"),
                                  cl::Required, cl::cat(category));
static cl::opt<std::string> outputDir("o", cl::desc("Output directory"),
                                      cl::value_desc("dir"), cl::Required,
                                      cl::cat(category));
static cl::opt<bool> force("force", cl::desc("Replace existing outputs in the output directory"),
                           cl::cat(category));
static cl::opt<bool> noKernels("no-kernels",
                               cl::desc("Do not write kernels.cu (the CUDA C++ of the quantized matmuls)"),
                               cl::cat(category));
static cl::opt<bool> noOnnx("no-onnx", cl::desc("Do not write model.onnx"),
                            cl::cat(category));
static cl::opt<bool> zerosV2("zeros-v2",
                             cl::desc("Checkpoint zero points as v2 (checkpoint_format gptq_v2); "
                                      "v1 (zero - 1) by default, v2 where v1 cannot hold them"),
                             cl::cat(category));
static cl::opt<std::string> checkpointFormat(
    "checkpoint-format",
    cl::desc("gptq/ zero points: gptq (v1, zero - 1) or gptq_v2; default: v1, "
             "v2 where v1 cannot hold them and, with --hf-config, for "
             "asymmetric quantization (GPTQModel loads other producers' "
             "asymmetric checkpoints only as v2)"),
    cl::value_desc("gptq|gptq_v2"), cl::cat(category));
static cl::opt<std::string> hfConfig(
    "hf-config",
    cl::desc(
        "The original model's Hugging Face folder (config.json, tokenizer "
        "files, optionally its safetensors weights): gptq/ becomes a folder "
        "transformers and GPTQModel load, with the model's parameter names"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> noMergeLora("no-merge-lora",
                                 cl::desc("Keep LoRA adapter branches (by default they are merged "
                                          "into their base weights before quantization)"),
                                 cl::cat(category));
static cl::opt<Options::Progress> progress(
    "progress", cl::desc("Progress display (default: a bar on a terminal, lines otherwise)"),
    cl::values(clEnumValN(Options::Progress::Auto, "auto", "bar on a terminal, else lines"),
               clEnumValN(Options::Progress::Bar, "bar", "a bar redrawn in place"),
               clEnumValN(Options::Progress::Lines, "lines", "one line per layer"),
               clEnumValN(Options::Progress::None, "none", "errors and warnings only")),
    cl::init(Options::Progress::Auto), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Same as --progress=none"),
                           cl::cat(category));
static cl::list<std::string> inputShapes("input-shape",
                                         cl::desc("Pin a graph input's shape: NAME=DxDx..."),
                                         cl::value_desc("name=1x256"), cl::cat(category));

static cl::list<std::string> inputOverrides(
    "input",
    cl::desc("Give a graph input instead of filling it (calibration and --eval): NAME=file.npy; "
             "one row per sequence is indexed by sequence, a single row repeated (repeatable)"),
    cl::value_desc("name=file.npy"), cl::cat(category));
static cl::opt<std::string> halfCompute(
    "half-compute",
    cl::desc("f16/bf16 models in calibration and --eval: f32 (weights converted once, default), "
             "f32-per-use (weights upcast per use) or native (f16 arithmetic)"),
    cl::init("f32"), cl::cat(category));

static cl::opt<std::string> calibration("calibration",
                                        cl::desc("Calibration token ids (.npy, [n, seqlen] or flat)"),
                                        cl::value_desc("tokens.npy"), cl::cat(quantCategory));
static cl::opt<bool> rtn("rtn", cl::desc("Round-to-nearest instead of GPTQ (no calibration)"),
                         cl::cat(quantCategory));
static cl::opt<int64_t> bits("bits", cl::desc("Bits per weight: 2, 3, 4 or 8 (ONNX: 2, 4, 8)"),
                             cl::init(4), cl::cat(quantCategory));
static cl::opt<int64_t> groupSize("group-size", cl::desc("Input rows per scale/zero group; -1: per output channel"),
                                  cl::init(128), cl::cat(quantCategory));
static cl::opt<bool> sym("sym", cl::desc("Symmetric quantization (--sym=false: asymmetric)"),
                         cl::init(true), cl::cat(quantCategory));
static cl::opt<bool> descAct("desc-act", cl::desc("Act-order: quantize rows by descending Hessian diagonal"),
                             cl::cat(quantCategory));
static cl::opt<bool> staticGroups("static-groups", cl::desc("Group parameters from the original weights up front"),
                                  cl::cat(quantCategory));
static cl::opt<bool> trueSequential("true-sequential",
                                    cl::desc("Calibrate each layer on already-quantized outputs (default)"),
                                    cl::init(true), cl::cat(quantCategory));
static cl::opt<bool> mse("mse", cl::desc("Grid-search each group's clipping range"),
                         cl::cat(quantCategory));
static cl::opt<double> dampPercent("damp-percent", cl::desc("Damping of diag(H), fraction of its mean"),
                                   cl::init(0.01), cl::cat(quantCategory));
static cl::opt<int64_t> nsamples("nsamples", cl::desc("Calibration sequences"), cl::init(128),
                                 cl::cat(quantCategory));
static cl::opt<int64_t> seqlen("seqlen", cl::desc("Tokens per calibration sequence (0: the rows of a 2-D file, else 2048)"),
                               cl::init(0), cl::cat(quantCategory));
static cl::opt<int64_t> blockSize("block-size", cl::desc("GPTQ lazy-batch block size"), cl::init(128),
                                  cl::cat(quantCategory));
static cl::opt<int64_t> seed("seed", cl::desc("Seed for windows drawn from a flat calibration stream"),
                             cl::init(0), cl::cat(quantCategory));
static cl::opt<int64_t> batch("batch", cl::desc("Calibration sequences per forward pass"),
                              cl::init(16), cl::cat(quantCategory));
static cl::list<std::string> include("include", cl::desc("Quantize only layers matching this glob (repeatable)"),
                                     cl::value_desc("glob"), cl::cat(quantCategory));
static cl::list<std::string> exclude("exclude", cl::desc("Never quantize layers matching this glob (repeatable)"),
                                     cl::value_desc("glob"), cl::cat(quantCategory));

static cl::opt<std::string> evalTokens("eval", cl::desc("Perplexity before and after on these token ids (.npy)"),
                                       cl::value_desc("tokens.npy"), cl::cat(evalCategory));
static cl::opt<int64_t> evalSeqLen("eval-seq-len", cl::desc("Window length (default: rows of a 2-D file, else 256)"),
                                   cl::init(0), cl::cat(evalCategory));
static cl::opt<int64_t> evalMaxWindows("eval-max-windows", cl::desc("Evaluate at most this many windows (0: all)"),
                                       cl::init(0), cl::cat(evalCategory));
static cl::opt<int64_t> evalBatch("eval-batch", cl::desc("Windows per forward pass"), cl::init(8),
                                  cl::cat(evalCategory));
static cl::opt<bool> compareRtn("compare-rtn",
                                cl::desc("Also evaluate round-to-nearest with the same settings (GPTQ only)"),
                                cl::cat(evalCategory));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&category, &quantCategory, &evalCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "gptq-mlir: quantize a model and write model.mlirbc, model.onnx, a GPTQ "
      "checkpoint and a report\n");

  DialectRegistry registry;
  gptq::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  gptq::ToolDiagnostics diagnostics(&context, "gptq-quantize");

  Options o;
  o.model = model;
  o.outputDir = outputDir;
  o.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  o.inputs.assign(inputOverrides.begin(), inputOverrides.end());
  o.halfCompute = halfCompute;
  o.rtn = rtn;
  o.calibration = calibration;
  o.bits = bits;
  o.groupSize = groupSize;
  o.sym = sym;
  o.descAct = descAct;
  o.staticGroups = staticGroups;
  o.trueSequential = trueSequential;
  o.mse = mse;
  o.dampPercent = dampPercent;
  o.nsamples = nsamples;
  o.seqlen = seqlen;
  o.blockSize = blockSize;
  o.seed = seed;
  o.batch = batch;
  o.include.assign(include.begin(), include.end());
  o.exclude.assign(exclude.begin(), exclude.end());
  o.mergeLora = !noMergeLora;
  o.evalTokens = evalTokens;
  o.evalSeqLen = evalSeqLen;
  o.evalMaxWindows = evalMaxWindows;
  o.evalBatch = evalBatch;
  o.compareRtn = compareRtn;
  o.onnx = !noOnnx;
  o.kernels = !noKernels;
  o.zerosV2 = zerosV2;
  if (checkpointFormat == "gptq_v2") {
    o.zerosV2 = true;
  } else if (checkpointFormat == "gptq") {
    o.zerosV1 = true;
  } else if (!checkpointFormat.empty()) {
    llvm::errs() << "gptq-quantize: error: --checkpoint-format must be gptq or "
                    "gptq_v2, not '"
                 << checkpointFormat << "'\n";
    return 1;
  }
  o.hfConfig = hfConfig;
  o.force = force;
  o.progress = quiet ? Options::Progress::None : progress.getValue();
  return gptq::runQuantizePipeline(context, o);
}
