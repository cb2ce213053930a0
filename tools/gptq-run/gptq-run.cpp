//===- gptq-run.cpp - run, evaluate and generate with a model ---*- C++ -*-===//
//
//   gptq-run model.(onnx|mlir|mlirbc) --input NAME=file.npy ... --output-dir out/
//   gptq-run model --eval-ppl tokens.npy --seq-len 256 [--batch 16]
//   gptq-run model --generate 32 --prompt-ids 1,403 [--no-kv-cache]
//   (--input NAME=file.npy with --eval-ppl / --generate replaces a filled
//   input: attention_mask, token_type_ids, ...)
//
//   gptq-run model --device cuda ...      (any mode, on the GPU)
//   gptq-run --cuda-device-info           (is there a usable GPU? exit 0/1)
//
// Executes on the CPU runtime (the reference backend) or, with --device
// cuda, on the CUDA backend: quantized matmuls are lowered (gptq-repack,
// gptq-fuse-epilogue, gptq-lower-to-cuda), their kernels printed as CUDA C++
// and compiled with NVRTC when the model is loaded.
//
//===----------------------------------------------------------------------===//

#include "gptq/Exec/ModelRunner.h"
#include "gptq/Exec/Tokenizer.h"
#include "gptq/InitAll.h"
#include "gptq/Support/ToolSupport.h"
#include "gptq/Target/Cuda.h"

#include "runtime/Npy.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <cinttypes>

#include <cmath>

using namespace mlir;
namespace cl = llvm::cl;
namespace rt = gptq::rt;

static cl::OptionCategory category("gptq-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx|.mlir|.mlirbc>"),
                                      cl::cat(category));
static cl::list<std::string> inputs("input", cl::desc("Bind a graph input: NAME=file.npy (repeatable); with "
                                                     "--eval-ppl / --generate it replaces a filled input"),
                                    cl::value_desc("name=file.npy"), cl::cat(category));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write every graph output as <name>.npy here"),
                                      cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> evalPpl("eval-ppl",
                                    cl::desc("Perplexity of a language model over a token file (.npy, flat or [rows, seq])"),
                                    cl::value_desc("tokens.npy"), cl::cat(category));
static cl::opt<int64_t> seqLen("seq-len", cl::desc("Window length for --eval-ppl (default: row length of a 2-D file, else 256)"),
                               cl::init(0), cl::cat(category));
static cl::opt<int64_t> batch("batch", cl::desc("Windows per forward pass for --eval-ppl"),
                              cl::init(8), cl::cat(category));
static cl::opt<int64_t> maxWindows("max-windows", cl::desc("Evaluate at most this many windows (0: all)"),
                                   cl::init(0), cl::cat(category));
static cl::opt<int64_t> generate("generate", cl::desc("Greedily decode N tokens"),
                                 cl::init(0), cl::cat(category));
static cl::opt<bool> noKvCache("no-kv-cache",
                               cl::desc("--generate: run the whole sequence for every token instead of "
                                        "decoding with the model's past/present cache"),
                               cl::cat(category));
static cl::opt<std::string> halfCompute(
    "half-compute",
    cl::desc("f16/bf16 models on the CPU: f32 (weights converted once, default), f32-per-use "
             "(weights upcast per use) or native (f16 arithmetic, rounded after every op)"),
    cl::init("f32"), cl::cat(category));
static cl::opt<std::string> promptIds("prompt-ids", cl::desc("Comma-separated prompt token ids for --generate"),
                                      cl::init("1"), cl::cat(category));
static cl::list<std::string> expects(
    "expect", cl::desc("Compare a graph output with reference values (NAME=file.npy); "
                       "fails beyond --atol + --rtol * |reference|"),
    cl::value_desc("name=file.npy"), cl::cat(category));
static cl::opt<double> absTol("atol", cl::desc("--expect: absolute tolerance (default 1e-4)"),
                            cl::init(1e-4), cl::cat(category));
static cl::opt<double> relTol("rtol", cl::desc("--expect: relative tolerance (default 0)"),
                            cl::init(0.0), cl::cat(category));
static cl::opt<bool> profile("profile",
                             cl::desc("Print the time spent per op kind to stderr"),
                             cl::cat(category));
static cl::opt<std::string> tokenizerPath(
    "tokenizer", cl::desc("--generate: also print the text, decoded with this llama2.c tokenizer file"),
    cl::value_desc("tok.bin"), cl::init(""), cl::cat(category));
static cl::list<std::string> inputShapes("input-shape", cl::desc("Pin an ONNX input shape (NAME=DxD...)"),
                                         cl::cat(category));
static cl::opt<bool> checkFinite("check-finite",
                                 cl::desc("Fail naming the op that first produces NaN/Inf"),
                                 cl::cat(category));
