//===- NNFolds.cpp - nn dialect folders -------------------------*- C++ -*-===//
//
// Folders for the obvious cases: identities (reshape to the same type, x + 0,
// x * 1, cast to the same type, ...) and constant evaluation of small tensors,
// which is what the shape arithmetic of exported models consists of
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ConstantOfShape ->
// Equal -> Where -> Expand). Constant evaluation is limited to
// kMaxFoldElements elements (splats of any size) so that folding never copies
// weights into uniqued attributes; the nn-canonicalize pass evaluates larger
// constant subgraphs with the runtime's kernels.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <variant>

using namespace mlir;
using namespace gptq::nn;

namespace {
constexpr int64_t kMaxFoldElements = 1 << 14;

/// A small constant tensor held as int64 or double values.
struct Lit {
  SmallVector<int64_t> shape;
  Type elem;
  bool isFloat = false;
  bool splat = false;
  std::vector<int64_t> ints;
  std::vector<double> flts;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  double f(int64_t i) const {
    size_t j = splat ? 0 : i;
    return isFloat ? flts[j] : (double)ints[j];
  }
  int64_t i(int64_t k) const {
    size_t j = splat ? 0 : k;
    return isFloat ? (int64_t)flts[j] : ints[j];
  }
};
} // namespace

static std::optional<Lit> readLit(Attribute attr, bool allowLarge = false) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.getType().hasStaticShape())
    return std::nullopt;
  Lit lit;
  lit.shape.assign(dense.getType().getShape().begin(),
                   dense.getType().getShape().end());
  lit.elem = dense.getElementType();
  lit.isFloat = isa<FloatType>(lit.elem);
  if (!lit.isFloat && !isa<IntegerType>(lit.elem))
    return std::nullopt;
  lit.splat = dense.isSplat();
  if (!lit.splat && !allowLarge && lit.numel() > kMaxFoldElements)
    return std::nullopt;
  bool isUnsigned = lit.elem.isUnsignedInteger() || lit.elem.isInteger(1);
  auto push = [&](auto range) {
    for (auto v : range) {
      if constexpr (std::is_same_v<decltype(v), APFloat>)
        lit.flts.push_back(v.convertToDouble());
      else
        lit.ints.push_back(isUnsigned ? (int64_t)v.getZExtValue()
                                      : v.getSExtValue());
      if (lit.splat)
        break;
    }
  };
  if (lit.isFloat) {
    // convertToDouble needs an IEEE double; go through a converted copy.
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      lit.flts.push_back(v.convertToDouble());
      if (lit.splat)
        break;
    }
  } else {
    push(dense.getValues<APInt>());
  }
  return lit;
}

/// Builds an elements attribute of `type` from int64 or double values (one
/// value for a splat).
static Attribute writeLit(ShapedType type, ArrayRef<int64_t> ints,
                          ArrayRef<double> flts) {
  Type elem = type.getElementType();
  auto toAttrValue = [&](size_t k) -> std::variant<APInt, APFloat> {
    if (auto ft = dyn_cast<FloatType>(elem)) {
      APFloat v(flts.empty() ? (double)ints[k] : flts[k]);
      bool lost;
      v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      return v;
    }
    unsigned width = cast<IntegerType>(elem).getWidth();
    int64_t x = ints.empty() ? (int64_t)flts[k] : ints[k];
    if (width == 1)
      return APInt(1, x != 0);
    return APInt(width, (uint64_t)x, /*isSigned=*/!elem.isUnsignedInteger(),
                 /*implicitTrunc=*/true);
  };
  size_t n = std::max(ints.size(), flts.size());
  if (n == 1) {
    auto v = toAttrValue(0);
    if (auto *f = std::get_if<APFloat>(&v))
      return DenseElementsAttr::get(type, *f);
    return DenseElementsAttr::get(type, std::get<APInt>(v));
  }
  if (isa<FloatType>(elem)) {
    SmallVector<APFloat> vals;
    for (size_t k = 0; k < n; ++k)
      vals.push_back(std::get<APFloat>(toAttrValue(k)));
    return DenseElementsAttr::get(type, vals);
  }
  SmallVector<APInt> vals;
  for (size_t k = 0; k < n; ++k)
    vals.push_back(std::get<APInt>(toAttrValue(k)));
  return DenseElementsAttr::get(type, vals);
}

static RankedTensorType staticResult(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return {};
  return t;
}

/// Reads every attribute of `attrs` as a literal; nullopt if one is not.
static std::optional<SmallVector<Lit>> readLits(ArrayRef<Attribute> attrs) {
  SmallVector<Lit> lits;
  for (Attribute a : attrs) {
    auto lit = readLit(a);
    if (!lit)
      return std::nullopt;
    lits.push_back(std::move(*lit));
  }
  return lits;
}

/// Appends element `off` of `lit` to the matching output vector.
static void pushElem(const Lit &lit, int64_t off, std::vector<int64_t> &ints,
                     std::vector<double> &flts) {
  if (lit.isFloat)
    flts.push_back(lit.f(off));
  else
    ints.push_back(lit.i(off));
}

/// Row-major strides of a static shape.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> st(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    st[d] = st[d + 1] * shape[d + 1];
  return st;
}

