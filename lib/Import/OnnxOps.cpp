//===- OnnxOps.cpp - ONNX node converters -----------------------*- C++ -*-===//
//
// One converter per ONNX operator (default domain, opsets 7-23, with the
// per-version differences: axes as attribute or input, Split's split and
// num_outputs, Softmax coerced to 2-D before 13, Clip/Slice attributes
// before 11/10, ...; which operator exists at which opset is checked before
// conversion, OnnxOpsets.cpp) and per com.microsoft
// operator used by exported/optimized decoders.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "dialects/NN/Analysis/SymbolicShapes.h"

#include "runtime/quant/Packing.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

InFlightDiagnostic NodeContext::error() {
  std::string name = node.name().empty()
                         ? (node.output_size() ? node.output(0) : "")
                         : node.name();
  return imp.error() << imp.file << ": node '" << name << "' ("
                     << node.op_type() << ", domain '" << domain << "', opset "
                     << opset << "): ";
}

LogicalResult NodeContext::fail(const Twine &msg) {
  error() << msg;
  return failure();
}

Value NodeContext::input(int i) {
  if (i >= node.input_size() || node.input(i).empty())
    return {};
  return imp.values.lookup(node.input(i));
}

FailureOr<Value> NodeContext::requiredInput(int i) {
  Value v = input(i);
  if (!v)
    return fail("missing required input " + Twine(i));
  return v;
}

LogicalResult NodeContext::expectInputs(int min, int max) {
  int n = node.input_size();
  if (n < min || n > max) {
    auto d = error();
    d << "expects ";
    if (min == max)
      d << min;
    else
      d << min << " to " << max;
    d << " inputs, got " << n;
    return failure();
  }
  for (int i = 0; i < min; ++i)
    if (node.input(i).empty())
      return fail("missing required input " + Twine(i));
  return success();
}

bool NodeContext::outputUsed(int i) const {
  return i < node.output_size() && !node.output(i).empty() &&
         imp.consumed.contains(node.output(i));
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

/// A scalar attribute of type `type` read by `get`, `def` when absent
/// (required when `def` is empty); errors name the attribute.
template <typename T, typename Get>
static FailureOr<T> scalarAttr(NodeContext &nc, StringRef name,
                               std::optional<T> def,
                               onnx::AttributeProto::AttributeType type,
                               const char *kind, Get get) {
  const auto *a = nc.attr(name);
  if (!a) {
    if (def)
      return *def;
    return nc.fail("missing required attribute '" + name + "'");
  }
  if (a->type() != type)
    return nc.fail("attribute '" + name + "' must be " + kind);
  return T(get(*a));
}

FailureOr<int64_t> NodeContext::intAttr(StringRef name,
                                        std::optional<int64_t> def) {
  return scalarAttr<int64_t>(*this, name, def, onnx::AttributeProto::INT,
                             "an integer",
                             [](const onnx::AttributeProto &a) { return a.i(); });
}

FailureOr<float> NodeContext::floatAttr(StringRef name,
                                        std::optional<float> def) {
  return scalarAttr<float>(*this, name, def, onnx::AttributeProto::FLOAT,
                           "a float",
                           [](const onnx::AttributeProto &a) { return a.f(); });
}

FailureOr<std::string> NodeContext::stringAttr(StringRef name,
                                               std::optional<std::string> def) {
  return scalarAttr<std::string>(
      *this, name, std::move(def), onnx::AttributeProto::STRING, "a string",
      [](const onnx::AttributeProto &a) { return a.s(); });
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeContext::intsAttr(StringRef name) {
  const auto *a = attr(name);
  if (!a)
    return std::optional<SmallVector<int64_t>>();
  if (a->type() != onnx::AttributeProto::INTS)
    return fail("attribute '" + name + "' must be a list of integers");
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(a->ints().begin(), a->ints().end()));
}

FailureOr<SmallVector<int64_t>> NodeContext::constantInts(int i,
                                                          StringRef what) {
  Value v = input(i);
  if (!v)
    return fail("missing input " + Twine(i) + " (" + what + ")");
  auto values = nn::getConstantIntValues(v);
  if (!values)
    return fail("input " + Twine(i) + " (" + what + ", '" + node.input(i) +
                "') must be a constant integer tensor");
  return *values;
}

OpBuilder &NodeContext::builder() { return imp.b; }

void NodeContext::setOutput(int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    imp.values[node.output(i)] = v;
}

LogicalResult NodeContext::setOutputs(ValueRange values) {
  for (auto [i, v] : llvm::enumerate(values))
    setOutput(i, v);
  return success();
}

Value NodeContext::constant(DenseElementsAttr attr) {
  return nn::ConstantOp::create(builder(), loc, attr);
}

Value NodeContext::constI64(ArrayRef<int64_t> values, bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      builder().getI64Type());
  return constant(DenseIntElementsAttr::get(type, values));
}

