//===- QuantizeUtils.cpp - shared by gptq-quantize and gptq-rtn -*- C++ -*-===//

#include "passes/QuantizeUtils.h"
#include "passes/ParameterNames.h"

#include "gptq/Exec/PlanBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/GlobPattern.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <set>

using namespace mlir;
using namespace gptq;
using namespace gptq::quantize;

/// Layer name: the weight's initializer name when it is meaningful
/// ("model.layers.0.q_proj.weight" -> "model.layers.0.q_proj"), else the node
/// name ("/layers.0/wq/MatMul" -> "layers.0.wq").
std::string quantize::linearLayerName(Operation *op, nn::ConstantOp weight,
                                     size_t index) {
  // torch.onnx dynamo exports record the module ("node_linear" with weight
  // "val_3" would name nothing).
  std::string module = names::exporterModule(op->getLoc());
  if (!module.empty())
    return module;
  auto node = dyn_cast<NameLoc>(op->getLoc());
  if (auto n = dyn_cast<NameLoc>(weight.getLoc())) {
    StringRef w = n.getName().getValue();
    // onnxruntime-genai names weights after their node
    // ("model.layers.0.attn.qkv_proj.MatMul.weight"): the node names it.
    bool nodeNamed =
        node && names::namedAfterNode(w, node.getName().getValue());
    if (!nodeNamed && !w.empty() && !w.contains("::") && !w.starts_with("/") &&
        !llvm::all_of(w, [](char c) { return llvm::isDigit(c) || c == '_'; })) {
      w.consume_back(".weight");
      return w.str();
    }
  }
  if (auto n = dyn_cast<NameLoc>(op->getLoc())) {
    StringRef name = n.getName().getValue();
    name = name.ltrim('/');
    size_t slash = name.rfind('/');
    if (slash != StringRef::npos) {
      StringRef last = name.drop_front(slash + 1);
      if (last.starts_with("MatMul") || last.starts_with("Gemm"))
        name = name.take_front(slash);
    }
    std::string out = name.str();
    std::replace(out.begin(), out.end(), '/', '.');
    if (!out.empty())
      return out;
  }
  return "linear" + std::to_string(index);
}

/// Whether `v` reaches a func.return through shape-only / bias ops.
static bool feedsGraphOutput(Value v) {
  for (int depth = 0; depth < 8; ++depth) {
    if (!v.hasOneUse())
      return llvm::any_of(v.getUsers(),
                          [](Operation *u) { return isa<func::ReturnOp>(u); });
    Operation *user = *v.getUsers().begin();
    if (isa<func::ReturnOp>(user))
      return true;
    if (!isa<nn::ReshapeOp, nn::TransposeOp, nn::SqueezeOp, nn::UnsqueezeOp,
             nn::CastOp, nn::AddOp>(user) ||
        user->getNumResults() != 1)
      return false;
    v = user->getResult(0);
  }
  return false;
}

