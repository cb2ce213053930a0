//===- PlanBuilder.cpp - nn/gptq modules to runtime plans -------*- C++ -*-===//

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/SymbolTable.h"

#include <cstring>

using namespace mlir;
using namespace gptq;

std::optional<rt::DType> gptq::toDType(Type type) {
  if (type.isF32())
    return rt::DType::F32;
  if (type.isF16())
    return rt::DType::F16;
  if (type.isBF16())
    return rt::DType::BF16;
  if (type.isF64())
    return rt::DType::F64;
  auto it = dyn_cast<IntegerType>(type);
  if (!it)
    return std::nullopt;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 1:
    return rt::DType::Bool;
  case 8:
    return u ? rt::DType::U8 : rt::DType::I8;
  case 16:
    return u ? rt::DType::U16 : rt::DType::I16;
  case 32:
    return u ? rt::DType::U32 : rt::DType::I32;
  case 64:
    return u ? rt::DType::U64 : rt::DType::I64;
  }
  return std::nullopt;
}

static rt::Shape toShape(ArrayRef<int64_t> shape) {
  rt::Shape out;
  for (int64_t d : shape)
    out.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return out;
}

FailureOr<rt::Tensor> gptq::tensorFromAttr(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto dtype = toDType(type.getElementType());
  if (!dtype || !type.hasStaticShape())
    return failure();
  rt::Shape shape(type.getShape().begin(), type.getShape().end());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> data = blob->getData();
    rt::Tensor t = rt::Tensor::empty(*dtype, shape);
    if (data.size() != t.nbytes())
      return failure();
    // Reference the blob in place when aligned; it lives as long as the
    // context's resource manager (the module's context).
    if (reinterpret_cast<uintptr_t>(data.data()) % rt::dtypeSize(*dtype) == 0)
      return rt::Tensor::wrap(*dtype, shape, const_cast<char *>(data.data()),
                              nullptr);
    std::memcpy(t.raw(), data.data(), data.size());
    return t;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  rt::Tensor t = rt::Tensor::empty(*dtype, shape);
  if (*dtype == rt::DType::Bool) {
    int64_t i = 0;
    auto *out = t.data<uint8_t>();
    if (dense.isSplat()) {
      std::memset(out, dense.getSplatValue<bool>() ? 1 : 0, t.nbytes());
    } else {
      for (bool b : dense.getValues<bool>())
        out[i++] = b ? 1 : 0;
    }
    return t;
  }
  ArrayRef<char> raw = dense.getRawData();
  size_t esize = rt::dtypeSize(*dtype);
  if (dense.isSplat()) {
    for (size_t off = 0; off < t.nbytes(); off += esize)
      std::memcpy(static_cast<char *>(t.raw()) + off, raw.data(), esize);
  } else {
    if (raw.size() != t.nbytes())
      return failure();
    std::memcpy(t.raw(), raw.data(), raw.size());
  }
  return t;
}

/// The node name of an op (its NameLoc), or "<op>#<index>".
static std::string stepName(Operation *op, size_t index) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return op->getName().getStringRef().str() + "#" + std::to_string(index);
}

/// Converts an op attribute into a runtime attribute (false if the kind of
/// attribute has no runtime meaning, e.g. type attributes).
static bool convertAttr(Attribute a, rt::AttrValue &out) {
  if (auto b = dyn_cast<BoolAttr>(a)) {
    out = (int64_t)b.getValue();
  } else if (auto i = dyn_cast<IntegerAttr>(a)) {
    out = i.getType().isUnsignedInteger() ? (int64_t)i.getValue().getZExtValue()
                                          : i.getValue().getSExtValue();
  } else if (auto f = dyn_cast<FloatAttr>(a)) {
    out = f.getValueAsDouble();
  } else if (auto s = dyn_cast<StringAttr>(a)) {
    out = s.getValue().str();
  } else if (auto arr = dyn_cast<DenseI64ArrayAttr>(a)) {
    out = std::vector<int64_t>(arr.asArrayRef().begin(), arr.asArrayRef().end());
  } else {
    return false;
  }
  return true;
}

/// The IO spec of a graph input or output: its name (nn.name, else
/// `fallback`), dtype, shape and dimension names (nn.dim_names).
static FailureOr<rt::IOSpec> ioSpecOf(Type type, DictionaryAttr attrs,
                                      const std::string &fallback, int value,
                                      Location loc) {
  rt::IOSpec spec;
  auto tt = dyn_cast<RankedTensorType>(type);
  auto dtype = tt ? toDType(tt.getElementType()) : std::nullopt;
  if (!dtype) {
    emitError(loc) << "graph input/output '" << fallback
                   << "' has a type the runtime cannot hold: " << type;
    return failure();
  }
  spec.name = fallback;
  if (attrs)
    if (auto n = attrs.getAs<StringAttr>(nn::NNDialect::kNameAttr))
      spec.name = n.str();
  spec.value = value;
  spec.dtype = *dtype;
  spec.shape = toShape(tt.getShape());
  spec.dimNames.assign(spec.shape.size(), "");
  if (attrs)
    if (auto dims = attrs.getAs<ArrayAttr>(nn::NNDialect::kDimNamesAttr))
      for (auto [i, d] : llvm::enumerate(dims))
        if (auto s = dyn_cast<StringAttr>(d); s && i < spec.dimNames.size())
          spec.dimNames[i] = s.str();
  return spec;
}