/// Advances the row-major multi-index `idx` by one element of `shape` (the
/// last dimension fastest), wrapping to all zeros after the last element.
static void nextIndex(MutableArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  for (int64_t d = (int64_t)idx.size() - 1; d >= 0; --d) {
    if (++idx[d] < shape[d])
      return;
    idx[d] = 0;
  }
}

namespace {
/// A shape seen as [outer, dim, inner] around one axis.
struct AxisSplit {
  int64_t outer = 1, dim = 0, inner = 1;
};
} // namespace

static AxisSplit splitAtAxis(ArrayRef<int64_t> shape, int64_t axis) {
  AxisSplit s;
  s.dim = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    s.outer *= shape[d];
  for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
    s.inner *= shape[d];
  return s;
}

/// For each element of `outShape`, the linear index into each of `inShapes`
/// under numpy broadcasting.
static void forEachBroadcast(
    ArrayRef<int64_t> outShape, ArrayRef<SmallVector<int64_t>> inShapes,
    llvm::function_ref<void(int64_t, ArrayRef<int64_t>)> fn) {
  size_t rank = outShape.size();
  SmallVector<SmallVector<int64_t>> strides;
  for (const auto &s : inShapes) {
    SmallVector<int64_t> st(rank, 0);
    int64_t stride = 1;
    for (int64_t d = (int64_t)s.size() - 1; d >= 0; --d) {
      int64_t od = d + (int64_t)rank - (int64_t)s.size();
      st[od] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
    strides.push_back(st);
  }
  int64_t total = 1;
  for (int64_t d : outShape)
    total *= d;
  SmallVector<int64_t> idx(rank, 0), offs(inShapes.size(), 0);
  for (int64_t o = 0; o < total; ++o) {
    fn(o, offs);
    for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d]) {
        for (size_t k = 0; k < offs.size(); ++k)
          offs[k] += strides[k][d];
        break;
      }
      for (size_t k = 0; k < offs.size(); ++k)
        offs[k] -= strides[k][d] * (outShape[d] - 1);
      idx[d] = 0;
    }
  }
}

/// Evaluates an elementwise op over broadcast constant operands. `fi`/`ff`
/// compute one integer/float element; they return false to refuse (e.g.
/// integer division by zero).
static Attribute
foldElementwise(Value result, ArrayRef<Attribute> operands, bool floatCompute,
                llvm::function_ref<bool(ArrayRef<int64_t>, int64_t &)> fi,
                llvm::function_ref<bool(ArrayRef<double>, double &)> ff,
                bool resultIsInt) {
  RankedTensorType type = staticResult(result);
  if (!type)
    return {};
  auto read = readLits(operands);
  if (!read)
    return {};
  SmallVector<Lit> &lits = *read;
  bool allSplat = llvm::all_of(lits, [](const Lit &l) { return l.splat; });
  int64_t total = type.getNumElements();
  if (!allSplat && total > kMaxFoldElements)
    return {};
  SmallVector<SmallVector<int64_t>> shapes;
  for (const Lit &l : lits)
    shapes.push_back(allSplat ? SmallVector<int64_t>{} : l.shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  bool ok = true;
  SmallVector<int64_t> iargs(lits.size());
  SmallVector<double> fargs(lits.size());
  forEachBroadcast(allSplat ? ArrayRef<int64_t>{} : type.getShape(), shapes,
                   [&](int64_t, ArrayRef<int64_t> offs) {
                     if (!ok)
                       return;
                     if (floatCompute) {
                       for (size_t k = 0; k < lits.size(); ++k)
                         fargs[k] = lits[k].f(offs[k]);
                       double r;
                       ok = ff(fargs, r);
                       if (resultIsInt)
                         ints.push_back((int64_t)r);
                       else
                         flts.push_back(r);
                     } else {
                       for (size_t k = 0; k < lits.size(); ++k)
                         iargs[k] = lits[k].i(offs[k]);
                       int64_t r;
                       ok = fi(iargs, r);
                       ints.push_back(r);
                     }
                   });
  if (!ok)
    return {};
  return writeLit(type, ints, flts);
}

/// Whether `attr` is a splat equal to `value`.
static bool isSplatOf(Attribute attr, double value) {
  auto lit = readLit(attr);
  return lit && (lit->splat || lit->numel() == 1) && lit->f(0) == value;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  if (!type)
    return {};
  return DenseElementsAttr::get(type, adaptor.getValue());
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  if (!type || type.getNumElements() > kMaxFoldElements)
    return {};
  auto start = readLit(adaptor.getStart());
  auto delta = readLit(adaptor.getDelta());
  if (!start || !delta)
    return {};
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t k = 0; k < type.getNumElements(); ++k) {
    if (start->isFloat)
      flts.push_back(start->f(0) + k * delta->f(0));
    else
      ints.push_back(start->i(0) + k * delta->i(0));
  }
  return writeLit(type, ints, flts);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto lit = readLit(adaptor.getInput());
  RankedTensorType type = staticResult(getOutput());
  if (!lit || !type)
    return {};
  Type to = getTo();
  std::vector<int64_t> ints;
  std::vector<double> flts;
  int64_t n = lit->splat ? 1 : lit->numel();
  for (int64_t k = 0; k < n; ++k) {
    if (to.isInteger(1))
      ints.push_back(lit->f(k) != 0);
    else if (isa<FloatType>(to))
      flts.push_back(lit->f(k));
    else if (lit->isFloat) {
      double v = lit->f(k);
      if (!std::isfinite(v))
        return {};
      ints.push_back((int64_t)std::trunc(v));
    } else
      ints.push_back(lit->i(k));
  }
  return writeLit(type, ints, flts);
}

