//===- NNOps.cpp - nn dialect: registration, type inference -----*- C++ -*-===//
//
// Result type inference doubles as the verifier for everything that ODS
// constraints cannot express (shapes that must agree, axes in range, ...):
// InferTypeOpInterface runs it on every op and reports its diagnostics.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace gptq::nn;

#include "dialects/NN/IR/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/NN/IR/NNOps.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {
/// Collects a diagnostic that is only emitted when a location is given (type
/// inference runs without one when called speculatively by builders).
struct Err {
  std::optional<Location> loc;
  StringRef opName;
  template <typename... Args> LogicalResult operator()(Args &&...args) const {
    return emitOptionalError(loc, "'", opName, "' op ",
                             std::forward<Args>(args)...);
  }
};
} // namespace

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return s;
}

static bool isNumeric(Type t) {
  if (isa<FloatType>(t))
    return true;
  if (auto i = dyn_cast<IntegerType>(t))
    return i.getWidth() > 1;
  return false;
}

bool gptq::nn::areCompatibleReturnTypes(TypeRange lhs, TypeRange rhs) {
  if (lhs.size() != rhs.size())
    return false;
  for (auto [l, r] : llvm::zip(lhs, rhs)) {
    auto lt = dyn_cast<RankedTensorType>(l);
    auto rt = dyn_cast<RankedTensorType>(r);
    if (!lt || !rt) {
      if (l != r)
        return false;
      continue;
    }
    if (lt.getElementType() != rt.getElementType() ||
        failed(verifyCompatibleShape(lt.getShape(), rt.getShape())))
      return false;
  }
  return true;
}

std::optional<int64_t> gptq::nn::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<SmallVector<int64_t>>
gptq::nn::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == y)
      out[i] = x;
    else if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else if (ShapedType::isDynamic(x))
      out[i] = y;
    else if (ShapedType::isDynamic(y))
      out[i] = x;
    else
      return std::nullopt;
  }
  return out;
}

DenseElementsAttr gptq::nn::getDenseConstant(Value v) {
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return {};
  return dyn_cast<DenseElementsAttr>(attr);
}

std::optional<SmallVector<int64_t>> gptq::nn::getConstantIntValues(Value v) {
  DenseElementsAttr attr = getDenseConstant(v);
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> values;
  bool isUnsigned = attr.getElementType().isUnsignedInteger();
  for (const APInt &x : attr.getValues<APInt>())
    values.push_back(isUnsigned ? (int64_t)x.getZExtValue() : x.getSExtValue());
  return values;
}

std::optional<SmallVector<int64_t>> gptq::nn::getPartialIntValues(Value v) {
  auto type = dyn_cast_or_null<RankedTensorType>(v ? v.getType() : Type());
  if (!type || type.getRank() > 1 || !type.hasStaticShape() ||
      !isa<IntegerType>(type.getElementType()))
    return std::nullopt;
  if (auto values = getConstantIntValues(v))
    return values;
  int64_t n = type.getNumElements();
  SmallVector<int64_t> unknown(n, ShapedType::kDynamic);
  Operation *def = v.getDefiningOp();
  if (!def)
    return unknown;
  if (auto concat = dyn_cast<ConcatOp>(def)) {
    SmallVector<int64_t> out;
    for (Value in : concat.getInputs()) {
      auto part = getPartialIntValues(in);
      if (!part)
        return unknown;
      out.append(part->begin(), part->end());
    }
    return out.size() == (size_t)n ? out : unknown;
  }
  if (auto unsq = dyn_cast<UnsqueezeOp>(def)) {
    auto part = getPartialIntValues(unsq.getInput());
    return part && part->size() == (size_t)n ? *part : unknown;
  }
  if (auto shape = dyn_cast<ShapeOp>(def)) {
    auto in = cast<RankedTensorType>(shape.getInput().getType());
    int64_t rank = in.getRank();
    int64_t start = shape.getStart(), end = shape.getEnd().value_or(rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    SmallVector<int64_t> out(in.getShape().begin() + start,
                             in.getShape().begin() + std::max(start, end));
    return out.size() == (size_t)n ? out : unknown;
  }
  if (auto gather = dyn_cast<GatherOp>(def)) {
    auto data = getPartialIntValues(gather.getData());
    auto idx = getConstantIntValues(gather.getIndices());
    if (!data || !idx || idx->size() != (size_t)n)
      return unknown;
    SmallVector<int64_t> out;
    for (int64_t i : *idx) {
      int64_t size = (int64_t)data->size();
      if (i < -size || i >= size)
        return unknown;
      out.push_back((*data)[i < 0 ? i + size : i]);
    }
    return out;
  }
  return unknown;
}

/// Result ranks taken from the length of a shape operand (reshape, expand,
/// constant_of_shape) are capped: a hostile model could otherwise ask for a
/// type of rank 2^48 before any data is read.
static constexpr int64_t kMaxShapeRank = 256;

static RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type elem) {
  return RankedTensorType::get(shape, elem);
}

// Adaptors built during parsing do not have default-valued attributes filled
// in yet; inference reads them through these.
static int64_t intOr(IntegerAttr a, int64_t d) { return a ? a.getInt() : d; }
static bool boolOr(BoolAttr a, bool d) { return a ? a.getValue() : d; }
static StringRef strOr(StringAttr a, StringRef d) { return a ? a.getValue() : d; }

/// The length of the 1-D shape operand of reshape / expand /
/// constant_of_shape, i.e. the result rank: it must be static (`dynamicMsg`
/// otherwise) and at most kMaxShapeRank.
static FailureOr<int64_t> shapeOperandLength(const Err &err, Value shape,
                                             StringRef dynamicMsg) {
  auto st = cast<RankedTensorType>(shape.getType());
  if (st.isDynamicDim(0)) {
    (void)err(dynamicMsg);
    return failure();
  }
  if (st.getDimSize(0) > kMaxShapeRank) {
    (void)err("shape operand has ", st.getDimSize(0),
              " elements, more than the supported rank ", kMaxShapeRank);
    return failure();
  }
  return st.getDimSize(0);
}

