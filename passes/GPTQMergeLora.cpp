//===- GPTQMergeLora.cpp - fold LoRA branches into base weights -*- C++ -*-===//
//
// A PEFT LoRA linear layer exported by torch.onnx computes
//   y = x W + ((x A) B) * s
// with a frozen base weight W [K, N], a rank-r adapter A [K, r], B [r, N]
// and a scale s = alpha / r (the adapter matmuls may be Gemms with trans_b,
// the scale may come before A, between A and B or after B, dropout is an
// identity at inference). With A, B and s constant the branch is a rank-r
// update of W: this pass replaces W by W' = W + A B s and drops the branch,
// so that quantization sees (and rounds) the merged weight.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "gptq/Exec/PlanBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gptq {
#define GEN_PASS_DEF_GPTQMERGELORA
#include "passes/Passes.h.inc"
} // namespace gptq

using namespace mlir;
using namespace gptq;

namespace {

/// A constant 2-D matrix, possibly read through nn.transpose perm = [1, 0]:
/// element (i, j) of the value is at(i, j).
struct ConstMatrix {
  rt::Tensor data;
  bool transposed = false;
  int64_t rows = 0, cols = 0; ///< of the value (after the transpose)
  double at(int64_t i, int64_t j) const {
    int64_t storedCols = transposed ? rows : cols;
    return transposed ? data.getDouble(j * storedCols + i)
                      : data.getDouble(i * storedCols + j);
  }
};

static std::optional<ConstMatrix> constMatrix(Value v) {
  bool transposed = false;
  if (auto t = v.getDefiningOp<nn::TransposeOp>()) {
    if (t.getPerm() != ArrayRef<int64_t>{1, 0})
      return std::nullopt;
    v = t.getInput();
    transposed = true;
  }
  auto c = v.getDefiningOp<nn::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto type = cast<RankedTensorType>(c.getType());
  if (type.getRank() != 2 || !type.hasStaticShape() ||
      !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  auto t = tensorFromAttr(c.getValue());
  if (failed(t))
    return std::nullopt;
  ConstMatrix m;
  m.data = *t;
  m.transposed = transposed;
  m.rows = type.getDimSize(transposed ? 1 : 0);
  m.cols = type.getDimSize(transposed ? 0 : 1);
  return m;
}

/// x W (+ C) with a constant 2-D W: nn.matmul(x, W) or
/// nn.gemm(x, B, C?) {trans_a = false} (W = alpha op(B)).
struct Linear {
  Operation *op = nullptr;
  Value input;
  Value weight; ///< the weight operand as the op sees it
  bool transB = false;
  double alpha = 1.0;
  bool hasC = false;
  ConstMatrix w; ///< the operand's value
  int64_t k = 0, n = 0;
  /// Logical weight element (k, n), alpha applied.
  double at(int64_t i, int64_t j) const {
    return alpha * (transB ? w.at(j, i) : w.at(i, j));
  }
};

static std::optional<Linear> matchLinear(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  Linear l;
  l.op = op;
  if (auto mm = dyn_cast<nn::MatMulOp>(op)) {
    l.input = mm.getLhs();
    l.weight = mm.getRhs();
  } else if (auto g = dyn_cast<nn::GemmOp>(op)) {
    if (g.getTransA())
      return std::nullopt;
    l.input = g.getA();
    l.weight = g.getB();
    l.transB = g.getTransB();
    l.alpha = g.getAlpha().convertToDouble();
    l.hasC = static_cast<bool>(g.getC());
  } else {
    return std::nullopt;
  }
  auto w = constMatrix(l.weight);
  if (!w)
    return std::nullopt;
  l.w = *w;
  l.k = l.transB ? w->cols : w->rows;
  l.n = l.transB ? w->rows : w->cols;
  auto in = dyn_cast<RankedTensorType>(l.input.getType());
  if (!in || in.getRank() < 1 || in.getShape().back() != l.k ||
      in.getElementType() !=
          cast<RankedTensorType>(l.weight.getType()).getElementType())
    return std::nullopt;
  return l;
}

/// A constant scale of a [..., d] tensor: a scalar or a tensor of shape
/// [1, ..., 1, d]. Returns d values (all equal for a scalar).
static std::optional<std::vector<double>> constScale(Value v, int64_t d) {
  auto c = v.getDefiningOp<nn::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto type = cast<RankedTensorType>(c.getType());
  if (!type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  auto t = tensorFromAttr(c.getValue());
  if (failed(t))
    return std::nullopt;
  int64_t n = type.getNumElements();
  if (n != 1) {
    if (type.getRank() == 0 || type.getShape().back() != d || n != d)
      return std::nullopt;
  }
  std::vector<double> s(d);
  for (int64_t i = 0; i < d; ++i)
    s[i] = t->getDouble(n == 1 ? 0 : i);
  return s;
}

/// `v = u * scale` with a constant scale of the last dimension that does
/// not broadcast u: returns u and multiplies `scale` in place.
static Value peelScale(Value v, std::vector<double> &scale) {
  auto mul = v.getDefiningOp<nn::MulOp>();
  if (!mul)
    return v;
  for (auto [x, s] : {std::pair{mul.getLhs(), mul.getRhs()},
                      std::pair{mul.getRhs(), mul.getLhs()}}) {
    if (x.getType() != mul.getType())
      continue;
    if (auto values = constScale(s, (int64_t)scale.size())) {
      for (size_t i = 0; i < scale.size(); ++i)
        scale[i] *= (*values)[i];
      return x;
    }
  }
  return v;
}

/// A new constant of `type` holding `t`: a dense_resource blob, or a dense
/// attribute for tiny tensors.
static Value makeConstant(PatternRewriter &rewriter, Location loc,
                          RankedTensorType type, const rt::Tensor &t,
                          StringRef name) {
  ArrayRef<char> raw(static_cast<const char *>(t.raw()), t.nbytes());
  if (type.getNumElements() <= 16)
    return nn::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::getFromRawBuffer(type, raw));
  size_t align = std::max<size_t>(1, type.getElementTypeBitWidth() / 8);
  auto attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, align));
  return nn::ConstantOp::create(rewriter, loc, attr);
}

