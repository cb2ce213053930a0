//===- NNCanonicalize.cpp - shape refinement + folding ----------*- C++ -*-===//

#include "dialects/NN/Analysis/SymbolicShapes.h"
#include "passes/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gptq {
#define GEN_PASS_DEF_NNCANONICALIZE
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;

/// The most static type compatible with both, or null if they conflict.
static Type joinTypes(Type declared, Type inferred) {
  auto d = dyn_cast<RankedTensorType>(declared);
  auto i = dyn_cast<RankedTensorType>(inferred);
  if (!d || !i)
    return declared == inferred ? declared : Type();
  if (d.getElementType() != i.getElementType() || d.getRank() != i.getRank())
    return {};
  SmallVector<int64_t> shape;
  for (auto [a, b] : llvm::zip(d.getShape(), i.getShape())) {
    if (ShapedType::isDynamic(a))
      shape.push_back(b);
    else if (ShapedType::isDynamic(b) || a == b)
      shape.push_back(a);
    else
      return {};
  }
  return RankedTensorType::get(shape, d.getElementType(), d.getEncoding());
}

bool gptq::refineShapes(Operation *root) {
  bool changed = false;
  root->walk<WalkOrder::PreOrder>([&](Operation *op) {
    auto infer = dyn_cast<InferTypeOpInterface>(op);
    if (!infer)
      return;
    SmallVector<Type> inferred;
    if (failed(infer.inferReturnTypes(
            op->getContext(), /*location=*/std::nullopt, op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), inferred)) ||
        inferred.size() != op->getNumResults())
      return;
    for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
      Type joined = joinTypes(result.getType(), type);
      if (joined && joined != result.getType()) {
        result.setType(joined);
        changed = true;
      }
    }
  });
  return syncSignatures(root) || changed;
}

bool gptq::syncSignatures(Operation *root) {
  bool changed = false;
  // Function signatures follow their returns.
  root->walk([&](func::FuncOp fn) {
    if (fn.isExternal())
      return;
    auto ret = dyn_cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    if (!ret)
      return;
    auto type = fn.getFunctionType();
    if (type.getResults() == ret.getOperandTypes())
      return;
    fn.setType(FunctionType::get(fn.getContext(), type.getInputs(),
                                 ret.getOperandTypes()));
    changed = true;
  });
  return changed;
}

