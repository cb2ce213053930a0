//===- QuantizeUtils.h - shared by gptq-quantize and gptq-rtn ---*- C++ -*-===//
//
// Finding the linear layers a quantization pass may rewrite, naming them,
// reading their weights, rewriting them into gptq.matmul_nbits, and
// reporting what was done.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_PASSES_QUANTIZEUTILS_H
#define GPTQ_PASSES_QUANTIZEUTILS_H

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "runtime/Tensor.h"
#include "runtime/quant/GPTQ.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace gptq::quantize {

/// A linear op whose weight is a constant: nn.matmul(x, W[K, N]) or
/// nn.gemm(x, B, C?) with trans_a = false (weight = alpha * op(B)).
struct LinearLayer {
  mlir::Operation *op = nullptr;
  std::string name;             ///< e.g. "layers.0.wq"
  nn::ConstantOp weight;        ///< used by this op only (made private)
  bool transposed = false;      ///< gemm trans_b: the constant is [N, K]
  float alpha = 1.0f;           ///< gemm alpha, folded into the weight
  int64_t k = 0, n = 0;
  bool producesOutput = false;  ///< feeds a graph output (lm_head)
};

struct Selection {
  std::vector<std::string> include, exclude;
};

/// The name of a linear layer: the module torch.onnx's dynamo exporter
/// recorded for its node (names::exporterModule), else the weight's
/// initializer name when it is a parameter name ("model.layers.0.q_proj
/// .weight" -> "model.layers.0.q_proj") and not named after the node
/// (onnxruntime-genai's "model.layers.0.attn.qkv_proj.MatMul.weight"),
/// else the node name ("/layers.0/wq/MatMul" -> "layers.0.wq"), else
/// "linear<index>".
std::string linearLayerName(mlir::Operation *op, nn::ConstantOp weight,
                            size_t index);

/// The eligible linear layers of @main in program order, filtered by the
/// include/exclude glob patterns (the layer producing a graph output is
/// excluded unless an include pattern names it). Weight constants shared
/// with other users are duplicated so that each layer owns its weight.
/// `skipped` receives "name: reason" for linear ops that are not eligible.
mlir::FailureOr<std::vector<LinearLayer>>
collectLinearLayers(mlir::ModuleOp module, const Selection &selection,
                    std::vector<std::string> &skipped);

/// The weight as float [K, N] row-major, alpha applied.
std::vector<float> readWeight(const LinearLayer &layer);

/// A tensor in the layout and element type of the layer's weight constant
/// (or `as`, e.g. f32 where an f16 model computes in f32) holding
/// `dequantized` ([K, N] float, alpha applied): what the runtime must
/// compute with so that the layer behaves as quantized.
rt::Tensor weightTensorFor(const LinearLayer &layer,
                           const std::vector<float> &dequantized,
                           std::optional<rt::DType> as = std::nullopt);

/// Replaces the layer's op by gptq.matmul_nbits with the packed weight
/// (scales stored as f16, g_idx only for act-order, gemm C as bias or a
/// following add).
mlir::LogicalResult rewriteLayer(const LinearLayer &layer,
                                 const rt::quant::PackedWeight &packed);

/// Per-layer record for progress lines, the final table and the report.
struct LayerRecord {
  std::string name;
  int64_t k = 0, n = 0;
  double loss = 0;
  double seconds = 0;
  double damp = 0;
  bool fellBackToRtn = false;
  std::string warning;
};

/// Receives the progress of gptq-quantize / gptq-rtn as it happens (tools
/// draw progress bars and write reports from it). Attach with
/// createGPTQQuantize(options, observer) / createGPTQRtn(options, observer).
class QuantizeObserver {
public:
  virtual ~QuantizeObserver();
  /// The layers are selected; `total` will be quantized.
  virtual void begin(size_t total, llvm::StringRef method) {}
  /// Layer `index` (1-based) of `total` is quantized.
  virtual void layerDone(size_t index, size_t total, const LayerRecord &r) {}
  /// A linear op that is not quantized, and why ("name: reason").
  virtual void skipped(llvm::StringRef what) {}
  /// Something was adjusted (e.g. damping raised).
  virtual void warning(llvm::StringRef message) {}
  /// All layers are rewritten; `seconds` in the pass.
  virtual void end(double seconds) {}
};

/// "[12/35] layers.3.w2 172x64  loss 0.0123  0.04 s"
std::string progressLine(size_t index, size_t total, const LayerRecord &r,
                         bool withLoss);
/// A table of all layers with totals.
std::string finalTable(const std::vector<LayerRecord> &records,
                       const std::string &method, double totalSeconds,
                       bool withLoss);
/// Writes a JSON report (atomically). Emits a diagnostic on failure.
mlir::LogicalResult writeReport(mlir::ModuleOp module, const std::string &path,
                                const std::string &method,
                                const std::vector<LayerRecord> &records,
                                double totalSeconds);

/// Records how the module was quantized (for exporters) as the module
/// attribute `gptq.quantization`.
void recordQuantization(mlir::ModuleOp module,
                        llvm::ArrayRef<mlir::NamedAttribute> settings);

} // namespace gptq::quantize

#endif // GPTQ_PASSES_QUANTIZEUTILS_H
