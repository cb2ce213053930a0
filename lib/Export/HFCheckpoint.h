//===- HFCheckpoint.h - Hugging Face folder around a checkpoint -*- C++ -*-===//
//
// What `--hf-config DIR` adds to a GPTQ checkpoint (internal to GPTQExport):
// reading the original model folder (config.json, the headers of its
// safetensors weights), checking the checkpoint's tensors against them, and
// the config.json / copied files of a folder that transformers and
// GPTQModel load.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_LIB_EXPORT_HFCHECKPOINT_H
#define GPTQ_LIB_EXPORT_HFCHECKPOINT_H

#include "passes/HFArchitectures.h"

#include "llvm/ADT/StringRef.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gptq::hf {

struct TensorInfo {
  std::string dtype; ///< safetensors dtype: "F32", "BF16", ...
  std::vector<int64_t> shape;
};

/// The original model folder.
struct Reference {
  std::string dir;
  nlohmann::json config; ///< config.json
  /// The original parameters (from model.safetensors or the shards named by
  /// model.safetensors.index.json; headers only); empty when the folder has
  /// no safetensors weights.
  std::map<std::string, TensorInfo> parameters;
  std::string weightsFile; ///< where `parameters` came from ("" if none)
};

/// Reads DIR/config.json (required) and the headers of DIR's safetensors
/// weights (optional). Fails with `error` set.
bool loadReference(llvm::StringRef dir, Reference &out, std::string &error);

/// The header of a safetensors file: tensor name -> dtype and shape.
bool readSafetensorsHeader(llvm::StringRef path,
                           std::map<std::string, TensorInfo> &out,
                           std::string &error);

/// Files of the original folder copied into the checkpoint as they are
/// (tokenizer files, generation_config.json, chat templates, ...): every
/// regular top-level file except weights, ONNX files and the configs the
/// export writes itself. Sorted names.
std::vector<std::string> filesToCopy(llvm::StringRef dir);

/// The values of config.json the architecture rules need (a multimodal
/// config's text_config when the top level lacks them).
names::ModelConfig modelConfig(const nlohmann::json &config);

/// "F32" -> "float32" (torch's name), "" when it has none.
std::string torchDTypeName(llvm::StringRef safetensorsDType);

} // namespace gptq::hf

#endif // GPTQ_LIB_EXPORT_HFCHECKPOINT_H
