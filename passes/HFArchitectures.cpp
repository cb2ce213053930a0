//===- HFArchitectures.cpp - per-architecture naming rules -----*- C++ -*-===//
//
// THE TABLE of architecture-specific naming knowledge (see the header).
// Each row is a family of config.json model_types:
//
//   llama  (llama, mistral, qwen2, qwen3)
//          renames: genai; fused: qkv_proj = q, k, v and gate_up_proj =
//          gate, up, which the HF classes keep apart; norms: w.
//   gemma  (gemma, gemma2, gemma3, gemma3_text)
//          renames: genai; fused: as llama; norms: x * (1 + w), offset 1.
//   phi3   (phi3)
//          renames: genai; fused: qkv_proj and gate_up_proj, which the HF
//          class keeps fused (Phi3Attention, Phi3MLP); norms: w.
//
// "genai": onnxruntime-genai's model builder (builders/base.py) names the
// attention module "attn" (HF: "self_attn"), Qwen3/Gemma3's q/k norms
// "attn.q_norm.layernorm" (HF: "self_attn.q_norm"), and the final norm
// "layers.<num_hidden_layers>.final_norm_layernorm" (HF: "norm"); its
// initializers are named after their nodes ("<node path>.MatMul.weight",
// ParameterNames' node-named rule), not here. It packs q/k/v into one
// "qkv_proj" MatMul for these architectures and splits Phi-3's gate_up_proj
// into gate_proj and up_proj (make_mlp_unpacked_regular).
//
// Sizes: q = num_attention_heads * head_dim, k = v = num_key_value_heads *
// head_dim (head_dim defaults to hidden_size / num_attention_heads,
// num_key_value_heads to num_attention_heads), gate = up =
// intermediate_size; the HF classes stack them in that order (Phi3Attention
// slices qkv as [q | k | v], Phi3MLP chunks gate_up as [gate | up]).
//
// Norm offset: GemmaRMSNorm (Gemma 1-3) returns x * (1 + w) with w in the
// checkpoint; every exporter we know folds 1 + w into a new constant
// (TorchScript, dynamo, optimum: constant folding; genai: add_offset = 1).
// Gemma 4's RMSNorm uses w itself (not listed).
//
//===----------------------------------------------------------------------===//

#include "passes/HFArchitectures.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace gptq;
using namespace gptq::names;
using llvm::StringRef;

namespace {
enum class Family { None, Llama, Gemma, Phi3 };

struct Row {
  Family family;
  const char *name;
  std::vector<const char *> modelTypes;
};

const std::vector<Row> &table() {
  static const std::vector<Row> rows = {
      {Family::Llama, "llama", {"llama", "mistral", "qwen2", "qwen3"}},
      {Family::Gemma, "gemma", {"gemma", "gemma2", "gemma3", "gemma3_text"}},
      {Family::Phi3, "phi3", {"phi3"}},
  };
  return rows;
}

/// onnxruntime-genai's module names -> the HF classes' (see above).
const std::vector<std::pair<std::string, std::string>> kGenaiRenames = {
    {"attn", "self_attn"},
    {"self_attn.q_norm.layernorm", "self_attn.q_norm"},
    {"self_attn.k_norm.layernorm", "self_attn.k_norm"},
    {"layers.*.final_norm_layernorm", "norm"},
};
} // namespace

std::string names::renameModule(StringRef module, StringRef pattern,
                                StringRef replacement) {
  llvm::SmallVector<StringRef> parts, pat;
  module.split(parts, '.');
  pattern.split(pat, '.');
  std::vector<std::string> out;
  size_t i = 0;
  while (i < parts.size()) {
    bool match = i + pat.size() <= parts.size();
    for (size_t j = 0; match && j < pat.size(); ++j)
      match = pat[j] == "*" || pat[j] == parts[i + j];
    if (match) {
      if (!replacement.empty())
        out.push_back(replacement.str());
      i += pat.size();
      continue;
    }
    out.push_back(parts[i].str());
    ++i;
  }
  return llvm::join(out, ".");
}

std::string Architecture::hfModule(StringRef module) const {
  std::string m = module.str();
  for (auto &[from, to] : renames)
    m = renameModule(m, from, to);
  return m;
}

bool Architecture::isOffsetNorm(StringRef module) const {
  if (normOffset == 0)
    return false;
  size_t dot = module.rfind('.');
  StringRef last = dot == StringRef::npos ? module : module.drop_front(dot + 1);
  return last == "norm" || last.ends_with("_norm") ||
         last.ends_with("layernorm");
}

bool names::isBufferName(StringRef name) {
  size_t dot = name.rfind('.');
  StringRef leaf = dot == StringRef::npos ? name : name.drop_front(dot + 1);
  return leaf == "inv_freq" || leaf == "original_inv_freq" ||
         leaf == "masked_bias";
}

bool names::architectureFor(const ModelConfig &config, Architecture &out,
                            std::string &error) {
  out = Architecture();
  out.modelType = config.modelType;
  Family family = Family::None;
  for (const Row &r : table())
    if (llvm::is_contained(r.modelTypes, StringRef(config.modelType))) {
      family = r.family;
      out.family = r.name;
    }
  if (family == Family::None)
    return true;

  out.renames = kGenaiRenames;
  if (family == Family::Gemma)
    out.normOffset = 1.0;

  int64_t heads = config.numAttentionHeads;
  int64_t kv = config.numKeyValueHeads ? config.numKeyValueHeads : heads;
  int64_t headDim = config.headDim;
  if (!headDim && heads && config.hiddenSize % heads == 0)
    headDim = config.hiddenSize / heads;
  if (!heads || !headDim || !config.intermediateSize) {
    error = "config.json (model_type '" + config.modelType +
            "') lacks num_attention_heads, head_dim/hidden_size or "
            "intermediate_size, which size its fused linear modules";
    return false;
  }
  bool hfFused = family == Family::Phi3;
  out.fused.push_back(
      {"self_attn.qkv_proj",
       {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"},
       {heads * headDim, kv * headDim, kv * headDim},
       hfFused});
  out.fused.push_back({"mlp.gate_up_proj",
                       {"mlp.gate_proj", "mlp.up_proj"},
                       {config.intermediateSize, config.intermediateSize},
                       hfFused});
  return true;
}