FailureOr<SmallVector<Value>>
NodeContext::buildNamed(StringRef name, ValueRange operands,
                        ArrayRef<NamedAttribute> attrs, InferFn infer) {
  MLIRContext *ctx = imp.ctx;
  DictionaryAttr dict = DictionaryAttr::get(ctx, attrs);
  SmallVector<Type> types;
  std::string message;
  LogicalResult inferred = failure();
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
      if (!message.empty())
        message += "; ";
      message += d.str();
      return success();
    });
    inferred = infer(ctx, loc, operands, dict, OpaqueProperties(nullptr),
                     RegionRange(), types);
  }
  if (failed(inferred)) {
    error() << (message.empty() ? "cannot infer the result type of '" + name.str() + "'"
                                : message);
    return failure();
  }
  OperationState state(loc, name);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(types);
  Operation *op = builder().create(state);
  SmallVector<Value> folded;
  if (succeeded(builder().tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded;
  }
  return SmallVector<Value>(op->getResults());
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string gptq::onnximport::typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

RankedTensorType gptq::onnximport::tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

NamedAttribute gptq::onnximport::named(NodeContext &nc, StringRef name,
                                       Attribute a) {
  return NamedAttribute(nc.builder().getStringAttr(name), a);
}

/// i32 index-like tensors are converted to i64 (what nn shape operands take).
static FailureOr<Value> asI64(NodeContext &nc, Value v, StringRef what) {
  Type elem = tensorType(v).getElementType();
  if (elem.isInteger(64))
    return v;
  if (!elem.isInteger(32))
    return nc.fail(what + " must be int32 or int64, got " +
                   typeStr(elem));
  return nc.build1<nn::CastOp>(
      {v}, {named(nc, "to", TypeAttr::get(nc.builder().getI64Type()))});
}

/// Ops whose N inputs map one to one onto the nn op's operands.
template <typename OpTy, int N> static ConvertFn direct() {
  return [](NodeContext &nc) { return buildOne<OpTy>(nc, N); };
}
template <typename OpTy> static ConvertFn unary() { return direct<OpTy, 1>(); }
template <typename OpTy> static ConvertFn binary() { return direct<OpTy, 2>(); }

/// Min/Max: variadic, folded left to right.
template <typename OpTy> static ConvertFn variadic() {
  return [](NodeContext &nc) -> LogicalResult {
    if (nc.numInputs() < 1)
      return nc.fail("expects at least one input");
    Value acc = nc.input(0);
    if (!acc)
      return nc.fail("missing required input 0");
    for (int i = 1; i < nc.numInputs(); ++i) {
      Value v = nc.input(i);
      if (!v)
        return nc.fail("missing input " + Twine(i));
      auto r = nc.build1<OpTy>({acc, v});
      if (failed(r))
        return failure();
      acc = *r;
    }
    nc.setOutput(0, acc);
    return success();
  };
}

/// Reads an ONNX scalar/1-element tensor attribute value as a TypedAttr.
static FailureOr<TypedAttr> scalarFromTensorAttr(NodeContext &nc,
                                                 const onnx::AttributeProto &a) {
  onnx::TensorProto t = a.t();
  auto attr = nc.imp.importTensor(t, nc.node.name() + "." + a.name());
  if (failed(attr))
    return failure();
  auto dense = dyn_cast<DenseElementsAttr>(*attr);
  if (!dense || dense.getNumElements() != 1)
    return nc.fail("attribute '" + a.name() + "' must hold exactly one value");
  return cast<TypedAttr>(dense.getSplatValue<Attribute>());
}

//===----------------------------------------------------------------------===//
// Default-domain converters
//===----------------------------------------------------------------------===//

static LogicalResult convertIdentity(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  nc.setOutput(0, nc.input(0));
  return success();
}

static LogicalResult convertDropout(NodeContext &nc) {
  // Before opset 12 the ratio is an attribute and there is no training mode
  // (Dropout 7/10: inference is the identity); from 12 ratio and
  // training_mode are inputs.
  if (nc.opset < 12 && nc.numInputs() > 1)
    return nc.fail("ratio is an attribute before opset 12, not an input");
  if (failed(nc.expectInputs(1, 3)))
    return failure();
  if (Value training = nc.input(2)) {
    auto v = nc.constantInts(2, "training_mode");
    if (failed(v))
      return failure();
    if (!v->empty() && (*v)[0] != 0)
      return nc.fail("training_mode = true is not supported (inference only)");
  }
  if (nc.outputUsed(1))
    return nc.fail("the mask output is not supported (inference only)");
  nc.setOutput(0, nc.input(0));
  return success();
}

static LogicalResult convertConstant(NodeContext &nc) {
  if (nc.node.attribute_size() != 1)
    return nc.fail("expects exactly one value attribute");
  const auto &a = nc.node.attribute(0);
  OpBuilder &b = nc.builder();
  ElementsAttr value;
  if (a.name() == "value") {
    onnx::TensorProto t = a.t();
    std::string what = nc.node.output_size() ? nc.node.output(0) : "constant";
    auto attr = nc.imp.importTensor(t, what);
    if (failed(attr))
      return failure();
    value = *attr;
  } else if (a.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   a.f());
  } else if (a.name() == "value_floats") {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getF32Type()),
        ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   (int64_t)a.i());
  } else if (a.name() == "value_ints") {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getI64Type()),
        ArrayRef<int64_t>(v));
  } else {
    return nc.fail("attribute '" + a.name() +
                   "' is not supported (strings and sparse tensors are not)");
  }
  nc.setOutput(0, nn::ConstantOp::create(b, nc.loc, value));
  return success();
}

