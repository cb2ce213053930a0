//===- OnnxImport.h - ONNX models into the nn dialect ----------*- C++ -*-===//
//
// Imports an ONNX ModelProto (IR versions 7-11; default-domain opsets 13-23;
// com.microsoft opset 1) into a module with one func.func (@main by
// default) in the nn and gptq dialects. Initializers become dense_resource
// blobs (external data is memory-mapped relative to the model's folder, never
// read twice); small or splat tensors become dense attributes so that shape
// arithmetic folds.
//
// Errors are emitted through the context's diagnostic engine and name the
// file, the node (name, op type, domain, opset) and what is wrong; the result
// is then null. The importer never aborts on malformed input.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_IMPORT_ONNXIMPORT_H
#define GPTQ_IMPORT_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gptq {

struct OnnxImportOptions {
  /// Pinned input shapes by graph input name (-1 keeps a dimension dynamic).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Name of the function holding the graph.
  std::string functionName = "main";
  /// Tensors with at most this many elements become dense attributes (so
  /// folders can see them); larger ones become dense_resource blobs unless
  /// they are splats.
  int64_t denseElementLimit = 1024;
};

/// Imports the model at `path`.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(mlir::MLIRContext *context, llvm::StringRef path,
               const OnnxImportOptions &options = {});

/// Imports a serialized ModelProto. External data is resolved relative to
/// `modelDir`; `displayName` names the model in diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBytes(mlir::MLIRContext *context, llvm::StringRef bytes,
                llvm::StringRef modelDir, llvm::StringRef displayName,
                const OnnxImportOptions &options = {});

/// Whether the importer converts `opType` of `domain` ("" or "ai.onnx" for
/// the default domain, "com.microsoft").
bool isSupportedOnnxOp(llvm::StringRef domain, llvm::StringRef opType);

/// Reads a serialized TensorProto (e.g. ONNX test data input_0.pb) as an
/// elements attribute. Emits a diagnostic naming the file on failure.
mlir::FailureOr<mlir::ElementsAttr>
importOnnxTensorFile(mlir::MLIRContext *context, llvm::StringRef path);

/// Parses "--input-shape" values: "name=1x256" or "a=1x?,b=4" (? or -1 for
/// a dynamic dimension, "" or "scalar" for rank 0). Returns false and sets
/// `error` on malformed text.
bool parseInputShapes(llvm::StringRef spec,
                      std::map<std::string, std::vector<int64_t>> &shapes,
                      std::string &error);

} // namespace gptq

#endif // GPTQ_IMPORT_ONNXIMPORT_H
