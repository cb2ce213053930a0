//===- GPTQCheckpoint.cpp - GPTQ checkpoints (safetensors) ------*- C++ -*-===//
//
// model.safetensors holds, for every gptq.matmul_nbits named L (its
// gptq.layer attribute): L.qweight (I32 [ceil(K*bits/32), N]), L.qzeros (I32
// [groups, ceil(N*bits/32)], v1 "zero - 1" unless v2 is asked for), L.scales
// (F16 [groups, N]), L.g_idx (I32 [K]) and L.bias (F16 [N]) when present;
// the weights of unquantized linear layers (the head) as L.weight [N, K]
// (torch's Linear layout) and L.bias; and every other named float constant
// of the model (embeddings, norms) under its initializer name.
// quantize_config.json follows AutoGPTQ/GPTQModel's keys.
//
// v1 checkpoints store zero - 1 and loaders add 1 back without wrapping, so
// a zero point of 0 has no v1 form: such modules are refused (or written as
// v2 when the caller allows it).
//
// With an --hf-config folder the tensors get the Hugging Face parameter
// names (passes/ParameterNames.h): quantized layers as <module>.qweight ...
// with their bias in the model's dtype, unquantized linears in the layout
// of their framework parameter (nn.Linear [out, in], Conv1D [in, out]), the
// other parameters (and parameters an exporter merged into one initializer)
// under their names; an unquantized LM head equal to the embedding of a
// tied model is left out (transformers ties it). When the folder has the
// original safetensors weights, every original parameter must be present
// with its shape and nothing else may be: a name the graph did not give is
// an error, not a checkpoint that silently loads random weights.
//
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"

#include "HFCheckpoint.h"

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "passes/ParameterNames.h"
#include "passes/QuantizeUtils.h"
#include "runtime/quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace mlir;
using namespace gptq;

namespace {
struct Entry {
  std::string dtype; ///< safetensors dtype: F32, F16, BF16, I32, I64, ...
  std::vector<int64_t> shape;
  std::string data;
};
} // namespace

static const char *safetensorsDType(rt::DType t) {
  switch (t) {
  case rt::DType::F32: return "F32";
  case rt::DType::F16: return "F16";
  case rt::DType::BF16: return "BF16";
  case rt::DType::F64: return "F64";
  case rt::DType::Bool: return "BOOL";
  case rt::DType::I8: return "I8";
  case rt::DType::I16: return "I16";
  case rt::DType::I32: return "I32";
  case rt::DType::I64: return "I64";
  case rt::DType::U8: return "U8";
  case rt::DType::U16: return "U16";
  case rt::DType::U32: return "U32";
  case rt::DType::U64: return "U64";
  }
  return "?";
}

static Entry entryFrom(const rt::Tensor &t) {
  return Entry{safetensorsDType(t.dtype()), t.shape(),
               std::string(static_cast<const char *>(t.raw()), t.nbytes())};
}

/// A float tensor as F16 (checkpoint scales and biases are half precision).
static Entry halfEntry(const rt::Tensor &t) {
  rt::Tensor h = rt::Tensor::empty(rt::DType::F16, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i)
    h.data<uint16_t>()[i] = rt::floatToHalf((float)t.getDouble(i));
  return entryFrom(h);
}

/// Whether every user of `c` adds a constant equal to `value` to it (a graph
/// that computes offset + w itself rather than folding it).
static bool addsConstant(nn::ConstantOp c, double value) {
  if (c->use_empty())
    return false;
  for (Operation *user : c->getUsers()) {
    auto add = dyn_cast<nn::AddOp>(user);
    if (!add)
      return false;
    Value other = add.getLhs() == c.getResult() ? add.getRhs() : add.getLhs();
    auto oc = other.getDefiningOp<nn::ConstantOp>();
    if (!oc)
      return false;
    auto t = tensorFromAttr(oc.getValue());
    if (failed(t) || t->numel() == 0)
      return false;
    for (int64_t i = 0; i < t->numel(); ++i)
      if (t->getDouble(i) != value)
        return false;
  }
  return true;
}

/// Whether an initializer name is a model parameter name worth keeping
/// (exporter-internal names like "onnx::MatMul_12" are not).
static bool isParameterName(StringRef n) {
  return !n.empty() && !n.contains("::") && !n.starts_with("/") &&
         n.contains('.');
}

static LogicalResult writeAtomically(ModuleOp module, StringRef path,
                                     StringRef bytes) {
  if (llvm::Error err =
          llvm::writeToOutput(path, [&](llvm::raw_ostream &os) -> llvm::Error {
            os << bytes;
            return llvm::Error::success();
          }))
    return emitError(UnknownLoc::get(module.getContext()))
           << "cannot write '" << path << "': " << llvm::toString(std::move(err));
  return success();
}

static int64_t elementBytes(StringRef dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64")
    return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32")
    return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16")
    return 2;
  return 1;
}

/// Rows [begin, begin + len) along `axis` of a 1-D or 2-D entry.
static Entry sliceEntry(const Entry &e, int axis, int64_t begin, int64_t len) {
  Entry out{e.dtype, e.shape, ""};
  out.shape[axis] = len;
  int64_t eb = elementBytes(e.dtype);
  if (e.shape.size() == 1 || axis == 0) {
    int64_t row = e.shape.size() == 1 ? eb : eb * e.shape[1];
    out.data = e.data.substr(begin * row, len * row);
    return out;
  }
  int64_t rows = e.shape[0], cols = e.shape[1];
  out.data.reserve(rows * len * eb);
  for (int64_t r = 0; r < rows; ++r)
    out.data.append(e.data, (r * cols + begin) * eb, len * eb);
  return out;
}

/// The entries stacked along `axis` (same dtype, equal other dims).
static Entry concatEntries(const std::vector<const Entry *> &parts, int axis) {
  Entry out{parts[0]->dtype, parts[0]->shape, ""};
  int64_t eb = elementBytes(out.dtype);
  out.shape[axis] = 0;
  for (const Entry *p : parts)
    out.shape[axis] += p->shape[axis];
  if (out.shape.size() == 1 || axis == 0) {
    for (const Entry *p : parts)
      out.data += p->data;
    return out;
  }
  for (int64_t r = 0; r < out.shape[0]; ++r)
    for (const Entry *p : parts)
      out.data.append(p->data, r * p->shape[1] * eb, p->shape[1] * eb);
  return out;
}