/// The more static of two sizes that must agree (either may be dynamic);
/// false if both are static and differ.
static bool mergeDim(int64_t a, int64_t b, int64_t &out) {
  if (ShapedType::isDynamic(a)) {
    out = b;
    return true;
  }
  out = a;
  return ShapedType::isDynamic(b) || a == b;
}

/// The reduction attribute of scatter_nd / scatter_elements.
static LogicalResult checkScatterReduction(const Err &err, StringRef red) {
  if (red != "none" && red != "add" && red != "mul" && red != "max" &&
      red != "min")
    return err("reduction must be one of none, add, mul, max, min; got \"", red,
               "\"");
  return success();
}

//===----------------------------------------------------------------------===//
// Shared inference entry points (used from ODS classes)
//===----------------------------------------------------------------------===//

LogicalResult gptq::nn::inferUnaryType(StringRef opName,
                                       std::optional<Location> loc, Type input,
                                       SmallVectorImpl<Type> &inferred) {
  Err err{loc, opName};
  auto type = cast<RankedTensorType>(input);
  Type elem = type.getElementType();
  StringRef name = opName.drop_front(3); // drop "nn."
  if (name == "not") {
    if (!elem.isInteger(1))
      return err("expects an i1 tensor, got ", elem);
  } else if (name == "neg" || name == "abs" || name == "relu" ||
             name == "sign") {
    if (!isNumeric(elem))
      return err("expects a numeric tensor, got ", elem);
  } else if (name == "bitwise_not") {
    if (!isa<IntegerType>(elem) || elem.isInteger(1))
      return err("expects an integer tensor, got ", elem);
  } else if (!isa<FloatType>(elem)) {
    return err("expects a floating-point tensor, got ", elem);
  }
  inferred.push_back(input);
  return success();
}

LogicalResult gptq::nn::inferBroadcastType(StringRef opName,
                                           std::optional<Location> loc,
                                           BroadcastKind kind, Type lhs,
                                           Type rhs,
                                           SmallVectorImpl<Type> &inferred) {
  Err err{loc, opName};
  auto lt = cast<RankedTensorType>(lhs);
  auto rt = cast<RankedTensorType>(rhs);
  Type le = lt.getElementType(), re = rt.getElementType();
  Type resultElem = le;
  switch (kind) {
  case BroadcastKind::Arith:
  case BroadcastKind::Compare:
    if (le != re)
      return err("operand element types differ: ", le, " vs ", re);
    if (kind == BroadcastKind::Arith && !isNumeric(le))
      return err("expects numeric operands, got ", le);
    if (kind == BroadcastKind::Compare)
      resultElem = IntegerType::get(lt.getContext(), 1);
    break;
  case BroadcastKind::Pow:
    if (!isNumeric(le) || !isNumeric(re))
      return err("expects numeric operands, got ", le, " and ", re);
    break;
  case BroadcastKind::Logical:
    if (!le.isInteger(1) || !re.isInteger(1))
      return err("expects i1 operands, got ", le, " and ", re);
    break;
  case BroadcastKind::Bitwise:
    if (le != re)
      return err("operand element types differ: ", le, " vs ", re);
    if (!isa<IntegerType>(le) || le.isInteger(1))
      return err("expects integer operands, got ", le);
    break;
  }
  auto shape = broadcastShapes(lt.getShape(), rt.getShape());
  if (!shape)
    return err("operands are not broadcastable: ", shapeStr(lt.getShape()),
               " vs ", shapeStr(rt.getShape()));
  inferred.push_back(tensorOf(*shape, resultElem));
  return success();
}

/// Normalizes a list of axes against `rank`, rejecting out-of-range and
/// repeated axes.
static FailureOr<SmallVector<int64_t>> normalizeAxes(const Err &err,
                                                     ArrayRef<int64_t> axes,
                                                     int64_t rank) {
  SmallVector<int64_t> out;
  llvm::SmallSet<int64_t, 8> seen;
  for (int64_t a : axes) {
    auto n = normalizeAxis(a, rank);
    if (!n) {
      (void)err("axis ", a, " is out of range for rank ", rank);
      return failure();
    }
    if (!seen.insert(*n).second) {
      (void)err("axis ", a, " is repeated");
      return failure();
    }
    out.push_back(*n);
  }
  return out;
}

LogicalResult gptq::nn::inferReduceType(StringRef opName,
                                        std::optional<Location> loc, Type input,
                                        ArrayRef<int64_t> axes, bool keepdims,
                                        SmallVectorImpl<Type> &inferred) {
  Err err{loc, opName};
  auto type = cast<RankedTensorType>(input);
  if (!isNumeric(type.getElementType()))
    return err("expects a numeric tensor, got ", type.getElementType());
  if ((opName == "nn.reduce_l2" || opName == "nn.reduce_log_sum_exp") &&
      !isa<FloatType>(type.getElementType()))
    return err("expects a floating-point tensor, got ", type.getElementType());
  auto norm = normalizeAxes(err, axes, type.getRank());
  if (failed(norm))
    return failure();
  llvm::SmallSet<int64_t, 8> reduced(norm->begin(), norm->end());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    bool isReduced = axes.empty() || reduced.contains(i);
    if (!isReduced)
      shape.push_back(type.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(tensorOf(shape, type.getElementType()));
  return success();
}

#define NN_INFER(OP)                                                           \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *context, std::optional<Location> location, Adaptor adaptor, \
      SmallVectorImpl<Type> &inferred)

/// Result type equals the type of the first operand.
#define NN_INFER_SAME_AS_INPUT(OP)                                             \
  NN_INFER(OP) {                                                               \
    inferred.push_back(adaptor.getInput().getType());                          \
    return success();                                                          \
  }

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

NN_INFER(ConstantOp) {
  if (!adaptor.getValueAttr())
    return emitOptionalError(location, "'nn.constant' op requires attribute 'value'");
  inferred.push_back(adaptor.getValue().getType());
  return success();
}

