//===- ParameterNames.h - framework names from an ONNX graph ---*- C++ -*-===//
//
// Recovers the PyTorch (Hugging Face) module and parameter names of an
// imported model from what exporters leave in the ONNX graph:
//
//  - initializers used as they are keep their parameter name
//    ("model.layers.0.input_layernorm.weight"; torch.onnx TorchScript,
//    dynamo, optimum);
//  - weights the exporter transformed (TorchScript folds nn.Linear's
//    transpose into an "onnx::MatMul_123" initializer) are named by the node
//    that uses them: "/model/layers.0/self_attn/q_proj/MatMul" is module
//    "model.layers.0.self_attn.q_proj" (the last path component names the
//    node itself);
//  - node scopes skip modules whose forward() was never called (OPT's
//    OPTForCausalLM calls self.model.decoder directly, so its nodes are
//    "/decoder/layers.0/...", its parameters "model.decoder.layers.0...."):
//    every node that uses a named parameter of its own module is an anchor
//    that teaches the scope -> module rewrite ("decoder" -> "model.decoder"),
//    which then names the unnamed weights under the same scope;
//  - torch.onnx's dynamo exporter names nodes "node_linear_3" and folds
//    weight transposes into "val_12" initializers, but records each node's
//    module path in metadata (pkg.torch.onnx.name_scopes), which the importer
//    keeps in the node's location and which names the module exactly;
//  - onnxruntime-genai's model builder names initializers after the node
//    that uses them ("model.layers.0.attn.qkv_proj.MatMul.weight" for node
//    "/model/layers.0/attn/qkv_proj/MatMul"): such a name is the node's, the
//    module is the node's scope, and the tensor is in the op's layout (a
//    MatMul's [in, out]), so a linear weight named so is named by its scope
//    and other operands (an Add's bias) are "<scope>.<leaf>";
//  - a constant an exporter computed from a parameter (Gemma's folded
//    1 + w) has no name of its own: userModules() says which modules use
//    it; an embedding table (the data of a Gather, or of a transpose feeding
//    one: tied weights) is also the weight of the Gather's module
//    (embeddingTables()).
//
// Module names as the exporter saw them; what an architecture's HF class
// calls them differently (genai's "attn") is passes/HFArchitectures.h.
//
// Used by the GPTQ checkpoint export (--hf-config) to name tensors as the
// Hugging Face model class expects, and meant for any pass that must match
// framework module names (LoRA adapters).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_PASSES_PARAMETERNAMES_H
#define GPTQ_PASSES_PARAMETERNAMES_H

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gptq::names {

/// Whether an ONNX initializer (or value) name is a framework parameter name
/// ("model.layers.0.q_proj.weight", "transformer.wte.weight") rather than
/// an exporter-made one ("onnx::MatMul_12", "/model/Constant_output_0",
/// "val_12", "_param_constant3", "123").
bool isParameterName(llvm::StringRef name);

/// The module scope of an ONNX node name, dotted: "/model/layers.0/self_attn/
/// q_proj/MatMul" -> "model.layers.0.self_attn.q_proj". Empty when the name
/// has no scope ("MatMul_12", "node_linear", "/lm_head" has scope "").
std::string nodeScope(llvm::StringRef nodeName);

/// Whether an initializer is named after a node (onnxruntime-genai):
/// "model.layers.0.attn.qkv_proj.MatMul.weight" and node
/// "/model/layers.0/attn/qkv_proj/MatMul" (the initializer's name less its
/// last component is the node name, '/' read as '.').
bool namedAfterNode(llvm::StringRef initializer, llvm::StringRef nodeName);

/// "model.layers.0.q_proj.weight" -> "model.layers.0.q_proj" ("" when there
/// is no dot).
std::string parentPath(llvm::StringRef path);

/// "model.layers.0.q_proj" -> "q_proj".
llvm::StringRef lastComponent(llvm::StringRef path);

/// Node scope -> module path rewrites learned from anchors.
class ScopeResolver {
public:
  /// Records that nodes in `scope` belong to module `module`. Accepted when
  /// the scope's components appear in order in the module path and both end
  /// with the same component (the module's own attribute name); returns
  /// whether it was accepted.
  bool addAnchor(llvm::StringRef scope, llvm::StringRef module);

  /// The module path of `scope`: its longest anchored prefix rewritten, the
  /// rest kept ("decoder.layers.1.fc1" with anchor "decoder" ->
  /// "model.decoder": "model.decoder.layers.1.fc1"); the scope itself when no
  /// prefix is anchored. Fails, with `why` set, when anchors disagree.
  std::optional<std::string> resolve(llvm::StringRef scope,
                                     std::string *why = nullptr) const;

  /// Anchored scope prefix -> module prefixes (more than one: a conflict).
  const std::map<std::string, std::set<std::string>> &rewrites() const {
    return prefixes;
  }

private:
  std::map<std::string, std::set<std::string>> prefixes;
};

/// How a linear op's weight is stored as a framework parameter.
enum class WeightLayout {
  Linear, ///< torch.nn.Linear: [out, in]
  Conv1D, ///< transformers' Conv1D (GPT-2): [in, out]
};

/// The framework module of a linear op.
struct LinearModule {
  std::string module; ///< "model.layers.0.self_attn.q_proj"
  /// Named by its own weight initializer (else by its node's scope).
  bool fromParameter = false;
  WeightLayout layout = WeightLayout::Linear;
};

/// The name of a location: its NameLoc's name (looking through fused and
/// call-site locations), or "".
std::string locationName(mlir::Location loc);

/// The PyTorch module the exporter recorded for a node (torch.onnx dynamo's
/// "pkg.torch.onnx.name_scopes" metadata, kept by the importer as a nested
/// NameLoc "torch.module:<path>"), or "".
std::string exporterModule(mlir::Location loc);

/// Names for the parameters of @main: analyses every op that uses a named
/// parameter constant (anchors), then answers per linear op and constant.
class ParameterNaming {
public:
  explicit ParameterNaming(mlir::func::FuncOp fn);

  /// The module of a linear op: nn.matmul / nn.gemm with a constant 2-D
  /// weight, or gptq.matmul_nbits (named by its gptq.layer attribute and its
  /// node). Fails with `why` set when nothing names it.
  std::optional<LinearModule> linear(mlir::Operation *op,
                                     std::string &why) const;

  /// The parameter name of a constant initializer, when it has one. An
  /// initializer named after its node (namedAfterNode) is
  /// "<node scope>.<leaf>", except the weight of a linear op (in the op's
  /// layout; linear() names its module), which has none.
  std::optional<std::string> parameter(nn::ConstantOp c) const;

  /// The modules whose nodes use a constant (their resolved scopes, sorted,
  /// without repeats; users no scope names are left out).
  std::vector<std::string> userModules(nn::ConstantOp c) const;

  /// A constant used as an embedding table: the data of an axis-0 nn.gather
  /// (directly, or through a 2-D transpose: onnxruntime-genai's tied
  /// embeddings are the head's [in, out] MatMul weight transposed) in module
  /// M names M's "weight" too, in the gather's layout (`transposed`: the
  /// constant is the table's transpose). Tied word embeddings under
  /// torch.onnx's dynamo exporter are one initializer named "lm_head.weight"
  /// that the embedding module gathers from.
  struct TableUse {
    std::string name; ///< "transformer.wte.weight"
    bool transposed = false;
  };
  std::vector<TableUse> embeddingTables(nn::ConstantOp c) const;

  /// Other parameter names a named constant stands for: an exporter (or
  /// constant deduplication) that merged equal parameters leaves one
  /// initializer used by several modules; a user in scope S (resolved to a
  /// module of the same kind as the parameter's) names S's parameter.
  std::vector<std::string> aliases(nn::ConstantOp c) const;

  const ScopeResolver &scopes() const { return resolver; }

  /// The modules the framework model has (from its checkpoint's parameter
  /// names): a scope no anchor rewrites, that is no known module itself,
  /// becomes the one known module its components embed into.
  void setKnownModules(std::set<std::string> modules);

private:
  std::set<std::string> knownModules;
  std::optional<std::string> resolveScope(mlir::Operation *op,
                                          std::string &why) const;
  ScopeResolver resolver;
};

} // namespace gptq::names

#endif // GPTQ_PASSES_PARAMETERNAMES_H