bool gptq::applySymbolicShapes(Operation *root) {
  bool changed = false;
  root->walk([&](func::FuncOp fn) {
    if (fn.isExternal())
      return;
    shapes::ShapeAnalysis analysis(fn);
    // Argument dims named by a dim_param the ops force to one size become
    // static (their name is kept: the ONNX exporter writes it back).
    if (!analysis.boundDimParams().empty()) {
      Block &entry = fn.getBody().front();
      bool bound = false;
      for (BlockArgument arg : entry.getArguments()) {
        auto t = dyn_cast<RankedTensorType>(arg.getType());
        auto names = fn.getArgAttrOfType<ArrayAttr>(
            arg.getArgNumber(), nn::NNDialect::kDimNamesAttr);
        if (!t || !names)
          continue;
        SmallVector<int64_t> shape(t.getShape());
        for (int64_t i = 0; i < t.getRank() && i < (int64_t)names.size(); ++i) {
          auto n = dyn_cast<StringAttr>(names[i]);
          if (!n || !t.isDynamicDim(i))
            continue;
          auto it = analysis.boundDimParams().find(n.str());
          if (it != analysis.boundDimParams().end())
            shape[i] = it->second;
        }
        if (shape == t.getShape())
          continue;
        arg.setType(
            RankedTensorType::get(shape, t.getElementType(), t.getEncoding()));
        bound = true;
      }
      if (bound) {
        changed = true;
        fn.setType(FunctionType::get(fn.getContext(), entry.getArgumentTypes(),
                                     fn.getFunctionType().getResults()));
        return; // the next round refines from the new argument types
      }
    }
    SmallVector<std::pair<Value, SmallVector<int64_t>>> constants;
    SmallVector<std::pair<Value, Value>> identities;
    llvm::StringMap<Value> firstWithElements;
    fn.walk([&](Operation *op) {
      if (!isa_and_nonnull<nn::NNDialect>(op->getDialect()))
        return;
      // Data movement that provably moves nothing: reshape or expand to the
      // input's own dims, a slice with positive steps that keeps them.
      if (isa<nn::ReshapeOp, nn::ExpandOp, nn::SliceOp>(op)) {
        Value in = op->getOperand(0), out = op->getResult(0);
        const shapes::ValueFacts *fi = analysis.lookup(in);
        const shapes::ValueFacts *fo = analysis.lookup(out);
        bool positiveSteps = true;
        if (auto slice = dyn_cast<nn::SliceOp>(op)) {
          auto steps = analysis.constantElements(slice.getSteps());
          positiveSteps =
              steps && llvm::all_of(*steps, [](int64_t s) { return s > 0; });
        }
        if (fi && fo && fi->dims == fo->dims && positiveSteps &&
            in.getType() == analysis.refinedType(out) && !out.use_empty()) {
          identities.push_back({out, in});
          return;
        }
      }
      bool isConstant = isa<nn::ConstantOp>(op);
      for (Value r : op->getResults()) {
        if (isConstant)
          continue;
        Type refined = analysis.refinedType(r);
        if (refined != r.getType()) {
          r.setType(refined);
          changed = true;
        }
        if (r.use_empty())
          continue;
        if (auto values = analysis.constantElements(r)) {
          constants.push_back({r, std::move(*values)});
          continue;
        }
        // Shape tensors with the same symbolic elements hold the same
        // values (Shape -> Gather of each layer's activations is `batch`
        // every time): the first one, which dominates the others in the
        // entry block, serves all.
        const shapes::ValueFacts *f = analysis.lookup(r);
        if (!f || !f->elements || op->getBlock() != &fn.getBody().front())
          continue;
        std::string key;
        llvm::raw_string_ostream os(key);
        os << r.getType() << analysis.describeElements(r);
        auto [it, inserted] = firstWithElements.try_emplace(key, r);
        if (!inserted)
          identities.push_back({r, it->second});
      }
    });
    for (auto [out, in] : identities) {
      out.replaceAllUsesWith(in);
      changed = true;
    }
    // Shape tensors (and decided comparisons) proven constant.
    OpBuilder b(fn.getContext());
    for (auto &[v, values] : constants) {
      auto type = cast<RankedTensorType>(v.getType());
      b.setInsertionPointAfterValue(v);
      Type elem = type.getElementType();
      unsigned width = elem.getIntOrFloatBitWidth();
      SmallVector<APInt> ints;
      for (int64_t x : values)
        ints.push_back(width == 1
                           ? APInt(1, x != 0)
                           : APInt(width, (uint64_t)x,
                                   /*isSigned=*/!elem.isUnsignedInteger(),
                                   /*implicitTrunc=*/true));
      auto cst = nn::ConstantOp::create(b, v.getLoc(),
                                        DenseElementsAttr::get(type, ints));
      v.replaceAllUsesWith(cst.getResult());
      changed = true;
    }
  });
  return syncSignatures(root) || changed;
}

namespace {
struct NNCanonicalizePass
    : public gptq::impl::NNCanonicalizeBase<NNCanonicalizePass> {
  using NNCanonicalizeBase::NNCanonicalizeBase;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(set);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(set, context);
    patterns = std::make_shared<FrozenRewritePatternSet>(std::move(set));
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    for (int64_t it = 0; it < maxIterations; ++it) {
      bool refined = gptq::refineShapes(module);
      refined |= gptq::applySymbolicShapes(module);
      bool rewritten = false;
      if (failed(applyPatternsGreedily(module, *patterns, config, &rewritten)))
        break; // did not converge within the driver's limit: go round again
      // The shape chains exporters repeat per use (Shape -> Gather ->
      // Unsqueeze of the same tensor) become one, so that what the symbolic
      // analysis leaves is computed once.
      bool merged = false;
      {
        IRRewriter rewriter(module.getContext());
        DominanceInfo dominance(module);
        eliminateCommonSubExpressions(rewriter, dominance, module, &merged);
      }
      if (!refined && !rewritten && !merged)
        return;
    }
  }

  std::shared_ptr<FrozenRewritePatternSet> patterns;
};
} // namespace