NN_INFER(ConstantOfShapeOp) {
  Err err{location, getOperationName()};
  auto rank = shapeOperandLength(err, adaptor.getShape(),
                                 "shape operand must have a static length");
  if (failed(rank))
    return failure();
  auto value = dyn_cast<TypedAttr>(adaptor.getValue());
  if (!value || !(isa<FloatAttr>(value) || isa<IntegerAttr>(value)))
    return err("value must be a scalar integer or float attribute");
  SmallVector<int64_t> shape(*rank, ShapedType::kDynamic);
  if (auto values = getConstantIntValues(adaptor.getShape())) {
    for (auto [i, v] : llvm::enumerate(*values)) {
      if (v < 0)
        return err("shape has negative size ", v, " at index ", i);
      shape[i] = v;
    }
  }
  inferred.push_back(tensorOf(shape, value.getType()));
  return success();
}

/// Number of elements of Range(start, limit, delta).
static int64_t rangeLength(double start, double limit, double delta) {
  return std::max<int64_t>((int64_t)std::ceil((limit - start) / delta), 0);
}

NN_INFER(RangeOp) {
  Err err{location, getOperationName()};
  Type elem;
  for (Value v : {adaptor.getStart(), adaptor.getLimit(), adaptor.getDelta()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 0 && !(t.getRank() == 1 && t.getDimSize(0) == 1))
      return err("start, limit and delta must be scalars, got ", t);
    if (elem && elem != t.getElementType())
      return err("start, limit and delta must have one element type");
    elem = t.getElementType();
  }
  if (!isNumeric(elem))
    return err("expects numeric operands, got ", elem);
  int64_t length = ShapedType::kDynamic;
  DenseElementsAttr s = getDenseConstant(adaptor.getStart());
  DenseElementsAttr l = getDenseConstant(adaptor.getLimit());
  DenseElementsAttr d = getDenseConstant(adaptor.getDelta());
  if (s && l && d) {
    auto scalar = [](DenseElementsAttr a) -> double {
      if (isa<FloatType>(a.getElementType()))
        return (*a.getValues<APFloat>().begin()).convertToDouble();
      return (double)(*a.getValues<APInt>().begin()).getSExtValue();
    };
    if (scalar(d) == 0)
      return err("delta must not be zero");
    length = rangeLength(scalar(s), scalar(l), scalar(d));
  }
  inferred.push_back(tensorOf({length}, elem));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

NN_INFER(GeluOp) {
  Err err{location, getOperationName()};
  StringRef approximate = strOr(adaptor.getApproximateAttr(), "none");
  if (approximate != "none" && approximate != "tanh")
    return err("approximate must be \"none\" or \"tanh\", got \"",
               approximate, "\"");
  return inferUnaryType(getOperationName(), location,
                        adaptor.getInput().getType(), inferred);
}

NN_INFER(ClipOp) {
  Err err{location, getOperationName()};
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  if (!isNumeric(type.getElementType()))
    return err("expects a numeric tensor, got ", type.getElementType());
  auto min = adaptor.getMin(), max = adaptor.getMax();
  if (min && max && min->convertToDouble() > max->convertToDouble())
    return err("min ", min->convertToDouble(), " is greater than max ",
               max->convertToDouble());
  inferred.push_back(type);
  return success();
}

NN_INFER(CastOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getToAttr())
    return err("requires attribute 'to'");
  auto type = cast<RankedTensorType>(adaptor.getInput().getType());
  Type to = adaptor.getTo();
  if (!isa<FloatType>(to) && !isa<IntegerType>(to))
    return err("can only cast to integer or float types, got ", to);
  inferred.push_back(tensorOf(type.getShape(), to));
  return success();
}