template <typename Op>
static OpFoldResult foldArith(Op op, ArrayRef<Attribute> operands,
                              int64_t (*iop)(int64_t, int64_t, bool &),
                              double (*fop)(double, double)) {
  bool isFloat = isa<FloatType>(
      cast<RankedTensorType>(op.getType()).getElementType());
  return foldElementwise(
      op.getOutput(), operands, isFloat,
      [&](ArrayRef<int64_t> a, int64_t &r) {
        bool ok = true;
        r = iop(a[0], a[1], ok);
        return ok;
      },
      [&](ArrayRef<double> a, double &r) {
        r = fop(a[0], a[1]);
        return true;
      },
      /*resultIsInt=*/false);
}

/// `lhs op identity` folds to lhs when no broadcasting changes the type.
static OpFoldResult foldIdentity(Value lhs, Attribute rhsAttr, Value result,
                                 double identity) {
  if (lhs.getType() == result.getType() && isSplatOf(rhsAttr, identity))
    return lhs;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto id = foldIdentity(getLhs(), adaptor.getRhs(), getOutput(), 0))
    return id;
  if (auto id = foldIdentity(getRhs(), adaptor.getLhs(), getOutput(), 0))
    return id;
  return foldArith(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b, bool &) { return a + b; },
      [](double a, double b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (auto id = foldIdentity(getLhs(), adaptor.getRhs(), getOutput(), 0))
    return id;
  return foldArith(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b, bool &) { return a - b; },
      [](double a, double b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto id = foldIdentity(getLhs(), adaptor.getRhs(), getOutput(), 1))
    return id;
  if (auto id = foldIdentity(getRhs(), adaptor.getLhs(), getOutput(), 1))
    return id;
  return foldArith(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b, bool &) { return a * b; },
      [](double a, double b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (auto id = foldIdentity(getLhs(), adaptor.getRhs(), getOutput(), 1))
    return id;
  return foldArith(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b, bool &ok) -> int64_t {
        if (b == 0) {
          ok = false;
          return 0;
        }
        return a / b; // C++ truncates toward zero, as ONNX does
      },
      [](double a, double b) { return a / b; });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  bool isFloat =
      isa<FloatType>(cast<RankedTensorType>(getLhs().getType()).getElementType());
  return foldElementwise(
      getOutput(), adaptor.getOperands(), isFloat,
      [](ArrayRef<int64_t> a, int64_t &r) {
        r = a[0] == a[1];
        return true;
      },
      [](ArrayRef<double> a, double &r) {
        r = a[0] == a[1];
        return true;
      },
      /*resultIsInt=*/true);
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  if (auto cond = readLit(adaptor.getCondition()); cond && cond->splat) {
    Value pick = cond->i(0) ? getLhs() : getRhs();
    if (pick.getType() == getType())
      return pick;
  }
  bool isFloat = isa<FloatType>(getType().getElementType());
  return foldElementwise(
      getOutput(), adaptor.getOperands(), isFloat,
      [](ArrayRef<int64_t> a, int64_t &r) {
        r = a[0] ? a[1] : a[2];
        return true;
      },
      [](ArrayRef<double> a, double &r) {
        r = a[0] != 0 ? a[1] : a[2];
        return true;
      },
      /*resultIsInt=*/false);
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

/// A constant with the same elements in a new static shape.
static Attribute reshapeConstant(Attribute input, Value result) {
  RankedTensorType type = staticResult(result);
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  if (!type || !dense || !dense.getType().hasStaticShape())
    return {};
  if (dense.isSplat())
    return DenseElementsAttr::get(type, dense.getSplatValue<Attribute>());
  if (dense.getNumElements() > kMaxFoldElements)
    return {};
  return dense.reshape(type);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  return reshapeConstant(adaptor.getInput(), getOutput());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return reshapeConstant(adaptor.getInput(), getOutput());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return reshapeConstant(adaptor.getInput(), getOutput());
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = llvm::all_of(llvm::enumerate(perm), [](auto p) {
    return (int64_t)p.index() == p.value();
  });
  if (identity && getInput().getType() == getType())
    return getInput();
  RankedTensorType type = staticResult(getOutput());
  auto lit = readLit(adaptor.getInput());
  if (!type || !lit)
    return {};
  if (lit->splat)
    return writeLit(type, lit->ints, lit->flts);
  SmallVector<int64_t> inStrides = stridesOf(lit->shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> idx(perm.size(), 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t off = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      off += idx[d] * inStrides[perm[d]];
    pushElem(*lit, off, ints, flts);
    nextIndex(idx, type.getShape());
  }
  return writeLit(type, ints, flts);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getData());
  auto idx = readLit(adaptor.getIndices());
  if (!type || !data || !idx || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = *normalizeAxis(getAxis(), data->shape.size());
  auto [outer, dim, inner] = splitAtAxis(data->shape, axis);
  int64_t nidx = idx->numel();
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < nidx; ++j) {
      int64_t k = idx->i(j);
      if (k < 0)
        k += dim;
      if (k < 0 || k >= dim)
        return {}; // out of range: leave it to the runtime's error
      for (int64_t in = 0; in < inner; ++in)
        pushElem(*data, (o * dim + k) * inner + in, ints, flts);
    }
  return writeLit(type, ints, flts);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  RankedTensorType type = staticResult(getOutput());
  if (!type || type.getNumElements() > kMaxFoldElements)
    return {};
  auto lits = readLits(adaptor.getInputs());
  if (!lits)
    return {};
  int64_t axis = *normalizeAxis(getAxis(), type.getRank());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t o = 0; o < outer; ++o)
    for (const Lit &l : *lits) {
      int64_t chunk = l.numel() / std::max<int64_t>(outer, 1);
      for (int64_t k = 0; k < chunk; ++k)
        pushElem(l, o * chunk + k, ints, flts);
    }
  return writeLit(type, ints, flts);
}

