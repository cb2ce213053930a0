//===- HFArchitectures.h - per-architecture naming rules -------*- C++ -*-===//
//
// What ParameterNames cannot learn from a graph: where an architecture's
// Hugging Face modules differ from what exporters write. Everything
// architecture-specific lives in one table (HFArchitectures.cpp), keyed by
// config.json's model_type:
//
//  - module renames: onnxruntime-genai's model builder names its nodes and
//    initializers with its own module names ("/model/layers.0/attn/qkv_proj/
//    MatMul", "model.layers.2.final_norm_layernorm.weight") where the HF
//    class has "model.layers.0.self_attn..." and "model.norm";
//  - fused linears: one side keeps a linear module fused that the other
//    keeps as parts stacked along the output features (genai's qkv_proj is
//    HF Llama's q_proj, k_proj, v_proj; HF Phi-3's gate_up_proj is genai's
//    gate_proj and up_proj); the part sizes come from the config;
//  - offset norms: Gemma's RMSNorm computes x * (1 + w); exporters fold
//    1 + w into the constant the graph multiplies by;
//  - buffers: tensors a model registers but does not load (inv_freq).
//
// Meant for every consumer of ParameterNames that must produce or match HF
// names (GPTQ checkpoints, LoRA adapter matching).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_PASSES_HFARCHITECTURES_H
#define GPTQ_PASSES_HFARCHITECTURES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gptq::names {

/// The values of config.json the rules need (0: absent).
struct ModelConfig {
  std::string modelType;
  int64_t hiddenSize = 0;
  int64_t numAttentionHeads = 0;
  int64_t numKeyValueHeads = 0; ///< defaults to numAttentionHeads
  int64_t headDim = 0;          ///< defaults to hiddenSize / heads
  int64_t intermediateSize = 0;
};

/// A linear module that the HF class or an exporter keeps fused where the
/// other keeps its parts, the fused output features being the parts' in
/// order (`fused` = concat(parts) along N).
struct FusedLinear {
  std::string fused;              ///< module path suffix: "self_attn.qkv_proj"
  std::vector<std::string> parts; ///< "self_attn.q_proj", ...
  std::vector<int64_t> sizes;     ///< the parts' output features
  bool hfFused = false;           ///< the HF class has `fused` (else parts)
};

/// The rules of one architecture (all empty for a model type the table does
/// not know: names are then taken as the graph gives them).
struct Architecture {
  std::string modelType;
  std::string family; ///< the table row, for messages ("llama", "gemma")
  /// Module path renames applied in order: a dotted pattern ("*" matches
  /// one component) replaced wherever it occurs as whole components.
  std::vector<std::pair<std::string, std::string>> renames;
  std::vector<FusedLinear> fused;
  /// Norm weights used as normOffset + w (0: none).
  double normOffset = 0;

  /// The HF module path of an exporter's module path (renames applied).
  std::string hfModule(llvm::StringRef module) const;
  /// Whether `module` is a norm whose weight the model uses as
  /// normOffset + w (normOffset != 0 and the last component is "norm",
  /// "*_norm" or "*layernorm").
  bool isOffsetNorm(llvm::StringRef module) const;
};

/// The rules for a model. Fails (with `error`) when a fused rule needs a
/// size the config lacks.
bool architectureFor(const ModelConfig &config, Architecture &out,
                     std::string &error);

/// Whether a parameter name is a buffer transformers registers but never
/// loads from a checkpoint (rotary "inv_freq", "original_inv_freq", GPT-2's
/// "masked_bias"): an exporter may keep it as an initializer; it is no
/// parameter of the model.
bool isBufferName(llvm::StringRef name);

/// Applies a dotted rename pattern ("layers.*.final_norm_layernorm" ->
/// "norm") to a module path (exposed for tests).
std::string renameModule(llvm::StringRef module, llvm::StringRef pattern,
                         llvm::StringRef replacement);

} // namespace gptq::names

#endif // GPTQ_PASSES_HFARCHITECTURES_H
