//===- OnnxImport.h - ONNX models into the nn dialect ----------*- C++ -*-===//
//
// Imports an ONNX ModelProto (IR versions 3-11; default-domain opsets 7-23,
// each operator at the schema version its opset selects; com.microsoft
// opset 1) into a module with one func.func (@main by
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

/// The ONNX IR versions and default-domain opsets the importer reads.
constexpr int64_t kMinOnnxIrVersion = 3, kMaxOnnxIrVersion = 11;
constexpr int64_t kMinDefaultOpset = 7, kMaxDefaultOpset = 23;

/// The schema history of a default-domain operator the importer converts:
/// the opsets at which ONNX changed its schema (the since_version of each of
/// its versions, up to opset 23) and the oldest of those versions that the
/// importer converts with its meaning (older ones are refused naming the
/// node and the opset).
struct OnnxOpVersions {
  std::vector<int64_t> sinceVersions;
  int64_t oldestConverted = 0;
  /// The since_version of the schema in force at `opset`; 0 when the
  /// operator does not exist yet.
  int64_t schemaAt(int64_t opset) const;
};

/// The history of default-domain `opType`; null for operators that are not
/// ONNX's (onnxruntime's SimplifiedLayerNormalization) or not in the table
/// (every converted ONNX operator is: test/Unit/Import checks it).
const OnnxOpVersions *onnxOpVersions(llvm::StringRef opType);

/// Every default-domain operator type the importer converts.
std::vector<std::string> supportedDefaultDomainOps();

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