NN_INFER(WhereOp) {
  Err err{location, getOperationName()};
  auto c = cast<RankedTensorType>(adaptor.getCondition().getType());
  auto l = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto r = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (!c.getElementType().isInteger(1))
    return err("condition must be an i1 tensor, got ", c.getElementType());
  if (l.getElementType() != r.getElementType())
    return err("value element types differ: ", l.getElementType(), " vs ",
               r.getElementType());
  auto lr = broadcastShapes(l.getShape(), r.getShape());
  std::optional<SmallVector<int64_t>> all;
  if (lr)
    all = broadcastShapes(c.getShape(), *lr);
  if (!all)
    return err("operands are not broadcastable: ", shapeStr(c.getShape()), ", ",
               shapeStr(l.getShape()), ", ", shapeStr(r.getShape()));
  inferred.push_back(tensorOf(*all, l.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

NN_INFER(MatMulOp) {
  Err err{location, getOperationName()};
  auto a = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto b = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (a.getElementType() != b.getElementType())
    return err("operand element types differ: ", a.getElementType(), " vs ",
               b.getElementType());
  if (!isNumeric(a.getElementType()))
    return err("expects numeric operands, got ", a.getElementType());
  if (a.getRank() < 1 || b.getRank() < 1)
    return err("operands must have rank >= 1");
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return err("contracting dimensions differ: lhs has K = ", ka,
               ", rhs has K = ", kb);
  auto batch = broadcastShapes(ArrayRef(as).drop_back(2),
                               ArrayRef(bs).drop_back(2));
  if (!batch)
    return err("batch dimensions are not broadcastable: ",
               shapeStr(ArrayRef(as).drop_back(2)), " vs ",
               shapeStr(ArrayRef(bs).drop_back(2)));
  SmallVector<int64_t> shape = *batch;
  if (a.getRank() > 1)
    shape.push_back(as[as.size() - 2]);
  if (b.getRank() > 1)
    shape.push_back(bs.back());
  inferred.push_back(tensorOf(shape, a.getElementType()));
  return success();
}

NN_INFER(GemmOp) {
  Err err{location, getOperationName()};
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return err("a and b must be 2-D, got ", a, " and ", b);
  if (a.getElementType() != b.getElementType() ||
      !isNumeric(a.getElementType()))
    return err("a and b must have one numeric element type");
  int64_t m = a.getDimSize(boolOr(adaptor.getTransAAttr(), false) ? 1 : 0);
  int64_t ka = a.getDimSize(boolOr(adaptor.getTransAAttr(), false) ? 0 : 1);
  int64_t kb = b.getDimSize(boolOr(adaptor.getTransBAttr(), false) ? 1 : 0);
  int64_t n = b.getDimSize(boolOr(adaptor.getTransBAttr(), false) ? 0 : 1);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return err("contracting dimensions differ: a has K = ", ka,
               ", b has K = ", kb);
  if (Value c = adaptor.getC()) {
    auto ct = cast<RankedTensorType>(c.getType());
    if (ct.getElementType() != a.getElementType())
      return err("c has element type ", ct.getElementType(), ", expected ",
                 a.getElementType());
    if (ct.getRank() > 2)
      return err("c must have rank <= 2, got ", ct.getRank());
    auto bc = broadcastShapes(ct.getShape(), {m, n});
    if (!bc || failed(verifyCompatibleShape(*bc, ArrayRef<int64_t>{m, n})))
      return err("c of shape ", shapeStr(ct.getShape()),
                 " does not broadcast to ", shapeStr({m, n}));
  }
  inferred.push_back(tensorOf({m, n}, a.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

static int64_t staticProduct(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (ShapedType::isDynamic(d))
      return ShapedType::kDynamic;
    n *= d;
  }
  return n;
}

NN_INFER(ReshapeOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto length = shapeOperandLength(
      err, adaptor.getShape(),
      "shape operand must have a static length to know the rank");
  if (failed(length))
    return failure();
  int64_t rank = *length;
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  // Elements of the shape operand that are known (all of them when it is a
  // constant; some when it is assembled from nn.shape pieces and constants).
  auto values = getPartialIntValues(adaptor.getShape());
  if (values && (int64_t)values->size() == rank) {
    int inferIdx = -1;
    bool allKnown = true;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t v = (*values)[i];
      if (ShapedType::isDynamic(v)) {
        allKnown = false;
      } else if (v == -1) {
        if (inferIdx >= 0)
          return err("shape has more than one -1");
        inferIdx = i;
      } else if (v == 0 && !boolOr(adaptor.getAllowzeroAttr(), false)) {
        if (i >= in.getRank())
          return err("shape copies dimension ", i, " (0) but the input has rank ",
                     in.getRank());
        shape[i] = in.getDimSize(i);
      } else if (v < 0) {
        return err("shape has invalid size ", v, " at index ", i);
      } else {
        shape[i] = v;
      }
    }
    int64_t total = staticProduct(in.getShape());
    if (!allKnown) {
      // Partially known: the -1 stays unknown, sizes are not checked.
      if (inferIdx >= 0)
        shape[inferIdx] = ShapedType::kDynamic;
    } else if (inferIdx >= 0) {
      SmallVector<int64_t> others(shape);
      others.erase(others.begin() + inferIdx);
      int64_t known = staticProduct(others);
      if (!ShapedType::isDynamic(total) && !ShapedType::isDynamic(known)) {
        if (known == 0 || total % known != 0)
          return err("cannot reshape ", total, " elements into ",
                     shapeStr(*values));
        shape[inferIdx] = total / known;
      }
    } else {
      int64_t out = staticProduct(shape);
      if (!ShapedType::isDynamic(total) && !ShapedType::isDynamic(out) &&
          total != out)
        return err("cannot reshape ", total, " elements into ",
                   shapeStr(*values));
    }
  }
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

NN_INFER(TransposeOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getPermAttr())
    return err("requires attribute 'perm'");
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if ((int64_t)perm.size() != in.getRank())
    return err("perm has ", perm.size(), " entries for an input of rank ",
               in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return err("perm ", shapeStr(perm), " is not a permutation of 0..",
                 in.getRank() - 1);
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

NN_INFER(GatherOp) {
  Err err{location, getOperationName()};
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!idx.getElementType().isInteger(32) && !idx.getElementType().isInteger(64))
    return err("indices must be i32 or i64, got ", idx.getElementType());
  if (data.getRank() < 1)
    return err("data must have rank >= 1");
  auto axis = normalizeAxis(intOr(adaptor.getAxisAttr(), 0), data.getRank());
  if (!axis)
    return err("axis ", intOr(adaptor.getAxisAttr(), 0), " is out of range for rank ",
               data.getRank());
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  inferred.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

NN_INFER(ConcatOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getAxisAttr())
    return err("requires attribute 'axis'");
  if (adaptor.getInputs().empty())
    return err("needs at least one input");
  auto first = cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  int64_t rank = first.getRank();
  auto axis = normalizeAxis(adaptor.getAxisAttr().getInt(), rank);
  if (!axis)
    return err("axis ", adaptor.getAxisAttr().getInt(), " is out of range for rank ", rank);
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (auto [i, v] : llvm::enumerate(adaptor.getInputs())) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != first.getElementType())
      return err("input ", i, " has element type ", t.getElementType(),
                 ", expected ", first.getElementType());
    if (t.getRank() != rank)
      return err("input ", i, " has rank ", t.getRank(), ", expected ", rank);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t s = t.getDimSize(d);
      if (d == *axis) {
        shape[d] = (ShapedType::isDynamic(s) || ShapedType::isDynamic(shape[d]))
                       ? ShapedType::kDynamic
                       : shape[d] + s;
      } else if (ShapedType::isDynamic(shape[d])) {
        shape[d] = s;
      } else if (!ShapedType::isDynamic(s) && s != shape[d]) {
        return err("input ", i, " has size ", s, " in dimension ", d,
                   ", expected ", shape[d]);
      }
    }
  }
  inferred.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

/// Size of one ONNX Slice along a dimension of static size `dim`.
static int64_t sliceSize(int64_t dim, int64_t start, int64_t end,
                         int64_t step) {
  auto clampIdx = [](int64_t v, int64_t lo, int64_t hi) {
    return std::min(std::max(v, lo), hi);
  };
  if (start < 0)
    start = start < -dim ? -1 : start + dim; // may stay negative: clamped below
  if (end < 0)
    end = end < -dim ? -1 : end + dim;
  if (step > 0) {
    start = clampIdx(start, 0, dim);
    end = clampIdx(end, 0, dim);
    return std::max<int64_t>(0, (end - start + step - 1) / step);
  }
  start = clampIdx(start, -1, dim - 1);
  end = clampIdx(end, -1, dim - 1);
  return std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
}

NN_INFER(SliceOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t n = ShapedType::kDynamic;
  for (Value v : {adaptor.getStarts(), adaptor.getEnds(), adaptor.getAxes(),
                  adaptor.getSteps()}) {
    int64_t len = cast<RankedTensorType>(v.getType()).getDimSize(0);
    if (ShapedType::isDynamic(len))
      continue;
    if (!ShapedType::isDynamic(n) && n != len)
      return err("starts, ends, axes and steps must have one length");
    n = len;
  }
  auto axes = getConstantIntValues(adaptor.getAxes());
  SmallVector<int64_t> shape(in.getShape());
  if (!axes) {
    // Unknown axes: any dimension may change.
    shape.assign(in.getRank(), ShapedType::kDynamic);
    inferred.push_back(tensorOf(shape, in.getElementType()));
    return success();
  }
  auto normAxes = normalizeAxes(err, *axes, in.getRank());
  if (failed(normAxes))
    return failure();
  auto starts = getConstantIntValues(adaptor.getStarts());
  auto ends = getConstantIntValues(adaptor.getEnds());
  auto steps = getConstantIntValues(adaptor.getSteps());
  for (auto [i, axis] : llvm::enumerate(*normAxes)) {
    if (steps && (*steps)[i] == 0)
      return err("step ", i, " is zero");
    int64_t dim = in.getDimSize(axis);
    if (!starts || !ends || !steps || ShapedType::isDynamic(dim)) {
      shape[axis] = ShapedType::kDynamic;
      continue;
    }
    shape[axis] = sliceSize(dim, (*starts)[i], (*ends)[i], (*steps)[i]);
  }
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

NN_INFER(SplitOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getSizesAttr())
    return err("requires attribute 'sizes'");
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axis = normalizeAxis(intOr(adaptor.getAxisAttr(), 0), in.getRank());
  if (!axis)
    return err("axis ", intOr(adaptor.getAxisAttr(), 0), " is out of range for rank ",
               in.getRank());
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  if (sizes.empty())
    return err("needs at least one split size");
  int64_t dim = in.getDimSize(*axis);
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return err("split sizes must be non-negative, got ", s);
    total += s;
  }
  if (!ShapedType::isDynamic(dim) && total != dim)
    return err("split sizes sum to ", total, " but dimension ", *axis,
               " has size ", dim);
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(in.getShape());
    shape[*axis] = s;
    inferred.push_back(tensorOf(shape, in.getElementType()));
  }
  return success();
}

NN_INFER(SqueezeOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getAxesAttr())
    return err("requires attribute 'axes'");
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axes = normalizeAxes(err, adaptor.getAxes(), in.getRank());
  if (failed(axes))
    return failure();
  llvm::SmallSet<int64_t, 8> drop(axes->begin(), axes->end());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i);
    if (adaptor.getAxes().empty()) {
      if (ShapedType::isDynamic(d))
        return err("squeeze without axes needs static sizes, dimension ", i,
                   " is dynamic");
      if (d != 1)
        shape.push_back(d);
      continue;
    }
    if (!drop.contains(i)) {
      shape.push_back(d);
    } else if (!ShapedType::isDynamic(d) && d != 1) {
      return err("cannot squeeze dimension ", i, " of size ", d);
    }
  }
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

