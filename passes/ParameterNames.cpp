//===- ParameterNames.cpp - framework names from an ONNX graph -*- C++ -*-===//

#include "passes/ParameterNames.h"

#include "dialects/GPTQ/IR/GPTQOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace mlir;
using namespace gptq;
using namespace gptq::names;

bool names::isParameterName(StringRef name) {
  if (name.empty() || name.contains("::") || name.contains('/') ||
      name.contains(' ') || !name.contains('.') || name.starts_with(".") ||
      name.ends_with("."))
    return false;
  // Something must look like an identifier ("1.5" is not a name).
  return llvm::any_of(name, [](char c) { return llvm::isAlpha(c); });
}

/// A dot-less name ending in "_<digits>" ("val_3", "_param_constant12",
/// "onnx__MatMul_5"): how exporters name values, not modules.
static bool looksExporterMade(StringRef name) {
  if (name.contains('.'))
    return false;
  size_t us = name.rfind('_');
  return us != StringRef::npos && us + 1 < name.size() &&
         llvm::all_of(name.drop_front(us + 1), llvm::isDigit);
}

static SmallVector<StringRef> components(StringRef path) {
  SmallVector<StringRef> parts;
  if (!path.empty())
    path.split(parts, '.');
  return parts;
}

std::string names::nodeScope(StringRef nodeName) {
  if (!nodeName.starts_with("/"))
    return "";
  SmallVector<StringRef> parts;
  nodeName.drop_front().split(parts, '/');
  if (parts.size() < 2)
    return "";
  parts.pop_back(); // the node's own name ("MatMul", "Add_1")
  if (llvm::any_of(parts, [](StringRef p) { return p.empty(); }))
    return "";
  return llvm::join(parts, ".");
}

/// "/model/layers.0/attn/qkv_proj/MatMul" -> "model.layers.0.attn.qkv_proj.
/// MatMul".
static std::string dottedNodeName(StringRef nodeName) {
  std::string out = nodeName.ltrim('/').str();
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

bool names::namedAfterNode(StringRef initializer, StringRef nodeName) {
  if (!nodeName.starts_with("/") || !initializer.contains('.'))
    return false;
  std::string node = dottedNodeName(nodeName);
  return !node.empty() && parentPath(initializer) == node;
}

/// Whether `c` is the weight operand of a linear op.
static bool isLinearWeightUse(Operation *user, Value c) {
  if (auto mm = dyn_cast<nn::MatMulOp>(user))
    return mm.getRhs() == c;
  if (auto g = dyn_cast<nn::GemmOp>(user))
    return g.getB() == c;
  return false;
}

std::string names::parentPath(StringRef path) {
  size_t dot = path.rfind('.');
  return dot == StringRef::npos ? "" : path.take_front(dot).str();
}

StringRef names::lastComponent(StringRef path) {
  size_t dot = path.rfind('.');
  return dot == StringRef::npos ? path : path.drop_front(dot + 1);
}

/// Where the scope's components sit in the module path, matched from the
/// right (skipped modules are missing from a scope, never reordered); false
/// when they do not, or the last components differ.
static bool embedScope(ArrayRef<StringRef> s, ArrayRef<StringRef> m,
                       SmallVectorImpl<size_t> &pos) {
  if (s.empty() || m.size() < s.size() || s.back() != m.back())
    return false;
  pos.assign(s.size(), 0);
  int64_t j = (int64_t)m.size() - 1;
  for (int64_t i = (int64_t)s.size() - 1; i >= 0; --i) {
    while (j >= 0 && m[j] != s[i])
      --j;
    if (j < 0)
      return false;
    pos[i] = (size_t)j--;
  }
  return true;
}

bool ScopeResolver::addAnchor(StringRef scope, StringRef module) {
  SmallVector<StringRef> s = components(scope), m = components(module);
  SmallVector<size_t> pos;
  if (!embedScope(s, m, pos))
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    std::string from = llvm::join(ArrayRef(s).take_front(i + 1), ".");
    std::string to = llvm::join(ArrayRef(m).take_front(pos[i] + 1), ".");
    prefixes[from].insert(to);
  }
  return true;
}

std::optional<std::string> ScopeResolver::resolve(StringRef scope,
                                                  std::string *why) const {
  SmallVector<StringRef> s = components(scope);
  for (int64_t i = (int64_t)s.size() - 1; i >= 0; --i) {
    std::string key = llvm::join(ArrayRef(s).take_front(i + 1), ".");
    auto it = prefixes.find(key);
    if (it == prefixes.end())
      continue;
    if (it->second.size() > 1) {
      if (why) {
        *why = "node scope '" + key + "' belongs to several modules (";
        *why += llvm::join(it->second, ", ") + ")";
      }
      return std::nullopt;
    }
    std::string out = *it->second.begin();
    for (size_t k = (size_t)i + 1; k < s.size(); ++k)
      out += "." + s[k].str();
    return out;
  }
  return scope.str();
}