LogicalResult SplitOp::fold(FoldAdaptor adaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() == 1 && getInput().getType() == getOutputs()[0].getType()) {
    results.push_back(getInput());
    return success();
  }
  auto data = readLit(adaptor.getInput());
  if (!data)
    return failure();
  auto axis = normalizeAxis(getAxis(), data->shape.size());
  if (!axis)
    return failure();
  auto [outer, dim, inner] = splitAtAxis(data->shape, *axis);
  int64_t offset = 0;
  SmallVector<OpFoldResult> folded;
  for (auto [piece, size] : llvm::zip(getOutputs(), getSizes())) {
    RankedTensorType type = staticResult(piece);
    if (!type || offset + size > dim)
      return failure();
    std::vector<int64_t> ints;
    std::vector<double> flts;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t a = offset; a < offset + size; ++a)
        for (int64_t k = 0; k < inner; ++k)
          pushElem(*data, (o * dim + a) * inner + k, ints, flts);
    if (ints.empty() && flts.empty())
      return failure(); // empty pieces stay as they are
    folded.push_back(writeLit(type, ints, flts));
    offset += size;
  }
  results.append(folded.begin(), folded.end());
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getInput());
  auto starts = getConstantIntValues(getStarts());
  auto axes = getConstantIntValues(getAxes());
  auto steps = getConstantIntValues(getSteps());
  if (!type || !data || !starts || !axes || !steps)
    return {};
  if (getInput().getType() == getType() && llvm::all_of(*starts, [](int64_t s) {
        return s == 0;
      }) && llvm::all_of(*steps, [](int64_t s) { return s == 1; }))
    return getInput();
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t rank = data->shape.size();
  SmallVector<int64_t> begin(rank, 0), step(rank, 1);
  for (auto [i, a] : llvm::enumerate(*axes)) {
    int64_t axis = *normalizeAxis(a, rank);
    int64_t dim = data->shape[axis];
    int64_t s = (*starts)[i], st = (*steps)[i];
    if (s < 0)
      s += dim;
    s = st > 0 ? std::clamp<int64_t>(s, 0, dim)
               : std::clamp<int64_t>(s, -1, dim - 1);
    begin[axis] = s;
    step[axis] = st;
  }
  SmallVector<int64_t> strides = stridesOf(data->shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += (begin[d] + idx[d] * step[d]) * strides[d];
    pushElem(*data, off, ints, flts);
    nextIndex(idx, type.getShape());
  }
  return writeLit(type, ints, flts);
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  RankedTensorType type = staticResult(getOutput());
  auto lit = readLit(adaptor.getInput());
  if (!type || !lit)
    return {};
  if (lit->splat)
    return writeLit(type, lit->ints, lit->flts);
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  std::vector<int64_t> ints;
  std::vector<double> flts;
  forEachBroadcast(type.getShape(), {lit->shape},
                   [&](int64_t, ArrayRef<int64_t> offs) {
                     pushElem(*lit, offs[0], ints, flts);
                   });
  return writeLit(type, ints, flts);
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto in = cast<RankedTensorType>(getInput().getType());
  RankedTensorType type = staticResult(getOutput());
  if (!type)
    return {};
  int64_t rank = in.getRank();
  auto clampDim = [rank](int64_t v) {
    if (v < 0)
      v += rank;
    return std::min(std::max<int64_t>(v, 0), rank);
  };
  int64_t s = clampDim(getStart());
  int64_t e = getEnd() ? clampDim(*getEnd()) : rank;
  std::vector<int64_t> dims;
  for (int64_t d = s; d < e; ++d) {
    if (in.isDynamicDim(d))
      return {};
    dims.push_back(in.getDimSize(d));
  }
  return writeLit(type, dims, {});
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (!in.hasStaticShape())
    return {};
  return DenseElementsAttr::get(getType(),
                                ArrayRef<int64_t>{in.getNumElements()});
}