NN_INFER(UnsqueezeOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getAxesAttr())
    return err("requires attribute 'axes'");
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t outRank = in.getRank() + adaptor.getAxes().size();
  auto axes = normalizeAxes(err, adaptor.getAxes(), outRank);
  if (failed(axes))
    return failure();
  llvm::SmallSet<int64_t, 8> ins(axes->begin(), axes->end());
  SmallVector<int64_t> shape;
  int64_t src = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(ins.contains(i) ? 1 : in.getDimSize(src++));
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

NN_INFER(ExpandOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto length = shapeOperandLength(
      err, adaptor.getShape(),
      "shape operand must have a static length to know the rank");
  if (failed(length))
    return failure();
  SmallVector<int64_t> target(*length, ShapedType::kDynamic);
  auto values = getPartialIntValues(adaptor.getShape());
  if (values && values->size() == target.size() &&
      llvm::any_of(*values, [](int64_t v) { return !ShapedType::isDynamic(v); })) {
    for (auto [i, v] : llvm::enumerate(*values)) {
      if (ShapedType::isDynamic(v))
        continue;
      if (v < 0)
        return err("shape has negative size ", v, " at index ", i);
      target[i] = v;
    }
  } else {
    // Unknown target sizes: where the input has a static size other than 1 the
    // result has it too; elsewhere the result is unknown.
    int64_t rank = std::max<int64_t>(in.getRank(), target.size());
    SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
    for (int64_t i = 0; i < in.getRank(); ++i) {
      int64_t d = in.getDimSize(i);
      if (!ShapedType::isDynamic(d) && d != 1)
        shape[rank - in.getRank() + i] = d;
    }
    inferred.push_back(tensorOf(shape, in.getElementType()));
    return success();
  }
  auto shape = broadcastShapes(in.getShape(), target);
  if (!shape)
    return err("input of shape ", shapeStr(in.getShape()),
               " cannot be expanded to ", shapeStr(target));
  inferred.push_back(tensorOf(*shape, in.getElementType()));
  return success();
}

