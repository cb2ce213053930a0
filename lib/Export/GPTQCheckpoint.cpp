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
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "passes/QuantizeUtils.h"
#include "runtime/quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
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

LogicalResult gptq::exportGPTQCheckpoint(ModuleOp module, StringRef dir,
                                         const GPTQCheckpointOptions &options,
                                         GPTQCheckpointInfo *info) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return emitError(UnknownLoc::get(module.getContext())) << "no function @main to export";

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
      tensors[name + ".bias"] = halfEntry(*bt);
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
  if (!zerosV2 && !v1Problem.empty()) {
    if (!options.fallBackToV2)
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
    auto t = tensorFromAttr(cst.getValue());
    if (failed(t))
      continue;
    int64_t K = transB ? wt.getDimSize(1) : wt.getDimSize(0);
    int64_t N = transB ? wt.getDimSize(0) : wt.getDimSize(1);
    rt::Tensor out = rt::Tensor::empty(t->dtype(), {N, K});
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        out.setDouble(n * K + k,
                      alpha * t->getDouble(transB ? n * K + k : k * N + n));
    packedConstants.insert(cst);
    tensors[name + ".weight"] = entryFrom(out);
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
  std::string configText =
      config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";

  // Refuse to overwrite unless asked; write both files or neither.
  SmallString<256> stPath(dir), cfgPath(dir);
  llvm::sys::path::append(stPath, "model.safetensors");
  llvm::sys::path::append(cfgPath, "quantize_config.json");
  if (!options.force)
    for (StringRef p : {StringRef(stPath), StringRef(cfgPath)})
      if (llvm::sys::fs::exists(p))
        return emitError(UnknownLoc::get(module.getContext()))
               << "'" << p << "' exists; refusing to overwrite it (use --force)";
  bool createdDir = !llvm::sys::fs::exists(dir);
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(UnknownLoc::get(module.getContext()))
           << "cannot create '" << dir << "': " << ec.message();
  auto cleanUp = [&] {
    if (createdDir)
      llvm::sys::fs::remove(dir); // only removes it when empty
  };
  if (failed(writeAtomically(module, stPath, file))) {
    cleanUp();
    return failure();
  }
  if (failed(writeAtomically(module, cfgPath, configText))) {
    llvm::sys::fs::remove(stPath);
    cleanUp();
    return failure();
  }
  if (info) {
    info->zerosV2 = zerosV2;
    info->quantizedLayers = quantized;
    info->tensors = (int64_t)tensors.size();
    info->v1Problem = v1Problem;
  }
  return success();
}
