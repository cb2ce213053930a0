//===- NNPatterns.cpp - canonicalization patterns of nn ops ----*- C++ -*-===//
//
// Rewrites that need more than a folder:
//   * unsqueeze(unsqueeze(x)) -> one unsqueeze;
//   * the RMS normalization exporters spell out elementwise
//       x * (1 / sqrt(reduce_mean(x ^ 2, last axes) + eps)) * w
//     (or with reciprocal, or x / sqrt(...)) -> nn.rms_norm(x, w);
//   * repeat_interleave as torch.onnx spells it for grouped-query attention
//     (split into single heads, unsqueeze, expand, reshape, concat) -> one
//     unsqueeze + expand + reshape; with dynamic shapes, the pieces' shapes
//     are checked by symbolic shape reasoning and their shape operands
//     reused.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Analysis/SymbolicShapes.h"
#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace gptq::nn;

/// The value of a splat float constant (any shape), if `v` is one.
static std::optional<double> splatFloat(Value v) {
  DenseElementsAttr attr = getDenseConstant(v);
  if (!attr || !attr.isSplat() || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// Number of elements of a constant that may broadcast against anything:
/// rank 0, or all sizes 1.
static bool isScalarLike(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getNumElements() == 1;
}

namespace {
/// One concat operand of the repeat_interleave spelling (see
/// FuseRepeatInterleave): reshape(expand(unsqueeze(split#i))), the unsqueeze
/// with a single axis.
struct RepeatPiece {
  ReshapeOp reshape;
  ExpandOp expand;
  UnsqueezeOp unsq;
};
} // namespace

/// Matches concat operand `i` as a RepeatPiece whose unsqueeze takes result
/// #i of `split` (which the first operand sets when it is null).
static std::optional<RepeatPiece> matchRepeatPiece(Value in, size_t i,
                                                   SplitOp &split) {
  auto reshape = in.getDefiningOp<ReshapeOp>();
  auto expand =
      reshape ? reshape.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
  auto unsq =
      expand ? expand.getInput().getDefiningOp<UnsqueezeOp>() : UnsqueezeOp();
  if (!unsq || unsq.getAxes().size() != 1)
    return std::nullopt;
  auto piece = dyn_cast<OpResult>(unsq.getInput());
  auto s = piece ? dyn_cast<SplitOp>(piece.getOwner()) : SplitOp();
  if (!s || (split && s != split) || piece.getResultNumber() != i)
    return std::nullopt;
  split = s;
  return RepeatPiece{reshape, expand, unsq};
}

namespace {

/// unsqueeze(unsqueeze(x, a1), a2) -> unsqueeze(x, a) where a are the
/// output positions of all inserted dimensions.
struct MergeUnsqueezes : OpRewritePattern<UnsqueezeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnsqueezeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<UnsqueezeOp>();
    if (!inner)
      return failure();
    auto outType = cast<RankedTensorType>(op.getType());
    auto midType = cast<RankedTensorType>(inner.getType());
    int64_t rank = outType.getRank(), midRank = midType.getRank();
    SmallVector<bool> outerInserted(rank, false), midInserted(midRank, false);
    for (int64_t a : op.getAxes()) {
      auto n = normalizeAxis(a, rank);
      if (!n)
        return failure();
      outerInserted[*n] = true;
    }
    for (int64_t a : inner.getAxes()) {
      auto n = normalizeAxis(a, midRank);
      if (!n)
        return failure();
      midInserted[*n] = true;
    }
    SmallVector<int64_t> axes;
    int64_t mid = 0;
    for (int64_t d = 0; d < rank; ++d) {
      if (outerInserted[d]) {
        axes.push_back(d);
        continue;
      }
      if (mid >= midRank)
        return failure();
      if (midInserted[mid])
        axes.push_back(d);
      ++mid;
    }
    rewriter.replaceOpWithNewOp<UnsqueezeOp>(op, op.getType(), inner.getInput(),
                                             rewriter.getDenseI64ArrayAttr(axes));
    return success();
  }
};

/// x * (1 / sqrt(mean(x^2) + eps)) * w -> nn.rms_norm(x, w, eps).
struct FuseRMSNorm : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  /// If `v` is 1/sqrt(reduce_mean(x^2, last axes) + eps) for some x,
  /// returns x, the first reduced axis and eps.
  static std::optional<std::tuple<Value, int64_t, double>> invRms(Value v) {
    Value sq;
    if (auto div = v.getDefiningOp<DivOp>()) {
      auto one = splatFloat(div.getLhs());
      if (!one || *one != 1.0 || !isScalarLike(div.getLhs()))
        return std::nullopt;
      sq = div.getRhs();
    } else if (auto rec = v.getDefiningOp<ReciprocalOp>()) {
      sq = rec.getInput();
    } else {
      return std::nullopt;
    }
    return rmsOf(sq);
  }

  /// If `v` is sqrt(reduce_mean(x^2, last axes) + eps).
  static std::optional<std::tuple<Value, int64_t, double>> rmsOf(Value v) {
    auto sqrt = v.getDefiningOp<SqrtOp>();
    if (!sqrt)
      return std::nullopt;
    auto add = sqrt.getInput().getDefiningOp<AddOp>();
    if (!add)
      return std::nullopt;
    Value meanV = add.getLhs(), epsV = add.getRhs();
    if (!splatFloat(epsV))
      std::swap(meanV, epsV);
    auto eps = splatFloat(epsV);
    if (!eps || !isScalarLike(epsV) || *eps < 0)
      return std::nullopt;
    auto mean = meanV.getDefiningOp<ReduceMeanOp>();
    if (!mean || !mean.getKeepdims())
      return std::nullopt;
    Value sqV = mean.getInput();
    Value x;
    if (auto pow = sqV.getDefiningOp<PowOp>()) {
      auto two = splatFloat(pow.getRhs());
      if (!two || *two != 2.0 || !isScalarLike(pow.getRhs()))
        return std::nullopt;
      x = pow.getLhs();
    } else if (auto mul = sqV.getDefiningOp<MulOp>()) {
      if (mul.getLhs() != mul.getRhs())
        return std::nullopt;
      x = mul.getLhs();
    } else {
      return std::nullopt;
    }
    // The reduced axes must be the trailing ones, in any order.
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> axes;
    for (int64_t a : mean.getAxes()) {
      auto n = normalizeAxis(a, rank);
      if (!n)
        return std::nullopt;
      axes.push_back(*n);
    }
    if (axes.empty())
      return std::nullopt;
    llvm::sort(axes);
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] != rank - (int64_t)axes.size() + (int64_t)i)
        return std::nullopt;
    return std::make_tuple(x, axes.front(), *eps);
  }

  /// If `v` is x * invRms(x) or x / rms(x) (normalized x without weight).
  static std::optional<std::tuple<Value, int64_t, double>> normalized(Value v) {
    if (auto mul = v.getDefiningOp<MulOp>()) {
      for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())})
        if (auto r = invRms(b); r && std::get<0>(*r) == a)
          return r;
    }
    if (auto div = v.getDefiningOp<DivOp>())
      if (auto r = rmsOf(div.getRhs()); r && std::get<0>(*r) == div.getLhs())
        return r;
    return std::nullopt;
  }

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [normV, w] : {std::pair(op.getLhs(), op.getRhs()),
                            std::pair(op.getRhs(), op.getLhs())}) {
      auto r = normalized(normV);
      if (!r)
        continue;
      auto [x, axis, eps] = *r;
      auto xType = cast<RankedTensorType>(x.getType());
      auto wType = dyn_cast<RankedTensorType>(w.getType());
      // The weight covers the normalized dims exactly and the result has
      // the input's type (no broadcasting beyond x).
      int64_t normRank = xType.getRank() - axis;
      if (!wType || wType.getElementType() != xType.getElementType() ||
          wType.getRank() != normRank || op.getType() != xType)
        continue;
      bool shapeOk = true;
      for (int64_t i = 0; i < normRank; ++i)
        if (wType.getDimSize(i) != xType.getDimSize(axis + i) ||
            wType.isDynamicDim(i))
          shapeOk = false;
      if (!shapeOk)
        continue;
      rewriter.replaceOpWithNewOp<RMSNormOp>(
          op, op.getType(), x, w,
          rewriter.getI64IntegerAttr(axis - xType.getRank()),
          rewriter.getF32FloatAttr((float)eps));
      return success();
    }
    return failure();
  }
};