/// [start, end) of ONNX Shape after clamping.
static std::pair<int64_t, int64_t> shapeRange(int64_t rank, int64_t start,
                                              std::optional<int64_t> end) {
  auto clampDim = [rank](int64_t v) {
    if (v < 0)
      v += rank;
    return std::min(std::max<int64_t>(v, 0), rank);
  };
  int64_t s = clampDim(start);
  int64_t e = end ? clampDim(*end) : rank;
  return {s, std::max(s, e)};
}

NN_INFER(ShapeOp) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  std::optional<int64_t> end;
  if (adaptor.getEnd())
    end = *adaptor.getEnd();
  auto [s, e] = shapeRange(in.getRank(), intOr(adaptor.getStartAttr(), 0), end);
  inferred.push_back(tensorOf({e - s}, IntegerType::get(context, 64)));
  return success();
}

NN_INFER(SizeOp) {
  inferred.push_back(tensorOf({}, IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations and misc
//===----------------------------------------------------------------------===//

NN_INFER(SoftmaxOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (!isa<FloatType>(in.getElementType()))
    return err("expects a floating-point tensor, got ", in.getElementType());
  if (!normalizeAxis(intOr(adaptor.getAxisAttr(), -1), in.getRank()))
    return err("axis ", intOr(adaptor.getAxisAttr(), -1), " is out of range for rank ",
               in.getRank());
  inferred.push_back(in);
  return success();
}

/// Shared checks of layer_norm / rms_norm: float input, axis in range, scale
/// (and bias) broadcastable to the normalized dims.
static LogicalResult inferNorm(const Err &err, Value input, Value scale,
                               Value bias, int64_t axisAttr,
                               SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(input.getType());
  if (!isa<FloatType>(in.getElementType()))
    return err("expects a floating-point input, got ", in.getElementType());
  auto axis = normalizeAxis(axisAttr, in.getRank());
  if (!axis)
    return err("axis ", axisAttr, " is out of range for rank ", in.getRank());
  ArrayRef<int64_t> normShape = in.getShape().drop_front(*axis);
  for (auto [name, v] : {std::pair<StringRef, Value>{"scale", scale},
                         std::pair<StringRef, Value>{"bias", bias}}) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != in.getElementType())
      return err(name, " has element type ", t.getElementType(), ", expected ",
                 in.getElementType());
    auto bc = broadcastShapes(t.getShape(), normShape);
    if (!bc || bc->size() != normShape.size() ||
        failed(verifyCompatibleShape(*bc, normShape)))
      return err(name, " of shape ", shapeStr(t.getShape()),
                 " does not broadcast to the normalized shape ",
                 shapeStr(normShape));
  }
  inferred.push_back(in);
  return success();
}

NN_INFER(LayerNormOp) {
  return inferNorm(Err{location, getOperationName()}, adaptor.getInput(),
                   adaptor.getScale(), adaptor.getBias(), intOr(adaptor.getAxisAttr(), -1),
                   inferred);
}

NN_INFER(RMSNormOp) {
  return inferNorm(Err{location, getOperationName()}, adaptor.getInput(),
                   adaptor.getScale(), Value(), intOr(adaptor.getAxisAttr(), -1), inferred);
}

NN_INFER(TriluOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 2)
    return err("expects rank >= 2, got ", in.getRank());
  inferred.push_back(in);
  return success();
}

NN_INFER(CumSumOp) {
  Err err{location, getOperationName()};
  if (!adaptor.getAxisAttr())
    return err("requires attribute 'axis'");
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (!isNumeric(in.getElementType()))
    return err("expects a numeric tensor, got ", in.getElementType());
  if (!normalizeAxis(adaptor.getAxisAttr().getInt(), in.getRank()))
    return err("axis ", adaptor.getAxisAttr().getInt(), " is out of range for rank ",
               in.getRank());
  inferred.push_back(in);
  return success();
}

NN_INFER(ScatterNDOp) {
  Err err{location, getOperationName()};
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto upd = cast<RankedTensorType>(adaptor.getUpdates().getType());
  StringRef red = strOr(adaptor.getReductionAttr(), "none");
  if (failed(checkScatterReduction(err, red)))
    return failure();
  if (!idx.getElementType().isInteger(64))
    return err("indices must be i64, got ", idx.getElementType());
  if (upd.getElementType() != data.getElementType())
    return err("updates have element type ", upd.getElementType(),
               ", expected ", data.getElementType());
  if (idx.getRank() < 1)
    return err("indices must have rank >= 1");
  int64_t q = idx.getRank(), r = data.getRank();
  int64_t k = idx.getDimSize(q - 1);
  if (!ShapedType::isDynamic(k)) {
    if (k > r)
      return err("index depth ", k, " exceeds data rank ", r);
    if (upd.getRank() != q - 1 + r - k)
      return err("updates must have rank ", q - 1 + r - k, ", got ",
                 upd.getRank());
  }
  inferred.push_back(data);
  return success();
}