/// Packed zero points [groups, ceil(N * bits / 32)] <-> [groups, N] values.
static std::vector<int32_t> unpackZeros(const Entry &e, int64_t n, int bits) {
  int64_t groups = e.shape[0], cols = e.shape[1];
  std::vector<int32_t> out(groups * n);
  for (int64_t g = 0; g < groups; ++g)
    rt::quant::unpackRow(reinterpret_cast<const int32_t *>(e.data.data()) +
                             g * cols,
                         n, bits, out.data() + g * n);
  return out;
}
static Entry packZeros(const std::vector<int32_t> &values, int64_t groups,
                       int64_t n, int bits) {
  int64_t cols = rt::quant::packedZeroCols(n, bits);
  Entry out{"I32", {groups, cols}, std::string(groups * cols * 4, '\0')};
  for (int64_t g = 0; g < groups; ++g)
    rt::quant::packRow(values.data() + g * n, n, bits,
                       reinterpret_cast<int32_t *>(out.data.data()) + g * cols);
  return out;
}

namespace {
/// The checkpoint's tensors while they are being named.
struct NamedTensors {
  std::map<std::string, Entry> &tensors;
  /// Quantized HF modules -> [K, N].
  std::map<std::string, std::pair<int64_t, int64_t>> &quantized;
  /// "<module>.weight" of unquantized linear layers.
  std::set<std::string> &linearWeights;
  int bits;
};
} // namespace

/// Splits the graph's fused linear module `m` into `parts` (sizes along N)
/// or stacks `parts` into `m`, quantized (qweight and scales columns,
/// repacked qzeros, the shared g_idx) or not (the weight's rows in nn.Linear
/// layout [N, K], or columns in Conv1D layout), biases alike.
static LogicalResult splitFused(NamedTensors &t, const std::string &m,
                                const std::vector<std::string> &parts,
                                const std::vector<int64_t> &sizes,
                                std::string &error) {
  int64_t total = 0;
  for (int64_t n : sizes)
    total += n;
  auto sizesText = [&]() {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i)
      out += (i ? " + " : "") + std::to_string(sizes[i]);
    return out;
  };
  auto q = t.quantized.find(m);
  if (q != t.quantized.end()) {
    auto [K, N] = q->second;
    if (N != total) {
      error = "'" + m + "' has " + std::to_string(N) +
              " output features, config.json sizes its parts " + sizesText();
      return failure();
    }
    Entry qweight = t.tensors[m + ".qweight"],
          scales = t.tensors[m + ".scales"], qzeros = t.tensors[m + ".qzeros"],
          gIdx = t.tensors[m + ".g_idx"];
    std::optional<Entry> bias;
    if (t.tensors.count(m + ".bias"))
      bias = t.tensors[m + ".bias"];
    for (const char *s : {".qweight", ".scales", ".qzeros", ".g_idx", ".bias"})
      t.tensors.erase(m + s);
    t.quantized.erase(q);
    std::vector<int32_t> zeros = unpackZeros(qzeros, N, t.bits);
    int64_t groups = qzeros.shape[0], begin = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      int64_t n = sizes[i];
      const std::string &p = parts[i];
      t.tensors[p + ".qweight"] = sliceEntry(qweight, 1, begin, n);
      t.tensors[p + ".scales"] = sliceEntry(scales, 1, begin, n);
      std::vector<int32_t> z(groups * n);
      for (int64_t g = 0; g < groups; ++g)
        std::copy_n(zeros.begin() + g * N + begin, n, z.begin() + g * n);
      t.tensors[p + ".qzeros"] = packZeros(z, groups, n, t.bits);
      t.tensors[p + ".g_idx"] = gIdx;
      if (bias)
        t.tensors[p + ".bias"] = sliceEntry(*bias, 0, begin, n);
      t.quantized[p] = {K, n};
      begin += n;
    }
    return success();
  }
  const Entry &w = t.tensors[m + ".weight"];
  int axis = w.shape.size() == 2 && w.shape[0] == total   ? 0
             : w.shape.size() == 2 && w.shape[1] == total ? 1
                                                          : -1;
  if (axis < 0) {
    error = "'" + m + ".weight' has shape " + std::to_string(w.shape[0]) + "x" +
            std::to_string(w.shape.size() > 1 ? w.shape[1] : 1) +
            ", config.json sizes its parts " + sizesText();
    return failure();
  }
  Entry weight = w;
  std::optional<Entry> bias;
  if (t.tensors.count(m + ".bias"))
    bias = t.tensors[m + ".bias"];
  t.tensors.erase(m + ".weight");
  t.tensors.erase(m + ".bias");
  t.linearWeights.erase(m + ".weight");
  int64_t begin = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    t.tensors[parts[i] + ".weight"] = sliceEntry(weight, axis, begin, sizes[i]);
    if (bias)
      t.tensors[parts[i] + ".bias"] = sliceEntry(*bias, 0, begin, sizes[i]);
    t.linearWeights.insert(parts[i] + ".weight");
    begin += sizes[i];
  }
  return success();
}

