//===- PlanBuilder.h - nn/gptq modules to runtime plans ---------*- C++ -*-===//
//
// Lowers a function of an nn/gptq module to the runtime's Plan: one step per
// op (constants become plan constants that reference the module's data), value
// liveness for freeing tensors after their last use, IO specs from the
// function signature (nn.name, nn.dim_names).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_EXEC_PLANBUILDER_H
#define GPTQ_EXEC_PLANBUILDER_H

#include "runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>
#include <vector>

namespace gptq {

/// Where plan entities came from in the IR.
struct PlanMapping {
  std::vector<mlir::Operation *> stepOps;   ///< step index -> op
  llvm::DenseMap<mlir::Value, int> valueIds; ///< IR value -> plan value id
};

/// Lowers `funcName` of `module`. Constant tensors point into the module's
/// attributes and resource blobs: the module must outlive the plan. Emits a
/// diagnostic naming the op and fails for ops the runtime cannot execute.
mlir::FailureOr<std::shared_ptr<rt::Plan>>
buildPlan(mlir::ModuleOp module, llvm::StringRef funcName = "main",
          PlanMapping *mapping = nullptr);

/// The graph inputs and outputs of `funcName` as the plan would describe
/// them (value ids -1), without lowering the body.
mlir::FailureOr<std::pair<std::vector<rt::IOSpec>, std::vector<rt::IOSpec>>>
planSignature(mlir::ModuleOp module, llvm::StringRef funcName = "main");

/// The runtime element type of an MLIR element type, if it has one.
std::optional<rt::DType> toDType(mlir::Type type);

/// A runtime tensor holding (or, for resource blobs, referencing) the value
/// of an elements attribute.
mlir::FailureOr<rt::Tensor> tensorFromAttr(mlir::ElementsAttr attr);

} // namespace gptq

#endif // GPTQ_EXEC_PLANBUILDER_H
