//===- NNPatterns.cpp - canonicalization patterns of nn ops ----*- C++ -*-===//
//
// Rewrites that need more than a folder:
//   * unsqueeze(unsqueeze(x)) -> one unsqueeze;
//   * the RMS normalization exporters spell out elementwise
//       x * (1 / sqrt(reduce_mean(x ^ 2, last axes) + eps)) * w
//     (or with reciprocal, or x / sqrt(...)) -> nn.rms_norm(x, w);
//   * repeat_interleave as torch.onnx spells it for grouped-query attention
//     (split into single heads, unsqueeze, expand, reshape, concat) -> one
//     unsqueeze + expand + reshape.
//
//===----------------------------------------------------------------------===//

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
      auto reshape = in.getDefiningOp<ReshapeOp>();
      auto expand = reshape ? reshape.getInput().getDefiningOp<ExpandOp>()
                            : ExpandOp();
      auto unsq = expand ? expand.getInput().getDefiningOp<UnsqueezeOp>()
                         : UnsqueezeOp();
      if (!unsq || unsq.getAxes().size() != 1)
        return failure();
      auto piece = dyn_cast<OpResult>(unsq.getInput());
      auto s = piece ? dyn_cast<SplitOp>(piece.getOwner()) : SplitOp();
      if (!s || (split && s != split) || piece.getResultNumber() != i)
        return failure();
      split = s;
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

} // namespace

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FuseRepeatInterleave>(context);
}

void UnsqueezeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<MergeUnsqueezes>(context);
}

void MulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<FuseRMSNorm>(context);
}
