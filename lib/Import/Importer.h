//===- Importer.h - internals of the ONNX importer --------------*- C++ -*-===//
#ifndef GPTQ_LIB_IMPORT_IMPORTER_H
#define GPTQ_LIB_IMPORT_IMPORTER_H

#include "gptq/Import/OnnxImport.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <memory>
#include <string>

namespace gptq::onnximport {

using namespace mlir;

class Importer;

/// What a node converter sees: the node, its opset, its inputs, and helpers
/// to read attributes, build ops (with type inference checked up front) and
/// report errors that name the node.
class NodeContext {
public:
  NodeContext(Importer &importer, const onnx::NodeProto &node,
              llvm::StringRef domain, int64_t opset, Location loc)
      : imp(importer), node(node), domain(domain), opset(opset), loc(loc) {}

  Importer &imp;
  const onnx::NodeProto &node;
  llvm::StringRef domain;
  int64_t opset;
  Location loc;

  /// Emits "file: node 'name' (Op, domain 'd', opset N): <msg>".
  InFlightDiagnostic error();
  LogicalResult fail(const llvm::Twine &msg);

  int numInputs() const { return node.input_size(); }
  /// Input i, or null if absent/empty (optional inputs).
  Value input(int i);
  /// Input i, required: fails with a message if missing.
  FailureOr<Value> requiredInput(int i);
  /// Checks the input count is within [min, max].
  LogicalResult expectInputs(int min, int max);
  bool outputUsed(int i) const;

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  FailureOr<int64_t> intAttr(llvm::StringRef name, std::optional<int64_t> def);
  FailureOr<float> floatAttr(llvm::StringRef name, std::optional<float> def);
  FailureOr<std::string> stringAttr(llvm::StringRef name,
                                    std::optional<std::string> def);
  /// Absent -> std::nullopt.
  FailureOr<std::optional<SmallVector<int64_t>>> intsAttr(llvm::StringRef name);

  /// Integer values of a constant input (e.g. axes since opset 13); fails
  /// naming the input when it is not a constant.
  FailureOr<SmallVector<int64_t>> constantInts(int i, llvm::StringRef what);

  /// Builds OpTy with inferred result types; a type inference failure is
  /// reported naming this node. Folds the op when possible.
  template <typename OpTy>
  FailureOr<SmallVector<Value>> build(ValueRange operands,
                                      ArrayRef<NamedAttribute> attrs = {}) {
    return buildNamed(OpTy::getOperationName(), operands, attrs,
                      &OpTy::inferReturnTypes);
  }
  template <typename OpTy>
  FailureOr<Value> build1(ValueRange operands,
                          ArrayRef<NamedAttribute> attrs = {}) {
    auto r = build<OpTy>(operands, attrs);
    if (failed(r))
      return failure();
    return (*r)[0];
  }

  /// Defines output i of the node.
  void setOutput(int i, Value v);
  LogicalResult setOutputs(ValueRange values);

  OpBuilder &builder();
  /// A constant tensor value (folds if it can).
  Value constant(DenseElementsAttr attr);
  Value constI64(ArrayRef<int64_t> values, bool scalar = false);