FailureOr<std::vector<LinearLayer>>
quantize::collectLinearLayers(ModuleOp module, const Selection &selection,
                              std::vector<std::string> &skipped) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal()) {
    emitError(module.getLoc()) << "no function @main to quantize";
    return failure();
  }
  std::vector<llvm::GlobPattern> include, exclude;
  for (auto [list, out] : {std::pair{&selection.include, &include},
                           std::pair{&selection.exclude, &exclude}}) {
    for (const std::string &p : *list) {
      auto glob = llvm::GlobPattern::create(p);
      if (!glob) {
        emitError(module.getLoc())
            << "bad layer pattern '" << p
            << "': " << llvm::toString(glob.takeError());
        return failure();
      }
      out->push_back(std::move(*glob));
    }
  }
  auto matches = [](const std::vector<llvm::GlobPattern> &globs,
                    StringRef name) {
    return llvm::any_of(globs, [&](const llvm::GlobPattern &g) {
      return g.match(name);
    });
  };

  std::vector<LinearLayer> layers;
  std::set<std::string> names;
  size_t index = 0;
  OpBuilder b(module.getContext());
  for (Operation &opRef : fn.getBody().front()) {
    Operation *op = &opRef;
    if (!isa<nn::MatMulOp, nn::GemmOp>(op))
      continue;
    LinearLayer layer;
    layer.op = op;
    Value x, w;
    if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
      x = mm.getLhs();
      w = mm.getRhs();
    } else {
      auto gemm = cast<nn::GemmOp>(op);
      x = gemm.getA();
      w = gemm.getB();
      layer.transposed = gemm.getTransB();
      layer.alpha = gemm.getAlpha().convertToFloat();
      if (gemm.getTransA()) {
        skipped.push_back(op->getName().getStringRef().str() +
                          ": trans_a = true is not supported");
        continue;
      }
      if (Value c = gemm.getC()) {
        auto ct = cast<RankedTensorType>(c.getType());
        bool vector = ct.getRank() == 1 ||
                      (ct.getRank() == 2 && ct.getDimSize(0) == 1);
        if (!vector || !c.getDefiningOp<nn::ConstantOp>()) {
          skipped.push_back(op->getName().getStringRef().str() +
                            ": C is not a constant bias vector");
          continue;
        }
      }
    }
    auto cst = w.getDefiningOp<nn::ConstantOp>();
    auto wt = cast<RankedTensorType>(w.getType());
    if (!cst || wt.getRank() != 2 || !wt.hasStaticShape() ||
        !isa<FloatType>(wt.getElementType()) || wt.getElementType().isF64() ||
        x.getDefiningOp<nn::ConstantOp>())
      continue; // not a linear layer with a constant weight
    auto xt = cast<RankedTensorType>(x.getType());
    if (xt.getElementType() != wt.getElementType())
      continue;
    layer.k = layer.transposed ? wt.getDimSize(1) : wt.getDimSize(0);
    layer.n = layer.transposed ? wt.getDimSize(0) : wt.getDimSize(1);
    layer.producesOutput = feedsGraphOutput(op->getResult(0));
    layer.weight = cst;
    std::string name = linearLayerName(op, cst, index++);
    std::string unique = name;
    for (int i = 1; names.count(unique); ++i)
      unique = name + "_" + std::to_string(i);
    names.insert(unique);
    layer.name = unique;

    bool included = include.empty() ? !layer.producesOutput
                                    : matches(include, layer.name);
    if (!included || matches(exclude, layer.name))
      continue;
    // Give the layer its own weight constant.
    if (!cst->hasOneUse()) {
      b.setInsertionPoint(op);
      auto priv = nn::ConstantOp::create(b, cst.getLoc(), cst.getValue());
      op->replaceUsesOfWith(cst, priv);
      layer.weight = priv;
    }
    layers.push_back(layer);
  }
  return layers;
}

/// Raw weight data as floats, in the constant's own layout.
static std::vector<float> constantAsFloats(nn::ConstantOp cst) {
  auto t = tensorFromAttr(cst.getValue());
  std::vector<float> out;
  if (failed(t))
    return out;
  out.resize(t->numel());
  if (t->dtype() == rt::DType::F32) {
    std::memcpy(out.data(), t->raw(), out.size() * 4);
  } else {
    for (int64_t i = 0; i < t->numel(); ++i)
      out[i] = (float)t->getDouble(i);
  }
  return out;
}

std::vector<float> quantize::readWeight(const LinearLayer &layer) {
  std::vector<float> raw = constantAsFloats(nn::ConstantOp(layer.weight));
  std::vector<float> w(layer.k * layer.n);
  for (int64_t k = 0; k < layer.k; ++k)
    for (int64_t n = 0; n < layer.n; ++n)
      w[k * layer.n + n] =
          layer.alpha * (layer.transposed ? raw[n * layer.k + k]
                                          : raw[k * layer.n + n]);
  return w;
}

