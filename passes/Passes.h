//===- Passes.h - gptq-mlir passes ------------------------------*- C++ -*-===//
#ifndef GPTQ_PASSES_PASSES_H
#define GPTQ_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

namespace gptq {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Re-infers result types of every op in `root` (in program order) and
/// narrows them where the inference is more static; updates func.func
/// signatures to match their returns. Returns true if anything changed.
bool refineShapes(mlir::Operation *root);

} // namespace gptq

#endif // GPTQ_PASSES_PASSES_H
