//===- QuantizePipeline.h - model.onnx to shippable outputs -----*- C++ -*-===//
//
// What the gptq-quantize tool does, as a library call: import an ONNX model,
// canonicalize, merge LoRA adapters, quantize with GPTQ (or RTN), evaluate
// perplexity before/after, and write <out>/model.mlirbc, <out>/model.onnx
// (+ model.onnx.data), <out>/gptq/ (a GPTQ checkpoint), <out>/kernels.cu (the
// CUDA C++ of the quantized matmuls, from gptq-lower-to-cuda) and
// <out>/report.md all-or-nothing (StagedOutputs).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_PIPELINE_QUANTIZEPIPELINE_H
#define GPTQ_PIPELINE_QUANTIZEPIPELINE_H

#include "mlir/IR/MLIRContext.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gptq {

struct QuantizePipelineOptions {
  std::string model; ///< .onnx (imported) or .mlir/.mlirbc
  std::string outputDir;
  std::vector<std::string> inputShapes; ///< NAME=DxD... (ONNX only)
  /// Graph inputs given instead of filled (NAME=file.npy), for calibration
  /// and evaluation (gptq/Exec/LanguageModelInputs.h).
  std::vector<std::string> inputs;
  /// How f16/bf16 models compute in calibration and evaluation: "f32",
  /// "f32-per-use" or "native" (gptq/Exec/HalfCompute.h).
  std::string halfCompute = "f32";

  // Quantization (names as in quantize_config.json).
  bool rtn = false;        ///< round-to-nearest instead of GPTQ
  std::string calibration; ///< token ids .npy (GPTQ)
  int64_t bits = 4;
  int64_t groupSize = 128;
  bool sym = true;
  bool descAct = false;
  bool staticGroups = false;
  bool trueSequential = true;
  bool mse = false;
  double dampPercent = 0.01;
  int64_t nsamples = 128;
  int64_t seqlen = 0;
  int64_t blockSize = 128;
  int64_t seed = 0;
  int64_t batch = 16;
  std::vector<std::string> include, exclude;
  bool mergeLora = true;

  // Evaluation.
  std::string evalTokens; ///< perplexity before/after when set
  int64_t evalSeqLen = 0; ///< 0: rows of a 2-D file, else 256
  int64_t evalMaxWindows = 0;
  int64_t evalBatch = 8;
  bool compareRtn = false; ///< also evaluate RTN with the same settings

  // Outputs.
  bool onnx = true;     ///< write model.onnx
  bool kernels = true;  ///< write kernels.cu (the CUDA lowering's source)
  bool zerosV2 = false; ///< checkpoint_format gptq_v2
  bool zerosV1 = false; ///< checkpoint_format gptq, never v2
  /// The original model's Hugging Face folder: gptq/ becomes a folder that
  /// transformers and GPTQModel load (GPTQCheckpointOptions::hfConfigDir).
  std::string hfConfig;
  bool force = false;   ///< replace existing outputs

  enum class Progress { Auto, Bar, Lines, None };
  Progress progress = Progress::Auto;
};

/// The outputs gptq-quantize manages in its output directory (existing ones
/// are refused without --force, replaced or removed with it).
const std::vector<std::string> &quantizePipelineOutputs();

/// Runs the pipeline; messages go to stderr as "gptq-quantize: ...".
/// Returns the process exit code (0 on success; nothing is left in the
/// output directory on failure).
int runQuantizePipeline(mlir::MLIRContext &context,
                        const QuantizePipelineOptions &options);

} // namespace gptq

#endif // GPTQ_PIPELINE_QUANTIZEPIPELINE_H
