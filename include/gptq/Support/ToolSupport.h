//===- ToolSupport.h - shared plumbing of the command-line tools -*- C++ -*-===//
#ifndef GPTQ_SUPPORT_TOOLSUPPORT_H
#define GPTQ_SUPPORT_TOOLSUPPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>

namespace gptq {

/// Prints diagnostics as "<tool>: error: <where>: <message>" (where = the ONNX
/// node or the .mlir file position the location names), notes indented.
class ToolDiagnostics {
public:
  ToolDiagnostics(mlir::MLIRContext *context, llvm::StringRef tool);
  ~ToolDiagnostics();
  unsigned numErrors() const { return errors; }

private:
  mlir::MLIRContext *context;
  mlir::DiagnosticEngine::HandlerID id;
  std::string tool;
  unsigned errors = 0;
};

/// "<label>: N ops (a nn.matmul, b nn.add, ...)" sorted by count.
void printOpCounts(mlir::ModuleOp module, llvm::StringRef label,
                   llvm::raw_ostream &os);

/// Writes `module` to `path` ("-" = stdout) as text, or as bytecode when the
/// name ends in .mlirbc or `bytecode` is set. Atomic: temporary file, then
/// rename. Errors are emitted as diagnostics.
mlir::LogicalResult writeModule(mlir::ModuleOp module, llvm::StringRef path,
                                bool bytecode = false);

/// Writes a file atomically via `write`; emits a diagnostic naming the file
/// on failure.
mlir::LogicalResult
writeFileAtomically(mlir::MLIRContext *context, llvm::StringRef path,
                    const std::function<mlir::LogicalResult(llvm::raw_ostream &)> &write);

/// Loads a model: .onnx is imported (then nn-canonicalized unless
/// `canonicalize` is false), .mlir/.mlirbc are parsed. `inputShapes` is the
/// --input-shape text (ONNX only; ignored if empty).
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(mlir::MLIRContext *context, llvm::StringRef path,
          llvm::ArrayRef<std::string> inputShapes = {},
          bool canonicalize = true);

} // namespace gptq

#endif // GPTQ_SUPPORT_TOOLSUPPORT_H