static LogicalResult fuseParts(NamedTensors &t, const std::string &m,
                               const std::vector<std::string> &parts,
                               std::string &error) {
  size_t quantized = 0, withBias = 0;
  for (const std::string &p : parts) {
    quantized += t.quantized.count(p);
    withBias += t.tensors.count(p + ".bias");
  }
  if (quantized != 0 && quantized != parts.size()) {
    error = "'" + m + "' stacks " + llvm::join(parts, ", ") +
            ", of which only some are quantized: quantize all or none "
            "(--include / --exclude)";
    return failure();
  }
  if (withBias != 0 && withBias != parts.size()) {
    error = "'" + m + "' stacks " + llvm::join(parts, ", ") +
            ", of which only some have a bias";
    return failure();
  }
  auto collect = [&](const char *suffix) {
    std::vector<const Entry *> out;
    for (const std::string &p : parts)
      out.push_back(&t.tensors[p + suffix]);
    return out;
  };
  auto erase = [&](const char *suffix) {
    for (const std::string &p : parts)
      t.tensors.erase(p + suffix);
  };
  std::optional<Entry> bias;
  if (withBias)
    bias = concatEntries(collect(".bias"), 0);
  if (quantized) {
    int64_t K = t.quantized[parts[0]].first, N = 0;
    for (const std::string &p : parts) {
      if (t.quantized[p].first != K) {
        error = "'" + m + "' stacks layers of different input sizes";
        return failure();
      }
      // One fused layer has one g_idx: act-order permutes each part's rows
      // by its own Hessian, which is the same for parts that read the same
      // input (as fused parts do); anything else cannot be stacked.
      if (t.tensors[p + ".g_idx"].data != t.tensors[parts[0] + ".g_idx"].data) {
        error = "'" + m + "' cannot stack " + parts[0] + " and " + p +
                ": their g_idx differ (act-order quantized them with "
                "different row orders); quantize without --desc-act";
        return failure();
      }
      N += t.quantized[p].second;
    }
    Entry gIdx = t.tensors[parts[0] + ".g_idx"];
    Entry qweight = concatEntries(collect(".qweight"), 1);
    Entry scales = concatEntries(collect(".scales"), 1);
    std::vector<int32_t> zeros;
    int64_t groups = t.tensors[parts[0] + ".qzeros"].shape[0];
    std::vector<std::vector<int32_t>> partZeros;
    for (const std::string &p : parts)
      partZeros.push_back(
          unpackZeros(t.tensors[p + ".qzeros"], t.quantized[p].second, t.bits));
    for (int64_t g = 0; g < groups; ++g)
      for (size_t i = 0; i < parts.size(); ++i) {
        int64_t n = t.quantized[parts[i]].second;
        zeros.insert(zeros.end(), partZeros[i].begin() + g * n,
                     partZeros[i].begin() + (g + 1) * n);
      }
    for (const char *s : {".qweight", ".scales", ".qzeros", ".g_idx", ".bias"})
      erase(s);
    for (const std::string &p : parts)
      t.quantized.erase(p);
    t.tensors[m + ".qweight"] = std::move(qweight);
    t.tensors[m + ".scales"] = std::move(scales);
    t.tensors[m + ".qzeros"] = packZeros(zeros, groups, N, t.bits);
    t.tensors[m + ".g_idx"] = std::move(gIdx);
    if (bias)
      t.tensors[m + ".bias"] = std::move(*bias);
    t.quantized[m] = {K, N};
    return success();
  }
  // nn.Linear weights [n, K] stack along rows.
  for (const std::string &p : parts) {
    const Entry &w = t.tensors[p + ".weight"],
                &w0 = t.tensors[parts[0] + ".weight"];
    if (w.shape.size() != 2 || w.dtype != w0.dtype ||
        w.shape[1] != w0.shape[1]) {
      error = "'" + m + "' cannot stack " + parts[0] + " and " + p +
              ": their weights differ in input size or dtype";
      return failure();
    }
  }
  Entry weight = concatEntries(collect(".weight"), 0);
  erase(".weight");
  erase(".bias");
  for (const std::string &p : parts)
    t.linearWeights.erase(p + ".weight");
  t.tensors[m + ".weight"] = std::move(weight);
  if (bias)
    t.tensors[m + ".bias"] = std::move(*bias);
  t.linearWeights.insert(m + ".weight");
  return success();
}

/// Brings the graph's linear modules to the HF class's form where one side
/// keeps fused what the other keeps apart (names::FusedLinear): the original
/// weights decide when HF_DIR has them, else the architecture table.
static LogicalResult restructureFused(const names::Architecture &arch,
                                      const hf::Reference &ref, NamedTensors &t,
                                      std::vector<std::string> &warnings,
                                      std::string &error) {
  const bool haveOriginal = !ref.parameters.empty();
  auto isModule = [&](const std::string &m) {
    return t.quantized.count(m) || t.tensors.count(m + ".weight");
  };
  auto hasSuffix = [](const std::string &m, const std::string &suffix,
                      std::string &prefix) {
    if (m == suffix) {
      prefix.clear();
      return true;
    }
    if (!StringRef(m).ends_with("." + suffix))
      return false;
    prefix = m.substr(0, m.size() - suffix.size());
    return true;
  };
  for (const names::FusedLinear &f : arch.fused) {
    std::set<std::string> modules;
    for (auto &[m, kn] : t.quantized)
      modules.insert(m);
    for (auto &[name, e] : t.tensors)
      if (names::lastComponent(name) == "weight")
        modules.insert(names::parentPath(name));
    int split = 0, fused = 0;
    for (const std::string &m : modules) {
      std::string prefix;
      if (hasSuffix(m, f.fused, prefix)) {
        // The graph has the fused module: split it when HF keeps parts.
        bool hfParts = haveOriginal
                           ? !ref.parameters.count(m + ".weight") &&
                                 llvm::all_of(f.parts,
                                              [&](const std::string &p) {
                                                return ref.parameters.count(
                                                    prefix + p + ".weight");
                                              })
                           : !f.hfFused;
        if (!hfParts)
          continue;
        std::vector<std::string> parts;
        for (const std::string &p : f.parts)
          parts.push_back(prefix + p);
        if (failed(splitFused(t, m, parts, f.sizes, error)))
          return failure();
        ++split;
      } else if (hasSuffix(m, f.parts[0], prefix)) {
        // The graph has the parts: stack them when HF keeps them fused.
        std::string target = prefix + f.fused;
        std::vector<std::string> parts;
        for (const std::string &p : f.parts)
          parts.push_back(prefix + p);
        if (!llvm::all_of(parts, isModule))
          continue;
        bool hfFused = haveOriginal
                           ? ref.parameters.count(target + ".weight") &&
                                 !ref.parameters.count(parts[0] + ".weight")
                           : f.hfFused;
        if (!hfFused)
          continue;
        if (failed(fuseParts(t, target, parts, error)))
          return failure();
        ++fused;
      }
    }
    std::vector<std::string> partNames;
    for (const std::string &p : f.parts)
      partNames.push_back(std::string(names::lastComponent(p)));
    if (split)
      warnings.push_back(std::to_string(split) + " '" + f.fused +
                         "' modules of the graph split into " +
                         llvm::join(partNames, ", ") +
                         " along the output features (sizes from "
                         "config.json; the Hugging Face class keeps them "
                         "apart)");
    if (fused)
      warnings.push_back(llvm::join(partNames, " + ") +
                         " of the graph stacked "
                         "into " +
                         std::to_string(fused) + " '" + f.fused +
                         "' modules (the Hugging Face class keeps them fused)");
  }
  return success();
}

bool gptq::checkHFConfigDir(StringRef dir, std::string &error) {
  hf::Reference ref;
  return hf::loadReference(dir, ref, error);
}

