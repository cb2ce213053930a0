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
  std::vector<std::string> warnings;
  if (hfMode) {
    std::string error;
    if (!hf::loadReference(options.hfConfigDir, ref, error))
      return emitError(errLoc) << error;
    naming.emplace(fn);
    std::set<std::string> modules;
    for (auto &[name, info] : ref.parameters)
      modules.insert(names::parentPath(name));
    naming->setKnownModules(std::move(modules));
  }
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
      if (quantizedModules.count(m->module)) {
        op.emitOpError("layer '") << name << "' is named '" << m->module
                                  << "' like another quantized layer";
        return WalkResult::interrupt();
      }
      quantizedModules[m->module] = {op.getK(), op.getN()};
      name = m->module;
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
      name = m->module;
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
    // Constants nothing uses (a Gemm's C that became the quantized layer's
    // bias) are not parameters of the model any more.
    WalkResult named = fn.walk([&](nn::ConstantOp c) -> WalkResult {
      if (packedConstants.contains(c) || c->use_empty())
        return WalkResult::advance();
      auto type = cast<RankedTensorType>(c.getType());
      auto name = naming->parameter(c);
      if (!name || !isa<FloatType>(type.getElementType()))
        return WalkResult::advance();
      auto t = tensorFromAttr(c.getValue());
      if (failed(t)) {
        c.emitError("parameter '") << *name << "' cannot be read";
        return WalkResult::interrupt();
      }
      if (!tensors.count(*name))
        tensors[*name] = entryFrom(*t);
      for (const std::string &alias : naming->aliases(c))
        if (!tensors.count(alias)) {
          tensors[alias] = entryFrom(*t);
          warnings.push_back("'" + alias +
                             "' is not in the ONNX graph: its "
                             "module uses '" +
                             *name + "' (an exporter merged equal parameters)");
        }
      return WalkResult::advance();
    });
    if (named.wasInterrupted())
      return failure();
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
      // what transformers ties; one that differs cannot stay tied.
      for (const std::string &w : linearWeights) {
        if (haveOriginal && ref.parameters.count(w))
          continue; // the original stores it: keep it
        const Entry &e = tensors[w];
        bool equal = false;
        for (auto &[other, o] : tensors)
          if (other != w && o.dtype == e.dtype && o.shape == e.shape &&
              o.data == e.data)
            equal = true;
        if (equal) {
          tensors.erase(w);
        } else if (!haveOriginal || !ref.parameters.count(w)) {
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
          if (!isFloat || leaf == "inv_freq" || leaf == "masked_bias")
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