std::string names::locationName(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations()) {
      std::string n = locationName(l);
      if (!n.empty())
        return n;
    }
  }
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return locationName(c.getCallee());
  return "";
}

std::string names::exporterModule(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    StringRef name = n.getName().getValue();
    if (name.consume_front("torch.module:"))
      return name.str();
    return exporterModule(n.getChildLoc());
  }
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations()) {
      std::string m = exporterModule(l);
      if (!m.empty())
        return m;
    }
  }
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    return exporterModule(c.getCallee());
  return "";
}

/// The name gptq-quantize gave a layer from its node (linearLayerName's
/// fallback): "/layers.0/wq/MatMul" -> "layers.0.wq".
static std::string nodeLayerName(StringRef nodeName) {
  StringRef name = nodeName.ltrim('/');
  size_t slash = name.rfind('/');
  if (slash != StringRef::npos) {
    StringRef last = name.drop_front(slash + 1);
    if (last.starts_with("MatMul") || last.starts_with("Gemm"))
      name = name.take_front(slash);
  }
  std::string out = name.str();
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

ParameterNaming::ParameterNaming(func::FuncOp fn) {
  fn.walk([&](Operation *op) {
    std::string scope = nodeScope(locationName(op->getLoc()));
    if (scope.empty())
      return;
    if (auto q = dyn_cast<quant::MatMulNBitsOp>(op)) {
      auto layer = op->getAttrOfType<StringAttr>("gptq.layer");
      if (layer &&
          layer.getValue() != nodeLayerName(locationName(op->getLoc())))
        resolver.addAnchor(scope, layer.getValue());
    }
    for (Value v : op->getOperands()) {
      auto c = v.getDefiningOp<nn::ConstantOp>();
      if (!c)
        continue;
      if (auto p = parameter(c))
        resolver.addAnchor(scope, parentPath(*p));
    }
  });
}

std::optional<std::string> ParameterNaming::parameter(nn::ConstantOp c) const {
  std::string n = locationName(c.getLoc());
  if (!isParameterName(n))
    return std::nullopt;
  for (Operation *user : c->getUsers()) {
    std::string node = locationName(user->getLoc());
    if (!namedAfterNode(n, node))
      continue;
    // Named after its node: the module is the node's scope; a linear
    // weight is in the op's layout and named through linear().
    std::string scope = nodeScope(node);
    if (scope.empty() || isLinearWeightUse(user, c.getResult()))
      return std::nullopt;
    return scope + "." + lastComponent(n).str();
  }
  // A node-named linear weight whose op is gone (a quantized layer's copy
  // replaced it; the constant remains for its other users).
  StringRef op = lastComponent(parentPath(n));
  if (op == "MatMul" || op == "Gemm")
    return std::nullopt;
  return n;
}

std::vector<std::string> ParameterNaming::userModules(nn::ConstantOp c) const {
  std::set<std::string> out;
  for (Operation *user : c->getUsers()) {
    std::string ignored;
    auto m = resolveScope(user, ignored);
    if (m && !m->empty())
      out.insert(*m);
  }
  return {out.begin(), out.end()};
}

/// Whether scope `m` is `module` called again ("transformer.wte_1").
static bool repeatedCall(StringRef m, StringRef module) {
  if (!m.consume_front(module) || !m.consume_front("_") || m.empty())
    return false;
  return llvm::all_of(m, llvm::isDigit);
}

std::vector<ParameterNaming::TableUse>
ParameterNaming::embeddingTables(nn::ConstantOp c) const {
  std::vector<TableUse> out;
  auto type = cast<RankedTensorType>(c.getType());
  // Exporter-made constants ("onnx::Gather_3", "val_7") are not parameters
  // (rotary caches gathered by position).
  if (type.getRank() != 2 || !isa<FloatType>(type.getElementType()) ||
      !isParameterName(locationName(c.getLoc())))
    return out;
  std::optional<std::string> own = parameter(c);
  auto visit = [&](Operation *user, Value table, bool transposed) {
    auto g = dyn_cast<nn::GatherOp>(user);
    if (!g || g.getAxis() != 0 || g.getData() != table)
      return;
    std::string ignored;
    auto m = resolveScope(user, ignored);
    if (!m || m->empty())
      return;
    // TorchScript scopes a module's second call "<name>_1" (GPT-2 embeds
    // token_type_ids with wte: "/transformer/wte_1/Gather").
    if (own && repeatedCall(*m, parentPath(*own)))
      return;
    std::string name = *m + ".weight";
    if ((own && *own == name) ||
        llvm::any_of(out, [&](const TableUse &t) { return t.name == name; }))
      return;
    out.push_back({name, transposed});
  };
  for (Operation *user : c->getUsers()) {
    if (auto t = dyn_cast<nn::TransposeOp>(user)) {
      if (t.getPerm().size() == 2 && t.getPerm()[0] == 1 && t.getPerm()[1] == 0)
        for (Operation *tu : t->getUsers())
          visit(tu, t.getResult(), /*transposed=*/true);
      continue;
    }
    visit(user, c.getResult(), /*transposed=*/false);
  }
  return out;
}

std::optional<std::string>
ParameterNaming::resolveScope(Operation *op, std::string &why) const {
  // The dynamo exporter's module metadata is the exact module path.
  std::string exact = exporterModule(op->getLoc());
  if (!exact.empty())
    return exact;
  std::string node = locationName(op->getLoc());
  std::string scope = nodeScope(node);
  if (scope.empty()) {
    why = node.empty() ? "the op has no ONNX node name"
                       : "node '" + node +
                             "' has no module scope (and no "
                             "exporter module metadata)";
    return std::nullopt;
  }
  std::string conflict;
  auto m = resolver.resolve(scope, &conflict);
  if (!m)
    why = "node '" + node + "': " + conflict;
  if (m && !knownModules.empty() && !knownModules.count(*m)) {
    // No anchor knew this scope: the one known module it embeds into.
    SmallVector<StringRef> sc = components(scope);
    SmallVector<size_t> pos;
    std::vector<std::string> hits;
    for (const std::string &k : knownModules)
      if (embedScope(sc, components(k), pos))
        hits.push_back(k);
    if (hits.size() == 1)
      return hits.front();
  }
  return m;
}

void ParameterNaming::setKnownModules(std::set<std::string> modules) {
  knownModules = std::move(modules);
}

std::optional<LinearModule> ParameterNaming::linear(Operation *op,
                                                    std::string &why) const {
  if (isa<quant::MatMulNBitsOp>(op)) {
    auto layer = op->getAttrOfType<StringAttr>("gptq.layer");
    std::string node = locationName(op->getLoc());
    std::string exact = exporterModule(op->getLoc());
    if (!exact.empty())
      return LinearModule{exact, false, WeightLayout::Linear};
    // gptq.layer is the weight's parameter name less ".weight" when the
    // weight had one (linearLayerName), else the node's path.
    if (layer && layer.getValue() != nodeLayerName(node) &&
        isParameterName(layer.getValue().str() + ".weight") &&
        !looksExporterMade(layer.getValue()) &&
        !namedAfterNode(layer.getValue().str() + ".weight", node))
      return LinearModule{layer.str(), true, WeightLayout::Linear};
    auto m = resolveScope(op, why);
    if (!m)
      return std::nullopt;
    return LinearModule{*m, false, WeightLayout::Linear};
  }
  Value w;
  bool transB = false;
  if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
    w = mm.getRhs();
  } else if (auto g = dyn_cast<nn::GemmOp>(op)) {
    w = g.getB();
    transB = g.getTransB();
  } else {
    why = "not a linear op";
    return std::nullopt;
  }
  auto c = w.getDefiningOp<nn::ConstantOp>();
  if (!c) {
    why = "the weight is not a constant";
    return std::nullopt;
  }
  if (auto p = parameter(c)) {
    std::string module = parentPath(*p);
    // A parameter of another module (a tied embedding used as the LM head)
    // names the weight, not this layer: the node's scope does.
    std::string ignored;
    auto own = resolveScope(op, ignored);
    if (!own || lastComponent(*own) == lastComponent(module))
      return LinearModule{module, true,
                          transB ? WeightLayout::Linear : WeightLayout::Conv1D};
    return LinearModule{*own, false,
                        transB ? WeightLayout::Linear : WeightLayout::Conv1D};
  }
  auto m = resolveScope(op, why);
  if (!m)
    return std::nullopt;
  // TorchScript folds nn.Linear's weight transpose into the initializer.
  return LinearModule{*m, false, WeightLayout::Linear};
}

std::vector<std::string> ParameterNaming::aliases(nn::ConstantOp c) const {
  std::vector<std::string> out;
  auto p = parameter(c);
  if (!p)
    return out;
  std::string module = parentPath(*p);
  StringRef leaf = lastComponent(*p);
  for (Operation *user : c->getUsers()) {
    std::string ignored;
    auto m = resolveScope(user, ignored);
    if (!m || *m == module || lastComponent(*m) != lastComponent(module))
      continue;
    std::string alias = *m + "." + leaf.str();
    if (!llvm::is_contained(out, alias))
      out.push_back(alias);
  }
  return out;
}