NN_INFER(RotaryEmbeddingOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto cosT = cast<RankedTensorType>(adaptor.getCosCache().getType());
  auto sinT = cast<RankedTensorType>(adaptor.getSinCache().getType());
  auto pos = cast<RankedTensorType>(adaptor.getPositionIds().getType());
  if (in.getRank() != 3 && in.getRank() != 4)
    return err("input must have rank 3 or 4, got ", in.getRank());
  if (!isa<FloatType>(in.getElementType()))
    return err("input must be floating point, got ", in.getElementType());
  if (cosT != sinT)
    return err("cos_cache and sin_cache types differ: ", cosT, " vs ", sinT);
  if (cosT.getElementType() != in.getElementType())
    return err("caches have element type ", cosT.getElementType(),
               ", expected ", in.getElementType());
  if (cosT.getRank() != 2)
    return err("caches must be 2-D [max_position, rotary_dim / 2], got ", cosT);
  if (!pos.getElementType().isInteger(64))
    return err("position_ids must be i64, got ", pos.getElementType());
  if (in.getRank() == 3 && intOr(adaptor.getNumHeadsAttr(), 0) <= 0) {
    // Without num_heads the head size is 2 * the caches' columns (as in
    // onnxruntime), which a partial rotary_embedding_dim would contradict.
    if (intOr(adaptor.getRotaryEmbeddingDimAttr(), 0) != 0)
      return err("num_heads is required with rotary_embedding_dim for 3-D "
                 "input");
    int64_t hidden = in.getDimSize(2), half = cosT.getDimSize(1);
    if (!ShapedType::isDynamic(hidden) && !ShapedType::isDynamic(half) &&
        (half == 0 || hidden % (2 * half) != 0))
      return err("without num_heads the hidden size ", hidden,
                 " must be a multiple of the head size 2 * ", half,
                 " (twice the caches' columns)");
  }
  if (intOr(adaptor.getRotaryEmbeddingDimAttr(), 0) < 0 ||
      intOr(adaptor.getRotaryEmbeddingDimAttr(), 0) % 2 != 0)
    return err("rotary_embedding_dim must be even and >= 0, got ",
               intOr(adaptor.getRotaryEmbeddingDimAttr(), 0));
  inferred.push_back(in);
  return success();
}

//===----------------------------------------------------------------------===//
// Predicates, rounding, integer arithmetic and indexing
//===----------------------------------------------------------------------===//

/// i1 result of the input's shape for a floating-point input.
static LogicalResult inferFloatPredicate(const Err &err, Type input,
                                         SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(input);
  if (!isa<FloatType>(in.getElementType()))
    return err("expects a floating-point tensor, got ", in.getElementType());
  inferred.push_back(
      tensorOf(in.getShape(), IntegerType::get(in.getContext(), 1)));
  return success();
}

NN_INFER(IsNaNOp) {
  return inferFloatPredicate(Err{location, getOperationName()},
                             adaptor.getInput().getType(), inferred);
}

NN_INFER(IsInfOp) {
  return inferFloatPredicate(Err{location, getOperationName()},
                             adaptor.getInput().getType(), inferred);
}

NN_INFER(ModOp) {
  Err err{location, getOperationName()};
  if (failed(inferBroadcastType(
          getOperationName(), location, BroadcastKind::Arith,
          adaptor.getLhs().getType(), adaptor.getRhs().getType(), inferred)))
    return failure();
  Type elem =
      cast<RankedTensorType>(adaptor.getLhs().getType()).getElementType();
  if (isa<FloatType>(elem) && !boolOr(adaptor.getFmodAttr(), false))
    return err("fmod must be true for floating-point operands (", elem, ")");
  return success();
}

/// Element type check shared by the gather/scatter ops.
static LogicalResult checkIndexType(const Err &err, RankedTensorType idx,
                                    bool allowI32) {
  Type e = idx.getElementType();
  if (e.isInteger(64) || (allowI32 && e.isInteger(32)))
    return success();
  return err("indices must be ", allowI32 ? "i32 or i64" : "i64", ", got ", e);
}