//===----------------------------------------------------------------------===//
// Predicates, rounding, integer arithmetic and indexing
//===----------------------------------------------------------------------===//

static bool isFloatTensor(Value v) {
  return isa<FloatType>(cast<RankedTensorType>(v.getType()).getElementType());
}

static bool isUnsignedTensor(Value v) {
  return cast<RankedTensorType>(v.getType())
      .getElementType()
      .isUnsignedInteger();
}

/// Folds a unary op over a constant: `ff` computes floats, `fi` integers;
/// `resultIsInt` when a float input gives an integer (i1) result.
static OpFoldResult foldUnary(Value input, Value result, Attribute operand,
                              llvm::function_ref<double(double)> ff,
                              llvm::function_ref<int64_t(int64_t)> fi,
                              bool resultIsInt = false) {
  return foldElementwise(
      result, {operand}, isFloatTensor(input),
      [&](ArrayRef<int64_t> a, int64_t &r) {
        r = fi(a[0]);
        return true;
      },
      [&](ArrayRef<double> a, double &r) {
        r = ff(a[0]);
        return true;
      },
      resultIsInt);
}

OpFoldResult IsNaNOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(),
      [](double v) { return (double)std::isnan(v); },
      [](int64_t) { return int64_t(0); }, /*resultIsInt=*/true);
}

OpFoldResult IsInfOp::fold(FoldAdaptor adaptor) {
  bool pos = getDetectPositive(), neg = getDetectNegative();
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(),
      [&](double v) {
        return (double)((pos && v == INFINITY) || (neg && v == -INFINITY));
      },
      [](int64_t) { return int64_t(0); }, /*resultIsInt=*/true);
}

OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(),
      [](double v) { return std::isnan(v) ? v : (double)((v > 0) - (v < 0)); },
      [](int64_t v) { return int64_t((v > 0) - (v < 0)); });
}

OpFoldResult RoundOp::fold(FoldAdaptor adaptor) {
  // nearbyint in the default rounding mode: halves to even.
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(),
      [](double v) { return std::nearbyint(v); }, [](int64_t v) { return v; });
}

OpFoldResult BitwiseNotOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(), [](double v) { return v; },
      [](int64_t v) { return ~v; });
}

/// ONNX Mod of one pair of integers (b != 0): C's remainder with `fmod`,
/// else the sign of the divisor. Unsigned values are zero-extended in `a` and
/// `b` and computed as such.
static int64_t modInt(int64_t a, int64_t b, bool fmod, bool isUnsigned) {
  if (isUnsigned)
    return (int64_t)((uint64_t)a % (uint64_t)b);
  if (b == -1)
    return 0; // INT64_MIN % -1 overflows in C++
  int64_t r = a % b;
  if (!fmod && r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  bool fmod = getFmod(), isUnsigned = isUnsignedTensor(getLhs());
  return foldElementwise(
      getOutput(), adaptor.getOperands(), isFloatTensor(getLhs()),
      [&](ArrayRef<int64_t> a, int64_t &r) {
        if (a[1] == 0)
          return false; // division by zero: the runtime reports it
        r = modInt(a[0], a[1], fmod, isUnsigned);
        return true;
      },
      [](ArrayRef<double> a, double &r) {
        r = std::fmod(a[0], a[1]);
        return true;
      },
      /*resultIsInt=*/false);
}

/// Folds a binary op computed on integers only (bitwise ops, and the logical
/// ones with `asBool`, which see each operand as 0 or 1).
template <typename Op>
static OpFoldResult foldIntBinary(Op op, ArrayRef<Attribute> operands,
                                  int64_t (*f)(int64_t, int64_t),
                                  bool asBool = false) {
  return foldElementwise(
      op.getOutput(), operands, /*floatCompute=*/false,
      [&](ArrayRef<int64_t> a, int64_t &r) {
        r = asBool ? f(a[0] != 0, a[1] != 0) : f(a[0], a[1]);
        return true;
      },
      [](ArrayRef<double>, double &) { return false; },
      /*resultIsInt=*/false);
}

OpFoldResult BitwiseAndOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getOperands(),
                       [](int64_t a, int64_t b) { return a & b; });
}
OpFoldResult BitwiseOrOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getOperands(),
                       [](int64_t a, int64_t b) { return a | b; });
}
OpFoldResult BitwiseXorOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getOperands(),
                       [](int64_t a, int64_t b) { return a ^ b; });
}

OpFoldResult GatherNDOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getData());
  auto idx = readLit(adaptor.getIndices());
  if (!type || !data || !idx || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t b = getBatchDims(), r = data->shape.size();
  int64_t k = idx->shape.back();
  SmallVector<int64_t> dst = stridesOf(data->shape);
  int64_t batch = 1, slice = 1;
  for (int64_t d = 0; d < b; ++d)
    batch *= data->shape[d];
  for (int64_t d = b + k; d < r; ++d)
    slice *= data->shape[d];
  int64_t tuples = idx->numel() / std::max<int64_t>(k, 1);
  int64_t perBatch = batch ? tuples / batch : 0;
  int64_t batchStride = b ? dst[b - 1] : 0;
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = perBatch ? (t / perBatch) * batchStride : 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = idx->i(t * k + j), dim = data->shape[b + j];
      if (v < -dim || v >= dim)
        return {}; // out of range: the runtime reports it
      off += (v < 0 ? v + dim : v) * dst[b + j];
    }
    for (int64_t s = 0; s < slice; ++s)
      pushElem(*data, off + s, ints, flts);
  }
  return writeLit(type, ints, flts);
}

