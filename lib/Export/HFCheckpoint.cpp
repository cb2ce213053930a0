//===- HFCheckpoint.cpp - Hugging Face folder around a checkpoint -*- C++
//-*-===//

#include "HFCheckpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <fstream>
#include <set>

using namespace gptq;

static bool readJson(llvm::StringRef path, nlohmann::json &out,
                     std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    error = "cannot read '" + path.str() + "': " + buf.getError().message();
    return false;
  }
  out = nlohmann::json::parse((*buf)->getBuffer().begin(),
                              (*buf)->getBuffer().end(), nullptr,
                              /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    error = "'" + path.str() + "' is not valid JSON";
    return false;
  }
  return true;
}

bool hf::readSafetensorsHeader(llvm::StringRef path,
                               std::map<std::string, TensorInfo> &out,
                               std::string &error) {
  std::ifstream in(path.str(), std::ios::binary);
  unsigned char len[8];
  if (!in || !in.read(reinterpret_cast<char *>(len), 8)) {
    error = "cannot read '" + path.str() + "'";
    return false;
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | len[i];
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(path, size) || n > size - 8 ||
      n > (uint64_t(1) << 30)) {
    error = "'" + path.str() + "' is not a safetensors file (header length " +
            std::to_string(n) + ")";
    return false;
  }
  std::string text(n, '\0');
  if (!in.read(text.data(), (std::streamsize)n)) {
    error = "cannot read the header of '" + path.str() + "'";
    return false;
  }
  auto header = nlohmann::json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    error = "'" + path.str() + "' has no valid safetensors header";
    return false;
  }
  for (auto &[name, v] : header.items()) {
    if (name == "__metadata__")
      continue;
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v["dtype"].is_string() || !v["shape"].is_array()) {
      error = "'" + path.str() + "': bad header entry for '" + name + "'";
      return false;
    }
    TensorInfo t;
    t.dtype = v["dtype"].get<std::string>();
    for (auto &d : v["shape"]) {
      if (!d.is_number_integer()) {
        error = "'" + path.str() + "': bad shape of '" + name + "'";
        return false;
      }
      t.shape.push_back(d.get<int64_t>());
    }
    out[name] = std::move(t);
  }
  return true;
}

bool hf::loadReference(llvm::StringRef dir, Reference &out,
                       std::string &error) {
  out.dir = dir.str();
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "--hf-config '" + dir.str() + "' is not a directory";
    return false;
  }
  llvm::SmallString<256> cfg(dir);
  llvm::sys::path::append(cfg, "config.json");
  if (!llvm::sys::fs::exists(cfg)) {
    error = "--hf-config '" + dir.str() +
            "' has no config.json (it must be the original model's Hugging "
            "Face folder)";
    return false;
  }
  if (!readJson(cfg, out.config, error))
    return false;
  if (!out.config.is_object()) {
    error = "'" + std::string(cfg) + "' is not a JSON object";
    return false;
  }
  if (out.config.contains("quantization_config")) {
    error = "'" + std::string(cfg) +
            "' already has a quantization_config: --hf-config needs the "
            "original (unquantized) model's folder";
    return false;
  }

  llvm::SmallString<256> single(dir), index(dir);
  llvm::sys::path::append(single, "model.safetensors");
  llvm::sys::path::append(index, "model.safetensors.index.json");
  if (llvm::sys::fs::exists(single)) {
    out.weightsFile = std::string(single);
    return readSafetensorsHeader(single, out.parameters, error);
  }
  if (llvm::sys::fs::exists(index)) {
    nlohmann::json idx;
    if (!readJson(index, idx, error))
      return false;
    if (!idx.contains("weight_map") || !idx["weight_map"].is_object()) {
      error = "'" + std::string(index) + "' has no weight_map";
      return false;
    }
    std::set<std::string> shards;
    for (auto &[name, file] : idx["weight_map"].items())
      if (file.is_string())
        shards.insert(file.get<std::string>());
    for (const std::string &s : shards) {
      llvm::SmallString<256> p(dir);
      llvm::sys::path::append(p, s);
      if (!readSafetensorsHeader(p, out.parameters, error))
        return false;
    }
    out.weightsFile = std::string(index);
  }
  return true;
}

std::vector<std::string> hf::filesToCopy(llvm::StringRef dir) {
  static const char *skipExt[] = {
      ".safetensors", ".bin",     ".pt",   ".pth",       ".ckpt",
      ".h5",          ".msgpack", ".onnx", ".onnx_data", ".data",
      ".gguf",        ".npy",     ".npz",  ".tflite",    ".ot"};
  static const char *skipName[] = {"config.json",
                                   "quantize_config.json",
                                   "model.safetensors.index.json",
                                   "pytorch_model.bin.index.json",
                                   "tf_model.h5.index.json",
                                   "flax_model.msgpack.index.json"};
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    auto st = it->status();
    if (!st || st->type() != llvm::sys::fs::file_type::regular_file)
      continue;
    if (name.starts_with("."))
      continue;
    if (llvm::any_of(skipName, [&](const char *s) { return name == s; }) ||
        llvm::any_of(skipExt, [&](const char *e) { return name.ends_with(e); }))
      continue;
    out.push_back(name.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string hf::torchDTypeName(llvm::StringRef t) {
  if (t == "F32")
    return "float32";
  if (t == "F16")
    return "float16";
  if (t == "BF16")
    return "bfloat16";
  if (t == "F64")
    return "float64";
  return "";
}

names::ModelConfig hf::modelConfig(const nlohmann::json &config) {
  names::ModelConfig out;
  auto str = [](const nlohmann::json &j, const char *key) -> std::string {
    return j.is_object() && j.contains(key) && j[key].is_string()
               ? j[key].get<std::string>()
               : std::string();
  };
  auto num = [](const nlohmann::json &j, const char *key) -> int64_t {
    return j.is_object() && j.contains(key) && j[key].is_number_integer()
               ? j[key].get<int64_t>()
               : 0;
  };
  out.modelType = str(config, "model_type");
  const nlohmann::json *sizes = &config;
  if (!num(config, "hidden_size") && config.contains("text_config") &&
      config["text_config"].is_object())
    sizes = &config["text_config"];
  out.hiddenSize = num(*sizes, "hidden_size");
  out.numAttentionHeads = num(*sizes, "num_attention_heads");
  out.numKeyValueHeads = num(*sizes, "num_key_value_heads");
  out.headDim = num(*sizes, "head_dim");
  out.intermediateSize = num(*sizes, "intermediate_size");
  return out;
}