rt::Tensor quantize::weightTensorFor(const LinearLayer &layer,
                                     const std::vector<float> &dequantized,
                                     std::optional<rt::DType> as) {
  auto type = cast<RankedTensorType>(layer.weight->getResult(0).getType());
  rt::DType dtype = as ? *as : *toDType(type.getElementType());
  rt::Tensor t = rt::Tensor::empty(
      dtype, {type.getDimSize(0), type.getDimSize(1)});
  for (int64_t k = 0; k < layer.k; ++k)
    for (int64_t n = 0; n < layer.n; ++n) {
      float v = dequantized[k * layer.n + n] / layer.alpha;
      int64_t idx = layer.transposed ? n * layer.k + k : k * layer.n + n;
      if (dtype == rt::DType::F32)
        t.data<float>()[idx] = v;
      else
        t.setDouble(idx, v);
    }
  return t;
}

/// A constant from raw little-endian bytes: a dense_resource blob named
/// after the layer (dense for tiny tensors).
static Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type,
                          const void *data, size_t bytes,
                          const std::string &name) {
  ArrayRef<char> raw(static_cast<const char *>(data), bytes);
  ElementsAttr attr;
  if (type.getNumElements() <= 16) {
    attr = DenseElementsAttr::getFromRawBuffer(type, raw);
  } else {
    size_t align = type.getElementTypeBitWidth() / 8;
    attr = DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, align));
  }
  return nn::ConstantOp::create(b, loc, attr);
}

LogicalResult quantize::rewriteLayer(const LinearLayer &layer,
                                     const rt::quant::PackedWeight &packed) {
  Operation *op = layer.op;
  OpBuilder b(op);
  Location loc = op->getLoc();
  Location wloc = NameLoc::get(b.getStringAttr(layer.name), loc);
  Type i32 = b.getI32Type();
  int64_t groups = packed.groups();
  int64_t rows = rt::quant::packedRows(packed.k, packed.bits);
  int64_t zcols = rt::quant::packedZeroCols(packed.n, packed.bits);
  Value qweight = makeConstant(b, wloc, RankedTensorType::get({rows, packed.n}, i32),
                               packed.qweight.data(), packed.qweight.size() * 4,
                               layer.name + ".qweight");
  std::vector<uint16_t> scales16(packed.scales.size());
  for (size_t i = 0; i < scales16.size(); ++i)
    scales16[i] = rt::floatToHalf(packed.scales[i]);
  Value scales = makeConstant(
      b, wloc, RankedTensorType::get({groups, packed.n}, b.getF16Type()),
      scales16.data(), scales16.size() * 2, layer.name + ".scales");
  Value qzeros = makeConstant(b, wloc, RankedTensorType::get({groups, zcols}, i32),
                              packed.qzeros.data(), packed.qzeros.size() * 4,
                              layer.name + ".qzeros");
  Value gIdx;
  if (packed.descAct)
    gIdx = makeConstant(b, wloc, RankedTensorType::get({packed.k}, i32),
                        packed.gIdx.data(), packed.gIdx.size() * 4,
                        layer.name + ".g_idx");
  Value input, bias;
  if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
    input = mm.getLhs();
  } else {
    auto gemm = cast<nn::GemmOp>(op);
    input = gemm.getA();
    if (Value c = gemm.getC()) {
      // beta * C as an [N] bias of the input's element type.
      auto cst = c.getDefiningOp<nn::ConstantOp>();
      std::vector<float> cv = constantAsFloats(cst);
      float beta = gemm.getBeta().convertToFloat();
      Type elem = cast<RankedTensorType>(input.getType()).getElementType();
      auto bt = RankedTensorType::get({layer.n}, elem);
      rt::Tensor bt_ = rt::Tensor::empty(*toDType(elem), {layer.n});
      for (int64_t i = 0; i < layer.n; ++i)
        bt_.setDouble(i, beta * cv[cv.size() == 1 ? 0 : i]);
      bias = makeConstant(b, wloc, bt, bt_.raw(), bt_.nbytes(),
                          layer.name + ".bias");
    }
  }
  auto quantAttr = quant::QuantAttr::get(op->getContext(), packed.bits,
                                         packed.groupSize, packed.sym,
                                         packed.descAct);
  auto newOp = quant::MatMulNBitsOp::create(b, loc, op->getResult(0).getType(),
                                            input, qweight, scales, qzeros,
                                            gIdx, bias, quantAttr, layer.k);
  newOp->setAttr("gptq.layer", b.getStringAttr(layer.name));
  op->getResult(0).replaceAllUsesWith(newOp.getResult());
  nn::ConstantOp weight = layer.weight;
  op->erase();
  if (weight->use_empty())
    weight->erase();
  return success();
}