static cl::opt<int> threads("num-threads", cl::desc("Threads for kernels and BLAS (0: default)"),
                            cl::init(0), cl::cat(category));
static cl::opt<std::string> device("device", cl::desc("Execution device: cpu (default) or cuda"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<bool> deviceStats("device-stats",
                                 cl::desc("--device cuda: print the GPU and where steps ran"),
                                 cl::cat(category));
static cl::opt<bool> cudaDeviceInfo("cuda-device-info",
                                    cl::desc("Print the CUDA device and exit (status 1 when there is none)"),
                                    cl::cat(category));

static int fail(const std::string &msg) {
  llvm::errs() << "gptq-run: error: " << msg << "\n";
  return 1;
}

/// A file name for an output: the graph output name with path separators and
/// other unsafe characters replaced.
static std::string fileNameFor(const std::string &name) {
  std::string out;
  for (char c : name)
    out.push_back(std::isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'
                      ? c
                      : '_');
  if (out.empty() || out[0] == '.')
    out.insert(out.begin(), '_');
  return out;
}

static bool parseIds(const std::string &text, std::vector<int64_t> &ids,
                     std::string &error) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, ',', -1, false);
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (p.trim().getAsInteger(10, v) || v < 0) {
      error = "--prompt-ids: '" + p.str() + "' is not a token id";
      return false;
    }
    ids.push_back(v);
  }
  if (ids.empty()) {
    error = "--prompt-ids is empty";
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "gptq-mlir model runner\n");

  if (cudaDeviceInfo) {
    std::string description;
    if (auto st = rt::cuda::probeDevice(0, &description); !st)
      return fail(st.message());
    llvm::outs() << "cuda device 0: " << description << "\n";
    return 0;
  }
  if (modelPath.empty())
    return fail("no model given");
  bool lmMode = !evalPpl.empty() || generate > 0;
  int modes = (!evalPpl.empty()) + (generate > 0) +
              (!outputDir.empty() || !expects.empty() ||
               (!inputs.empty() && !lmMode));
  if (modes != 1)
    return fail("choose one of: --input ... [--output-dir DIR] [--expect ...], "
                "--eval-ppl FILE, --generate N");
  if (device != "cpu" && device != "cuda")
    return fail("--device must be cpu or cuda, got '" + device + "'");
  if (device == "cuda" && checkFinite)
    return fail("--check-finite runs on the CPU only (drop --device cuda)");
  if (device == "cuda" && profile)
    return fail("--profile times the CPU runtime only (drop --device cuda)");
  if (device == "cuda") // fail before loading anything when there is no GPU
    if (auto st = rt::cuda::probeDevice(0); !st)
      return fail("--device cuda: " + st.message());

  DialectRegistry registry;
  gptq::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  gptq::ToolDiagnostics diagnostics(&context, "gptq-run");

  std::vector<std::string> shapes(inputShapes.begin(), inputShapes.end());
  OwningOpRef<ModuleOp> module = gptq::loadModel(&context, modelPath, shapes);
  if (!module)
    return 1;
  gptq::RunnerOptions options;
  options.checkFinite = checkFinite;
  options.numThreads = threads;
  options.profile = profile;
  options.device = device;
  options.verbose = deviceStats;
  auto half = gptq::parseHalfCompute(halfCompute);
  if (!half)
    return fail("--half-compute must be f32, f32-per-use or native, got '" +
                halfCompute + "'");
  options.halfCompute = *half;
  // Inputs given by file: the feeds of the run mode, the overrides of the
  // filled inputs with --eval-ppl / --generate.
  auto given = gptq::readInputOverrides(
      std::vector<std::string>(inputs.begin(), inputs.end()));
  if (!given)
    return fail(given.status().message());
  if (lmMode)
    options.inputOverrides = *given;
  if (device == "cuda") {
    if (failed(gptq::lowerForCuda(*module)))
      return 1;
    bool kernels = false;
    module->walk([&](gptq::quant::CudaKernelOp) { kernels = true; });
    llvm::raw_string_ostream os(options.cudaSource);
    if (kernels && failed(gptq::emitCuda(*module, os)))
      return 1;
  }
  auto runner = gptq::ModelRunner::create(*module, options);
  if (!runner)
    return 1;
  struct PrintProfile {
    gptq::ModelRunner &r;
    ~PrintProfile() {
      if (profile)
        llvm::errs() << r.profileTable();
    }
  } printProfile{*runner};

  if (!evalPpl.empty()) {
    auto tokens = rt::readNpy(evalPpl);
    if (!tokens)
      return fail(tokens.status().message());
    gptq::PerplexityOptions po;
    po.seqLen = seqLen;
    po.batch = batch;
    po.maxWindows = maxWindows;
    auto t0 = std::chrono::steady_clock::now();
    auto result = runner->perplexity(*tokens, po);
    if (!result)
      return fail(result.status().message());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    llvm::outs() << llvm::format("perplexity %.4f  (mean NLL %.5f over %" PRId64
                                 " scored tokens, %" PRId64 " windows of %" PRId64
                                 ", %.2f s)\n",
                                 result->perplexity, result->meanNll,
                                 result->scoredTokens, result->windows,
                                 result->seqLen, secs);
    return 0;
  }

  if (generate > 0) {
    std::vector<int64_t> ids;
    std::string error;
    if (!parseIds(promptIds, ids, error))
      return fail(error);
    if (const gptq::LanguageModelInputs *lm = runner->languageModel();
        lm && lm->hasPast()) {
      int pasts = 0;
      for (const gptq::LMInput &in : lm->inputs())
        pasts += in.role == gptq::LMInputRole::Past;
      if (runner->decodesIncrementally(!noKvCache))
        llvm::errs() << "gptq-run: decoding with the KV cache (" << pasts
                     << " past inputs fed from the present outputs)\n";
      else
        llvm::errs() << "gptq-run: decoding without the KV cache (the whole "
                        "sequence for every token, "
                     << pasts << " zero-length past inputs"
                     << (noKvCache ? "" : "; not every past input has a "
                                          "present output")
                     << ")\n";
    }
    auto out = runner->greedyGenerate(ids, generate, !noKvCache);
    if (!out)
      return fail(out.status().message());
    for (size_t i = 0; i < out->size(); ++i)
      llvm::outs() << (i ? "," : "") << (*out)[i];
    llvm::outs() << "\n";
    if (!tokenizerPath.empty()) {
      auto tok = gptq::Tokenizer::load(tokenizerPath);
      if (!tok)
        return fail(tok.status().message());
      auto text = tok->decode(*out);
      if (!text)
        return fail(text.status().message());
      llvm::outs() << *text << "\n";
    }
    return 0;
  }

  rt::NamedTensors feeds = given.take();
  rt::NamedTensors outputs;
  if (auto st = runner->run(feeds, outputs); !st)
    return fail(st.message());
  for (const std::string &spec : expects) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return fail("--expect '" + spec + "' is not NAME=file.npy");
    std::string name = spec.substr(0, eq);
    auto it = outputs.find(name);
    if (it == outputs.end())
      return fail("--expect: the model has no output '" + name + "'");
    auto want = rt::readNpy(spec.substr(eq + 1));
    if (!want)
      return fail(want.status().message());
    const rt::Tensor &got = it->second;
    if (got.shape() != want->shape())
      return fail("output '" + name + "' has shape " +
                  rt::shapeToString(got.shape()) + ", the reference " +
                  rt::shapeToString(want->shape()));
    double maxAbs = 0;
    int64_t worst = -1;
    for (int64_t i = 0; i < got.numel(); ++i) {
      double g = got.getDouble(i), w = want->getDouble(i);
      double d = std::fabs(g - w);
      if (std::isnan(d))
        d = std::isnan(g) && std::isnan(w) ? 0 : INFINITY;
      if (d > maxAbs)
        maxAbs = d;
      if (d > absTol + relTol * std::fabs(w) && worst < 0)
        worst = i;
    }
    llvm::outs() << llvm::format("%s: max abs difference %.3g over %lld values",
                                 name.c_str(), maxAbs, (long long)got.numel())
                 << "\n";
    if (worst >= 0)
      return fail(llvm::formatv("output '{0}' differs from the reference at "
                                "index {1}: {2} vs {3} (atol {4}, rtol {5})",
                                name, worst,
                                llvm::format("%.8g", got.getDouble(worst)),
                                llvm::format("%.8g", want->getDouble(worst)),
                                llvm::format("%g", (double)absTol),
                                llvm::format("%g", (double)relTol))
                      .str());
  }
  if (!expects.empty() && outputDir.empty())
    return 0;
  if (outputDir.empty()) {
    for (auto &[name, t] : outputs)
      llvm::outs() << name << ": " << t.describe() << "\n";
    return 0;
  }
  if (auto ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  for (auto &[name, t] : outputs) {
    llvm::SmallString<256> path(outputDir);
    llvm::sys::path::append(path, fileNameFor(name) + ".npy");
    // .npy has no bfloat16: such outputs are widened (exactly) to float32.
    rt::Tensor file = t;
    if (t.dtype() == rt::DType::BF16) {
      file = rt::Tensor::empty(rt::DType::F32, t.shape());
      for (int64_t i = 0; i < t.numel(); ++i)
        file.data<float>()[i] = (float)t.getDouble(i);
    }
    if (auto st = rt::writeNpy(std::string(path), file); !st)
      return fail(st.message());
    llvm::outs() << name << ": " << t.describe() << " -> " << path
                 << (file.dtype() != t.dtype() ? " (as float32)" : "") << "\n";
  }
  return 0;
}