NN_INFER(GatherNDOp) {
  Err err{location, getOperationName()};
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  if (failed(checkIndexType(err, idx, /*allowI32=*/false)))
    return failure();
  int64_t r = data.getRank(), q = idx.getRank();
  int64_t b = intOr(adaptor.getBatchDimsAttr(), 0);
  if (r < 1 || q < 1)
    return err("data and indices must have rank >= 1, got ", r, " and ", q);
  if (b < 0 || b >= std::min(r, q))
    return err("batch_dims ", b,
               " must be in [0, min(rank(data), rank(indices)) = ",
               std::min(r, q), ")");
  int64_t k = idx.getDimSize(q - 1);
  if (ShapedType::isDynamic(k))
    return err("the last dimension of indices must be static (it decides the "
               "result rank)");
  if (k < 1 || k > r - b)
    return err("index depth ", k,
               " (last dimension of indices) must be in [1, ", r - b,
               "] for data of rank ", r, " and batch_dims ", b);
  SmallVector<int64_t> shape(idx.getShape().drop_back());
  for (int64_t d = 0; d < b; ++d)
    if (!mergeDim(shape[d], data.getDimSize(d), shape[d]))
      return err("batch dimension ", d, " differs: data has ",
                 data.getDimSize(d), ", indices have ", idx.getDimSize(d));
  llvm::append_range(shape, data.getShape().drop_front(b + k));
  inferred.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

/// Shared checks of gather_elements / scatter_elements: same rank, axis in
/// range, indices no larger than data outside the axis.
static FailureOr<int64_t> checkElementsOp(const Err &err, RankedTensorType data,
                                          RankedTensorType idx, int64_t axis) {
  if (failed(checkIndexType(err, idx, /*allowI32=*/true)))
    return failure();
  if (data.getRank() < 1) {
    (void)err("data must have rank >= 1");
    return failure();
  }
  if (idx.getRank() != data.getRank()) {
    (void)err("indices must have the rank of data (", data.getRank(), "), got ",
              idx.getRank());
    return failure();
  }
  auto norm = normalizeAxis(axis, data.getRank());
  if (!norm) {
    (void)err("axis ", axis, " is out of range for rank ", data.getRank());
    return failure();
  }
  for (int64_t d = 0; d < data.getRank(); ++d) {
    int64_t i = idx.getDimSize(d), s = data.getDimSize(d);
    if (d != *norm && !ShapedType::isDynamic(i) && !ShapedType::isDynamic(s) &&
        i > s) {
      (void)err("indices have size ", i, " in dimension ", d,
                ", larger than data's ", s);
      return failure();
    }
  }
  return *norm;
}

NN_INFER(GatherElementsOp) {
  Err err{location, getOperationName()};
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  if (failed(checkElementsOp(err, data, idx, intOr(adaptor.getAxisAttr(), 0))))
    return failure();
  inferred.push_back(tensorOf(idx.getShape(), data.getElementType()));
  return success();
}

NN_INFER(ScatterElementsOp) {
  Err err{location, getOperationName()};
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto upd = cast<RankedTensorType>(adaptor.getUpdates().getType());
  StringRef red = strOr(adaptor.getReductionAttr(), "none");
  if (failed(checkScatterReduction(err, red)))
    return failure();
  if (failed(checkElementsOp(err, data, idx, intOr(adaptor.getAxisAttr(), 0))))
    return failure();
  if (upd.getElementType() != data.getElementType())
    return err("updates have element type ", upd.getElementType(),
               ", expected ", data.getElementType());
  if (failed(verifyCompatibleShape(upd.getShape(), idx.getShape())))
    return err("updates of shape ", shapeStr(upd.getShape()),
               " do not match indices of shape ", shapeStr(idx.getShape()));
  if (red != "none" && data.getElementType().isInteger(1))
    return err("reduction \"", red, "\" needs a numeric tensor, got i1");
  inferred.push_back(data);
  return success();
}

NN_INFER(TileOp) {
  Err err{location, getOperationName()};
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto rt = cast<RankedTensorType>(adaptor.getRepeats().getType());
  if (rt.isDynamicDim(0))
    return err("repeats must have a static length");
  if (rt.getDimSize(0) != in.getRank())
    return err("repeats has ", rt.getDimSize(0),
               " entries for an input of rank ", in.getRank());
  SmallVector<int64_t> shape(in.getRank(), ShapedType::kDynamic);
  auto reps = getPartialIntValues(adaptor.getRepeats());
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t r = reps && (int64_t)reps->size() == in.getRank()
                    ? (*reps)[d]
                    : ShapedType::kDynamic;
    if (ShapedType::isDynamic(r))
      continue;
    if (r < 0)
      return err("repeats has negative value ", r, " at index ", d);
    int64_t s = in.getDimSize(d);
    if (r == 0)
      shape[d] = 0;
    else if (!ShapedType::isDynamic(s))
      shape[d] = s * r;
  }
  inferred.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

LogicalResult gptq::nn::inferArgType(StringRef opName,
                                     std::optional<Location> loc, Type input,
                                     int64_t axis, bool keepdims,
                                     SmallVectorImpl<Type> &inferred) {
  Err err{loc, opName};
  auto in = cast<RankedTensorType>(input);
  if (!isNumeric(in.getElementType()))
    return err("expects a numeric tensor, got ", in.getElementType());
  auto norm = normalizeAxis(axis, in.getRank());
  if (!norm)
    return err("axis ", axis, " is out of range for rank ", in.getRank());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (d != *norm)
      shape.push_back(in.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(tensorOf(shape, IntegerType::get(in.getContext(), 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

NN_INFER(AttentionOp) {
  Err err{location, getOperationName()};
  auto q = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto k = cast<RankedTensorType>(adaptor.getKey().getType());
  auto v = cast<RankedTensorType>(adaptor.getValue().getType());
  using Named = std::pair<StringRef, RankedTensorType>;
  for (auto [name, t] : {Named{"query", q}, Named{"key", k}, Named{"value", v}})
    if (t.getRank() != 4)
      return err(name, " must be 4-D [batch, heads, sequence, head_size], got ",
                 t);
  Type elem = q.getElementType();
  if (!isa<FloatType>(elem))
    return err("query must be floating point, got ", elem);
  if (k.getElementType() != elem || v.getElementType() != elem)
    return err("query, key and value element types differ: ", elem, ", ",
               k.getElementType(), ", ", v.getElementType());
  int64_t batch, kvHeads, kvLen, headSize;
  if (!mergeDim(q.getDimSize(0), k.getDimSize(0), batch) ||
      !mergeDim(batch, v.getDimSize(0), batch))
    return err("batch sizes differ: query ", shapeStr(q.getShape()), ", key ",
               shapeStr(k.getShape()), ", value ", shapeStr(v.getShape()));
  if (!mergeDim(k.getDimSize(1), v.getDimSize(1), kvHeads))
    return err("key and value head counts differ: ", shapeStr(k.getShape()),
               " vs ", shapeStr(v.getShape()));
  if (!mergeDim(k.getDimSize(2), v.getDimSize(2), kvLen))
    return err("key and value sequence lengths differ: ",
               shapeStr(k.getShape()), " vs ", shapeStr(v.getShape()));
  if (!mergeDim(q.getDimSize(3), k.getDimSize(3), headSize))
    return err("query and key head sizes differ: ", shapeStr(q.getShape()),
               " vs ", shapeStr(k.getShape()));
  int64_t qHeads = q.getDimSize(1);
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || qHeads % kvHeads != 0))
    return err("query heads (", qHeads,
               ") must be a multiple of key/value heads (", kvHeads, ")");
  int64_t qLen = q.getDimSize(2);
  if (Value mask = adaptor.getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    if (!m.getElementType().isInteger(1) && m.getElementType() != elem)
      return err("mask must be i1 or ", elem, ", got ", m.getElementType());
    if (m.getRank() > 4)
      return err("mask must have rank <= 4, got ", m.getRank());
    SmallVector<int64_t> full{batch, qHeads, qLen, kvLen};
    auto bc = broadcastShapes(m.getShape(), full);
    if (!bc || failed(verifyCompatibleShape(*bc, full)))
      return err("mask of shape ", shapeStr(m.getShape()),
                 " does not broadcast to [batch, q_heads, q_len, kv_len] = ",
                 shapeStr(full));
  }
  if (auto scale = adaptor.getScaleAttr())
    if (!(scale.getValueAsDouble() > 0))
      return err("scale must be positive, got ", scale.getValueAsDouble());
  if (auto softcap = adaptor.getSoftcapAttr())
    if (!(softcap.getValueAsDouble() >= 0))
      return err("softcap must be >= 0, got ", softcap.getValueAsDouble());
  inferred.push_back(tensorOf({batch, qHeads, qLen, v.getDimSize(3)}, elem));
  return success();
}

#define GET_OP_CLASSES
#include "dialects/NN/IR/NNOps.cpp.inc"
