//===- SymbolicShapesTest.cpp - shape algebra and analysis ------*- C++ -*-===//
//
// The SymExpr algebra (canonical forms, overflow, exact and truncating
// division, sign reasoning, dim_param parsing) and ShapeAnalysis on small
// parsed functions (the exporter patterns of SymbolicShapes.h).
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Analysis/SymbolicShapes.h"

#include "gptq/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace gptq::shapes;

namespace {

class SymExprTest : public ::testing::Test {
protected:
  SymExpr sym(llvm::StringRef name) { return SymExpr::symbol(t.named(name)); }
  std::string str(const std::optional<SymExpr> &e) {
    return e ? e->str(t) : "<none>";
  }
  gptq::shapes::SymbolTable t;
};

TEST_F(SymExprTest, CanonicalForms) {
  SymExpr b = sym("b"), s = sym("s");
  // Commutativity and associativity give one form.
  EXPECT_EQ(*mul(b, s), *mul(s, b));
  EXPECT_EQ(*add(*add(b, s), 3), *add(3, *add(s, b)));
  // Cancellation: (b + s) - s == b; b*s - s*b == 0.
  EXPECT_EQ(*sub(*add(b, s), s), b);
  EXPECT_TRUE(sub(*mul(b, s), *mul(s, b))->isConstant(0));
  // Distribution: (b + 1) * s == b*s + s.
  EXPECT_EQ(*mul(*add(b, 1), s), *add(*mul(b, s), s));
  EXPECT_EQ(str(mul(*mul(b, s), 32)), "32*b*s");
  EXPECT_EQ(str(add(*add(b, s), 1)), "b + s + 1");
  EXPECT_EQ(str(sub(SymExpr(2), b)), "-b + 2");
  EXPECT_EQ(str(mul(b, b)), "b*b");
  EXPECT_EQ(SymExpr().str(t), "0");
  EXPECT_EQ(SymExpr(7).getConstant(), 7);
  EXPECT_EQ(b.getSymbol(), t.lookup("b"));
  EXPECT_FALSE(mul(b, 2)->getSymbol());
  EXPECT_FALSE(b.getConstant());
}

TEST_F(SymExprTest, Overflow) {
  SymExpr big(INT64_MAX);
  EXPECT_FALSE(add(big, 1));
  EXPECT_FALSE(mul(big, 2));
  EXPECT_FALSE(neg(SymExpr(INT64_MIN)));
  EXPECT_FALSE(mul(*mul(sym("b"), big), 3));
  EXPECT_TRUE(add(big, -1));
  // Degree and term bounds.
  SymExpr p(1);
  for (size_t i = 0; i < SymExpr::kMaxDegree; ++i)
    p = *mul(p, sym("x"));
  EXPECT_FALSE(mul(p, sym("x")));
}

TEST_F(SymExprTest, ExactDivision) {
  SymExpr b = sym("b"), s = sym("s"), p = sym("p");
  // reshape(bsz, q_len, -1) of [b, s, 4, 8]: (b*s*4*8) / (b*s) = 32.
  auto numel = *mul(*mul(b, s), 32);
  EXPECT_EQ(str(divExact(numel, *mul(b, s))), "32");
  // view(-1, 32) of [b, s, 32]: b*s.
  EXPECT_EQ(str(divExact(numel, 32)), "b*s");
  // A sum divides: (b*(p + s)*64) / (p + s) = 64*b.
  auto kv = *add(p, s);
  EXPECT_EQ(str(divExact(*mul(*mul(b, kv), 64), kv)), "64*b");
  EXPECT_EQ(str(divExact(*mul(*mul(b, kv), 64), *mul(b, kv))), "64");
  // Not exact: no quotient.
  EXPECT_FALSE(divExact(*mul(b, s), p));
  EXPECT_FALSE(divExact(*add(b, 1), b));
  EXPECT_FALSE(divExact(*mul(b, 3), 2));
  EXPECT_FALSE(divExact(b, 0));
  EXPECT_EQ(str(divExact(0, b)), "0");
}

TEST_F(SymExprTest, TruncatingDivision) {
  SymExpr n = sym("n");
  EXPECT_EQ(str(divTrunc(7, 2, t)), "3");
  EXPECT_EQ(str(divTrunc(-7, 2, t)), "-3"); // toward zero, as ONNX Div
  EXPECT_FALSE(divTrunc(7, 0, t));
  EXPECT_FALSE(divTrunc(INT64_MIN, -1, t));
  // chunk(2): (2n + 1) / 2 = n for a size n.
  EXPECT_EQ(str(divTrunc(*add(*mul(n, 2), 1), 2, t)), "n");
  // (n + 1) / 2 is not decided.
  EXPECT_FALSE(divTrunc(*add(n, 1), 2, t));
  // A value of unknown sign: (2v + 1) / 2 is v only if 2v + 1 >= 0.
  SymExpr v = SymExpr::symbol(t.fresh(SymbolKind::Value, "v"));
  EXPECT_FALSE(divTrunc(*add(*mul(v, 2), 1), 2, t));
  EXPECT_EQ(*divTrunc(*mul(v, 2), 2, t), v); // exact
}

TEST_F(SymExprTest, Compare) {
  SymExpr b = sym("b"), s = sym("s");
  SymExpr v = SymExpr::symbol(t.fresh(SymbolKind::Value, "v"));
  EXPECT_EQ(compare(b, b, t), 0);
  EXPECT_EQ(compare(*add(b, 2), b, t), 1);
  EXPECT_EQ(compare(b, *add(b, 2), t), -1);
  // A size is never -1 (the Where(Equal(shape, -1), 1, shape) of expand).
  EXPECT_EQ(compare(b, -1, t), 1);
  EXPECT_EQ(compare(*mul(b, s), -1, t), 1);
  EXPECT_EQ(compare(*add(b, s), 0, t), std::nullopt); // both may be 0
  EXPECT_EQ(compare(*add(*add(b, s), 1), 0, t), 1);
  EXPECT_EQ(compare(b, s, t), std::nullopt);
  EXPECT_EQ(compare(v, -1, t), std::nullopt); // a value may be anything
  EXPECT_EQ(compare(*mul(v, v), -1, t), 1);   // but its square is >= 0
  EXPECT_TRUE(b.isNonNegative(t));
  EXPECT_FALSE(v.isNonNegative(t));
  EXPECT_FALSE(sub(b, 1)->isNonNegative(t));
}

TEST_F(SymExprTest, DimParams) {
  SymExpr a = parseDimParam("batch_size", t);
  EXPECT_EQ(a, sym("batch_size"));
  EXPECT_EQ(parseDimParam("batch_size", t), a); // same name, same symbol
  SymExpr total = parseDimParam("past_sequence_length + sequence_length", t);
  EXPECT_EQ(total, *add(sym("past_sequence_length"), sym("sequence_length")));
  EXPECT_EQ(str(parseDimParam("2*(n + 1)", t)), "2*n + 2");
  // Not a size expression, or not parsable: one opaque name.
  for (llvm::StringRef name : {"a - b", "seq len?", "unk__0", "(n"}) {
    SymExpr e = parseDimParam(name, t);
    ASSERT_TRUE(t.lookup(name)) << name.str();
    EXPECT_EQ(e.getSymbol(), t.lookup(name)) << name.str();
    EXPECT_EQ(e.str(t), name.str());
  }
}

TEST_F(SymExprTest, FreshSymbolsAreDistinct) {
  SymbolId x = t.fresh(SymbolKind::Size);
  SymbolId y = t.fresh(SymbolKind::Size);
  EXPECT_NE(x, y);
  EXPECT_NE(t.name(x), t.name(y));
  SymbolId n = t.named("d");
  SymbolId f = t.fresh(SymbolKind::Size, "d");
  EXPECT_NE(n, f);
  EXPECT_NE(t.name(f), "d");
}

//===----------------------------------------------------------------------===//
// The analysis on parsed functions
//===----------------------------------------------------------------------===//

class ShapeAnalysisTest : public ::testing::Test {
protected:
  ShapeAnalysisTest() {
    DialectRegistry registry;
    gptq::registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  /// Parses a module with one function @f and analyzes it.
  void analyze(llvm::StringRef src) {
    module = parseSourceString<ModuleOp>(src, &ctx);
    ASSERT_TRUE(module);
    fn = module->lookupSymbol<func::FuncOp>("f");
    ASSERT_TRUE(fn);
    analysis = std::make_unique<ShapeAnalysis>(fn);
  }
  /// The value returned at position i.
  Value ret(unsigned i) {
    return fn.getBody().front().getTerminator()->getOperand(i);
  }
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  func::FuncOp fn;
  std::unique_ptr<ShapeAnalysis> analysis;
};

// attn_output.reshape(bsz, q_len, -1) after the transpose back from heads.
TEST_F(ShapeAnalysisTest, ReshapeMinusOneAfterTranspose) {
  analyze(R"(
func.func @f(%x: tensor<?x?x32xf32> {nn.dim_names = ["batch", "seq", ""]},
             %attn: tensor<?x4x?x8xf32>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %s = nn.shape %x : tensor<?x?x32xf32> -> tensor<3xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %i1 = nn.constant dense<1> : tensor<i64>
  %b = nn.gather %s, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %q = nn.gather %s, %i1 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = nn.unsqueeze %b, axes = [0] : tensor<i64> -> tensor<1xi64>
  %qu = nn.unsqueeze %q, axes = [0] : tensor<i64> -> tensor<1xi64>
  %h = nn.constant dense<4> : tensor<1xi64>
  %d = nn.constant dense<8> : tensor<1xi64>
  %m1 = nn.constant dense<-1> : tensor<1xi64>
  %heads = nn.concat %bu, %qu, %h, %d {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %xh = nn.reshape %x, %heads : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %t = nn.transpose %xh, perm = [0, 2, 1, 3] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %tb = nn.transpose %t, perm = [0, 2, 1, 3] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %back = nn.concat %bu, %qu, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = nn.reshape %tb, %back : (tensor<?x?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %z = nn.reshape %attn, %back : (tensor<?x4x?x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y, %z : tensor<?x?x?xf32>, tensor<?x?x?xf32>
})");
  EXPECT_EQ(analysis->describeDims(ret(0)), "[batch, seq, 32]");
  auto t = cast<RankedTensorType>(analysis->refinedType(ret(0)));
  EXPECT_EQ(t.getDimSize(2), 32);
  EXPECT_TRUE(t.isDynamicDim(0));
  // A tensor unrelated to batch/seq: its -1 is not provable.
  auto z = cast<RankedTensorType>(analysis->refinedType(ret(1)));
  EXPECT_TRUE(z.isDynamicDim(2));
}

// Shape elements, equality of the same symbol, sizes are never -1.
TEST_F(ShapeAnalysisTest, ShapeArithmeticAndComparisons) {
  analyze(R"(
func.func @f(%a: tensor<?x?xi64> {nn.dim_names = ["batch", "seq"]},
             %m: tensor<?x?xi64> {nn.dim_names = ["batch", "seq"]},
             %o: tensor<?x?xi64>)
    -> (tensor<2xi1>, tensor<2xi1>, tensor<1xi1>, tensor<1xi64>, tensor<i64>) {
  %sa = nn.shape %a : tensor<?x?xi64> -> tensor<2xi64>
  %sm = nn.shape %m : tensor<?x?xi64> -> tensor<2xi64>
  %so = nn.shape %o : tensor<?x?xi64> -> tensor<2xi64>
  %eq = nn.equal %sa, %sm : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %m1 = nn.constant dense<-1> : tensor<2xi64>
  %neg = nn.equal %sa, %m1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %i1 = nn.constant dense<[1]> : tensor<1xi64>
  %qa = nn.gather %sa, %i1 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %qo = nn.gather %so, %i1 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %undecided = nn.equal %qa, %qo : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  %one = nn.constant dense<1> : tensor<1xi64>
  %p = nn.add %qa, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %n = nn.size %a : tensor<?x?xi64> -> tensor<i64>
  return %eq, %neg, %undecided, %p, %n : tensor<2xi1>, tensor<2xi1>, tensor<1xi1>, tensor<1xi64>, tensor<i64>
})");
  EXPECT_EQ(analysis->constantElements(ret(0)), (SmallVector<int64_t>{1, 1}));
  EXPECT_EQ(analysis->constantElements(ret(1)), (SmallVector<int64_t>{0, 0}));
  EXPECT_FALSE(analysis->constantElements(ret(2)));
  EXPECT_EQ(analysis->describeElements(ret(3)), "[seq + 1]");
  EXPECT_EQ(analysis->describeElements(ret(4)), "[batch*seq]");
}

// view(-1, x.size(-1)) and chunk(2, -1) as Slices with computed ends.
TEST_F(ShapeAnalysisTest, ViewAndChunk) {
  analyze(R"(
func.func @f(%x: tensor<?x?x?xf32>, %g: tensor<?x?x128xf32>)
    -> (tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %w = nn.constant dense<1.0> : tensor<64x64xf32>
  %s = nn.shape %x : tensor<?x?x?xf32> -> tensor<3xi64>
  %last = nn.constant dense<-1> : tensor<i64>
  %k = nn.gather %s, %last : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %ku = nn.unsqueeze %k, axes = [0] : tensor<i64> -> tensor<1xi64>
  %m1 = nn.constant dense<-1> : tensor<1xi64>
  %shape = nn.concat %m1, %ku {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %v = nn.reshape %x, %shape : (tensor<?x?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %gs = nn.shape %g : tensor<?x?x128xf32> -> tensor<3xi64>
  %two = nn.constant dense<[2]> : tensor<1xi64>
  %gd = nn.gather %gs, %two : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %one = nn.constant dense<[1]> : tensor<1xi64>
  %gd1 = nn.add %gd, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %half = nn.div %gd1, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %end2 = nn.mul %half, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %zero = nn.constant dense<[0]> : tensor<1xi64>
  %ax = nn.constant dense<[-1]> : tensor<1xi64>
  %a = nn.slice %g, %zero, %half, %ax, %one : (tensor<?x?x128xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %b = nn.slice %g, %half, %end2, %ax, %one : (tensor<?x?x128xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  return %v, %a, %b : tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>
})");
  // x's last dim is unknown: view keeps it symbolic, the -1 is the rest.
  auto v = analysis->lookup(ret(0));
  ASSERT_TRUE(v);
  auto xd = analysis->lookup(fn.getArgument(0));
  ASSERT_TRUE(xd);
  EXPECT_EQ(v->dims[1], xd->dims[2]);
  EXPECT_EQ(v->dims[0], *mul(xd->dims[0], xd->dims[1]));
  EXPECT_EQ(cast<RankedTensorType>(analysis->refinedType(ret(1))).getDimSize(2),
            64);
  EXPECT_EQ(cast<RankedTensorType>(analysis->refinedType(ret(2))).getDimSize(2),
            64);
}

// KV cache: concat of past and new keys is past + seq; a mask sliced to
// the key length keeps it; Range(past, past + seq) has seq elements.
TEST_F(ShapeAnalysisTest, SumsOfDims) {
  analyze(R"(
func.func @f(%past: tensor<?x2x?x8xf32> {nn.dim_names = ["batch", "", "past", ""]},
             %k: tensor<?x2x?x8xf32> {nn.dim_names = ["batch", "", "seq", ""]},
             %mask: tensor<?x?xi64> {nn.dim_names = ["batch", "past + seq"]})
    -> (tensor<?x2x?x8xf32>, tensor<1xi1>, tensor<?xi64>) {
  %kv = nn.concat %past, %k {axis = 2 : i64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %skv = nn.shape %kv : tensor<?x2x?x8xf32> -> tensor<4xi64>
  %sm = nn.shape %mask : tensor<?x?xi64> -> tensor<2xi64>
  %i2 = nn.constant dense<[2]> : tensor<1xi64>
  %i1 = nn.constant dense<[1]> : tensor<1xi64>
  %a = nn.gather %skv, %i2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %b = nn.gather %sm, %i1 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %same = nn.equal %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  %sp = nn.shape %past : tensor<?x2x?x8xf32> -> tensor<4xi64>
  %p = nn.gather %sp, %i2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %ps = nn.squeeze %p, axes = [0] : tensor<1xi64> -> tensor<i64>
  %as = nn.squeeze %a, axes = [0] : tensor<1xi64> -> tensor<i64>
  %one = nn.constant dense<1> : tensor<i64>
  %pos = nn.range %ps, %as, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %kv, %same, %pos : tensor<?x2x?x8xf32>, tensor<1xi1>, tensor<?xi64>
})");
  EXPECT_EQ(analysis->describeDims(ret(0)), "[batch, 2, past + seq, 8]");
  EXPECT_EQ(analysis->constantElements(ret(1)), (SmallVector<int64_t>{1}));
  EXPECT_EQ(analysis->describeDims(ret(2)), "[seq]");
}

// Broadcasting, matmul, expand through Where(Equal(shape, -1), 1, shape).
TEST_F(ShapeAnalysisTest, BroadcastMatmulExpand) {
  analyze(R"(
func.func @f(%q: tensor<?x2x?x8xf32> {nn.dim_names = ["b", "", "s", ""]},
             %kvh: tensor<?x2x?x8xf32> {nn.dim_names = ["b", "", "s", ""]},
             %bias: tensor<1x1x1x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?x?xf32>) {
  %kt = nn.transpose %kvh, perm = [0, 1, 3, 2] : tensor<?x2x?x8xf32> -> tensor<?x2x8x?xf32>
  %u = nn.unsqueeze %kvh, axes = [2] : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %sk = nn.shape %kvh : tensor<?x2x?x8xf32> -> tensor<4xi64>
  %i0 = nn.constant dense<[0]> : tensor<1xi64>
  %i2 = nn.constant dense<[2]> : tensor<1xi64>
  %b = nn.gather %sk, %i0 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = nn.gather %sk, %i2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %c2 = nn.constant dense<[2, 2]> : tensor<2xi64>
  %c8 = nn.constant dense<[8]> : tensor<1xi64>
  %target = nn.concat %b, %c2, %s, %c8 {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %m1 = nn.constant dense<-1> : tensor<5xi64>
  %ones = nn.constant dense<1> : tensor<5xi64>
  %isneg = nn.equal %target, %m1 : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi1>
  %safe = nn.where %isneg, %ones, %target : (tensor<5xi1>, tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  %e = nn.expand %u, %safe : (tensor<?x2x1x?x8xf32>, tensor<5xi64>) -> tensor<?x?x?x?x?xf32>
  %qk = nn.matmul %q, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x?x?x?xf32>
  %biased = nn.add %qk, %bias : (tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>) -> tensor<?x?x?x?xf32>
  return %qk, %biased, %e : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?x?xf32>
})");
  EXPECT_EQ(analysis->describeDims(ret(0)), "[b, 2, s, s]");
  auto biased = analysis->lookup(ret(1));
  ASSERT_TRUE(biased);
  EXPECT_EQ(biased->dims[0], SymExpr::symbol(*analysis->symbols().lookup("b")));
  EXPECT_FALSE(biased->dims[3].getConstant()); // max(s, bias dim): fresh
  EXPECT_EQ(analysis->describeDims(ret(2)), "[b, 2, 2, s, 8]");
}

} // namespace

namespace {
// On-demand analysis (the importer's and the repeat_interleave pattern's
// use): facts handed out stay valid while later analyze() calls add many
// more values.
TEST_F(ShapeAnalysisTest, OnDemandPointersStayValid) {
  std::string src = "func.func @f(%x: tensor<?x8xf32> {nn.dim_names = "
                    "[\"n\", \"\"]}) -> tensor<?x8xf32> {\n  %v0 = nn.relu "
                    "%x : tensor<?x8xf32>\n";
  for (int i = 1; i < 200; ++i)
    src += "  %v" + std::to_string(i) + " = nn.relu %v" +
           std::to_string(i - 1) + " : tensor<?x8xf32>\n";
  src += "  return %v199 : tensor<?x8xf32>\n}\n";
  module = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  fn = module->lookupSymbol<func::FuncOp>("f");
  ShapeAnalysis lazy;
  Block &body = fn.getBody().front();
  const ValueFacts *first = lazy.analyze(body.front().getResult(0));
  ASSERT_TRUE(first);
  const ValueFacts *last = lazy.analyze(ret(0)); // 199 more values
  ASSERT_TRUE(last);
  EXPECT_EQ(first, lazy.lookup(body.front().getResult(0)));
  EXPECT_EQ(first->dims, last->dims);
  EXPECT_EQ(lazy.describeDims(ret(0)), "[n, 8]");
}
} // namespace