/// The linear offset into data (row-major strides `dst`) of the element that
/// gather_elements / scatter_elements address at index position `at`: `at`
/// with the index value `v` along `axis`; nullopt if `v` is out of range.
static std::optional<int64_t> elementsOffset(ArrayRef<int64_t> at,
                                             ArrayRef<int64_t> dst,
                                             int64_t axis, int64_t v,
                                             int64_t dim) {
  if (v < -dim || v >= dim)
    return std::nullopt;
  int64_t off = 0;
  for (size_t d = 0; d < at.size(); ++d)
    off += ((int64_t)d == axis ? (v < 0 ? v + dim : v) : at[d]) * dst[d];
  return off;
}

OpFoldResult GatherElementsOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getData());
  auto idx = readLit(adaptor.getIndices());
  if (!type || !data || !idx || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t r = data->shape.size();
  int64_t axis = *normalizeAxis(getAxis(), r);
  SmallVector<int64_t> dst = stridesOf(data->shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> at(r, 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    auto off = elementsOffset(at, dst, axis, idx->i(o), data->shape[axis]);
    if (!off)
      return {};
    pushElem(*data, *off, ints, flts);
    nextIndex(at, type.getShape());
  }
  return writeLit(type, ints, flts);
}

OpFoldResult ScatterElementsOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getData());
  auto idx = readLit(adaptor.getIndices());
  auto upd = readLit(adaptor.getUpdates());
  if (!type || !data || !idx || !upd ||
      type.getNumElements() > kMaxFoldElements)
    return {};
  auto idxType = cast<RankedTensorType>(getIndices().getType());
  if (!idxType.hasStaticShape())
    return {};
  int64_t r = data->shape.size();
  int64_t axis = *normalizeAxis(getAxis(), r);
  SmallVector<int64_t> dst = stridesOf(data->shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t o = 0; o < type.getNumElements(); ++o)
    pushElem(*data, o, ints, flts);
  StringRef red = getReduction();
  bool isUnsigned = isUnsignedTensor(getData());
  SmallVector<int64_t> at(r, 0);
  for (int64_t u = 0; u < idxType.getNumElements(); ++u) {
    auto found = elementsOffset(at, dst, axis, idx->i(u), data->shape[axis]);
    if (!found)
      return {};
    int64_t off = *found;
    if (data->isFloat) {
      double x = flts[off], y = upd->f(u);
      flts[off] = red == "add"   ? x + y
                  : red == "mul" ? x * y
                  : red == "max" ? (std::isnan(x) || y <= x ? x : y)
                  : red == "min" ? (std::isnan(x) || y >= x ? x : y)
                                 : y;
    } else {
      int64_t x = ints[off], y = upd->i(u);
      auto less = [&](int64_t p, int64_t q) {
        return isUnsigned ? (uint64_t)p < (uint64_t)q : p < q;
      };
      ints[off] = red == "add"   ? (int64_t)((uint64_t)x + (uint64_t)y)
                  : red == "mul" ? (int64_t)((uint64_t)x * (uint64_t)y)
                  : red == "max" ? (less(x, y) ? y : x)
                  : red == "min" ? (less(y, x) ? y : x)
                                 : y;
    }
    nextIndex(at, idxType.getShape());
  }
  return writeLit(type, ints, flts);
}

OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  auto reps = getConstantIntValues(getRepeats());
  if (reps && llvm::all_of(*reps, [](int64_t r) { return r == 1; }) &&
      getInput().getType() == getType())
    return getInput();
  RankedTensorType type = staticResult(getOutput());
  auto lit = readLit(adaptor.getInput());
  if (!type || !lit)
    return {};
  if (lit->splat)
    return writeLit(type, lit->ints, lit->flts);
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t r = lit->shape.size();
  SmallVector<int64_t> src = stridesOf(lit->shape);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> at(r, 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t off = 0;
    for (int64_t d = 0; d < r; ++d)
      off += (at[d] % lit->shape[d]) * src[d];
    pushElem(*lit, off, ints, flts);
    nextIndex(at, type.getShape());
  }
  return writeLit(type, ints, flts);
}

