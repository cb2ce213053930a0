//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
#ifndef GPTQ_DIALECTS_NN_IR_NNOPS_H
#define GPTQ_DIALECTS_NN_IR_NNOPS_H

#include "dialects/NN/IR/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace gptq::nn {

/// Result-type compatibility used by every nn op: element types equal, ranks
/// equal, and no pair of static sizes that differ.
bool areCompatibleReturnTypes(mlir::TypeRange lhs, mlir::TypeRange rhs);

/// How the operands of a broadcasting binary op are typed.
enum class BroadcastKind {
  Arith,   ///< same numeric element type; result has it
  Pow,     ///< numeric base and exponent; result has the base's type
  Logical, ///< i1 operands and result
  Compare, ///< same element type; i1 result
  Bitwise, ///< same integer (not i1) element type; result has it
};

mlir::LogicalResult inferUnaryType(llvm::StringRef opName,
                                   std::optional<mlir::Location> loc,
                                   mlir::Type input,
                                   llvm::SmallVectorImpl<mlir::Type> &inferred);
mlir::LogicalResult
inferBroadcastType(llvm::StringRef opName, std::optional<mlir::Location> loc,
                   BroadcastKind kind, mlir::Type lhs, mlir::Type rhs,
                   llvm::SmallVectorImpl<mlir::Type> &inferred);
mlir::LogicalResult inferReduceType(llvm::StringRef opName,
                                    std::optional<mlir::Location> loc,
                                    mlir::Type input,
                                    llvm::ArrayRef<int64_t> axes, bool keepdims,
                                    llvm::SmallVectorImpl<mlir::Type> &inferred);

/// ArgMax / ArgMin: i64 result with `axis` removed (or kept as 1).
mlir::LogicalResult inferArgType(llvm::StringRef opName,
                                 std::optional<mlir::Location> loc,
                                 mlir::Type input, int64_t axis, bool keepdims,
                                 llvm::SmallVectorImpl<mlir::Type> &inferred);

/// Multidirectional (numpy) broadcast of two shapes; std::nullopt if two
/// static sizes disagree.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The values of a constant 1-D/0-D integer operand, if it is one.
std::optional<llvm::SmallVector<int64_t>> getConstantIntValues(mlir::Value v);

/// The elements of a 1-D (or 0-D) integer operand as far as they can be
/// seen without running the graph: constants, and concatenations of
/// unsqueezed scalars gathered from `nn.shape` of a tensor whose size is
/// static there. Unknown elements are ShapedType::kDynamic. std::nullopt if
/// the operand is not such a tensor of static length.
std::optional<llvm::SmallVector<int64_t>> getPartialIntValues(mlir::Value v);

/// Normalizes `axis` in [-rank, rank) to [0, rank); std::nullopt if out of
/// range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The dense (non-resource) value of a constant tensor, if any.
mlir::DenseElementsAttr getDenseConstant(mlir::Value v);

} // namespace gptq::nn

#define GET_OP_CLASSES
#include "dialects/NN/IR/NNOps.h.inc"

#endif // GPTQ_DIALECTS_NN_IR_NNOPS_H
