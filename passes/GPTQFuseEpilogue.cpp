//===- GPTQFuseEpilogue.cpp - elementwise epilogues into quantized matmuls ===//
//
// gptq-fuse-epilogue: patterns rooted at the elementwise op (nn.add,
// nn.mul, nn.relu) that reads a quantized matmul's result; see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gptq {
#define GEN_PASS_DEF_GPTQFUSEEPILOGUE
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;

namespace {

/// matmul_nbits or fused_matmul_nbits, seen alike.
struct QuantMatMul {
  Operation *op = nullptr;
  Value input, qweight, scales, qzeros, gIdx, bias;
  quant::QuantAttr quant;
  StringAttr layout;
  IntegerAttr inFeatures;
  SmallVector<std::string> steps;
  SmallVector<Value> operands;

  static std::optional<QuantMatMul> of(Value v) {
    Operation *def = v.getDefiningOp();
    QuantMatMul q;
    q.op = def;
    if (auto mm = dyn_cast_or_null<quant::MatMulNBitsOp>(def)) {
      q.input = mm.getInput();
      q.qweight = mm.getQweight();
      q.scales = mm.getScales();
      q.qzeros = mm.getQzeros();
      q.gIdx = mm.getGIdx();
      q.bias = mm.getBias();
      q.quant = mm.getQuant();
      q.layout = mm.getLayoutAttr();
      q.inFeatures = mm.getInFeaturesAttr();
      return q;
    }
    if (auto fm = dyn_cast_or_null<quant::FusedMatMulNBitsOp>(def)) {
      q.input = fm.getInput();
      q.qweight = fm.getQweight();
      q.scales = fm.getScales();
      q.qzeros = fm.getQzeros();
      q.gIdx = fm.getGIdx();
      q.bias = fm.getBias();
      q.quant = fm.getQuant();
      q.layout = fm.getLayoutAttr();
      q.inFeatures = fm.getInFeaturesAttr();
      for (Attribute a : fm.getEpilogue())
        q.steps.push_back(cast<StringAttr>(a).getValue().str());
      q.operands.assign(fm.getEpilogueOperands().begin(),
                        fm.getEpilogueOperands().end());
      return q;
    }
    return std::nullopt;
  }

  /// Replaces `root` by this matmul with `step` (and `operand`) appended.
  void fuseInto(PatternRewriter &rewriter, Operation *root, StringRef step,
                Value operand) {
    steps.push_back(step.str());
    if (operand)
      operands.push_back(operand);
    SmallVector<Attribute> stepAttrs;
    for (const std::string &s : steps)
      stepAttrs.push_back(rewriter.getStringAttr(s));
    rewriter.setInsertionPoint(root);
    auto fused = quant::FusedMatMulNBitsOp::create(
        rewriter, op->getLoc(), root->getResult(0).getType(), input, qweight,
        scales, qzeros, gIdx, bias, operands, quant, layout,
        rewriter.getArrayAttr(stepAttrs), inFeatures);
    for (NamedAttribute a : op->getDiscardableAttrs())
      fused->setAttr(a.getName(), a.getValue());
    rewriter.replaceOp(root, fused->getResults());
  }
};

int binarySteps(const QuantMatMul &q) {
  return (int)q.operands.size();
}

/// nn.relu(y) -> epilogue relu.
struct FuseRelu : OpRewritePattern<nn::ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ReluOp op,
                                PatternRewriter &rewriter) const override {
    auto q = QuantMatMul::of(op.getInput());
    if (!q || !op.getInput().hasOneUse() ||
        op.getType() != op.getInput().getType())
      return failure();
    Operation *old = q->op;
    q->fuseInto(rewriter, op, "relu", Value());
    rewriter.eraseOp(old);
    return success();
  }
};

/// nn.mul(y, sigmoid(y)) -> silu; nn.mul(y, e) -> mul(e);
/// nn.add(y, c[N]) -> bias; nn.add(y, e) -> add(e).
template <typename OpT> struct FuseBinary : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  static constexpr bool isMul = std::is_same_v<OpT, nn::MulOp>;

  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    Value sides[2] = {op.getLhs(), op.getRhs()};
    for (int i = 0; i < 2; ++i) {
      Value y = sides[i], other = sides[1 - i];
      auto q = QuantMatMul::of(y);
      if (!q || y.getType() != type || other == y)
        continue;
      Operation *old = q->op;
      if (isMul) {
        auto sig = other.getDefiningOp<nn::SigmoidOp>();
        if (sig && sig.getInput() == y && sig->hasOneUse() &&
            llvm::range_size(y.getUses()) == 2) {
          q->fuseInto(rewriter, op, "silu", Value());
          rewriter.eraseOp(sig);
          rewriter.eraseOp(old);
          return success();
        }
      }
      if (!y.hasOneUse())
        continue;
      if (!isMul && isa<quant::MatMulNBitsOp>(old) && !q->bias) {
        // A constant [N] vector of floats is the bias.
        auto c = other.getDefiningOp<nn::ConstantOp>();
        auto ct = dyn_cast<RankedTensorType>(other.getType());
        auto yt = cast<RankedTensorType>(type);
        if (c && ct && ct.getRank() == 1 &&
            ct.getDimSize(0) == yt.getShape().back() &&
            isa<FloatType>(ct.getElementType())) {
          auto mm = cast<quant::MatMulNBitsOp>(old);
          rewriter.setInsertionPoint(op);
          auto withBias = quant::MatMulNBitsOp::create(
              rewriter, mm.getLoc(), type, mm.getInput(), mm.getQweight(),
              mm.getScales(), mm.getQzeros(), mm.getGIdx(), other,
              mm.getQuant(), mm.getLayoutAttr(), mm.getInFeaturesAttr());
          for (NamedAttribute a : mm->getDiscardableAttrs())
            withBias->setAttr(a.getName(), a.getValue());
          rewriter.replaceOp(op, withBias->getResults());
          rewriter.eraseOp(old);
          return success();
        }
      }
      if (other.getType() != type || binarySteps(*q) >= 2)
        continue;
      q->fuseInto(rewriter, op, isMul ? "mul" : "add", other);
      rewriter.eraseOp(old);
      return success();
    }
    return failure();
  }
};

struct GPTQFuseEpiloguePass
    : public gptq::impl::GPTQFuseEpilogueBase<GPTQFuseEpiloguePass> {
  using GPTQFuseEpilogueBase::GPTQFuseEpilogueBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRelu, FuseBinary<nn::MulOp>, FuseBinary<nn::AddOp>>(
        &getContext());
    // Only these rewrites (no folding, constant CSE or region
    // simplification), in program order: SwiGLU's silu(x W1) * (x W3) then
    // folds into W1's op as ["silu", "mul"](x W3).
    GreedyRewriteConfig config;
    config.enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled)
        .setUseTopDownTraversal(true);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
  }
};

} // namespace