LogicalResult gptq::exportGPTQCheckpoint(ModuleOp module, StringRef dir,
                                         const GPTQCheckpointOptions &options,
                                         GPTQCheckpointInfo *info) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return emitError(UnknownLoc::get(module.getContext())) << "no function @main to export";
  Location errLoc = UnknownLoc::get(module.getContext());
  const bool hfMode = !options.hfConfigDir.empty();
  if (options.zerosV1 && options.zerosV2)
    return emitError(errLoc) << "v1 and v2 zeros were both asked for";
  hf::Reference ref;
  std::optional<names::ParameterNaming> naming;
  names::Architecture arch;
  std::vector<std::string> warnings;
  if (hfMode) {
    std::string error;
    if (!hf::loadReference(options.hfConfigDir, ref, error))
      return emitError(errLoc) << error;
    if (!names::architectureFor(hf::modelConfig(ref.config), arch, error))
      return emitError(errLoc) << error;
    naming.emplace(fn);
    std::set<std::string> modules;
    for (auto &[name, info] : ref.parameters)
      modules.insert(names::parentPath(name));
    naming->setKnownModules(std::move(modules));
  }
  // The architecture's HF names of the exporter's modules and parameters
  // (passes/HFArchitectures.h: onnxruntime-genai's "attn" -> "self_attn").
  auto hfModule = [&](StringRef m) { return arch.hfModule(m); };
  auto hfParameter = [&](StringRef p) {
    std::string parent = names::parentPath(p);
    return parent.empty()
               ? p.str()
               : arch.hfModule(parent) + "." + names::lastComponent(p).str();
  };
  // HF module name -> [K, N] of the quantized layers.
  std::map<std::string, std::pair<int64_t, int64_t>> quantizedModules;
  // Names of unquantized linear weights (candidates for a tied LM head).
  std::set<std::string> linearWeights;

  std::map<std::string, Entry> tensors;
  auto constTensor = [](Value v) -> FailureOr<rt::Tensor> {
    auto c = v.getDefiningOp<nn::ConstantOp>();
    if (!c)
      return failure();
    return tensorFromAttr(c.getValue());
  };
  std::optional<quant::QuantAttr> quantAttr;
  llvm::DenseSet<Operation *> packedConstants;
  int64_t quantized = 0;
  bool zerosV2 = options.zerosV2;
  // Zeros per layer (v2), converted to v1 once every layer is known to have
  // a v1 form.
  struct Zeros {
    std::string name;
    rt::Tensor packed; ///< [groups, ceil(N * bits / 32)]
    int64_t n;
  };
  std::vector<Zeros> zeroTensors;
  std::string v1Problem;
  // Fused or lowered quantized matmuls would be left out silently.
  WalkResult lowered = fn.walk([&](Operation *op) -> WalkResult {
    if (isa<quant::FusedMatMulNBitsOp, quant::LaunchOp>(op)) {
      op->emitOpError("cannot be exported to a GPTQ checkpoint; export the "
                      "module before gptq-fuse-epilogue / gptq-lower-to-cuda");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (lowered.wasInterrupted())
    return failure();
  WalkResult walk = fn.walk([&](quant::MatMulNBitsOp op) -> WalkResult {
    if (op.getLayoutName() != "gptq") {
      op.emitOpError("cannot be exported: its weight is in the \"")
          << op.getLayoutName()
          << "\" layout (gptq-repack); export the module before repacking";
      return WalkResult::interrupt();
    }
    auto q = op.getQuant();
    auto nameAttr = op->getAttrOfType<StringAttr>("gptq.layer");
    std::string name = nameAttr ? nameAttr.str()
                                : "layer" + std::to_string(quantized);
    if (hfMode) {
      std::string why;
      auto m = naming->linear(op, why);
      if (!m) {
        op.emitOpError("layer '")
            << name
            << "' cannot be given its Hugging Face module name: " << why;
        return WalkResult::interrupt();
      }
      std::string module = hfModule(m->module);
      if (quantizedModules.count(module)) {
        op.emitOpError("layer '") << name << "' is named '" << module
                                  << "' like another quantized layer";
        return WalkResult::interrupt();
      }
      quantizedModules[module] = {op.getK(), op.getN()};
      name = module;
    }
    if (quantAttr && *quantAttr != q) {
      op.emitOpError("layer '")
          << name << "' has quantization parameters " << q
          << " that differ from the model's " << *quantAttr
          << "; a GPTQ checkpoint has one quantize_config";
      return WalkResult::interrupt();
    }
    quantAttr = q;
    int64_t K = op.getK(), N = op.getN();
    int bits = (int)q.getBits();
    auto qweight = constTensor(op.getQweight());
    auto scales = constTensor(op.getScales());
    auto qzeros = constTensor(op.getQzeros());
    if (failed(qweight) || failed(scales) || failed(qzeros)) {
      op.emitOpError("layer '")
          << name << "' cannot be exported: its packed operands must be constants";
      return WalkResult::interrupt();
    }
    for (Value v : {op.getQweight(), op.getScales(), op.getQzeros()})
      packedConstants.insert(v.getDefiningOp());
    tensors[name + ".qweight"] = entryFrom(*qweight);
    tensors[name + ".scales"] = halfEntry(*scales);
    zeroTensors.push_back({name + ".qzeros", qzeros->clone(), N});
    if (v1Problem.empty()) {
      // v1 cannot hold a zero point of 0.
      int64_t groups = q.getNumGroups(K);
      int64_t cols = rt::quant::packedZeroCols(N, bits);
      std::vector<int32_t> row(N);
      for (int64_t g = 0; g < groups && v1Problem.empty(); ++g) {
        rt::quant::unpackRow(qzeros->data<int32_t>() + g * cols, N, bits,
                             row.data());
        for (int64_t n = 0; n < N; ++n)
          if (row[n] == 0) {
            v1Problem = "layer '" + name + "' has a zero point of 0 (group " +
                        std::to_string(g) + ", output " + std::to_string(n) +
                        "), which the v1 checkpoint format (zero - 1) cannot "
                        "represent";
            break;
          }
      }
    }
    rt::Tensor gIdx = rt::Tensor::empty(rt::DType::I32, {K});
    if (Value g = op.getGIdx()) {
      auto gt = constTensor(g);
      if (failed(gt)) {
        op.emitOpError("layer '")
            << name << "' cannot be exported: g_idx must be a constant";
        return WalkResult::interrupt();
      }
      packedConstants.insert(g.getDefiningOp());
      gIdx = gt->clone();
    } else {
      int64_t gs = q.getGroupSize() > 0 ? q.getGroupSize() : K;
      for (int64_t k = 0; k < K; ++k)
        gIdx.data<int32_t>()[k] = (int32_t)(k / gs);
    }
    tensors[name + ".g_idx"] = entryFrom(gIdx);
    if (Value bias = op.getBias()) {
      auto bt = constTensor(bias);
      if (failed(bt)) {
        op.emitOpError("layer '")
            << name << "' cannot be exported: the bias must be a constant";
        return WalkResult::interrupt();
      }
      packedConstants.insert(bias.getDefiningOp());
      // GPTQ checkpoints traditionally hold fp16 biases; a Hugging Face
      // folder keeps the model's dtype (loaders cast to their own).
      tensors[name + ".bias"] = hfMode ? entryFrom(*bt) : halfEntry(*bt);
    }
    ++quantized;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!quantized)
    return emitError(UnknownLoc::get(module.getContext()))
           << "nothing to export: the module has no quantized layer "
              "(gptq.matmul_nbits); run gptq-quantize or gptq-rtn first";
  std::string formatReason;
  if (!zerosV2 && !options.zerosV1 && hfMode && !quantAttr->getSym()) {
    // GPTQModel.load refuses sym=False checkpoints in format "gptq" unless
    // meta.quantizer names gptqmodel >= 0.9.0 (older AutoGPTQ-made v1 files
    // wrapped zero points of 0); gptq_v2 it loads from any producer.
    zerosV2 = true;
    formatReason = "asymmetric: GPTQModel loads asymmetric checkpoints of "
                   "other producers only as gptq_v2";
  }
  if (!zerosV2 && !v1Problem.empty()) {
    if (!options.fallBackToV2 || options.zerosV1)
      return emitError(UnknownLoc::get(module.getContext()))
             << v1Problem << "; export with --zeros-v2 (checkpoint_format "
                             "gptq_v2)";
    zerosV2 = true;
  }
  for (Zeros &z : zeroTensors) {
    if (!zerosV2) {
      // v1: store zero - 1 (no zero point is 0, so nothing wraps).
      int bits = (int)quantAttr->getBits();
      int64_t groups = z.packed.dim(0), cols = z.packed.dim(1);
      std::vector<int32_t> row(z.n);
      for (int64_t g = 0; g < groups; ++g) {
        int32_t *packed = z.packed.data<int32_t>() + g * cols;
        rt::quant::unpackRow(packed, z.n, bits, row.data());
        for (int32_t &v : row)
          v -= 1;
        rt::quant::packRow(row.data(), z.n, bits, packed);
      }
    }
    tensors[z.name] = entryFrom(z.packed);
  }

  // Unquantized linear layers (the head): <layer>.weight in torch's Linear
  // layout [N, K], alpha applied, and <layer>.bias.
  size_t index = 0;
  std::set<std::string> headNames;
  for (Operation &op : fn.getBody().front()) {
    Value x, w, c;
    bool transB = false;
    double alpha = 1.0, beta = 1.0;
    if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
      x = mm.getLhs();
      w = mm.getRhs();
    } else if (auto g = dyn_cast<nn::GemmOp>(op)) {
      if (g.getTransA())
        continue;
      x = g.getA();
      w = g.getB();
      c = g.getC();
      transB = g.getTransB();
      alpha = g.getAlpha().convertToDouble();
      beta = g.getBeta().convertToDouble();
    } else {
      continue;
    }
    auto cst = w.getDefiningOp<nn::ConstantOp>();
    auto wt = cast<RankedTensorType>(w.getType());
    if (!cst || wt.getRank() != 2 || !wt.hasStaticShape() ||
        !isa<FloatType>(wt.getElementType()) ||
        x.getDefiningOp<nn::ConstantOp>())
      continue;
    std::string name = quantize::linearLayerName(&op, cst, index++);
    for (int i = 1; !headNames.insert(name).second; ++i)
      name = quantize::linearLayerName(&op, cst, index - 1) + "_" +
             std::to_string(i);
    // With --hf-config: the module's name, and a weight named by its own
    // parameter is written in that parameter's layout.
    bool asStored = false;
    if (hfMode) {
      std::string why;
      auto m = naming->linear(&op, why);
      if (!m)
        return op.emitError("unquantized linear layer '")
               << name
               << "' cannot be given its Hugging Face module name: " << why;
      name = hfModule(m->module);
      asStored = m->fromParameter;
      if (quantizedModules.count(name) || tensors.count(name + ".weight"))
        return op.emitError("unquantized linear layer is named '")
               << name << "' like another layer";
    }
    auto t = tensorFromAttr(cst.getValue());
    if (failed(t))
      continue;
    int64_t K = transB ? wt.getDimSize(1) : wt.getDimSize(0);
    int64_t N = transB ? wt.getDimSize(0) : wt.getDimSize(1);
    rt::Tensor out;
    if (asStored) {
      out = t->clone();
      if (alpha != 1.0)
        for (int64_t i = 0; i < out.numel(); ++i)
          out.setDouble(i, alpha * out.getDouble(i));
    } else {
      out = rt::Tensor::empty(t->dtype(), {N, K});
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
          out.setDouble(n * K + k,
                        alpha * t->getDouble(transB ? n * K + k : k * N + n));
    }
    // A weight shared with other users (a tied embedding) is still written
    // under its own name.
    if (!hfMode || asStored)
      packedConstants.insert(cst);
    tensors[name + ".weight"] = entryFrom(out);
    linearWeights.insert(name + ".weight");
    if (c && c.getDefiningOp<nn::ConstantOp>()) {
      auto ct = constTensor(c);
      if (succeeded(ct) && (ct->numel() == N || ct->numel() == 1)) {
        rt::Tensor bias = rt::Tensor::empty(ct->dtype(), {N});
        for (int64_t n = 0; n < N; ++n)
          bias.setDouble(n, beta * ct->getDouble(ct->numel() == 1 ? 0 : n));
        packedConstants.insert(c.getDefiningOp());
        tensors[name + ".bias"] = entryFrom(bias);
      }
    }
  }

  // The other parameters, under their initializer names.
  if (!hfMode) {
    fn.walk([&](nn::ConstantOp c) {
      if (packedConstants.contains(c))
        return;
      auto name = dyn_cast<NameLoc>(c.getLoc());
      auto type = cast<RankedTensorType>(c.getType());
      if (!name || !isParameterName(name.getName()) ||
          !isa<FloatType>(type.getElementType()))
        return;
      auto t = tensorFromAttr(c.getValue());
      if (succeeded(t) && !tensors.count(name.getName().str()))
        tensors[name.getName().str()] = entryFrom(*t);
    });
  } else {
    // A norm weight of an architecture that computes x * (offset + w)
    // (Gemma): exporters fold offset + w into the constant the graph
    // multiplies by, unless the graph adds the offset itself.
    std::set<std::string> offsetNormNames;
    auto offsetNormWeight = [&](nn::ConstantOp c, const std::string &name,
                                rt::Tensor t) {
      if (addsConstant(c, arch.normOffset))
        return t; // the graph adds the offset itself: c is w
      offsetNormNames.insert(name);
      for (int64_t i = 0; i < t.numel(); ++i)
        t.setDouble(i, t.getDouble(i) - arch.normOffset);
      return t;
    };
    std::map<std::string, std::string> offsetNormFrom; // module -> constant
    // Constants nothing uses (a Gemm's C that became the quantized layer's
    // bias) are not parameters of the model any more.
    WalkResult named = fn.walk([&](nn::ConstantOp c) -> WalkResult {
      if (packedConstants.contains(c) || c->use_empty())
        return WalkResult::advance();
      auto type = cast<RankedTensorType>(c.getType());
      if (!isa<FloatType>(type.getElementType()))
        return WalkResult::advance();
      auto graphName = naming->parameter(c);
      auto tables = naming->embeddingTables(c);
      // An unnamed vector used by an offset norm is its folded weight.
      std::vector<std::string> offsetNorms;
      if (!graphName && arch.normOffset != 0 && type.getRank() == 1 &&
          type.hasStaticShape() && type.getNumElements() > 1)
        for (const std::string &m : naming->userModules(c))
          if (arch.isOffsetNorm(hfModule(m)))
            offsetNorms.push_back(hfModule(m));
      if (!graphName && tables.empty() && offsetNorms.empty())
        return WalkResult::advance();
      std::string label =
          graphName ? *graphName : names::locationName(c.getLoc());
      auto t = tensorFromAttr(c.getValue());
      if (failed(t)) {
        c.emitError("parameter '") << label << "' cannot be read";
        return WalkResult::interrupt();
      }
      if (graphName) {
        std::string name = hfParameter(*graphName);
        // Old checkpoints may hold inv_freq: kept when the original has it
        // (under a wrapper module's prefix too).
        auto inOriginal = [&](StringRef n) {
          return llvm::any_of(ref.parameters, [&](const auto &p) {
            return n == p.first || n.ends_with("." + p.first);
          });
        };
        if (names::isBufferName(name) && !inOriginal(name)) {
          warnings.push_back("'" + name +
                             "' is a buffer the model computes, not a "
                             "parameter: not written");
        } else if (!tensors.count(name)) {
          bool offsetNorm = names::lastComponent(name) == "weight" &&
                            arch.isOffsetNorm(names::parentPath(name));
          tensors[name] = entryFrom(
              offsetNorm ? offsetNormWeight(c, name, t->clone()) : *t);
        }
        for (const std::string &graphAlias : naming->aliases(c)) {
          std::string alias = hfParameter(graphAlias);
          if (tensors.count(alias))
            continue;
          bool offsetNorm = names::lastComponent(alias) == "weight" &&
                            arch.isOffsetNorm(names::parentPath(alias));
          tensors[alias] = entryFrom(
              offsetNorm ? offsetNormWeight(c, alias, t->clone()) : *t);
          warnings.push_back("'" + alias +
                             "' is not in the ONNX graph: its "
                             "module uses '" +
                             name + "' (an exporter merged equal parameters)");
        }
      }
      // The table an embedding gathers from (tied embeddings the exporter
      // named after the head, or stored as the head's transpose).
      for (const auto &use : tables) {
        std::string name = hfParameter(use.name);
        if (tensors.count(name))
          continue;
        if (!use.transposed) {
          tensors[name] = entryFrom(*t);
        } else {
          int64_t r = t->dim(0), cols = t->dim(1);
          rt::Tensor tt = rt::Tensor::empty(t->dtype(), {cols, r});
          for (int64_t i = 0; i < r; ++i)
            for (int64_t j = 0; j < cols; ++j)
              tt.setDouble(j * r + i, t->getDouble(i * cols + j));
          tensors[name] = entryFrom(tt);
        }
        warnings.push_back("'" + name +
                           "' is the table its embedding gathers "
                           "from: '" +
                           label + "'" + (use.transposed ? " transposed" : "") +
                           " (tied embeddings)");
      }
      // Gemma's norms: the graph multiplies by offset + w, unnamed.
      for (const std::string &m : offsetNorms) {
        std::string name = m + ".weight";
        auto [it, fresh] = offsetNormFrom.insert({m, label});
        if (!fresh && it->second != label) {
          c.emitError("norm '")
              << m << "' uses two unnamed constants ('" << it->second << "', '"
              << label << "'): which one holds its folded weight is ambiguous";
          return WalkResult::interrupt();
        }
        if (!tensors.count(name))
          tensors[name] = entryFrom(offsetNormWeight(c, name, t->clone()));
      }
      return WalkResult::advance();
    });
    if (named.wasInterrupted())
      return failure();
    if (!offsetNormNames.empty()) {
      std::string offset = llvm::formatv("{0}", arch.normOffset).str();
      while (StringRef(offset).contains('.') &&
             (offset.back() == '0' || offset.back() == '.'))
        offset.pop_back();
      warnings.push_back(
          std::to_string(offsetNormNames.size()) + " norm weights of '" +
          arch.modelType + "' recovered as w = c - " + offset +
          " from the constant c = " + offset +
          " + w the graph multiplies by (the exporter folded it; w is exact "
          "up to the rounding of " +
          offset + " + w, and " + offset + " + w reproduces c exactly)");
    }
  }

  // --hf-config: a model exported through a wrapper module ("m.model.
  // layers.0...", "/m/model/layers.0/...") has the wrapper's attribute in
  // front of every name; the original's names say which leading components
  // to drop (all names must agree).
  if (hfMode && !ref.parameters.empty()) {
    std::set<std::string> known;
    for (auto &[name, info] : ref.parameters)
      known.insert(name);
    auto isKnown = [&](const std::string &name) {
      return known.count(name) ||
             (quantizedModules.count(names::parentPath(name)) &&
              known.count(names::parentPath(name) + ".weight"));
    };
    while (!tensors.empty()) {
      bool anyKnown = false;
      std::string first;
      bool common = true;
      for (auto &[name, e] : tensors) {
        anyKnown |= isKnown(name);
        std::string c = name.substr(0, name.find('.'));
        if (first.empty())
          first = c;
        common &= c == first && c.size() < name.size();
      }
      if (anyKnown || !common)
        break;
      std::string prefix = first + ".";
      std::map<std::string, Entry> stripped;
      bool allKnown = true;
      std::map<std::string, std::pair<int64_t, int64_t>> strippedModules;
      for (auto &[m, kn] : quantizedModules) {
        if (!StringRef(m).starts_with(prefix))
          allKnown = false;
        strippedModules[m.substr(prefix.size())] = kn;
      }
      for (auto &[name, e] : tensors)
        stripped[name.substr(prefix.size())] = std::move(e);
      std::swap(quantizedModules, strippedModules);
      size_t knownCount = 0;
      for (auto &[name, e] : stripped)
        knownCount += isKnown(name);
      std::swap(quantizedModules, strippedModules);
      if (!allKnown || knownCount == 0) {
        // Not a wrapper prefix: put the entries back.
        for (auto &[name, e] : stripped)
          tensors[prefix + name] = std::move(e);
        break;
      }
      tensors = std::move(stripped);
      quantizedModules = std::move(strippedModules);
      std::set<std::string> weights;
      for (const std::string &w : linearWeights)
        weights.insert(StringRef(w).starts_with(prefix)
                           ? w.substr(prefix.size())
                           : w);
      linearWeights = std::move(weights);
      warnings.push_back("every name began with '" + prefix +
                         "' (the export's wrapper module); dropped");
    }
  }

  // --hf-config: the graph's fused (or split) linear modules in the HF
  // class's form.
  if (hfMode) {
    NamedTensors named{tensors, quantizedModules, linearWeights,
                       (int)quantAttr->getBits()};
    std::string error;
    if (failed(restructureFused(arch, ref, named, warnings, error)))
      return emitError(errLoc) << error;
  }

  // --hf-config: a tied LM head, the model's dtype, the original names.
  bool untie = false, lmHeadQuantized = false;
  std::string modelDType;
  if (hfMode) {
    bool tied = true; // PretrainedConfig's default
    if (ref.config.contains("tie_word_embeddings") &&
        ref.config["tie_word_embeddings"].is_boolean())
      tied = ref.config["tie_word_embeddings"].get<bool>();
    const bool haveOriginal = !ref.parameters.empty();
    if (tied) {
      // An unquantized head equal to another tensor (the embedding) is
      // what transformers ties; one that differs cannot stay tied. The
      // head's weight may also be a plain parameter of the graph (torch.onnx
      // dynamo names the tied matrix "lm_head.weight" and transposes it).
      std::set<std::string> heads = linearWeights;
      for (auto &[name, e] : tensors)
        if (names::lastComponent(names::parentPath(name)) == "lm_head" &&
            names::lastComponent(name) == "weight")
          heads.insert(name);
      for (const std::string &w : heads) {
        if (haveOriginal && ref.parameters.count(w))
          continue; // the original stores it: keep it
        if (!tensors.count(w))
          continue;
        const Entry &e = tensors[w];
        bool equal = false;
        for (auto &[other, o] : tensors)
          if (other != w && o.dtype == e.dtype && o.shape == e.shape &&
              o.data == e.data)
            equal = true;
        if (equal) {
          tensors.erase(w);
        } else if (linearWeights.count(w)) {
          untie = true;
          warnings.push_back("'" + w +
                             "' differs from every embedding: "
                             "tie_word_embeddings set to false");
        }
      }
      // A quantized head cannot share the embedding's weights.
      for (auto &[m, kn] : quantizedModules)
        if (names::lastComponent(m) == "lm_head" ||
            (haveOriginal && !ref.parameters.count(m + ".weight") &&
             !ref.parameters.count(m + ".qweight"))) {
          untie = lmHeadQuantized = true;
        }
    } else {
      for (auto &[m, kn] : quantizedModules)
        if (names::lastComponent(m) == "lm_head")
          lmHeadQuantized = true;
    }

    // The model's dtype: that of most unquantized parameter bytes.
    std::map<std::string, size_t> bytes;
    for (auto &[name, e] : tensors)
      if (!hf::torchDTypeName(e.dtype).empty() &&
          !quantizedModules.count(names::parentPath(name)))
        bytes[e.dtype] += e.data.size();
    std::string dt;
    for (auto &[d, b] : bytes)
      if (dt.empty() || b > bytes[dt])
        dt = d;
    modelDType = hf::torchDTypeName(dt.empty() ? "F16" : dt);

    if (haveOriginal) {
      // Every original parameter must be there with its shape, and nothing
      // else.
      std::vector<std::string> missing, wrong, extra;
      for (auto &[name, info] : ref.parameters) {
        std::string parent = names::parentPath(name);
        StringRef leaf = names::lastComponent(name);
        auto q = quantizedModules.find(parent);
        if (q != quantizedModules.end() && leaf == "weight") {
          auto [K, N] = q->second;
          if (info.shape != std::vector<int64_t>{N, K} &&
              info.shape != std::vector<int64_t>{K, N})
            wrong.push_back(name + " (quantized as K=" + std::to_string(K) +
                            ", N=" + std::to_string(N) + ")");
          continue;
        }
        auto it = tensors.find(name);
        if (it == tensors.end()) {
          bool isFloat = !hf::torchDTypeName(info.dtype).empty();
          if (!isFloat || names::isBufferName(name))
            warnings.push_back("'" + name + "' (" + info.dtype +
                               ", a buffer the model computes) is not in "
                               "the ONNX graph; left out");
          else
            missing.push_back(name);
          continue;
        }
        if (it->second.shape != info.shape) {
          std::string got, want;
          for (int64_t d : it->second.shape)
            got += (got.empty() ? "" : "x") + std::to_string(d);
          for (int64_t d : info.shape)
            want += (want.empty() ? "" : "x") + std::to_string(d);
          wrong.push_back(name + " (" + got + ", the original is " + want +
                          ")");
        }
      }
      for (auto &[name, e] : tensors) {
        if (ref.parameters.count(name))
          continue;
        if (quantizedModules.count(names::parentPath(name)))
          continue; // qweight, qzeros, scales, g_idx (and its bias, checked)
        extra.push_back(name);
      }
      auto list = [](const std::vector<std::string> &v) {
        std::string out;
        for (size_t i = 0; i < v.size() && i < 8; ++i)
          out += (i ? ", '" : "'") + v[i] + "'";
        if (v.size() > 8)
          out += " and " + std::to_string(v.size() - 8) + " more";
        return out;
      };
      if (!missing.empty() || !wrong.empty() || !extra.empty()) {
        auto diag = emitError(errLoc)
                    << "the ONNX graph's parameters do not match the original "
                       "model's ('"
                    << ref.weightsFile << "'):";
        if (!missing.empty())
          diag << " not found in the graph (no initializer or node names "
                  "them): "
               << list(missing) << ";";
        if (!extra.empty())
          diag << " not parameters of the original: " << list(extra) << ";";
        if (!wrong.empty())
          diag << " shapes differ: " << list(wrong) << ";";
        diag << " a checkpoint with these names would load wrong weights";
        return failure();
      }
    }
  }

  // safetensors: u64 header length, JSON header, then the data.
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}, {"producer", "gptq-mlir"}};
  uint64_t offset = 0;
  for (auto &[name, e] : tensors) {
    header[name] = {{"dtype", e.dtype},
                    {"shape", e.shape},
                    {"data_offsets", {offset, offset + e.data.size()}}};
    offset += e.data.size();
  }
  std::string headerText =
      header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  while ((8 + headerText.size()) % 8)
    headerText.push_back(' ');
  std::string file;
  uint64_t n = headerText.size();
  for (int i = 0; i < 8; ++i)
    file.push_back((char)((n >> (8 * i)) & 0xff));
  file += headerText;
  for (auto &[name, e] : tensors)
    file += e.data;

  auto settings = module->getAttrOfType<DictionaryAttr>("gptq.quantization");
  auto get = [&](StringRef key) { return settings ? settings.get(key) : Attribute(); };
  auto boolOf = [&](StringRef key, bool def) {
    auto a = dyn_cast_or_null<BoolAttr>(get(key));
    return a ? a.getValue() : def;
  };
  nlohmann::json config;
  config["bits"] = quantAttr->getBits();
  config["group_size"] = quantAttr->getGroupSize();
  config["desc_act"] = quantAttr->getDescAct();
  config["sym"] = quantAttr->getSym();
  config["static_groups"] = boolOf("static_groups", false);
  config["true_sequential"] = boolOf("true_sequential", true);
  auto damp = dyn_cast_or_null<FloatAttr>(get("damp_percent"));
  config["damp_percent"] = damp ? damp.getValueAsDouble() : 0.01;
  config["checkpoint_format"] = zerosV2 ? "gptq_v2" : "gptq";
  config["quant_method"] = "gptq";
  config["model_file_base_name"] = "model";
  nlohmann::json meta;
  meta["quantizer"] = {"gptq-mlir:0.1.0"};
  if (auto m = dyn_cast_or_null<StringAttr>(get("method")))
    meta["method"] = m.str(); // "gptq" or "rtn"
  if (auto mse = dyn_cast_or_null<BoolAttr>(get("mse")))
    meta["mse"] = mse.getValue();
  config["meta"] = meta;

  // --hf-config: the same quantization_config in config.json, with the keys
  // transformers (GPTQConfig: checkpoint_format up to 4.x, format from 5.x),
  // optimum and GPTQModel (QuantizeConfig) read.
  std::vector<std::pair<std::string, std::string>> outputs; // name, bytes
  std::vector<std::string> copied;
  if (hfMode) {
    config["format"] = config["checkpoint_format"];
    config["pack_dtype"] = "int32";
    config["lm_head"] = lmHeadQuantized;
    config["meta"]["damp_percent"] = config["damp_percent"];
    config["meta"]["static_groups"] = config["static_groups"];
    config["meta"]["true_sequential"] = config["true_sequential"];
    // The blocks' linear layers: optimum replaces every nn.Linear / Conv1D
    // under block_name_to_quantize unless modules_in_block_to_quantize
    // lists the quantized ones; GPTQModel skips modules a "-:" dynamic rule
    // matches.
    auto blockOf = [](StringRef m) -> std::string {
      SmallVector<StringRef> parts;
      m.split(parts, '.');
      for (size_t i = 1; i < parts.size(); ++i)
        if (!parts[i].empty() && llvm::all_of(parts[i], llvm::isDigit))
          return llvm::join(ArrayRef(parts).take_front(i), ".");
      return "";
    };
    std::set<std::string> blocks;
    std::vector<std::string> inBlock, outside;
    for (auto &[m, kn] : quantizedModules) {
      std::string b = blockOf(m);
      if (b.empty())
        outside.push_back(m);
      else {
        blocks.insert(b);
        inBlock.push_back(m);
      }
    }
    std::vector<std::string> skippedInBlock;
    for (const std::string &w : linearWeights) {
      std::string m = names::parentPath(w);
      if (blocks.count(blockOf(m)))
        skippedInBlock.push_back(m);
    }
    if (blocks.size() == 1)
      config["block_name_to_quantize"] = *blocks.begin();
    if (!skippedInBlock.empty()) {
      config["modules_in_block_to_quantize"] = {inBlock};
      nlohmann::json dynamic = nlohmann::json::object();
      for (const std::string &m : skippedInBlock) {
        std::string re = "-:^";
        for (char ch : m)
          re += ch == '.' ? std::string("\\.") : std::string(1, ch);
        dynamic[re + "$"] = nlohmann::json::object();
      }
      config["dynamic"] = dynamic;
    }
    for (const std::string &m : outside)
      if (names::lastComponent(m) != "lm_head")
        warnings.push_back("quantized layer '" + m +
                           "' is outside the model's blocks: transformers "
                           "(optimum) only replaces layers inside them");
    if (lmHeadQuantized)
      warnings.push_back("the LM head is quantized (quantization_config."
                         "lm_head = true): GPTQModel loads it, transformers' "
                         "GPTQ integration (optimum) does not");

    nlohmann::json hfConfig = ref.config;
    hfConfig["quantization_config"] = config;
    bool hasDType = hfConfig.contains("dtype"),
         hasTorchDType = hfConfig.contains("torch_dtype");
    if (hasDType || !hasTorchDType)
      hfConfig[hasDType ? "dtype" : "torch_dtype"] = modelDType;
    if (hasTorchDType)
      hfConfig["torch_dtype"] = modelDType;
    if (untie)
      hfConfig["tie_word_embeddings"] = false;
    outputs.push_back({"config.json",
                       hfConfig.dump(2, ' ', false,
                                     nlohmann::json::error_handler_t::replace) +
                           "\n"});
    for (const std::string &f : hf::filesToCopy(options.hfConfigDir)) {
      SmallString<256> src(options.hfConfigDir);
      llvm::sys::path::append(src, f);
      auto buf = llvm::MemoryBuffer::getFile(src, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
      if (!buf)
        return emitError(errLoc)
               << "cannot read '" << src << "': " << buf.getError().message();
      outputs.push_back({f, (*buf)->getBuffer().str()});
      copied.push_back(f);
    }
  }
  std::string configText =
      config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  outputs.insert(outputs.begin(), {"quantize_config.json", configText});
  outputs.insert(outputs.begin(), {"model.safetensors", std::move(file)});

  // Refuse to overwrite unless asked; write all files or none.
  auto pathOf = [&](StringRef name) {
    SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  if (!options.force)
    for (auto &[name, bytes] : outputs)
      if (llvm::sys::fs::exists(pathOf(name)))
        return emitError(UnknownLoc::get(module.getContext()))
               << "'" << pathOf(name)
               << "' exists; refusing to overwrite it (use --force)";
  bool createdDir = !llvm::sys::fs::exists(dir);
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(UnknownLoc::get(module.getContext()))
           << "cannot create '" << dir << "': " << ec.message();
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (succeeded(writeAtomically(module, pathOf(outputs[i].first),
                                  outputs[i].second)))
      continue;
    for (size_t j = 0; j < i; ++j)
      llvm::sys::fs::remove(pathOf(outputs[j].first));
    if (createdDir)
      llvm::sys::fs::remove(dir); // only removes it when empty
    return failure();
  }
  if (info) {
    info->zerosV2 = zerosV2;
    info->quantizedLayers = quantized;
    info->tensors = (int64_t)tensors.size();
    info->v1Problem = v1Problem;
    info->formatReason = formatReason;
    info->warnings = warnings;
    info->copiedFiles = copied;
    info->modelDType = modelDType;
  }
  return success();
}
