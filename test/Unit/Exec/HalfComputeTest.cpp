//===- HalfComputeTest.cpp - f16 plans computed in f32 --------------------===//
//
// A plan y = x @ W + c with an f16 weight and an f16 constant near fp16's
// limit: in f16 arithmetic the sum overflows to -inf, computed in f32
// (converted once or upcast per use) it stays finite and equals the f32
// reference (tolerance 1e-5 relative: same f16 inputs, f32 arithmetic).
//
//===----------------------------------------------------------------------===//

#include "gptq/Exec/HalfCompute.h"
#include "gptq/Exec/PlanBuilder.h"

#include "runtime/Executor.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gptq;
namespace rt = gptq::rt;

namespace {

const rt::DType F16 = rt::DType::F16, F32 = rt::DType::F32;

/// x [2, 3] f16 -> matmul W [3, 2] -> add c [2] -> y f16.
std::shared_ptr<rt::Plan> makePlan() {
  auto plan = std::make_shared<rt::Plan>();
  plan->numValues = 5;
  rt::IOSpec x;
  x.name = "x";
  x.value = 0;
  x.dtype = F16;
  x.shape = {2, 3};
  x.dimNames = {"", ""};
  plan->inputs.push_back(x);
  rt::Tensor w = rt::Tensor::empty(F16, {3, 2});
  for (int64_t i = 0; i < 6; ++i)
    w.setDouble(i, 0.5 * (i + 1));
  rt::Tensor c = rt::Tensor::empty(F16, {2});
  c.setDouble(0, -65504.0); // finfo(fp16).min
  c.setDouble(1, 1.0);
  plan->constants[1] = w;
  plan->constants[2] = c;
  rt::Step mm;
  rt::opKindFromName("nn.matmul", mm.kind);
  mm.name = "mm";
  mm.inputs = {0, 1};
  mm.outputs = {3};
  mm.outputDTypes = {F16};
  rt::Step add;
  rt::opKindFromName("nn.add", add.kind);
  add.name = "add";
  add.inputs = {3, 2};
  add.outputs = {4};
  add.outputDTypes = {F16};
  plan->steps = {mm, add};
  rt::IOSpec y;
  y.name = "y";
  y.value = 4;
  y.dtype = F16;
  y.shape = {2, 2};
  y.dimNames = {"", ""};
  plan->outputs.push_back(y);
  plan->computeReleases();
  return plan;
}

rt::Tensor input(rt::DType dt) {
  rt::Tensor x = rt::Tensor::empty(dt, {2, 3});
  double v[] = {-30, -20, -10, 10, 20, 30};
  for (int64_t i = 0; i < 6; ++i)
    x.setDouble(i, v[i]);
  return x;
}

// y = x @ W + c in double.
double reference(int64_t r, int64_t col) {
  double x[2][3] = {{-30, -20, -10}, {10, 20, 30}};
  double w[3][2] = {{0.5, 1.0}, {1.5, 2.0}, {2.5, 3.0}};
  double c[2] = {-65504.0, 1.0};
  double s = c[col];
  for (int k = 0; k < 3; ++k)
    s += x[r][k] * w[k][col];
  return s;
}

TEST(HalfCompute, NativeOverflowsF32DoesNot) {
  // f16 arithmetic: -65504 + (-110) rounds to -inf.
  auto native = makePlan();
  ASSERT_TRUE(native->validate());
  rt::Executor ex(native);
  rt::NamedTensors outs;
  ASSERT_TRUE(ex.run({{"x", input(F16)}}, outs));
  EXPECT_TRUE(std::isinf(outs["y"].getDouble(0)));

  for (HalfCompute mode : {HalfCompute::F32, HalfCompute::F32PerUse}) {
    auto plan = makePlan();
    PlanMapping mapping;
    mapping.stepOps.assign(plan->steps.size(), nullptr);
    computeHalfInF32(*plan, mode, &mapping);
    EXPECT_FALSE(planHasHalf(*plan) && mode == HalfCompute::F32);
    EXPECT_EQ(plan->inputs[0].dtype, F32);
    EXPECT_EQ(plan->outputs[0].dtype, F32);
    EXPECT_EQ(mapping.stepOps.size(), plan->steps.size());
    if (mode == HalfCompute::F32PerUse) {
      // The weights stay f16; two casts were inserted.
      EXPECT_EQ(plan->constants[1].dtype(), F16);
      EXPECT_EQ(plan->steps.size(), 4u);
    } else {
      EXPECT_EQ(plan->constants[1].dtype(), F32);
      EXPECT_EQ(plan->steps.size(), 2u);
    }
    ASSERT_TRUE(plan->validate()) << plan->validate().message();
    rt::Executor ex32(plan);
    rt::NamedTensors o;
    auto st = ex32.run({{"x", input(F32)}}, o);
    ASSERT_TRUE(st) << st.message();
    ASSERT_EQ(o["y"].dtype(), F32);
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t c = 0; c < 2; ++c) {
        double want = reference(r, c);
        EXPECT_NEAR(o["y"].getDouble(r * 2 + c), want,
                    1e-5 * std::fabs(want) + 1e-6)
            << halfComputeName(mode) << " " << r << "," << c;
      }
  }
}

TEST(HalfCompute, ConvertAndNames) {
  rt::Tensor h = rt::Tensor::empty(F16, {4});
  double v[] = {0.1, -65504.0, 1e-7, INFINITY};
  for (int i = 0; i < 4; ++i)
    h.setDouble(i, v[i]);
  rt::Tensor f = convertFloatTensor(h, F32);
  ASSERT_EQ(f.dtype(), F32);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(f.getDouble(i), h.getDouble(i));
  rt::Tensor back = convertFloatTensor(f, F16);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(back.data<uint16_t>()[i], h.data<uint16_t>()[i]);
  rt::Tensor b = convertFloatTensor(f, rt::DType::BF16);
  EXPECT_EQ(b.dtype(), rt::DType::BF16);
  EXPECT_NEAR(b.getDouble(0), 0.1, 1e-3);
  EXPECT_EQ(parseHalfCompute("f32-per-use"), HalfCompute::F32PerUse);
  EXPECT_FALSE(parseHalfCompute("fp32"));
}

} // namespace
