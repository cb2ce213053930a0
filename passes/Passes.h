//===- Passes.h - gptq-mlir passes ------------------------------*- C++ -*-===//
#ifndef GPTQ_PASSES_PASSES_H
#define GPTQ_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

namespace gptq {
namespace quantize {
class QuantizeObserver;
} // namespace quantize

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// gptq-quantize / gptq-rtn reporting each layer to `observer` (which must
/// outlive the pass; may be null).
std::unique_ptr<mlir::Pass>
createGPTQQuantize(const GPTQQuantizeOptions &options,
                   quantize::QuantizeObserver *observer);
std::unique_ptr<mlir::Pass> createGPTQRtn(const GPTQRtnOptions &options,
                                          quantize::QuantizeObserver *observer);

/// Re-infers result types of every op in `root` (in program order) and
/// narrows them where the inference is more static; updates func.func
/// signatures to match their returns. Returns true if anything changed.
bool refineShapes(mlir::Operation *root);

/// Runs the symbolic shape analysis (SymbolicShapes.h) on every function in
/// `root` and applies what it proves: result types of nn ops get every
/// dimension proven static, and small integer results (shape tensors,
/// decided comparisons) whose elements are all proven constant are replaced
/// by nn.constant. Returns true if anything changed.
bool applySymbolicShapes(mlir::Operation *root);

/// Sets each func.func's result types to its return operands' types.
/// Returns true if a signature changed.
bool syncSignatures(mlir::Operation *root);

} // namespace gptq

#endif // GPTQ_PASSES_PASSES_H
