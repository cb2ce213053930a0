//===- gptq-translate.cpp - translations in and out of MLIR -----*- C++ -*-===//
//
//   gptq-translate --import-onnx model.onnx -o model.mlir|model.mlirbc
//       [--input-shape input_ids=1x256] [--no-canonicalize] [--op-stats]
//   gptq-translate --export-onnx quantized.mlir(bc) -o model.onnx
//   [--external-data=false] gptq-translate --export-gptq DIR quantized.mlir(bc)
//   [--zeros-v2|--zeros-v1]
//       [--hf-config HF_DIR] [--force]
//   gptq-translate --export-dequantized DIR quantized.mlir(bc)
//   gptq-translate --emit-cuda quantized.mlir(bc) [-o kernels.cu]
//
// Output files are written atomically (a temporary file renamed into place),
// so a failure never leaves a half-written file behind.
//
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"
#include "gptq/Import/OnnxImport.h"
#include "gptq/InitAll.h"
#include "gptq/Support/ToolSupport.h"
#include "gptq/Target/Cuda.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("gptq-translate options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input file>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout; .mlirbc writes bytecode)"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(category));
static cl::opt<bool> importOnnx("import-onnx",
                                cl::desc("Import an ONNX model into the nn dialect"),
                                cl::cat(category));
static cl::opt<bool> exportOnnx("export-onnx",
                                cl::desc("Export a (quantized) module to ONNX (MatMulNBits for quantized linears)"),
                                cl::cat(category));
static cl::opt<bool> emitCudaOpt(
    "emit-cuda",
    cl::desc("Print the CUDA C++ of the module's kernels (quantized matmuls "
             "not yet lowered are run through gptq-repack, "
             "gptq-fuse-epilogue and gptq-lower-to-cuda first)"),
    cl::cat(category));
static cl::opt<std::string> exportGptq("export-gptq",
                                       cl::desc("Export a quantized module as a GPTQ checkpoint into DIR"),
                                       cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> exportDequantized(
    "export-dequantized",
    cl::desc("Write the dequantized weight of every quantized layer as "
             "DIR/<layer>.npy (float32 [K, N]; the runtime's dequantization)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> externalData(
    "external-data",
    cl::desc("--export-onnx: store initializers of 1 KiB or more in "
             "<model>.data (default; --external-data=false keeps them inline)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> zerosV2("zeros-v2",
                             cl::desc("--export-gptq: store zero points as v2 (no zero - 1)"),
                             cl::cat(category));
static cl::opt<bool> zerosV1(
    "zeros-v1",
    cl::desc("--export-gptq: v1 zeros (checkpoint_format gptq) even where "
             "--hf-config would choose v2 (asymmetric)"),
    cl::cat(category));
static cl::opt<std::string> hfConfig(
    "hf-config",
    cl::desc(
        "--export-gptq: the original model's Hugging Face folder; write a "
        "folder transformers and GPTQModel load (parameter names from the "
        "ONNX graph, config.json with quantization_config, tokenizer files)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> force("force", cl::desc("Overwrite existing outputs"),
                           cl::cat(category));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Pin a graph input's shape: NAME=DxDx... (? for dynamic); repeatable"),
                cl::value_desc("name=1x256"), cl::cat(category));
static cl::opt<bool> noCanonicalize(
    "no-canonicalize",
    cl::desc("Keep the graph as imported (skip nn-canonicalize)"),
    cl::cat(category));
static cl::opt<bool> opStats("op-stats",
                             cl::desc("Print op counts (before and after canonicalization) to stderr"),
                             cl::cat(category));
static cl::opt<int64_t> denseElementLimit(
    "dense-element-limit",
    cl::desc("Tensors with more elements become dense_resource blobs (default 1024)"),
    cl::init(1024), cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode whatever the output name"),
                                  cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "gptq-mlir translations\n");

  DialectRegistry registry;
  gptq::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  gptq::ToolDiagnostics diagnostics(&context, "gptq-translate");

  int modes = importOnnx + exportOnnx + !exportGptq.empty() +
              !exportDequantized.empty() + emitCudaOpt;
  if (modes != 1) {
    llvm::errs() << "gptq-translate: error: choose one translation: "
                    "--import-onnx, --export-onnx, --export-gptq DIR, "
                    "--export-dequantized DIR or --emit-cuda\n";
    return 2;
  }

  if (emitCudaOpt) {
    OwningOpRef<ModuleOp> module = gptq::loadModel(&context, inputFile);
    if (!module || failed(gptq::lowerForCuda(*module)))
      return 1;
    std::string source;
    llvm::raw_string_ostream os(source);
    if (failed(gptq::emitCuda(*module, os)))
      return 1;
    if (outputFile == "-") {
      llvm::outs() << source;
      return 0;
    }
    return failed(gptq::writeFileAtomically(
               &context, outputFile,
               [&](llvm::raw_ostream &out) {
                 out << source;
                 return success();
               }))
               ? 1
               : 0;
  }

  if (exportOnnx || !exportGptq.empty() || !exportDequantized.empty()) {
    OwningOpRef<ModuleOp> module = gptq::loadModel(&context, inputFile);
    if (!module)
      return 1;
    if (!exportDequantized.empty())
      return failed(gptq::exportDequantizedWeights(*module, exportDequantized))
                 ? 1
                 : 0;
    if (exportOnnx) {
      if (outputFile == "-") {
        llvm::errs() << "gptq-translate: error: --export-onnx needs -o <model.onnx>\n";
        return 2;
      }
      for (std::string p : {outputFile.getValue(), outputFile + ".data"})
        if (!force && llvm::sys::fs::exists(p)) {
          llvm::errs() << "gptq-translate: error: '" << p
                       << "' exists; refusing to overwrite it (use --force)\n";
          return 1;
        }
      gptq::OnnxExportOptions eo;
      eo.externalData = externalData;
      return failed(gptq::exportOnnx(*module, outputFile, eo)) ? 1 : 0;
    }
    gptq::GPTQCheckpointOptions co;
    co.zerosV2 = zerosV2;
    co.zerosV1 = zerosV1;
    co.force = force;
    co.hfConfigDir = hfConfig;
    gptq::GPTQCheckpointInfo info;
    if (failed(gptq::exportGPTQCheckpoint(*module, exportGptq, co, &info)))
      return 1;
    for (const std::string &w : info.warnings)
      llvm::errs() << "gptq-translate: warning: " << w << "\n";
    if (!info.formatReason.empty())
      llvm::errs() << "gptq-translate: note: checkpoint_format gptq_v2 ("
                   << info.formatReason << "; --zeros-v1 keeps v1)\n";
    return 0;
  }

  gptq::OnnxImportOptions options;
  options.denseElementLimit = denseElementLimit;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (!gptq::parseInputShapes(spec, options.inputShapes, error)) {
      llvm::errs() << "gptq-translate: error: " << error << "\n";
      return 1;
    }
  }
  OwningOpRef<ModuleOp> module =
      gptq::importOnnxFile(&context, inputFile, options);
  if (!module)
    return 1;
  if (opStats)
    gptq::printOpCounts(*module, "imported", llvm::errs());
  if (!noCanonicalize) {
    PassManager pm(&context);
    pm.addPass(gptq::createNNCanonicalize());
    if (failed(pm.run(*module)))
      return 1;
    if (opStats)
      gptq::printOpCounts(*module, "after nn-canonicalize", llvm::errs());
  }
  if (failed(gptq::writeModule(*module, outputFile, emitBytecode)))
    return 1;
  return 0;
}