/// ArgMax / ArgMin of a constant: NaN counts as the extreme; ties go to the
/// first index, or the last with `selectLast`.
static OpFoldResult foldArg(Value result, Value input, Attribute operand,
                            int64_t axisAttr, bool selectLast, bool isMax) {
  RankedTensorType type = staticResult(result);
  auto lit = readLit(operand);
  if (!type || !lit || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = *normalizeAxis(axisAttr, lit->shape.size());
  AxisSplit split = splitAtAxis(lit->shape, axis);
  int64_t outer = split.outer, len = split.dim, inner = split.inner;
  if (len == 0)
    return {};
  bool isUnsigned = isUnsignedTensor(input);
  // Whether candidate `a` beats the current best `b` (strictly, or with
  // equality when the last index is selected).
  auto better = [&](int64_t ia, int64_t ib) {
    if (lit->isFloat) {
      double a = lit->f(ia), b = lit->f(ib);
      if (std::isnan(b))
        return selectLast && std::isnan(a);
      if (std::isnan(a))
        return true;
      return isMax ? (a > b || (selectLast && a == b))
                   : (a < b || (selectLast && a == b));
    }
    int64_t a = lit->i(ia), b = lit->i(ib);
    bool gt = isUnsigned ? (uint64_t)a > (uint64_t)b : a > b;
    bool lt = isUnsigned ? (uint64_t)a < (uint64_t)b : a < b;
    return (isMax ? gt : lt) || (selectLast && a == b);
  };
  std::vector<int64_t> ints;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < len; ++j)
        if (better((o * len + j) * inner + i, (o * len + best) * inner + i))
          best = j;
      ints.push_back(best);
    }
  return writeLit(type, ints, {});
}

OpFoldResult ArgMaxOp::fold(FoldAdaptor adaptor) {
  return foldArg(getOutput(), getInput(), adaptor.getInput(), getAxis(),
                 getSelectLastIndex(), /*isMax=*/true);
}

OpFoldResult ArgMinOp::fold(FoldAdaptor adaptor) {
  return foldArg(getOutput(), getInput(), adaptor.getInput(), getAxis(),
                 getSelectLastIndex(), /*isMax=*/false);
}

/// Folds a reduction over a constant: `ff` / `fi` combine the accumulator
/// with one element, starting from the first element of each group (so no
/// identity is needed); empty groups take `emptyValue` or are not folded.
static OpFoldResult foldReduce(Value input, Value result, Attribute operand,
                               ArrayRef<int64_t> axes,
                               llvm::function_ref<double(double, double)> ff,
                               llvm::function_ref<int64_t(int64_t, int64_t)> fi,
                               std::optional<double> emptyValue) {
  RankedTensorType type = staticResult(result);
  auto lit = readLit(operand);
  if (!type || !lit || type.getNumElements() > kMaxFoldElements ||
      lit->numel() > kMaxFoldElements)
    return {};
  (void)input;
  int64_t r = lit->shape.size();
  SmallVector<bool> reduced(r, axes.empty());
  for (int64_t a : axes)
    reduced[*normalizeAxis(a, r)] = true;
  // Output index of every input element: the kept dimensions, row-major.
  SmallVector<int64_t> outStride(r, 0);
  int64_t stride = 1;
  for (int64_t d = r - 1; d >= 0; --d)
    if (!reduced[d]) {
      outStride[d] = stride;
      stride *= lit->shape[d];
    }
  int64_t n = type.getNumElements();
  std::vector<int64_t> ints(lit->isFloat ? 0 : n, 0);
  std::vector<double> flts(lit->isFloat ? n : 0, 0.0);
  std::vector<bool> seen(n, false);
  SmallVector<int64_t> at(r, 0);
  for (int64_t i = 0; i < lit->numel(); ++i) {
    int64_t o = 0;
    for (int64_t d = 0; d < r; ++d)
      o += at[d] * outStride[d];
    if (lit->isFloat)
      flts[o] = seen[o] ? ff(flts[o], lit->f(i)) : lit->f(i);
    else
      ints[o] = seen[o] ? fi(ints[o], lit->i(i)) : lit->i(i);
    seen[o] = true;
    nextIndex(at, lit->shape);
  }
  for (int64_t o = 0; o < n; ++o) {
    if (seen[o])
      continue;
    if (!emptyValue)
      return {};
    if (lit->isFloat)
      flts[o] = *emptyValue;
    else
      ints[o] = (int64_t)*emptyValue;
  }
  return writeLit(type, ints, flts);
}

static double maxNan(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
}
static double minNan(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
}
static int64_t wrapAdd(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a + (uint64_t)b);
}
static int64_t wrapMul(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a * (uint64_t)b);
}

OpFoldResult ReduceProdOp::fold(FoldAdaptor adaptor) {
  return foldReduce(
      getInput(), getOutput(), adaptor.getInput(), getAxes(),
      [](double a, double b) { return a * b; }, wrapMul, 1.0);
}

OpFoldResult ReduceSumOp::fold(FoldAdaptor adaptor) {
  return foldReduce(
      getInput(), getOutput(), adaptor.getInput(), getAxes(),
      [](double a, double b) { return a + b; }, wrapAdd, 0.0);
}

OpFoldResult ReduceMaxOp::fold(FoldAdaptor adaptor) {
  bool u = isUnsignedTensor(getInput());
  return foldReduce(
      getInput(), getOutput(), adaptor.getInput(), getAxes(), maxNan,
      [u](int64_t a, int64_t b) {
        return (u ? (uint64_t)a < (uint64_t)b : a < b) ? b : a;
      },
      std::nullopt);
}

OpFoldResult ReduceMinOp::fold(FoldAdaptor adaptor) {
  bool u = isUnsignedTensor(getInput());
  return foldReduce(
      getInput(), getOutput(), adaptor.getInput(), getAxes(), minNan,
      [u](int64_t a, int64_t b) {
        return (u ? (uint64_t)b < (uint64_t)a : b < a) ? b : a;
      },
      std::nullopt);
}