/// concat_i(reshape(expand(unsqueeze(split(x, a)#i, [a+1]), [.., 1, r, ..])))
/// along a == reshape(expand(unsqueeze(x, [a+1]), [.., H, r, ..])).
struct FuseRepeatInterleave : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto outType = cast<RankedTensorType>(op.getType());
    if (!outType.hasStaticShape() || op.getInputs().size() < 2)
      return failure();
    auto axis = normalizeAxis(op.getAxis(), outType.getRank());
    if (!axis)
      return failure();
    SplitOp split;
    int64_t repeats = -1;
    for (auto [i, in] : llvm::enumerate(op.getInputs())) {
      auto matched = matchRepeatPiece(in, i, split);
      if (!matched)
        return failure();
      ExpandOp expand = matched->expand;
      UnsqueezeOp unsq = matched->unsq;
      auto et = cast<RankedTensorType>(expand.getType());
      auto ut = cast<RankedTensorType>(unsq.getType());
      if (!et.hasStaticShape() || !ut.hasStaticShape() ||
          et.getRank() != outType.getRank() + 1)
        return failure();
      auto ua = normalizeAxis(unsq.getAxes()[0], ut.getRank());
      if (!ua || *ua != *axis + 1)
        return failure();
      // The expanded piece is [.., 1, r, ..] and matches the input elsewhere.
      for (int64_t d = 0; d < et.getRank(); ++d) {
        int64_t want = d == *axis ? 1 : ut.getDimSize(d);
        if (d == *axis + 1)
          continue;
        if (et.getDimSize(d) != want)
          return failure();
      }
      int64_t r = et.getDimSize(*axis + 1);
      if (repeats >= 0 && r != repeats)
        return failure();
      repeats = r;
    }
    auto inType = cast<RankedTensorType>(split.getInput().getType());
    auto splitAxis = normalizeAxis(split.getAxis(), inType.getRank());
    if (!splitAxis || *splitAxis != *axis || !inType.hasStaticShape() ||
        split.getNumResults() != op.getInputs().size() ||
        llvm::any_of(split.getSizes(), [](int64_t s) { return s != 1; }))
      return failure();
    int64_t heads = inType.getDimSize(*axis);
    if (heads * repeats != outType.getDimSize(*axis))
      return failure();
    // The new ops, with constant shapes.
    Location loc = op.getLoc();
    SmallVector<int64_t> unsqShape(inType.getShape());
    unsqShape.insert(unsqShape.begin() + *axis + 1, 1);
    SmallVector<int64_t> expShape(unsqShape);
    expShape[*axis + 1] = repeats;
    auto i64Const = [&](ArrayRef<int64_t> values) -> Value {
      auto t = RankedTensorType::get({(int64_t)values.size()},
                                     rewriter.getI64Type());
      return ConstantOp::create(rewriter, loc, t,
                                DenseElementsAttr::get(t, values));
    };
    Type elem = inType.getElementType();
    Value u = UnsqueezeOp::create(
        rewriter, loc, RankedTensorType::get(unsqShape, elem), split.getInput(),
        rewriter.getDenseI64ArrayAttr({*axis + 1}));
    Value e = ExpandOp::create(rewriter, loc,
                               RankedTensorType::get(expShape, elem), u,
                               i64Const(expShape));
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, outType, e,
                                           i64Const(outType.getShape()));
    return success();
  }
};

