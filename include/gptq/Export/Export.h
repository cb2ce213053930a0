//===- Export.h - quantized modules out of MLIR -----------------*- C++ -*-===//
//
// ONNX export (quantized linears as com.microsoft.MatMulNBits, everything
// else as default-domain opset 17 ops) and GPTQ checkpoint export
// (model.safetensors + quantize_config.json). Files are written atomically
// (temporary names renamed into place) and nothing is left behind on error.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_EXPORT_EXPORT_H
#define GPTQ_EXPORT_EXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace gptq {

struct OnnxExportOptions {
  /// Store initializers of at least `externalThreshold` bytes in a data file
  /// next to the model (<model file name>.data). Automatic when the
  /// initializers total more than 1.5 GB (protobuf's 2 GB limit).
  bool externalData = false;
  int64_t externalThreshold = 1024;
};

/// How a quantized [K, N] weight maps onto com.microsoft.MatMulNBits.
struct MatMulNBitsLayout {
  int64_t blockSize = 0; ///< MatMulNBits block_size
  int64_t kBlocks = 0;   ///< ceil(K / block_size)
  int64_t blobSize = 0;  ///< block_size * bits / 8
};

/// The MatMulNBits layout for a weight with K input rows quantized with
/// `bits` and `groupSize` (-1: per output channel); `actOrder` when it
/// carries a non-trivial g_idx. Fails with `reason` set when onnxruntime
/// cannot express it (3 bits; act-order at other than 4 bits; a group size
/// with no power-of-two divisor >= 16).
mlir::FailureOr<MatMulNBitsLayout> matMulNBitsLayout(int64_t bits,
                                                     int64_t groupSize,
                                                     bool actOrder, int64_t k,
                                                     std::string &reason);

/// Exports @main of `module` to an ONNX model at `path`.
mlir::LogicalResult exportOnnx(mlir::ModuleOp module, llvm::StringRef path,
                               const OnnxExportOptions &options = {});

struct GPTQCheckpointOptions {
  /// Store zero points as v2 (the zero point itself) instead of the v1
  /// convention (zero - 1) that AutoGPTQ/transformers checkpoints use.
  bool zerosV2 = false;
  /// Replace an existing directory's files.
  bool force = false;
  /// When a zero point is 0 (no v1 form), write v2 instead of failing.
  bool fallBackToV2 = false;
  /// Store v1 zeros even where v2 would be chosen (asymmetric checkpoints
  /// with hfConfigDir); a zero point of 0 is then an error.
  bool zerosV1 = false;
  /// The original model's Hugging Face folder (config.json, tokenizer files,
  /// optionally its safetensors weights): write a folder that transformers'
  /// from_pretrained and GPTQModel.load open - tensors under the model's
  /// parameter names (recovered from the ONNX graph, checked against the
  /// original weights' names and shapes when the folder has them), the
  /// unquantized parameters in the model's dtype, config.json with
  /// quantization_config, the tokenizer files. Asymmetric checkpoints are
  /// then v2 unless zerosV1 (GPTQModel refuses asymmetric v1 checkpoints
  /// that it did not produce).
  std::string hfConfigDir;
};

/// What exportGPTQCheckpoint wrote.
struct GPTQCheckpointInfo {
  bool zerosV2 = false;        ///< checkpoint_format gptq_v2
  int64_t quantizedLayers = 0;
  int64_t tensors = 0;
  std::string v1Problem;       ///< why v1 was impossible (if it was)
  std::string formatReason;    ///< why v2 was chosen without being asked for
  std::vector<std::string> warnings;    ///< harmless oddities (--hf-config)
  std::vector<std::string> copiedFiles; ///< from the --hf-config folder
  std::string modelDType; ///< torch dtype of the unquantized tensors
};

/// Writes <dir>/model.safetensors (<layer>.qweight/.qzeros/.scales/.g_idx/
/// .bias for every gptq.matmul_nbits, <layer>.weight [N, K] for unquantized
/// linear layers, and the named float parameters of the rest of the model)
/// and <dir>/quantize_config.json (with hfConfigDir also config.json and
/// the original folder's tokenizer files, see GPTQCheckpointOptions). Fails
/// (writing nothing) when the layers disagree on their quantization parameters,
/// or when a zero point is 0 and v1 zeros are asked for without fallBackToV2.
mlir::LogicalResult exportGPTQCheckpoint(mlir::ModuleOp module,
                                         llvm::StringRef dir,
                                         const GPTQCheckpointOptions &options = {},
                                         GPTQCheckpointInfo *info = nullptr);

/// Checks an --hf-config folder before any work is spent: config.json is
/// there, parses and has no quantization_config; the original safetensors
/// headers (when present) parse. Sets `error` and returns false otherwise.
bool checkHFConfigDir(llvm::StringRef dir, std::string &error);

/// Writes, for every gptq.matmul_nbits, the weight it computes with -
/// dequantized by the runtime (rt::quant::dequantize) - as
/// <dir>/<layer>.npy (float32 [K, N]). For tests and debugging.
mlir::LogicalResult exportDequantizedWeights(mlir::ModuleOp module,
                                             llvm::StringRef dir);

} // namespace gptq

#endif // GPTQ_EXPORT_EXPORT_H