//===----------------------------------------------------------------------===//
// Folders of comparisons, logic, min/max, neg/abs, trilu and cumsum (mask
// construction chains, which depend only on shapes)
//===----------------------------------------------------------------------===//

template <typename Op>
static OpFoldResult
foldCompare(Op op, ArrayRef<Attribute> operands, bool (*cmp)(double, double),
            bool (*icmp)(int64_t, int64_t), bool (*ucmp)(uint64_t, uint64_t)) {
  bool u = isUnsignedTensor(op.getLhs());
  return foldElementwise(
      op.getOutput(), operands, isFloatTensor(op.getLhs()),
      [&](ArrayRef<int64_t> a, int64_t &r) {
        r = u ? ucmp((uint64_t)a[0], (uint64_t)a[1]) : icmp(a[0], a[1]);
        return true;
      },
      [&](ArrayRef<double> a, double &r) {
        r = cmp(a[0], a[1]);
        return true;
      },
      /*resultIsInt=*/true);
}

#define NN_FOLD_COMPARE(OP, EXPR)                                              \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                 \
    return foldCompare(                                                        \
        *this, adaptor.getOperands(),                                          \
        [](double a, double b) -> bool { return EXPR; },                       \
        [](int64_t a, int64_t b) -> bool { return EXPR; },                     \
        [](uint64_t a, uint64_t b) -> bool { return EXPR; });                  \
  }
NN_FOLD_COMPARE(LessOp, a < b)
NN_FOLD_COMPARE(LessEqualOp, a <= b)
NN_FOLD_COMPARE(GreaterOp, a > b)
NN_FOLD_COMPARE(GreaterEqualOp, a >= b)
#undef NN_FOLD_COMPARE

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b) -> int64_t { return a & b; },
      /*asBool=*/true);
}
OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b) -> int64_t { return a | b; },
      /*asBool=*/true);
}
OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getOperands(),
      [](int64_t a, int64_t b) -> int64_t { return a ^ b; },
      /*asBool=*/true);
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(), [](double v) { return v; },
      [](int64_t v) -> int64_t { return v == 0; });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(), [](double v) { return -v; },
      [](int64_t v) { return (int64_t)(0 - (uint64_t)v); });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  if (isUnsignedTensor(getInput()) && getInput().getType() == getType())
    return getInput();
  return foldUnary(
      getInput(), getOutput(), adaptor.getInput(),
      [](double v) { return std::fabs(v); },
      [](int64_t v) { return v < 0 ? (int64_t)(0 - (uint64_t)v) : v; });
}

template <typename Op>
static OpFoldResult foldMinMax(Op op, ArrayRef<Attribute> operands,
                               bool isMax) {
  bool u = isUnsignedTensor(op.getLhs());
  return foldElementwise(
      op.getOutput(), operands, isFloatTensor(op.getLhs()),
      [&](ArrayRef<int64_t> a, int64_t &r) {
        bool less = u ? (uint64_t)a[0] < (uint64_t)a[1] : a[0] < a[1];
        r = (less == isMax) ? a[1] : a[0];
        return true;
      },
      [&](ArrayRef<double> a, double &r) {
        r = isMax ? maxNan(a[0], a[1]) : minNan(a[0], a[1]);
        return true;
      },
      /*resultIsInt=*/false);
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(*this, adaptor.getOperands(), /*isMax=*/false);
}
OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldMinMax(*this, adaptor.getOperands(), /*isMax=*/true);
}

OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto lit = readLit(adaptor.getInput());
  if (!type || !lit || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  int64_t k = getK();
  bool upper = getUpper();
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t i = (o / cols) % rows, j = o % cols;
    bool keep = upper ? j - i >= k : j - i <= k;
    if (lit->isFloat)
      flts.push_back(keep ? lit->f(o) : 0.0);
    else
      ints.push_back(keep ? lit->i(o) : 0);
  }
  return writeLit(type, ints, flts);
}

OpFoldResult CumSumOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto lit = readLit(adaptor.getInput());
  if (!type || !lit || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = *normalizeAxis(getAxis(), type.getRank());
  AxisSplit split = splitAtAxis(type.getShape(), axis);
  int64_t outer = split.outer, len = split.dim, inner = split.inner;
  bool exclusive = getExclusive(), reverse = getReverse();
  int64_t n = type.getNumElements();
  std::vector<int64_t> ints(lit->isFloat ? 0 : n);
  std::vector<double> flts(lit->isFloat ? n : 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double fs = 0;
      int64_t is = 0;
      for (int64_t s = 0; s < len; ++s) {
        int64_t j = reverse ? len - 1 - s : s;
        int64_t at = (o * len + j) * inner + i;
        if (lit->isFloat) {
          if (!exclusive)
            fs += lit->f(at);
          flts[at] = fs;
          if (exclusive)
            fs += lit->f(at);
        } else {
          if (!exclusive)
            is = wrapAdd(is, lit->i(at));
          ints[at] = is;
          if (exclusive)
            is = wrapAdd(is, lit->i(at));
        }
      }
    }
  return writeLit(type, ints, flts);
}
