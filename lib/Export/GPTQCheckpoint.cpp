//===- GPTQCheckpoint.cpp - GPTQ checkpoints (safetensors) ------*- C++ -*-===//
//
// model.safetensors holds, for every gptq.matmul_nbits named L (its
// gptq.layer attribute): L.qweight (I32 [ceil(K*bits/32), N]), L.qzeros (I32
// [groups, ceil(N*bits/32)], v1 "zero - 1" unless v2 is asked for), L.scales
// (F16 [groups, N]), L.g_idx (I32 [K]) and L.bias (F16 [N]) when present;
// and every other named float constant of the model (embeddings, norms, the
// unquantized head) under its initializer name. quantize_config.json
// follows AutoGPTQ/GPTQModel's keys.
//
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "runtime/quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <map>

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
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << llvm::toString(std::move(err));
  return success();
}

LogicalResult gptq::exportGPTQCheckpoint(ModuleOp module, StringRef dir,
                                         const GPTQCheckpointOptions &options) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return emitError(module.getLoc()) << "no function @main to export";

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
    if (quantAttr && *quantAttr != q) {
      op.emitOpError("has quantization parameters ")
          << q << " that differ from the model's " << *quantAttr
          << "; a GPTQ checkpoint has one quantize_config";
      return WalkResult::interrupt();
    }
    quantAttr = q;
    auto nameAttr = op->getAttrOfType<StringAttr>("gptq.layer");
    std::string name = nameAttr ? nameAttr.str()
                                : "layer" + std::to_string(quantized);
    int64_t K = op.getK(), N = op.getN();
    int bits = (int)q.getBits();
    auto qweight = constTensor(op.getQweight());
    auto scales = constTensor(op.getScales());
    auto qzeros = constTensor(op.getQzeros());
    if (failed(qweight) || failed(scales) || failed(qzeros)) {
      op.emitOpError("cannot be exported: its packed operands must be constants");
      return WalkResult::interrupt();
    }
    for (Value v : {op.getQweight(), op.getScales(), op.getQzeros()})
      packedConstants.insert(v.getDefiningOp());
    tensors[name + ".qweight"] = entryFrom(*qweight);
    tensors[name + ".scales"] = halfEntry(*scales);
    rt::Tensor zeros = qzeros->clone();
    if (!options.zerosV2) {
      // v1: store zero - 1, wrapping within `bits` bits.
      int64_t groups = q.getNumGroups(K);
      int64_t cols = rt::quant::packedZeroCols(N, bits);
      std::vector<int32_t> row(N);
      for (int64_t g = 0; g < groups; ++g) {
        int32_t *packed = zeros.data<int32_t>() + g * cols;
        rt::quant::unpackRow(packed, N, bits, row.data());
        for (int32_t &z : row)
          z = (z - 1) & ((1 << bits) - 1);
        rt::quant::packRow(row.data(), N, bits, packed);
      }
    }
    tensors[name + ".qzeros"] = entryFrom(zeros);
    rt::Tensor gIdx = rt::Tensor::empty(rt::DType::I32, {K});
    if (Value g = op.getGIdx()) {
      auto gt = constTensor(g);
      if (failed(gt)) {
        op.emitOpError("cannot be exported: g_idx must be a constant");
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
        op.emitOpError("cannot be exported: the bias must be a constant");
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
    return emitError(module.getLoc())
           << "nothing to export: the module has no quantized layer "
              "(gptq.matmul_nbits); run gptq-quantize or gptq-rtn first";

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
  config["checkpoint_format"] = options.zerosV2 ? "gptq_v2" : "gptq";
  config["quant_method"] = "gptq";
  config["model_file_base_name"] = "model";
  if (auto m = dyn_cast_or_null<StringAttr>(get("method")))
    config["gptq_mlir_method"] = m.str();
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
        return emitError(module.getLoc())
               << "'" << p << "' exists; refusing to overwrite it (use --force)";
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(module.getLoc())
           << "cannot create '" << dir << "': " << ec.message();
  if (failed(writeAtomically(module, stPath, file)))
    return failure();
  if (failed(writeAtomically(module, cfgPath, configText))) {
    llvm::sys::fs::remove(stPath);
    return failure();
  }
  return success();
}