quantize::QuantizeObserver::~QuantizeObserver() = default;

std::string quantize::progressLine(size_t index, size_t total,
                                   const LayerRecord &r, bool withLoss) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[" << index << "/" << total << "] " << r.name << " " << r.k << "x"
     << r.n;
  if (withLoss)
    os << "  loss " << llvm::format("%.4g", r.loss);
  os << "  " << llvm::format("%.2f", r.seconds) << " s";
  if (r.fellBackToRtn)
    os << "  (RTN fallback)";
  return s;
}

std::string quantize::finalTable(const std::vector<LayerRecord> &records,
                                 const std::string &method,
                                 double totalSeconds, bool withLoss) {
  std::string s;
  llvm::raw_string_ostream os(s);
  size_t width = 5;
  for (const auto &r : records)
    width = std::max(width, r.name.size());
  os << llvm::left_justify("layer", width) << "  " << llvm::right_justify("K", 6)
     << " " << llvm::right_justify("N", 6);
  if (withLoss)
    os << "  " << llvm::right_justify("loss", 11) << "  "
       << llvm::right_justify("damp", 9);
  os << "  " << llvm::right_justify("seconds", 8) << "  note\n";
  double totalLoss = 0, layerSeconds = 0;
  int64_t weights = 0;
  for (const auto &r : records) {
    os << llvm::left_justify(r.name, width) << "  "
       << llvm::right_justify(std::to_string(r.k), 6) << " "
       << llvm::right_justify(std::to_string(r.n), 6);
    if (withLoss)
      os << "  " << llvm::format("%11.5g", r.loss) << "  "
         << llvm::format("%9.3g", r.damp);
    os << "  " << llvm::format("%8.3f", r.seconds) << "  "
       << (r.fellBackToRtn ? "RTN fallback" : r.warning) << "\n";
    totalLoss += r.loss;
    layerSeconds += r.seconds;
    weights += r.k * r.n;
  }
  os << "total: " << records.size() << " layers, " << weights
     << " weights quantized with " << method;
  if (withLoss)
    os << ", loss " << llvm::format("%.5g", totalLoss);
  os << ", " << llvm::format("%.2f", layerSeconds) << " s in the solver, "
     << llvm::format("%.2f", totalSeconds) << " s in all\n";
  return s;
}

LogicalResult quantize::writeReport(ModuleOp module, const std::string &path,
                                    const std::string &method,
                                    const std::vector<LayerRecord> &records,
                                    double totalSeconds) {
  nlohmann::json j;
  j["method"] = method;
  j["total_seconds"] = totalSeconds;
  j["layers"] = nlohmann::json::array();
  for (const auto &r : records)
    j["layers"].push_back({{"name", r.name},
                           {"k", r.k},
                           {"n", r.n},
                           {"loss", r.loss},
                           {"seconds", r.seconds},
                           {"damp", r.damp},
                           {"rtn_fallback", r.fellBackToRtn},
                           {"warning", r.warning}});
  std::string text =
      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (llvm::Error err = llvm::writeToOutput(
          path, [&](llvm::raw_ostream &os) -> llvm::Error {
            os << text;
            return llvm::Error::success();
          })) {
    emitError(module.getLoc()) << "cannot write the report '" << path
                               << "': " << llvm::toString(std::move(err));
    return failure();
  }
  return success();
}

void quantize::recordQuantization(ModuleOp module,
                                  ArrayRef<NamedAttribute> settings) {
  module->setAttr("gptq.quantization",
                  DictionaryAttr::get(module.getContext(), settings));
}
