//===- InitAll.h - register everything gptq-mlir provides -------*- C++ -*-===//
//
// For tools and for compilers that embed gptq-mlir: one call registers our
// dialects and the upstream dialects they need, another our passes.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_INITALL_H
#define GPTQ_INITALL_H

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

namespace gptq {

inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<nn::NNDialect, quant::GPTQDialect, mlir::func::FuncDialect>();
}

inline void registerAllPasses() { registerGPTQPasses(); }

} // namespace gptq

#endif // GPTQ_INITALL_H
