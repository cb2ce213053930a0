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
  SmallVector<Lit> lits;
  for (Attribute a : operands) {
    auto lit = readLit(a);
    if (!lit)
      return {};
    lits.push_back(std::move(*lit));
  }
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
  SmallVector<int64_t> inStrides(lit->shape.size(), 1);
  for (int64_t d = (int64_t)lit->shape.size() - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * lit->shape[d + 1];
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> idx(perm.size(), 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t off = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      off += idx[d] * inStrides[perm[d]];
    if (lit->isFloat)
      flts.push_back(lit->f(off));
    else
      ints.push_back(lit->i(off));
    for (int64_t d = (int64_t)perm.size() - 1; d >= 0; --d) {
      if (++idx[d] < type.getDimSize(d))
        break;
      idx[d] = 0;
    }
  }
  return writeLit(type, ints, flts);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = staticResult(getOutput());
  auto data = readLit(adaptor.getData());
  auto idx = readLit(adaptor.getIndices());
  if (!type || !data || !idx || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t rank = data->shape.size();
  int64_t axis = *normalizeAxis(getAxis(), rank);
  int64_t outer = 1, inner = 1, dim = data->shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= data->shape[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= data->shape[d];
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
      for (int64_t in = 0; in < inner; ++in) {
        int64_t off = (o * dim + k) * inner + in;
        if (data->isFloat)
          flts.push_back(data->f(off));
        else
          ints.push_back(data->i(off));
      }
    }
  return writeLit(type, ints, flts);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  RankedTensorType type = staticResult(getOutput());
  if (!type || type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<Lit> lits;
  for (Attribute a : adaptor.getInputs()) {
    auto lit = readLit(a);
    if (!lit)
      return {};
    lits.push_back(std::move(*lit));
  }
  int64_t axis = *normalizeAxis(getAxis(), type.getRank());
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  std::vector<int64_t> ints;
  std::vector<double> flts;
  for (int64_t o = 0; o < outer; ++o)
    for (const Lit &l : lits) {
      int64_t chunk = l.numel() / std::max<int64_t>(outer, 1);
      for (int64_t k = 0; k < chunk; ++k) {
        if (l.isFloat)
          flts.push_back(l.f(o * chunk + k));
        else
          ints.push_back(l.i(o * chunk + k));
      }
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
  int64_t rank = data->shape.size();
  auto axis = normalizeAxis(getAxis(), rank);
  if (!axis)
    return failure();
  int64_t outer = 1, inner = 1, dim = data->shape[*axis];
  for (int64_t d = 0; d < *axis; ++d)
    outer *= data->shape[d];
  for (int64_t d = *axis + 1; d < rank; ++d)
    inner *= data->shape[d];
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
        for (int64_t k = 0; k < inner; ++k) {
          int64_t at = (o * dim + a) * inner + k;
          if (data->isFloat)
            flts.push_back(data->f(at));
          else
            ints.push_back(data->i(at));
        }
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
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * data->shape[d + 1];
  std::vector<int64_t> ints;
  std::vector<double> flts;
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < type.getNumElements(); ++o) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += (begin[d] + idx[d] * step[d]) * strides[d];
    if (data->isFloat)
      flts.push_back(data->f(off));
    else
      ints.push_back(data->i(off));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < type.getDimSize(d))
        break;
      idx[d] = 0;
    }
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
                     if (lit->isFloat)
                       flts.push_back(lit->f(offs[0]));
                     else
                       ints.push_back(lit->i(offs[0]));
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