/// A name location without PEFT's "base_layer" level: node
/// "/layers.0/q_proj/base_layer/MatMul" -> "/layers.0/q_proj/MatMul",
/// parameter "layers.0.q_proj.base_layer.weight" -> "layers.0.q_proj.weight".
static Location withoutBaseLayer(Location loc) {
  auto nl = dyn_cast<NameLoc>(loc);
  if (!nl)
    return loc;
  std::string name = nl.getName().str();
  for (StringRef level : {"/base_layer/", ".base_layer."}) {
    size_t at = name.find(level.str());
    if (at != std::string::npos)
      name.replace(at, level.size(), level.substr(0, 1).str());
  }
  return NameLoc::get(StringAttr::get(loc.getContext(), name),
                      nl.getChildLoc());
}

/// nn.add(base, branch) -> base with the merged weight.
struct MergeLoraBranch : public OpRewritePattern<nn::AddOp> {
  MergeLoraBranch(MLIRContext *ctx, llvm::Statistic &numMerged)
      : OpRewritePattern<nn::AddOp>(ctx), numMerged(numMerged) {}

  LogicalResult matchAndRewrite(nn::AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [y, v] : {std::pair{add.getLhs(), add.getRhs()},
                        std::pair{add.getRhs(), add.getLhs()}})
      if (succeeded(tryMerge(add, y, v, rewriter)))
        return success();
    return rewriter.notifyMatchFailure(add, "not a constant LoRA branch");
  }

  LogicalResult tryMerge(nn::AddOp add, Value y, Value v,
                         PatternRewriter &rewriter) const {
    if (y.getType() != add.getType() || v.getType() != add.getType() ||
        !y.hasOneUse() || !v.hasOneUse() || y == v)
      return failure();
    // The base: linear(x, W), possibly followed by + constant bias.
    Value baseOut = y;
    if (auto biasAdd = y.getDefiningOp<nn::AddOp>()) {
      for (auto [a, b] : {std::pair{biasAdd.getLhs(), biasAdd.getRhs()},
                          std::pair{biasAdd.getRhs(), biasAdd.getLhs()}})
        if (b.getDefiningOp<nn::ConstantOp>() && a.getType() == y.getType()) {
          baseOut = a;
          break;
        }
      if (baseOut == y || !baseOut.hasOneUse())
        return failure();
    }
    auto base = matchLinear(baseOut);
    if (!base)
      return failure();
    int64_t K = base->k, N = base->n;

    // The branch, from its end: [* s_out] <- linear(., B) <- [* s_mid] <-
    // linear(., A) <- [* s_in] <- x.
    std::vector<double> sOut(N, 1.0), sMid, sIn(K, 1.0);
    Value u = peelScale(v, sOut);
    if (u != v && !u.hasOneUse())
      return failure();
    auto bLin = matchLinear(u);
    if (!bLin || bLin->hasC || bLin->n != N)
      return failure();
    int64_t r = bLin->k;
    sMid.assign(r, 1.0);
    Value t = bLin->input;
    if (!t.hasOneUse())
      return failure();
    Value t2 = peelScale(t, sMid);
    if (t2 != t && !t2.hasOneUse())
      return failure();
    auto aLin = matchLinear(t2);
    if (!aLin || aLin->hasC || aLin->n != r || aLin->k != K)
      return failure();
    Value x = aLin->input;
    if (x != base->input) {
      if (!x.hasOneUse() || peelScale(x, sIn) != base->input)
        return failure();
    }
    if (aLin->op == base->op || bLin->op == base->op)
      return failure();

    // delta[k][n] = sum_j sIn[k] A[k][j] sMid[j] B[j][n] sOut[n].
    std::vector<float> a(K * r), b(r * N);
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < r; ++j)
        a[i * r + j] = (float)(sIn[i] * aLin->at(i, j) * sMid[j]);
    for (int64_t j = 0; j < r; ++j)
      for (int64_t n = 0; n < N; ++n)
        b[j * N + n] = (float)(bLin->at(j, n) * sOut[n]);
    std::vector<float> delta(K * N, 0.0f);
    for (int64_t i = 0; i < K; ++i) {
      float *row = &delta[i * N];
      for (int64_t j = 0; j < r; ++j) {
        float aij = a[i * r + j];
        const float *brow = &b[j * N];
        for (int64_t n = 0; n < N; ++n)
          row[n] += aij * brow[n];
      }
    }

    // The new weight operand, in the layout the base op reads it.
    auto wType = cast<RankedTensorType>(base->weight.getType());
    auto dtype = toDType(wType.getElementType());
    if (!dtype)
      return failure();
    int64_t rows = wType.getDimSize(0), cols = wType.getDimSize(1);
    rt::Tensor merged = rt::Tensor::empty(*dtype, {rows, cols});
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        // Operand (i, j) is logical (k, n) = transB ? (j, i) : (i, j).
        int64_t k = base->transB ? j : i, n = base->transB ? i : j;
        merged.setDouble(i * cols + j,
                         base->w.at(i, j) + delta[k * N + n] / base->alpha);
      }

    // Keep the base weight's name (layer names derive from it), as PEFT's
    // merge_and_unload does: without the "base_layer" wrapper level.
    Value wSource = base->weight;
    if (auto tr = wSource.getDefiningOp<nn::TransposeOp>())
      wSource = tr.getInput();
    Location wLoc = withoutBaseLayer(wSource.getLoc());
    std::string blobName = "lora_merged";
    if (auto nl = dyn_cast<NameLoc>(wLoc))
      blobName = nl.getName().str();
    rewriter.setInsertionPoint(base->op);
    Value newWeight = makeConstant(rewriter, wLoc, wType, merged, blobName);
    // Operand 1 is the weight of both nn.matmul (rhs) and nn.gemm (b).
    rewriter.modifyOpInPlace(base->op, [&] {
      base->op->setOperand(1, newWeight);
      base->op->setLoc(withoutBaseLayer(base->op->getLoc()));
    });
    rewriter.replaceOp(add, y);
    ++numMerged;
    return success();
  }

  llvm::Statistic &numMerged;
};

struct GPTQMergeLoraPass
    : public gptq::impl::GPTQMergeLoraBase<GPTQMergeLoraPass> {
  using GPTQMergeLoraBase::GPTQMergeLoraBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MergeLoraBranch>(&getContext(), numMerged);
    // Only this rewrite (and the removal of the dead branches): no folding
    // or constant CSE elsewhere in the graph.
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal(true);
    config.enableFolding(false);
    config.enableConstantCSE(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