  using InferFn = LogicalResult (*)(MLIRContext *, std::optional<Location>,
                                    ValueRange, DictionaryAttr,
                                    OpaqueProperties, RegionRange,
                                    SmallVectorImpl<Type> &);
  FailureOr<SmallVector<Value>> buildNamed(llvm::StringRef name,
                                           ValueRange operands,
                                           ArrayRef<NamedAttribute> attrs,
                                           InferFn infer);
};

using ConvertFn = std::function<LogicalResult(NodeContext &)>;

// Helpers shared by the converter files (defined in OnnxOps.cpp).

/// `t` as MLIR prints it, for messages.
std::string typeStr(Type t);
/// The type of an imported value (every one is a ranked tensor).
RankedTensorType tensorType(Value v);
/// Attribute `name` = `a` for an op that the node builds.
NamedAttribute named(NodeContext &nc, llvm::StringRef name, Attribute a);

/// Builds OpTy from the node's inputs [0, n) (exactly n) with `attrs` and
/// sets output 0.
template <typename OpTy>
LogicalResult buildOne(NodeContext &nc, int n,
                       ArrayRef<NamedAttribute> attrs = {}) {
  if (failed(nc.expectInputs(n, n)))
    return failure();
  SmallVector<Value, 3> operands;
  for (int i = 0; i < n; ++i)
    operands.push_back(nc.input(i));
  auto r = nc.build1<OpTy>(operands, attrs);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

/// Converter tables: (domain, op type) -> converter.
const llvm::StringMap<ConvertFn> &defaultDomainConverters();
const llvm::StringMap<ConvertFn> &microsoftDomainConverters();
/// The attention family (OnnxAttentionOps.cpp), added to those tables.
void addDefaultDomainAttentionConverters(llvm::StringMap<ConvertFn> &table);
void addMicrosoftAttentionConverters(llvm::StringMap<ConvertFn> &table);
/// Adds the converters of OnnxIndexOps.cpp (IsNaN, IsInf, Sign, Round, Mod,
/// Bitwise*, GatherND, GatherElements, ScatterElements, Tile, ArgMax/ArgMin,
/// Flatten) to the default-domain table.
void addIndexOpConverters(llvm::StringMap<ConvertFn> &table);
/// Trilu with a k computed at run time, decomposed into range/compare/where
/// (OnnxIndexOps.cpp); `nc` is the Trilu node.
LogicalResult buildTriluDynamicK(NodeContext &nc, bool upper);

/// Reshape of `x` to [prod(dims[:axis]), prod(dims[axis:])] (ONNX Flatten;
/// OnnxIndexOps.cpp); `axis` in [-rank, rank], errors name the node.
FailureOr<Value> buildFlatten2D(NodeContext &nc, Value x, int64_t axis);
/// Softmax of opsets 1-12 (input coerced to 2-D at `axis`, default 1) for
/// the Softmax node `nc` (OnnxSoftmaxOps.cpp).
LogicalResult buildCoercedSoftmax(NodeContext &nc);
/// Adds LogSoftmax and Hardmax, each version's semantics
/// (OnnxSoftmaxOps.cpp), to the default-domain table.
void addSoftmaxFamilyConverters(llvm::StringMap<ConvertFn> &table);
/// Adds the com.microsoft EmbedLayerNormalization converter
/// (OnnxEmbedLayerNorm.cpp).
void addEmbedLayerNormConverters(llvm::StringMap<ConvertFn> &table);

/// Maps an ONNX TensorProto data type to an MLIR element type (null if
/// unsupported); `name` receives the ONNX name of the type.
Type onnxElementType(MLIRContext *ctx, int32_t dataType, std::string *name);

class Importer {
public:
  Importer(MLIRContext *ctx, llvm::StringRef modelDir,
           llvm::StringRef displayName, const OnnxImportOptions &options);

  OwningOpRef<ModuleOp> importModel(onnx::ModelProto &model);

  /// Converts a TensorProto (inline or external data) to an elements attr.
  /// `what` names the tensor in errors.
  FailureOr<ElementsAttr> importTensor(onnx::TensorProto &tensor,
                                       llvm::StringRef what);

  /// Dense attribute for small or splat data, resource blob otherwise
  /// (copied). `bytes` is little-endian, one byte per bool.
  ElementsAttr makeElements(RankedTensorType type, llvm::ArrayRef<char> bytes,
                            llvm::StringRef name);

  MLIRContext *ctx;
  OpBuilder b;
  std::string modelDir;
  std::string file; ///< display name used in every message
  OnnxImportOptions options;
  llvm::StringMap<Value> values;
  /// Names consumed by some node input or graph output.
  llvm::StringSet<> consumed;

  InFlightDiagnostic error() { return emitError(UnknownLoc::get(ctx)); }

private:
  FailureOr<llvm::ArrayRef<char>>
  readExternal(const onnx::TensorProto &tensor, llvm::StringRef what,
               size_t expectedBytes, std::shared_ptr<llvm::MemoryBuffer> &owner);
  LogicalResult checkOpsetsAndOps(const onnx::ModelProto &model);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &vi,
                                            bool isInput,
                                            SmallVectorImpl<std::string> &dimNames);

  std::map<std::string, int64_t> opsets;
  /// dim_params of input dims pinned by --input-shape.
  llvm::StringSet<> pinnedDimNames;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> externalFiles;
};

} // namespace gptq::onnximport

#endif // GPTQ_LIB_IMPORT_IMPORTER_H
