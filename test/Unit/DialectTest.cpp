//===- DialectTest.cpp - C++ API of the nn and gptq dialects ----*- C++ -*-===//

#include "gptq/InitAll.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace gptq;

namespace {

class DialectTest : public ::testing::Test {
protected:
  DialectTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  RankedTensorType t(ArrayRef<int64_t> shape, Type elem) {
    return RankedTensorType::get(shape, elem);
  }
  MLIRContext ctx;
};

constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(BroadcastShapes, NumpyRules) {
  using V = SmallVector<int64_t>;
  EXPECT_EQ(*nn::broadcastShapes({2, 1, 4}, {3, 1}), (V{2, 3, 4}));
  EXPECT_EQ(*nn::broadcastShapes({}, {5}), (V{5}));
  EXPECT_EQ(*nn::broadcastShapes({kDyn, 4}, {1}), (V{kDyn, 4}));
  EXPECT_EQ(*nn::broadcastShapes({kDyn}, {4}), (V{4}));
  EXPECT_EQ(*nn::broadcastShapes({kDyn}, {1}), (V{kDyn}));
  EXPECT_FALSE(nn::broadcastShapes({3}, {4}).has_value());
}

TEST(NormalizeAxis, Range) {
  EXPECT_EQ(nn::normalizeAxis(-1, 3), 2);
  EXPECT_EQ(nn::normalizeAxis(2, 3), 2);
  EXPECT_FALSE(nn::normalizeAxis(3, 3).has_value());
  EXPECT_FALSE(nn::normalizeAxis(-4, 3).has_value());
}

TEST_F(DialectTest, QuantAttrPackedSizes) {
  auto q4 = quant::QuantAttr::get(&ctx, 4, 32, true, false);
  EXPECT_EQ(q4.getNumGroups(64), 2);
  EXPECT_EQ(q4.getNumGroups(172), 6); // partial last group
  EXPECT_EQ(q4.getPackedRows(64), 8);
  EXPECT_EQ(q4.getPackedRows(172), 22); // padded to whole words
  auto q3 = quant::QuantAttr::get(&ctx, 3, -1, false, false);
  EXPECT_EQ(q3.getNumGroups(4096), 1);
  EXPECT_EQ(q3.getPackedRows(128), 12); // 32 values in 3 words
  EXPECT_EQ(q3.getPackedZeroCols(64), 6);
}

TEST_F(DialectTest, BuildersInferTypesAndFold) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  auto fn = func::FuncOp::create(
      b, loc, "main",
      b.getFunctionType({t({2, 3, 4}, f32)}, {t({6, 4}, f32)}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value x = fn.getArgument(0);

  // shape(x) folds to a constant for a static x.
  Value shape = b.createOrFold<nn::ShapeOp>(loc, x, 0, IntegerAttr());
  auto shapeCst = nn::getConstantIntValues(shape);
  ASSERT_TRUE(shapeCst.has_value());
  EXPECT_EQ(*shapeCst, (SmallVector<int64_t>{2, 3, 4}));

  // Reshape to [-1, 4] infers [6, 4] from the constant shape operand.
  auto target = DenseIntElementsAttr::get(t({2}, i64), ArrayRef<int64_t>{-1, 4});
  Value tgt = nn::ConstantOp::create(b, loc, target);
  auto reshape = nn::ReshapeOp::create(b, loc, x, tgt, false);
  EXPECT_EQ(reshape.getType(), t({6, 4}, f32));

  // x + 0 folds to x; matmul infers its type.
  auto zero = DenseElementsAttr::get(t({}, f32), 0.0f);
  Value z = nn::ConstantOp::create(b, loc, zero);
  Value sum = b.createOrFold<nn::AddOp>(loc, reshape.getOutput(), z);
  EXPECT_EQ(sum, reshape.getOutput());
  func::ReturnOp::create(b, loc, sum);
  EXPECT_TRUE(succeeded(verify(module)));
  module->destroy();
}

TEST_F(DialectTest, RefineShapesNarrowsResultsAndSignature) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  Type f32 = b.getF32Type();
  auto fn = func::FuncOp::create(
      b, loc, "main",
      b.getFunctionType({t({2, 8}, f32), t({8, 4}, f32)}, {t({kDyn, kDyn}, f32)}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  // A matmul declared less static than it could be.
  auto mm = nn::MatMulOp::create(b, loc, t({kDyn, kDyn}, f32),
                                 fn.getArgument(0), fn.getArgument(1));
  func::ReturnOp::create(b, loc, mm.getResult());
  ASSERT_TRUE(succeeded(verify(module)));
  EXPECT_TRUE(refineShapes(module));
  EXPECT_EQ(mm.getType(), t({2, 4}, f32));
  EXPECT_EQ(fn.getFunctionType().getResult(0), t({2, 4}, f32));
  EXPECT_FALSE(refineShapes(module)); // fixed point
  module->destroy();
}

} // namespace