/// FuseRepeatInterleave where shapes are dynamic ([batch, seq, kv_heads,
/// head_dim] pieces of a dynamic import): the structure is the same, the
/// shape facts come from symbolic shape reasoning, and the new expand and
/// reshape take the first piece's shape operands (the reshape's with the
/// repeated axis scaled by the number of heads).
struct FuseRepeatInterleaveDynamic : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t n = op.getInputs().size();
    if (outType.hasStaticShape() || n < 2)
      return failure();
    int64_t rank = outType.getRank();
    auto axis = normalizeAxis(op.getAxis(), rank);
    if (!axis)
      return failure();
    int64_t a = *axis;
    SplitOp split;
    SmallVector<UnsqueezeOp> unsqs;
    SmallVector<ExpandOp> expands;
    SmallVector<ReshapeOp> reshapes;
    for (auto [i, in] : llvm::enumerate(op.getInputs())) {
      auto matched = matchRepeatPiece(in, i, split);
      if (!matched ||
          normalizeAxis(matched->unsq.getAxes()[0], rank + 1) != a + 1)
        return failure();
      unsqs.push_back(matched->unsq);
      expands.push_back(matched->expand);
      reshapes.push_back(matched->reshape);
    }
    Value x = split.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    if (xType.getRank() != rank || normalizeAxis(split.getAxis(), rank) != a ||
        split.getNumResults() != n ||
        llvm::any_of(split.getSizes(), [](int64_t s) { return s != 1; }))
      return failure();
    // Each piece: expand keeps the unsqueezed dims but for r at a + 1, and
    // the reshape merges (1, r) into r.
    gptq::shapes::ShapeAnalysis sa;
    std::optional<int64_t> repeats;
    for (int64_t i = 0; i < n; ++i) {
      const gptq::shapes::ValueFacts *u = sa.analyze(unsqs[i].getResult());
      const gptq::shapes::ValueFacts *e = sa.analyze(expands[i].getResult());
      const gptq::shapes::ValueFacts *r = sa.analyze(reshapes[i].getResult());
      if (!u || !e || !r || (int64_t)e->dims.size() != rank + 1 ||
          (int64_t)u->dims.size() != rank + 1 ||
          (int64_t)r->dims.size() != rank)
        return failure();
      auto rc = e->dims[a + 1].getConstant();
      if (!rc || *rc < 1 || (repeats && *repeats != *rc))
        return failure();
      repeats = *rc;
      for (int64_t d = 0; d <= rank; ++d)
        if (d != a + 1 && e->dims[d] != u->dims[d])
          return failure();
      for (int64_t d = 0; d < rank; ++d) {
        const gptq::shapes::SymExpr &want =
            d < a ? e->dims[d]
                  : (d == a ? gptq::shapes::SymExpr(*repeats) : e->dims[d + 1]);
        if (r->dims[d] != want)
          return failure();
      }
    }
    // The first piece's shape operands: the expand target leaves the head
    // axis alone (1 there, or not covering it), the reshape target has the
    // constant r there.
    Value expandShape = expands[0].getShape();
    Value reshapeShape = reshapes[0].getShape();
    const gptq::shapes::ValueFacts *te = sa.analyze(expandShape);
    const gptq::shapes::ValueFacts *tr = sa.analyze(reshapeShape);
    // The reshape target has r at the head axis (scaled to n * r below) or
    // -1 (which then infers n * r by itself).
    if (!te || !te->elements || !tr || !tr->elements ||
        (int64_t)tr->elements->size() != rank)
      return failure();
    bool inferred = (*tr->elements)[a].isConstant(-1);
    if (!inferred && !(*tr->elements)[a].isConstant(*repeats))
      return failure();
    int64_t covered = a - (rank + 1 - (int64_t)te->elements->size());
    if (covered >= 0 && !(*te->elements)[covered].isConstant(1))
      return failure();
    Location loc = op.getLoc();
    Type elem = xType.getElementType();
    SmallVector<int64_t> unsqShape(xType.getShape());
    unsqShape.insert(unsqShape.begin() + a + 1, 1);
    SmallVector<int64_t> expShape(
        cast<RankedTensorType>(expands[0].getType()).getShape());
    expShape[a] = xType.getDimSize(a);
    Value u = UnsqueezeOp::create(rewriter, loc,
                                  RankedTensorType::get(unsqShape, elem), x,
                                  rewriter.getDenseI64ArrayAttr({a + 1}));
    Value e = ExpandOp::create(
        rewriter, loc, RankedTensorType::get(expShape, elem), u, expandShape);
    Value shape = reshapeShape;
    if (!inferred) {
      SmallVector<int64_t> scale(rank, 1);
      scale[a] = n;
      auto i64 = RankedTensorType::get({rank}, rewriter.getI64Type());
      Value scaleV = ConstantOp::create(
          rewriter, loc, i64, DenseElementsAttr::get(i64, ArrayRef(scale)));
      shape = MulOp::create(rewriter, loc, reshapeShape.getType(), reshapeShape,
                            scaleV);
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, outType, e, shape);
    return success();
  }
};

} // namespace

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FuseRepeatInterleave, FuseRepeatInterleaveDynamic>(context);
}

void UnsqueezeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<MergeUnsqueezes>(context);
}

void MulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FuseRMSNorm>(context);
}