static LogicalResult convertGelu(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto approx = nc.stringAttr("approximate", std::string("none"));
  if (failed(approx))
    return failure();
  auto r = nc.build1<nn::GeluOp>(
      {nc.input(0)},
      {named(nc, "approximate", nc.builder().getStringAttr(*approx))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertClip(NodeContext &nc) {
  SmallVector<NamedAttribute> attrs;
  if (nc.opset < 11) {
    // Clip 6: float attributes min/max, by default the lowest and the
    // largest finite value of the element type (so that, as in
    // onnxruntime, an infinity becomes the largest finite value).
    if (nc.numInputs() > 1)
      return nc.fail("min and max are attributes before opset 11, not inputs");
    if (failed(nc.expectInputs(1, 1)))
      return failure();
    auto elem = dyn_cast<FloatType>(tensorType(nc.input(0)).getElementType());
    if (!elem)
      return nc.fail("Clip before opset 11 is defined for float tensors only");
    APFloat big = APFloat::getLargest(elem.getFloatSemantics());
    bool losesInfo = false;
    big.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                &losesInfo);
    double largest = big.convertToDouble();
    auto lo = nc.floatAttr("min", (float)-largest);
    auto hi = nc.floatAttr("max", (float)largest);
    if (failed(lo) || failed(hi))
      return failure();
    double minV = nc.attr("min") ? (double)*lo : -largest;
    double maxV = nc.attr("max") ? (double)*hi : largest;
    if (minV > maxV)
      return nc.fail("min " + Twine(std::to_string(minV)) +
                     " is greater than max " + std::to_string(maxV));
    attrs.push_back(named(nc, "min", nc.builder().getF64FloatAttr(minV)));
    attrs.push_back(named(nc, "max", nc.builder().getF64FloatAttr(maxV)));
    auto r = nc.build1<nn::ClipOp>({nc.input(0)}, attrs);
    if (failed(r))
      return failure();
    nc.setOutput(0, *r);
    return success();
  }
  if (failed(nc.expectInputs(1, 3)))
    return failure();
  for (auto [i, name] : {std::pair<int, const char *>{1, "min"}, {2, "max"}}) {
    Value v = nc.input(i);
    if (!v)
      continue;
    DenseElementsAttr c = nn::getDenseConstant(v);
    if (!c || c.getNumElements() != 1)
      return nc.fail(Twine("input ") + Twine(i) + " (" + name +
                     ") must be a constant scalar");
    double d = isa<FloatType>(c.getElementType())
                   ? (*c.getValues<APFloat>().begin()).convertToDouble()
                   : (double)(*c.getValues<APInt>().begin()).getSExtValue();
    attrs.push_back(named(nc, name, nc.builder().getF64FloatAttr(d)));
  }
  auto r = nc.build1<nn::ClipOp>({nc.input(0)}, attrs);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertCast(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto to = nc.intAttr("to", std::nullopt);
  if (failed(to))
    return failure();
  std::string typeName;
  Type elem = onnxElementType(nc.imp.ctx, (int32_t)*to, &typeName);
  if (!elem)
    return nc.fail("cast to " + typeName + " is not supported");
  auto r = nc.build1<nn::CastOp>({nc.input(0)},
                                 {named(nc, "to", TypeAttr::get(elem))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertCastLike(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  Type elem = tensorType(nc.input(1)).getElementType();
  auto r = nc.build1<nn::CastOp>({nc.input(0)},
                                 {named(nc, "to", TypeAttr::get(elem))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertGemm(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 3)))
    return failure();
  auto alpha = nc.floatAttr("alpha", 1.0f);
  auto beta = nc.floatAttr("beta", 1.0f);
  auto ta = nc.intAttr("transA", 0);
  auto tb = nc.intAttr("transB", 0);
  if (failed(alpha) || failed(beta) || failed(ta) || failed(tb))
    return failure();
  OpBuilder &b = nc.builder();
  SmallVector<Value> operands{nc.input(0), nc.input(1)};
  if (Value c = nc.input(2))
    operands.push_back(c);
  SmallVector<NamedAttribute> attrs;
  if (*alpha != 1.0f)
    attrs.push_back(named(nc, "alpha", b.getF32FloatAttr(*alpha)));
  if (*beta != 1.0f)
    attrs.push_back(named(nc, "beta", b.getF32FloatAttr(*beta)));
  if (*ta)
    attrs.push_back(named(nc, "trans_a", b.getBoolAttr(true)));
  if (*tb)
    attrs.push_back(named(nc, "trans_b", b.getBoolAttr(true)));
  auto r = nc.build1<nn::GemmOp>(operands, attrs);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertReshape(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto allowzero = nc.intAttr("allowzero", 0);
  if (failed(allowzero))
    return failure();
  auto shape = asI64(nc, nc.input(1), "shape");
  if (failed(shape))
    return failure();
  if (tensorType(*shape).getRank() != 1)
    return nc.fail("shape must be 1-D");
  SmallVector<NamedAttribute> attrs;
  if (*allowzero)
    attrs.push_back(named(nc, "allowzero", nc.builder().getBoolAttr(true)));
  auto r = nc.build1<nn::ReshapeOp>({nc.input(0), *shape}, attrs);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertTranspose(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto perm = nc.intsAttr("perm");
  if (failed(perm))
    return failure();
  SmallVector<int64_t> p;
  if (*perm) {
    p = **perm;
  } else {
    int64_t rank = tensorType(nc.input(0)).getRank();
    for (int64_t i = rank - 1; i >= 0; --i)
      p.push_back(i);
  }
  auto r = nc.build1<nn::TransposeOp>(
      {nc.input(0)}, {named(nc, "perm", nc.builder().getDenseI64ArrayAttr(p))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertGather(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto axis = nc.intAttr("axis", 0);
  if (failed(axis))
    return failure();
  auto r = nc.build1<nn::GatherOp>(
      {nc.input(0), nc.input(1)},
      {named(nc, "axis", nc.builder().getI64IntegerAttr(*axis))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertConcat(NodeContext &nc) {
  if (nc.numInputs() < 1)
    return nc.fail("expects at least one input");
  auto axis = nc.intAttr("axis", std::nullopt);
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (int i = 0; i < nc.numInputs(); ++i) {
    Value v = nc.input(i);
    if (!v)
      return nc.fail("missing input " + Twine(i));
    inputs.push_back(v);
  }
  auto r = nc.build1<nn::ConcatOp>(
      inputs, {named(nc, "axis", nc.builder().getI64IntegerAttr(*axis))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

/// Slice 1 (opsets 1-9): starts, ends and the optional axes are attributes;
/// there are no steps.
static LogicalResult convertSliceV1(NodeContext &nc) {
  if (nc.numInputs() > 1)
    return nc.fail("starts, ends and axes are attributes before opset 10, not "
                   "inputs");
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto starts = nc.intsAttr("starts");
  auto ends = nc.intsAttr("ends");
  auto axes = nc.intsAttr("axes");
  if (failed(starts) || failed(ends) || failed(axes))
    return failure();
  if (!*starts || !*ends)
    return nc.fail(
        "attributes 'starts' and 'ends' are required before opset 10");
  size_t n = (*starts)->size();
  if ((*ends)->size() != n || (*axes && (*axes)->size() != n))
    return nc.fail("starts, ends and axes must have the same length");
  SmallVector<int64_t> ax, steps(n, 1);
  if (*axes)
    ax = **axes;
  else
    for (size_t k = 0; k < n; ++k)
      ax.push_back((int64_t)k);
  auto r = nc.build1<nn::SliceOp>({nc.input(0), nc.constI64(**starts),
                                   nc.constI64(**ends), nc.constI64(ax),
                                   nc.constI64(steps)});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertSlice(NodeContext &nc) {
  if (nc.opset < 10)
    return convertSliceV1(nc);
  if (failed(nc.expectInputs(3, 5)))
    return failure();
  SmallVector<Value> params;
  for (int i = 1; i <= 2; ++i) {
    auto v = asI64(nc, nc.input(i), i == 1 ? "starts" : "ends");
    if (failed(v))
      return failure();
    params.push_back(*v);
  }
  int64_t n = tensorType(params[0]).getDimSize(0);
  for (int i = 3; i <= 4; ++i) {
    if (Value v = nc.input(i)) {
      auto c = asI64(nc, v, i == 3 ? "axes" : "steps");
      if (failed(c))
        return failure();
      params.push_back(*c);
      continue;
    }
    if (ShapedType::isDynamic(n))
      return nc.fail("starts has a dynamic length; axes/steps cannot default");
    SmallVector<int64_t> def;
    for (int64_t k = 0; k < n; ++k)
      def.push_back(i == 3 ? k : 1);
    params.push_back(nc.constI64(def));
  }
  auto r = nc.build1<nn::SliceOp>(
      {nc.input(0), params[0], params[1], params[2], params[3]});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

/// The values of integer input `i`: a constant, or shape arithmetic that
/// symbolic shape reasoning proves constant (torch's chunk computes Split's
/// sizes from Shape: (dim + 1) / 2 and dim - (dim + 1) / 2 of a static dim).
static FailureOr<SmallVector<int64_t>> provenInts(NodeContext &nc, int i,
                                                  StringRef what) {
  Value v = nc.input(i);
  if (!v)
    return nc.fail("missing input " + Twine(i) + " (" + what + ")");
  if (auto values = nn::getConstantIntValues(v))
    return *values;
  shapes::ShapeAnalysis analysis;
  analysis.analyze(v);
  if (auto values = analysis.constantElements(v))
    return *values;
  return nc.fail("input " + Twine(i) + " (" + what + ", '" + nc.node.input(i) +
                 "') must be a constant integer tensor; it is computed as " +
                 analysis.describeElements(v));
}

static LogicalResult convertSplit(NodeContext &nc) {
  // `split` is an attribute before opset 13 and an input from 13.
  if (nc.opset < 13 && nc.numInputs() > 1)
    return nc.fail("split is an attribute before opset 13, not an input");
  if (failed(nc.expectInputs(1, 2)))
    return failure();
  auto axis = nc.intAttr("axis", 0);
  if (failed(axis))
    return failure();
  int64_t n = nc.node.output_size();
  auto type = tensorType(nc.input(0));
  auto normAxis = nn::normalizeAxis(*axis, type.getRank());
  if (!normAxis)
    return nc.fail("axis " + Twine(*axis) + " is out of range for rank " +
                   Twine(type.getRank()));
  SmallVector<int64_t> sizes;
  if (nc.input(1)) {
    auto s = provenInts(nc, 1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
    if ((int64_t)sizes.size() != n)
      return nc.fail("split has " + Twine(sizes.size()) + " sizes for " +
                     Twine(n) + " outputs");
  } else if (auto s = nc.intsAttr("split"); succeeded(s) && *s) {
    sizes = **s; // the opset < 13 form (tolerated later too)
    if ((int64_t)sizes.size() != n)
      return nc.fail("split has " + Twine(sizes.size()) + " sizes for " +
                     Twine(n) + " outputs");
  } else {
    int64_t dim = type.getDimSize(*normAxis);
    if (ShapedType::isDynamic(dim))
      return nc.fail("splitting dynamic dimension " + Twine(*normAxis) +
                     " without explicit sizes is not supported");
    if (nc.opset >= 18) {
      auto numOutputs = nc.intAttr("num_outputs", std::nullopt);
      if (failed(numOutputs))
        return failure();
      if (*numOutputs != n || n <= 0)
        return nc.fail("num_outputs is " + Twine(*numOutputs) + " but the node has " +
                       Twine(n) + " outputs");
      int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    } else {
      if (n <= 0 || dim % n != 0)
        return nc.fail("dimension " + Twine(dim) + " does not split evenly into " +
                       Twine(n) + " outputs");
      sizes.assign(n, dim / n);
    }
  }
  auto r = nc.build<nn::SplitOp>(
      {nc.input(0)},
      {named(nc, "axis", nc.builder().getI64IntegerAttr(*axis)),
       named(nc, "sizes", nc.builder().getDenseI64ArrayAttr(sizes))});
  if (failed(r))
    return failure();
  return nc.setOutputs(*r);
}

/// Axes from the input (opset >= 13 for Squeeze/Unsqueeze/ReduceSum, >= 18
/// for the other reductions) or from the attribute (earlier opsets).
static FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(NodeContext &nc, int inputIndex) {
  if (nc.input(inputIndex)) {
    auto v = nc.constantInts(inputIndex, "axes");
    if (failed(v))
      return failure();
    return std::optional<SmallVector<int64_t>>(*v);
  }
  return nc.intsAttr("axes");
}

/// Squeeze/Unsqueeze take axes as an attribute before opset 13.
static LogicalResult checkAxesInputSince13(NodeContext &nc) {
  if (nc.opset < 13 && nc.numInputs() > 1)
    return nc.fail("axes is an attribute before opset 13, not an input");
  return success();
}

static LogicalResult convertSqueeze(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 2)) || failed(checkAxesInputSince13(nc)))
    return failure();
  auto axes = axesOf(nc, 1);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> a = *axes ? **axes : SmallVector<int64_t>{};
  auto r = nc.build1<nn::SqueezeOp>(
      {nc.input(0)}, {named(nc, "axes", nc.builder().getDenseI64ArrayAttr(a))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertUnsqueeze(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 2)) || failed(checkAxesInputSince13(nc)))
    return failure();
  auto axes = axesOf(nc, 1);
  if (failed(axes))
    return failure();
  if (!*axes)
    return nc.fail("missing axes");
  auto r = nc.build1<nn::UnsqueezeOp>(
      {nc.input(0)},
      {named(nc, "axes", nc.builder().getDenseI64ArrayAttr(**axes))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertExpand(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto shape = asI64(nc, nc.input(1), "shape");
  if (failed(shape))
    return failure();
  auto r = nc.build1<nn::ExpandOp>({nc.input(0), *shape});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertShape(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  SmallVector<NamedAttribute> attrs;
  if (const auto *a = nc.attr("start")) {
    (void)a;
    auto s = nc.intAttr("start", 0);
    if (failed(s))
      return failure();
    attrs.push_back(named(nc, "start", nc.builder().getI64IntegerAttr(*s)));
  }
  if (nc.attr("end")) {
    auto e = nc.intAttr("end", std::nullopt);
    if (failed(e))
      return failure();
    attrs.push_back(named(nc, "end", nc.builder().getI64IntegerAttr(*e)));
  }
  auto r = nc.build1<nn::ShapeOp>({nc.input(0)}, attrs);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertConstantOfShape(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  TypedAttr value = nc.builder().getF32FloatAttr(0.0f);
  if (const auto *a = nc.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR)
      return nc.fail("attribute 'value' must be a tensor");
    auto v = scalarFromTensorAttr(nc, *a);
    if (failed(v))
      return failure();
    value = *v;
  }
  auto shape = asI64(nc, nc.input(0), "shape");
  if (failed(shape))
    return failure();
  auto r = nc.build1<nn::ConstantOfShapeOp>({*shape},
                                            {named(nc, "value", value)});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

/// ReduceSum (axes input since 13) and ReduceMean/Max/Min (since 18).
static ConvertFn reduce(int axesInputSince,
                        FailureOr<SmallVector<Value>> (*build)(NodeContext &,
                                                               Value,
                                                               ArrayRef<NamedAttribute>)) {
  return [axesInputSince, build](NodeContext &nc) -> LogicalResult {
    if (failed(nc.expectInputs(1, 2)))
      return failure();
    if (nc.opset < axesInputSince && nc.input(1))
      return nc.fail("axes is an attribute before opset " +
                     Twine(axesInputSince));
    auto axes = axesOf(nc, 1);
    auto keepdims = nc.intAttr("keepdims", 1);
    auto noop = nc.intAttr("noop_with_empty_axes", 0);
    if (failed(axes) || failed(keepdims) || failed(noop))
      return failure();
    SmallVector<int64_t> a = *axes ? **axes : SmallVector<int64_t>{};
    if (a.empty() && *noop) {
      nc.setOutput(0, nc.input(0));
      return success();
    }
    OpBuilder &b = nc.builder();
    SmallVector<NamedAttribute> attrs{named(nc, "axes", b.getDenseI64ArrayAttr(a))};
    if (!*keepdims)
      attrs.push_back(named(nc, "keepdims", b.getBoolAttr(false)));
    auto r = build(nc, nc.input(0), attrs);
    if (failed(r))
      return failure();
    nc.setOutput(0, (*r)[0]);
    return success();
  };
}

template <typename OpTy>
static FailureOr<SmallVector<Value>>
buildReduce(NodeContext &nc, Value in, ArrayRef<NamedAttribute> attrs) {
  return nc.build<OpTy>({in}, attrs);
}

static LogicalResult convertSoftmax(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1) and
  // normalized over everything from `axis` on (OnnxIndexOps.cpp).
  if (nc.opset < 13)
    return buildCoercedSoftmax(nc);
  auto axis = nc.intAttr("axis", -1);
  if (failed(axis))
    return failure();
  auto r = nc.build1<nn::SoftmaxOp>(
      {nc.input(0)}, {named(nc, "axis", nc.builder().getI64IntegerAttr(*axis))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertLayerNorm(NodeContext &nc) {
  if (nc.opset < 17)
    return nc.fail("LayerNormalization needs opset 17 or later");
  if (failed(nc.expectInputs(2, 3)))
    return failure();
  auto axis = nc.intAttr("axis", -1);
  auto eps = nc.floatAttr("epsilon", 1e-5f);
  if (failed(axis) || failed(eps))
    return failure();
  SmallVector<Value> operands{nc.input(0), nc.input(1)};
  if (Value bias = nc.input(2))
    operands.push_back(bias);
  OpBuilder &b = nc.builder();
  auto r = nc.build1<nn::LayerNormOp>(
      operands, {named(nc, "axis", b.getI64IntegerAttr(*axis)),
                 named(nc, "epsilon", b.getF32FloatAttr(*eps))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  if (!nc.outputUsed(1) && !nc.outputUsed(2))
    return success();
  // The statistics outputs (training graphs and the conformance tests use
  // them), spelled out in f32 (stash_type 1, the only one ONNX defines):
  // Mean = mean(x), InvStdDev = 1 / sqrt(mean((x - Mean)^2) + epsilon),
  // both with the normalized dimensions kept as 1.
  auto stash = nc.intAttr("stash_type", 1);
  if (failed(stash))
    return failure();
  if (*stash != 1)
    return nc.fail("stash_type " + llvm::Twine(*stash) +
                   " is not supported (1: float)");
  Value x = nc.input(0);
  auto xType = cast<RankedTensorType>(x.getType());
  auto norm = nn::normalizeAxis(*axis, xType.getRank());
  if (!norm)
    return nc.fail("axis " + llvm::Twine(*axis) + " is out of range for rank " +
                   llvm::Twine(xType.getRank()));
  if (!xType.getElementType().isF32()) {
    auto c = nc.build1<nn::CastOp>({x}, {named(nc, "to", TypeAttr::get(b.getF32Type()))});
    if (failed(c))
      return failure();
    x = *c;
  }
  SmallVector<int64_t> axes;
  for (int64_t d = *norm; d < xType.getRank(); ++d)
    axes.push_back(d);
  auto axesAttr = named(nc, "axes", b.getDenseI64ArrayAttr(axes));
  auto mean = nc.build1<nn::ReduceMeanOp>({x}, {axesAttr});
  if (failed(mean))
    return failure();
  auto diff = nc.build1<nn::SubOp>({x, *mean});
  auto sq = succeeded(diff) ? nc.build1<nn::MulOp>({*diff, *diff})
                            : FailureOr<Value>(failure());
  auto var = succeeded(sq) ? nc.build1<nn::ReduceMeanOp>({*sq}, {axesAttr})
                           : FailureOr<Value>(failure());
  if (failed(var))
    return failure();
  Value epsV = nc.constant(DenseElementsAttr::get(
      RankedTensorType::get({}, b.getF32Type()), b.getF32FloatAttr(*eps).getValue()));
  auto sum = nc.build1<nn::AddOp>({*var, epsV});
  auto root = succeeded(sum) ? nc.build1<nn::SqrtOp>({*sum})
                             : FailureOr<Value>(failure());
  auto inv = succeeded(root) ? nc.build1<nn::ReciprocalOp>({*root})
                             : FailureOr<Value>(failure());
  if (failed(inv))
    return failure();
  nc.setOutput(1, *mean);
  nc.setOutput(2, *inv);
  return success();
}

static LogicalResult convertTrilu(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 2)))
    return failure();
  auto upper = nc.intAttr("upper", 1);
  if (failed(upper))
    return failure();
  int64_t k = 0;
  if (nc.input(1) && !nn::getConstantIntValues(nc.input(1)))
    return buildTriluDynamicK(nc, *upper != 0); // k known only at run time
  if (nc.input(1)) {
    auto v = nc.constantInts(1, "k");
    if (failed(v))
      return failure();
    if (v->size() != 1)
      return nc.fail("k must be a scalar");
    k = (*v)[0];
  }
  OpBuilder &b = nc.builder();
  auto r = nc.build1<nn::TriluOp>({nc.input(0)},
                                  {named(nc, "upper", b.getBoolAttr(*upper != 0)),
                                   named(nc, "k", b.getI64IntegerAttr(k))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertCumSum(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto axis = nc.constantInts(1, "axis");
  auto exclusive = nc.intAttr("exclusive", 0);
  auto reverse = nc.intAttr("reverse", 0);
  if (failed(axis) || failed(exclusive) || failed(reverse))
    return failure();
  if (axis->size() != 1)
    return nc.fail("axis must be a scalar");
  OpBuilder &b = nc.builder();
  auto r = nc.build1<nn::CumSumOp>(
      {nc.input(0)}, {named(nc, "axis", b.getI64IntegerAttr((*axis)[0])),
                      named(nc, "exclusive", b.getBoolAttr(*exclusive != 0)),
                      named(nc, "reverse", b.getBoolAttr(*reverse != 0))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertScatterND(NodeContext &nc) {
  if (failed(nc.expectInputs(3, 3)))
    return failure();
  auto red = nc.stringAttr("reduction", std::string("none"));
  if (failed(red))
    return failure();
  auto r = nc.build1<nn::ScatterNDOp>(
      {nc.input(0), nc.input(1), nc.input(2)},
      {named(nc, "reduction", nc.builder().getStringAttr(*red))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertSimplifiedLayerNorm(NodeContext &nc);

const llvm::StringMap<ConvertFn> &gptq::onnximport::defaultDomainConverters() {
  static const llvm::StringMap<ConvertFn> table = [] {
    llvm::StringMap<ConvertFn> t;
    t["Identity"] = convertIdentity;
    t["Dropout"] = convertDropout;
    // onnxruntime registers SimplifiedLayerNormalization in the ONNX domain
    // (its transformer optimizer writes it there); com.microsoft too below.
    t["SimplifiedLayerNormalization"] = convertSimplifiedLayerNorm;
    t["Constant"] = convertConstant;
    t["Add"] = binary<nn::AddOp>();
    t["Sub"] = binary<nn::SubOp>();
    t["Mul"] = binary<nn::MulOp>();
    t["Div"] = binary<nn::DivOp>();
    t["Pow"] = binary<nn::PowOp>();
    t["Min"] = variadic<nn::MinOp>();
    t["Max"] = variadic<nn::MaxOp>();
    t["And"] = binary<nn::AndOp>();
    t["Or"] = binary<nn::OrOp>();
    t["Xor"] = binary<nn::XorOp>();
    t["Equal"] = binary<nn::EqualOp>();
    t["Less"] = binary<nn::LessOp>();
    t["LessOrEqual"] = binary<nn::LessEqualOp>();
    t["Greater"] = binary<nn::GreaterOp>();
    t["GreaterOrEqual"] = binary<nn::GreaterEqualOp>();
    t["Where"] = direct<nn::WhereOp, 3>();
    t["Neg"] = unary<nn::NegOp>();
    t["Abs"] = unary<nn::AbsOp>();
    t["Sqrt"] = unary<nn::SqrtOp>();
    t["Reciprocal"] = unary<nn::ReciprocalOp>();
    t["Exp"] = unary<nn::ExpOp>();
    t["Log"] = unary<nn::LogOp>();
    t["Tanh"] = unary<nn::TanhOp>();
    t["Erf"] = unary<nn::ErfOp>();
    t["Sigmoid"] = unary<nn::SigmoidOp>();
    t["Relu"] = unary<nn::ReluOp>();
    t["Cos"] = unary<nn::CosOp>();
    t["Sin"] = unary<nn::SinOp>();
    t["Floor"] = unary<nn::FloorOp>();
    t["Ceil"] = unary<nn::CeilOp>();
    t["Not"] = unary<nn::NotOp>();
    t["Gelu"] = convertGelu;
    t["Clip"] = convertClip;
    t["Cast"] = convertCast;
    t["CastLike"] = convertCastLike;
    t["MatMul"] = binary<nn::MatMulOp>();
    t["Gemm"] = convertGemm;
    t["Reshape"] = convertReshape;
    t["Transpose"] = convertTranspose;
    t["Gather"] = convertGather;
    t["Concat"] = convertConcat;
    t["Slice"] = convertSlice;
    t["Split"] = convertSplit;
    t["Squeeze"] = convertSqueeze;
    t["Unsqueeze"] = convertUnsqueeze;
    t["Expand"] = convertExpand;
    t["Shape"] = convertShape;
    t["Size"] = unary<nn::SizeOp>();
    t["Range"] = direct<nn::RangeOp, 3>();
    t["ConstantOfShape"] = convertConstantOfShape;
    t["ReduceSum"] = reduce(13, buildReduce<nn::ReduceSumOp>);
    t["ReduceMean"] = reduce(18, buildReduce<nn::ReduceMeanOp>);
    t["ReduceMax"] = reduce(18, buildReduce<nn::ReduceMaxOp>);
    t["ReduceMin"] = reduce(18, buildReduce<nn::ReduceMinOp>);
    t["Softmax"] = convertSoftmax;
    t["LayerNormalization"] = convertLayerNorm;
    t["Trilu"] = convertTrilu;
    t["CumSum"] = convertCumSum;
    t["ScatterND"] = convertScatterND;
    addDefaultDomainAttentionConverters(t);
    t["ReduceProd"] = reduce(18, buildReduce<nn::ReduceProdOp>);
    t["ReduceL2"] = reduce(18, buildReduce<nn::ReduceL2Op>);
    t["ReduceLogSumExp"] = reduce(18, buildReduce<nn::ReduceLogSumExpOp>);
    addIndexOpConverters(t);
    addSoftmaxFamilyConverters(t);
    return t;
  }();
  return table;
}

//===----------------------------------------------------------------------===//
// com.microsoft converters
//===----------------------------------------------------------------------===//

static LogicalResult convertSimplifiedLayerNorm(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto axis = nc.intAttr("axis", -1);
  auto eps = nc.floatAttr("epsilon", 1e-5f);
  if (failed(axis) || failed(eps))
    return failure();
  if (nc.outputUsed(1))
    return nc.fail("the inv_std_var output is not supported");
  OpBuilder &b = nc.builder();
  auto r = nc.build1<nn::RMSNormOp>(
      {nc.input(0), nc.input(1)},
      {named(nc, "axis", b.getI64IntegerAttr(*axis)),
       named(nc, "epsilon", b.getF32FloatAttr(*eps))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

static LogicalResult convertSkipSimplifiedLayerNorm(NodeContext &nc) {
  if (failed(nc.expectInputs(3, 4)))
    return failure();
  auto eps = nc.floatAttr("epsilon", 1e-5f);
  if (failed(eps))
    return failure();
  if (nc.outputUsed(1) || nc.outputUsed(2))
    return nc.fail("the mean and inv_std_var outputs are not supported");
  auto sum = nc.build1<nn::AddOp>({nc.input(0), nc.input(1)});
  if (failed(sum))
    return failure();
  Value s = *sum;
  if (Value bias = nc.input(3)) {
    auto withBias = nc.build1<nn::AddOp>({s, bias});
    if (failed(withBias))
      return failure();
    s = *withBias;
  }
  auto r = nc.build1<nn::RMSNormOp>(
      {s, nc.input(2)},
      {named(nc, "epsilon", nc.builder().getF32FloatAttr(*eps))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  nc.setOutput(3, s);
  return success();
}

static LogicalResult convertRotaryEmbedding(NodeContext &nc) {
  if (failed(nc.expectInputs(4, 4)))
    return failure();
  auto interleaved = nc.intAttr("interleaved", 0);
  auto heads = nc.intAttr("num_heads", 0);
  auto rdim = nc.intAttr("rotary_embedding_dim", 0);
  auto scale = nc.floatAttr("scale", 1.0f);
  auto packed = nc.intAttr("is_packed_batching", 0);
  if (failed(interleaved) || failed(heads) || failed(rdim) || failed(scale) ||
      failed(packed))
    return failure();
  if (*packed)
    return nc.fail("is_packed_batching = 1 is not supported");
  OpBuilder &b = nc.builder();
  auto r = nc.build1<nn::RotaryEmbeddingOp>(
      {nc.input(0), nc.input(1), nc.input(2), nc.input(3)},
      {named(nc, "interleaved", b.getBoolAttr(*interleaved != 0)),
       named(nc, "num_heads", b.getI64IntegerAttr(*heads)),
       named(nc, "rotary_embedding_dim", b.getI64IntegerAttr(*rdim)),
       named(nc, "scale", b.getF32FloatAttr(*scale))});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

/// Raw little-endian bytes of a constant (splats expanded into `storage`).
static FailureOr<ArrayRef<char>> constantBytes(NodeContext &nc, Value v,
                                               StringRef what,
                                               std::vector<char> &storage) {
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return nc.fail(what + " must be a constant (an initializer)");
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return nc.fail(what + " has no data");
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || dense.getElementType().isInteger(1))
    return nc.fail(what + " has an unsupported constant form");
  ArrayRef<char> raw = dense.getRawData();
  size_t esize = dense.getElementType().getIntOrFloatBitWidth() / 8;
  size_t total = (size_t)dense.getNumElements() * esize;
  if (raw.size() == total)
    return raw;
  storage.resize(total);
  for (size_t i = 0; i < total; i += esize)
    std::memcpy(storage.data() + i, raw.data(), esize);
  return ArrayRef<char>(storage);
}

/// com.microsoft.MatMulNBits -> gptq.matmul_nbits: B [N, k_blocks, blob]
/// uint8 (values packed low bits first within bytes), scales [N * k_blocks],
/// optional uint8 zero points [N, ceil(k_blocks * bits / 8)] (default
/// 2^(bits-1)), optional g_idx [K], optional bias [N]; repacked into the GPTQ
/// convention of runtime/quant/Packing.h.
static LogicalResult convertMatMulNBits(NodeContext &nc) {
  if (failed(nc.expectInputs(3, 6)))
    return failure();
  auto kAttr = nc.intAttr("K", std::nullopt);
  auto nAttr = nc.intAttr("N", std::nullopt);
  auto bitsAttr = nc.intAttr("bits", 4);
  auto bsAttr = nc.intAttr("block_size", std::nullopt);
  if (failed(kAttr) || failed(nAttr) || failed(bitsAttr) || failed(bsAttr))
    return failure();
  int64_t K = *kAttr, N = *nAttr, bits = *bitsAttr, bs = *bsAttr;
  if (bits != 2 && bits != 4 && bits != 8)
    return nc.fail("bits = " + Twine(bits) +
                   " is not supported (2, 4 or 8 for MatMulNBits)");
  if (K <= 0 || N <= 0 || bs < 16 || (bs & (bs - 1)))
    return nc.fail("K and N must be positive and block_size a power of two "
                   ">= 16 (K=" + Twine(K) + ", N=" + Twine(N) +
                   ", block_size=" + Twine(bs) + ")");
  int64_t kBlocks = (K + bs - 1) / bs;
  int64_t blob = bs * bits / 8;
  Value a = nc.input(0);
  auto aType = tensorType(a);
  if (aType.getRank() < 1 || (!aType.isDynamicDim(aType.getRank() - 1) &&
                              aType.getShape().back() != K))
    return nc.fail("input A must end in K = " + Twine(K) + ", got " +
                   typeStr(aType));

  std::vector<char> s1, s2, s3, s4, s5;
  auto bBytes = constantBytes(nc, nc.input(1), "B", s1);
  auto sBytes = constantBytes(nc, nc.input(2), "scales", s2);
  if (failed(bBytes) || failed(sBytes))
    return failure();
  auto bType = tensorType(nc.input(1));
  if (!bType.getElementType().isUnsignedInteger(8) &&
      !bType.getElementType().isInteger(8))
    return nc.fail("B must be uint8");
  if ((int64_t)bBytes->size() != N * kBlocks * blob)
    return nc.fail("B has " + Twine(bBytes->size()) + " bytes, expected N * " +
                   "k_blocks * blob_size = " + Twine(N * kBlocks * blob));
  auto scaleType = tensorType(nc.input(2));
  Type scaleElem = scaleType.getElementType();
  if (!isa<FloatType>(scaleElem) || scaleType.getNumElements() != N * kBlocks)
    return nc.fail("scales must be float with N * k_blocks = " +
                   Twine(N * kBlocks) + " elements");
  size_t sEsize = scaleElem.getIntOrFloatBitWidth() / 8;

  // Zero points.
  std::vector<int32_t> zeros(N * kBlocks, 1 << (bits - 1));
  if (Value zp = nc.input(3)) {
    auto zType = tensorType(zp);
    if (!zType.getElementType().isUnsignedInteger(8) &&
        !zType.getElementType().isInteger(8))
      return nc.fail("zero_points of float type are not supported (only "
                     "uint8, which the GPTQ convention can express)");
    auto zBytes = constantBytes(nc, zp, "zero_points", s3);
    if (failed(zBytes))
      return failure();
    int64_t rowBytes = (kBlocks * bits + 7) / 8;
    if ((int64_t)zBytes->size() != N * rowBytes)
      return nc.fail("zero_points has " + Twine(zBytes->size()) +
                     " bytes, expected " + Twine(N * rowBytes));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t blk = 0; blk < kBlocks; ++blk) {
        int64_t bit = blk * bits;
        uint8_t byte = (uint8_t)(*zBytes)[n * rowBytes + bit / 8];
        zeros[n * kBlocks + blk] = (byte >> (bit % 8)) & ((1 << bits) - 1);
      }
  }
  bool sym = llvm::all_of(zeros, [&](int32_t z) { return z == (1 << (bits - 1)); });

  // Unpack B into q[K][N].
  std::vector<int32_t> q(K * N);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t blk = k / bs, j = k % bs;
      int64_t bit = j * bits;
      uint8_t byte = (uint8_t)(*bBytes)[(n * kBlocks + blk) * blob + bit / 8];
      q[k * N + n] = (byte >> (bit % 8)) & ((1 << bits) - 1);
    }

  // g_idx: kept only when it is not the trivial k / block_size.
  std::vector<int32_t> gIdx;
  bool descAct = false;
  if (Value g = nc.input(4)) {
    auto gBytes = constantBytes(nc, g, "g_idx", s4);
    if (failed(gBytes))
      return failure();
    if (!tensorType(g).getElementType().isInteger(32) ||
        (int64_t)gBytes->size() != K * 4)
      return nc.fail("g_idx must be int32 [K]");
    gIdx.resize(K);
    std::memcpy(gIdx.data(), gBytes->data(), K * 4);
    for (int64_t k = 0; k < K; ++k) {
      if (gIdx[k] < 0 || gIdx[k] >= kBlocks)
        return nc.fail("g_idx[" + Twine(k) + "] = " + Twine(gIdx[k]) +
                       " is out of range [0, " + Twine(kBlocks) + ")");
      descAct |= gIdx[k] != k / bs;
    }
  }

  namespace pk = gptq::rt::quant;
  OpBuilder &b = nc.builder();
  Type i32 = b.getI32Type();
  std::string base = nc.node.name().empty() ? "matmul_nbits" : nc.node.name();
  auto mk = [&](RankedTensorType t, const void *data, size_t n,
                StringRef suffix) {
    return nn::ConstantOp::create(
        b, nc.loc,
        nc.imp.makeElements(t, ArrayRef<char>((const char *)data, n),
                            (base + suffix).str()));
  };
  std::vector<int32_t> qweight(pk::packedRows(K, bits) * N);
  pk::packWeights(q.data(), K, N, bits, qweight.data());
  std::vector<int32_t> qzeros(kBlocks * pk::packedZeroCols(N, bits));
  std::vector<int32_t> zrow(N);
  for (int64_t blk = 0; blk < kBlocks; ++blk) {
    for (int64_t n = 0; n < N; ++n)
      zrow[n] = zeros[n * kBlocks + blk];
    pk::packRow(zrow.data(), N, bits,
                qzeros.data() + blk * pk::packedZeroCols(N, bits));
  }
  std::vector<char> scales(kBlocks * N * sEsize);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t blk = 0; blk < kBlocks; ++blk)
      std::memcpy(scales.data() + (blk * N + n) * sEsize,
                  sBytes->data() + (n * kBlocks + blk) * sEsize, sEsize);

  Value qw = mk(RankedTensorType::get({pk::packedRows(K, bits), N}, i32),
                qweight.data(), qweight.size() * 4, ".qweight");
  Value sc = mk(RankedTensorType::get({kBlocks, N}, scaleElem), scales.data(),
                scales.size(), ".scales");
  Value qz = mk(RankedTensorType::get({kBlocks, pk::packedZeroCols(N, bits)}, i32),
                qzeros.data(), qzeros.size() * 4, ".qzeros");
  Value gv;
  if (descAct)
    gv = mk(RankedTensorType::get({K}, i32), gIdx.data(), K * 4, ".g_idx");
  Value bias = nc.input(5);
  if (bias) {
    auto bt = tensorType(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != N ||
        bt.getElementType() != aType.getElementType())
      return nc.fail("bias must be [N] of the input's element type");
  }
  auto quantAttr = quant::QuantAttr::get(nc.imp.ctx, bits, bs, sym, descAct);
  SmallVector<Type> types;
  SmallVector<Value> operands{a, qw, sc, qz};
  if (gv)
    operands.push_back(gv);
  if (bias)
    operands.push_back(bias);
  SmallVector<int64_t> outShape(aType.getShape().drop_back());
  outShape.push_back(N);
  auto resultType = RankedTensorType::get(outShape, aType.getElementType());
  if (!isa<FloatType>(aType.getElementType()) ||
      aType.getElementType().isF64())
    return nc.fail("input A must be f16, bf16 or f32");
  auto op = quant::MatMulNBitsOp::create(b, nc.loc, resultType, a, qw, sc, qz,
                                         gv, bias, quantAttr, K);
  if (failed(verify(op))) {
    op->erase();
    return nc.fail("the quantized operands do not form a valid gptq.matmul_nbits");
  }
  nc.setOutput(0, op.getResult());
  return success();
}

const llvm::StringMap<ConvertFn> &
gptq::onnximport::microsoftDomainConverters() {
  static const llvm::StringMap<ConvertFn> table = [] {
    llvm::StringMap<ConvertFn> t;
    t["SimplifiedLayerNormalization"] = convertSimplifiedLayerNorm;
    t["SkipSimplifiedLayerNormalization"] = convertSkipSimplifiedLayerNorm;
    t["RotaryEmbedding"] = convertRotaryEmbedding;
    t["MatMulNBits"] = convertMatMulNBits;
    addMicrosoftAttentionConverters(t);
    addEmbedLayerNormConverters(t);
    return t;
  }();
  return table;
}