FailureOr<std::pair<std::vector<rt::IOSpec>, std::vector<rt::IOSpec>>>
gptq::planSignature(ModuleOp module, StringRef funcName) {
  auto fn = module.lookupSymbol<func::FuncOp>(funcName);
  if (!fn || fn.isExternal()) {
    emitError(module.getLoc()) << "no function @" << funcName << " to run";
    return failure();
  }
  std::vector<rt::IOSpec> inputs, outputs;
  FunctionType type = fn.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs())) {
    auto spec = ioSpecOf(t, fn.getArgAttrDict(i), "arg" + std::to_string(i), -1,
                         fn.getLoc());
    if (failed(spec))
      return failure();
    inputs.push_back(*spec);
  }
  for (auto [i, t] : llvm::enumerate(type.getResults())) {
    auto spec = ioSpecOf(t, fn.getResultAttrDict(i),
                         "output" + std::to_string(i), -1, fn.getLoc());
    if (failed(spec))
      return failure();
    outputs.push_back(*spec);
  }
  return std::make_pair(std::move(inputs), std::move(outputs));
}

FailureOr<std::shared_ptr<rt::Plan>>
gptq::buildPlan(ModuleOp module, StringRef funcName, PlanMapping *mapping) {
  auto fn = module.lookupSymbol<func::FuncOp>(funcName);
  if (!fn || fn.isExternal()) {
    emitError(module.getLoc()) << "no function @" << funcName << " to run";
    return failure();
  }
  auto plan = std::make_shared<rt::Plan>();
  PlanMapping localMapping;
  PlanMapping &m = mapping ? *mapping : localMapping;
  m.stepOps.clear();
  m.valueIds.clear();
  auto newValue = [&](Value v) {
    int id = plan->numValues++;
    m.valueIds[v] = id;
    return id;
  };

  Block &body = fn.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    int id = newValue(arg);
    auto spec =
        ioSpecOf(arg.getType(), fn.getArgAttrDict(arg.getArgNumber()),
                 "arg" + std::to_string(arg.getArgNumber()), id, fn.getLoc());
    if (failed(spec))
      return failure();
    plan->inputs.push_back(*spec);
  }

  for (Operation &opRef : body.without_terminator()) {
    Operation *op = &opRef;
    if (auto cst = dyn_cast<nn::ConstantOp>(op)) {
      auto t = tensorFromAttr(cst.getValue());
      if (failed(t))
        return cst.emitOpError("has a value the runtime cannot hold"),
               failure();
      int id = newValue(cst.getResult());
      plan->constants[id] = *t;
      if (auto name = dyn_cast<NameLoc>(cst.getLoc()))
        plan->constantNames[id] = name.getName().str();
      continue;
    }
    rt::Step step;
    if (!rt::opKindFromName(op->getName().getStringRef().str(), step.kind)) {
      op->emitOpError("cannot be executed by the runtime");
      return failure();
    }
    step.name = stepName(op, plan->steps.size());
    // Operands, with -1 for absent optional operands at fixed positions.
    auto operandId = [&](Value v) { return v ? m.valueIds.lookup(v) : -1; };
    if (auto mm = dyn_cast<quant::MatMulNBitsOp>(op)) {
      step.inputs = {operandId(mm.getInput()),  operandId(mm.getQweight()),
                     operandId(mm.getScales()), operandId(mm.getQzeros()),
                     operandId(mm.getGIdx()),   operandId(mm.getBias())};
    } else if (auto fm = dyn_cast<quant::FusedMatMulNBitsOp>(op)) {
      step.inputs = {operandId(fm.getInput()),  operandId(fm.getQweight()),
                     operandId(fm.getScales()), operandId(fm.getQzeros()),
                     operandId(fm.getGIdx()),   operandId(fm.getBias())};
      for (Value v : fm.getEpilogueOperands())
        step.inputs.push_back(operandId(v));
    } else if (auto la = dyn_cast<quant::LaunchOp>(op)) {
      step.inputs = {operandId(la.getInput()),  operandId(la.getQweight()),
                     operandId(la.getScales()), operandId(la.getQzeros()),
                     operandId(la.getGIdx()),   operandId(la.getBias())};
      for (Value v : la.getEpilogueOperands())
        step.inputs.push_back(operandId(v));
      // The launch configuration of each kernel, under "<path>.<name>".
      for (Attribute a : la.getKernels()) {
        auto kernel = SymbolTable::lookupNearestSymbolFrom<quant::CudaKernelOp>(
            op, cast<FlatSymbolRefAttr>(a));
        if (!kernel)
          return op->emitOpError("kernel ") << a << " not found", failure();
        std::string p = kernel.getPath().str() + ".";
        auto ints = [](ArrayRef<int64_t> v) {
          return std::vector<int64_t>(v.begin(), v.end());
        };
        step.attrs.set(p + "function", kernel.getFunction().str());
        step.attrs.set(p + "tile", ints(kernel.getTile()));
        step.attrs.set(p + "block", ints(kernel.getBlock()));
        step.attrs.set(p + "smem", int64_t(kernel.getSmem()));
        step.attrs.set(p + "max_m", int64_t(kernel.getMaxM()));
        step.attrs.set(p + "mask_k", (int64_t)kernel.getMaskK());
        step.attrs.set(p + "mask_n", (int64_t)kernel.getMaskN());
      }
    } else if (auto dq = dyn_cast<quant::DequantizeOp>(op)) {
      step.inputs = {operandId(dq.getQweight()), operandId(dq.getScales()),
                     operandId(dq.getQzeros()), operandId(dq.getGIdx())};
    } else if (auto ln = dyn_cast<nn::LayerNormOp>(op)) {
      step.inputs = {operandId(ln.getInput()), operandId(ln.getScale()),
                     operandId(ln.getBias())};
    } else if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
      step.inputs = {operandId(gemm.getA()), operandId(gemm.getB()),
                     operandId(gemm.getC())};
    } else {
      for (Value v : op->getOperands())
        step.inputs.push_back(operandId(v));
    }
    for (Value r : op->getResults()) {
      auto tt = dyn_cast<RankedTensorType>(r.getType());
      auto dtype = tt ? toDType(tt.getElementType()) : std::nullopt;
      if (!dtype)
        return op->emitOpError("has a result type the runtime cannot hold: ")
                   << r.getType(),
               failure();
      step.outputs.push_back(newValue(r));
      step.outputDTypes.push_back(*dtype);
    }
    // Attributes, with ODS defaults filled in.
    NamedAttrList attrs(op->getAttrDictionary());
    op->getName().populateDefaultAttrs(attrs);
    for (NamedAttribute na : attrs) {
      StringRef name = na.getName().getValue();
      if (name == "value" && isa<nn::ConstantOfShapeOp>(op)) {
        if (auto f = dyn_cast<FloatAttr>(na.getValue())) {
          step.attrs.set("value", f.getValueAsDouble());
          step.attrs.set("value_int", (int64_t)f.getValueAsDouble());
        } else if (auto i = dyn_cast<IntegerAttr>(na.getValue())) {
          int64_t v = i.getType().isUnsignedInteger()
                          ? (int64_t)i.getValue().getZExtValue()
                          : i.getValue().getSExtValue();
          if (i.getType().isInteger(1))
            v = i.getValue().getBoolValue();
          step.attrs.set("value", (double)v);
          step.attrs.set("value_int", v);
        }
        continue;
      }
      if (name == "epilogue") { // ["silu", "mul"] -> "silu,mul"
        std::string steps;
        for (Attribute a : cast<ArrayAttr>(na.getValue()))
          steps += (steps.empty() ? "" : ",") +
                   cast<StringAttr>(a).getValue().str();
        step.attrs.set("epilogue", steps);
        continue;
      }
      if (auto q = dyn_cast<quant::QuantAttr>(na.getValue())) {
        step.attrs.set("bits", q.getBits());
        step.attrs.set("group_size", q.getGroupSize());
        step.attrs.set("sym", (int64_t)q.getSym());
        step.attrs.set("desc_act", (int64_t)q.getDescAct());
        continue;
      }
      rt::AttrValue v;
      if (convertAttr(na.getValue(), v))
        step.attrs.set(name.str(), v);
    }
    if (auto dq = dyn_cast<quant::DequantizeOp>(op))
      step.attrs.set("k", cast<RankedTensorType>(dq.getType()).getDimSize(0));
    plan->steps.push_back(std::move(step));
    m.stepOps.push_back(op);
  }

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto spec = ioSpecOf(v.getType(), fn.getResultAttrDict(i),
                         "output" + std::to_string(i), m.valueIds.lookup(v),
                         fn.getLoc());
    if (failed(spec))
      return failure();
    plan->outputs.push_back(*spec);
  }

  // Liveness: tensors are freed after their last use.
  plan->computeReleases();
  return plan;
}
