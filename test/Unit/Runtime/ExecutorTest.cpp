//===- ExecutorTest.cpp - plans, the executor, hooks and sweeps -----------===//
//
// Tolerances: f32 graph results 1e-6 relative against a double reference;
// everything else exact.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "runtime/Executor.h"

#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

/// Builds plans by hand; release lists like the IR's PlanBuilder (a value
/// dies after its last use; constants and graph outputs never).
class PlanMaker {
public:
  std::shared_ptr<Plan> plan = std::make_shared<Plan>();

  int input(const std::string &name, DType dt, Shape shape) {
    IOSpec spec;
    spec.name = name;
    spec.value = plan->numValues++;
    spec.dtype = dt;
    spec.shape = shape;
    spec.dimNames.assign(shape.size(), "");
    plan->inputs.push_back(spec);
    return spec.value;
  }
  int constant(Tensor t, const std::string &name = "") {
    int id = plan->numValues++;
    plan->constants[id] = std::move(t);
    if (!name.empty())
      plan->constantNames[id] = name;
    return id;
  }
  std::vector<int> step(OpKind kind, const std::string &name,
                        std::vector<int> inputs,
                        std::vector<DType> outDTypes = {DType::F32},
                        Attrs attrs = {}) {
    Step s;
    s.kind = kind;
    s.name = name;
    s.inputs = std::move(inputs);
    for (size_t i = 0; i < outDTypes.size(); ++i)
      s.outputs.push_back(plan->numValues++);
    s.outputDTypes = outDTypes;
    s.attrs = std::move(attrs);
    plan->steps.push_back(s);
    return plan->steps.back().outputs;
  }
  int step1(OpKind kind, const std::string &name, std::vector<int> inputs,
            DType out = DType::F32, Attrs attrs = {}) {
    return step(kind, name, std::move(inputs), {out}, std::move(attrs))[0];
  }
  void output(const std::string &name, int value, DType dt = DType::F32) {
    IOSpec spec;
    spec.name = name;
    spec.value = value;
    spec.dtype = dt;
    plan->outputs.push_back(spec);
  }
  std::shared_ptr<Plan> finish() {
    plan->computeReleases();
    return plan;
  }
};

Attrs attrs(std::initializer_list<std::pair<const char *, AttrValue>> items) {
  Attrs a;
  for (auto &[k, v] : items)
    a.set(k, v);
  return a;
}

/// x[?, 4] -> matmul W[4, 3] -> add b[3] -> softmax -> "probs".
struct SmallNet {
  Tensor w = random(DType::F32, {4, 3}, 11), b = random(DType::F32, {3}, 12);
  int wId, bId;
  std::shared_ptr<Plan> plan;
  SmallNet() {
    PlanMaker pm;
    int x = pm.input("x", DType::F32, {-1, 4});
    wId = pm.constant(w, "W");
    bId = pm.constant(b, "bias");
    int h = pm.step1(OpKind::MatMul, "/fc/MatMul", {x, wId});
    int z = pm.step1(OpKind::Add, "/fc/Add", {h, bId});
    int p = pm.step1(OpKind::Softmax, "/Softmax", {z}, DType::F32,
                     attrs({{"axis", (int64_t)-1}}));
    pm.output("probs", p);
    plan = pm.finish();
  }
  static std::vector<double> reference(const Tensor &x, const Tensor &w,
                                       const Tensor &b) {
    int64_t rows = x.dim(0);
    std::vector<double> out;
    for (int64_t r = 0; r < rows; ++r) {
      double z[3], m = -INFINITY, s = 0;
      for (int j = 0; j < 3; ++j) {
        z[j] = b.getDouble(j);
        for (int k = 0; k < 4; ++k)
          z[j] += x.getDouble(r * 4 + k) * w.getDouble(k * 3 + j);
        m = std::max(m, z[j]);
      }
      for (double v : z)
        s += std::exp(v - m);
      for (double v : z)
        out.push_back(std::exp(v - m) / s);
    }
    return out;
  }
};

TEST(Plan, OpKindNamesRoundTrip) {
  int n = 0;
#define GPTQ_RT_OP(kind, name)                                                 \
  {                                                                            \
    EXPECT_STREQ(opKindName(OpKind::kind), name);                              \
    OpKind k;                                                                  \
    ASSERT_TRUE(opKindFromName(name, k));                                      \
    EXPECT_EQ(k, OpKind::kind);                                                \
    EXPECT_NE(kernelFor(OpKind::kind), nullptr);                               \
    ++n;                                                                       \
  }
#include "runtime/Ops.def"
  EXPECT_GT(n, 60);
  OpKind k;
  EXPECT_FALSE(opKindFromName("nn.frobnicate", k));
  EXPECT_FALSE(opKindFromName("", k));
}

TEST(Plan, AttrsGetters) {
  Attrs a = attrs({{"i", (int64_t)3},
                   {"f", 2.5},
                   {"s", std::string("tanh")},
                   {"v", std::vector<int64_t>{1, -2}}});
  EXPECT_EQ(a.getInt("i", 0), 3);
  EXPECT_EQ(a.getInt("f", 0), 2);
  EXPECT_EQ(a.getInt("missing", 7), 7);
  EXPECT_EQ(a.getFloat("f", 0), 2.5);
  EXPECT_EQ(a.getFloat("i", 0), 3.0);
  EXPECT_EQ(a.getString("s", ""), "tanh");
  EXPECT_EQ(a.getString("i", "dflt"), "dflt");
  EXPECT_EQ(a.getInts("v"), (std::vector<int64_t>{1, -2}));
  EXPECT_TRUE(a.getInts("missing").empty());
  EXPECT_TRUE(a.has("s"));
  EXPECT_FALSE(a.has("t"));
}

TEST(Plan, ValidateCatchesInconsistencies) {
  SmallNet net;
  ASSERT_TRUE(net.plan->validate().isOk()) << net.plan->validate().message();
  auto broken = [&](auto mutate, const std::string &needle) {
    Plan p = *net.plan;
    mutate(p);
    Status st = p.validate();
    ASSERT_FALSE(st.isOk()) << needle;
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  broken([](Plan &p) { p.steps[0].inputs[0] = 99; }, "outside");
  broken([](Plan &p) { p.steps[0].inputs[0] = p.steps[1].outputs[0]; },
         "before it is defined");
  broken([](Plan &p) { p.steps[1].outputs[0] = p.steps[0].outputs[0]; },
         "redefines");
  broken([&](Plan &p) { p.steps[0].release.push_back(net.wId); },
         "releases value 1 (constant 'W')");
  broken([](Plan &p) { p.steps[2].release.push_back(p.steps[0].outputs[0]); },
         "twice");
  broken([](Plan &p) { p.steps[0].release.push_back(p.steps[0].outputs[0]); },
         "after it was released");
  broken([](Plan &p) { p.steps[2].release.push_back(p.steps[2].outputs[0]); },
         "which a step releases");
  broken([](Plan &p) { p.steps[0].outputDTypes.clear(); }, "output types");
  broken([](Plan &p) { p.inputs.push_back(p.inputs[0]); }, "two inputs");
  broken([](Plan &p) { p.constants[0] = Tensor(); }, "also a graph input");
  broken([](Plan &p) { p.steps[0].kind = (OpKind)9999; }, "unknown kind");
}

TEST(Executor, RunsASmallNetwork) {
  SmallNet net;
  Executor ex(net.plan);
  for (int64_t rows : {1, 5, 64}) {
    Tensor x = random(DType::F32, {rows, 4}, (uint32_t)rows);
    NamedTensors outs;
    Status st = ex.run({{"x", x}}, outs);
    ASSERT_TRUE(st.isOk()) << st.message();
    ASSERT_EQ(outs.size(), 1u);
    EXPECT_EQ(outs["probs"].shape(), (Shape{rows, 3}));
    expectClose(outs["probs"], SmallNet::reference(x, net.w, net.b), 1e-6);
  }
}

TEST(Executor, InputValidation) {
  SmallNet net;
  Executor ex(net.plan);
  NamedTensors outs;
  auto err = [&](const NamedTensors &in) {
    Status st = ex.run(in, outs);
    EXPECT_FALSE(st.isOk());
    return st.message();
  };
  Tensor ok = random(DType::F32, {2, 4}, 1);
  EXPECT_EQ(err({}), "missing input 'x' (f32[?, 4])");
  EXPECT_EQ(err({{"x", ok}, {"y", ok}}),
            "unknown input 'y' (the plan's inputs are 'x')");
  EXPECT_EQ(err({{"x", random(DType::F64, {2, 4}, 1)}}),
            "input 'x' has dtype f64, expected f32 (f32[?, 4])");
  EXPECT_EQ(err({{"x", random(DType::F32, {2, 4, 1}, 1)}}),
            "input 'x' has rank 3 (shape [2, 4, 1]), expected rank 2 (f32[?, 4])");
  EXPECT_EQ(err({{"x", random(DType::F32, {2, 5}, 1)}}),
            "input 'x' has size 5 in dimension 1 (shape [2, 5]), expected 4 "
            "(f32[?, 4])");
  EXPECT_EQ(err({{"x", Tensor()}}),
            "input 'x' is an undefined tensor (expected f32[?, 4])");
  // Named dynamic dimensions show their names.
  PlanMaker pm;
  int t = pm.input("tokens", DType::I64, {-1, -1});
  pm.plan->inputs[0].dimNames = {"batch", "seq"};
  pm.output("same", t, DType::I64);
  Executor ex2(pm.finish());
  Status st = ex2.run({}, outs);
  EXPECT_EQ(st.message(), "missing input 'tokens' (i64[batch, seq])");
}

TEST(Executor, ReleasedValuesAreFreedConstantsAreNot) {
  PlanMaker pm;
  int x = pm.input("x", DType::F32, {-1});
  int c = pm.constant(f32({1}, {2}), "two");
  int a = pm.step1(OpKind::Mul, "mul", {x, c});
  int b = pm.step1(OpKind::Neg, "neg", {a});
  int d = pm.step1(OpKind::Abs, "abs", {b});
  int e = pm.step1(OpKind::Relu, "relu", {d});
  pm.output("y", e);
  auto plan = pm.finish();
  EXPECT_EQ(plan->steps[1].release, (std::vector<int>{a}));
  Executor ex(plan);
  std::weak_ptr<void> first, second;
  std::vector<std::string> log;
  ex.addHook([](const Step &) { return true; },
             [&](const HookEvent &ev) -> Status {
               if (ev.step.name == "neg")
                 first = ev.inputs[0]->weakBuffer(); // mul's output
               if (ev.step.name == "abs") {
                 log.push_back(first.expired() ? "mul freed" : "mul alive");
                 second = ev.inputs[0]->weakBuffer();
               }
               if (ev.step.name == "relu")
                 log.push_back(second.expired() ? "neg freed" : "neg alive");
               return Status::ok();
             });
  Tensor in = f32({3}, {1, -2, 3});
  NamedTensors outs;
  ASSERT_TRUE(ex.run({{"x", in}}, outs).isOk());
  EXPECT_EQ(log, (std::vector<std::string>{"mul freed", "neg freed"}));
  EXPECT_EQ(values(outs["y"]), (std::vector<double>{2, 4, 6}));
  EXPECT_EQ(values(in), (std::vector<double>{1, -2, 3})) << "inputs untouched";
  ASSERT_TRUE(ex.constant(c).defined());
  EXPECT_EQ(ex.constant(c).getDouble(0), 2.0);
  EXPECT_FALSE(ex.constant(x).defined()) << "not a constant";
  // A second run reuses the constant.
  ASSERT_TRUE(ex.run({{"x", in}}, outs).isOk());
  EXPECT_EQ(values(outs["y"]), (std::vector<double>{2, 4, 6}));
}

TEST(Executor, HooksSeeInputsAndCanAbort) {
  SmallNet net;
  Executor ex(net.plan);
  std::vector<std::string> seen;
  ex.addHook([](const Step &s) { return s.kind == OpKind::MatMul; },
             [&](const HookEvent &ev) -> Status {
               seen.push_back(ev.step.name + " " + ev.inputs[0]->describe() +
                              " " + ev.inputs[1]->describe() + " lane " +
                              std::to_string(ev.lane) + " step " +
                              std::to_string(ev.stepIndex));
               return Status::ok();
             });
  NamedTensors outs;
  ASSERT_TRUE(ex.run({{"x", random(DType::F32, {7, 4}, 1)}}, outs).isOk());
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "/fc/MatMul f32[7, 4] f32[4, 3] lane 0 step 0"}));
  ex.addHook([](const Step &s) { return s.kind == OpKind::Add; },
             [](const HookEvent &) { return errorf("calibration says stop"); });
  Status st = ex.run({{"x", random(DType::F32, {7, 4}, 1)}}, outs);
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "calibration says stop");
  ex.clearHooks();
  EXPECT_TRUE(ex.run({{"x", random(DType::F32, {7, 4}, 1)}}, outs).isOk());
}

TEST(Executor, ReplaceConstant) {
  SmallNet net;
  Executor ex(net.plan);
  Tensor x = random(DType::F32, {3, 4}, 5);
  Tensor w2 = random(DType::F32, {4, 3}, 99);
  ASSERT_TRUE(ex.replaceConstant(net.wId, w2).isOk());
  NamedTensors outs;
  ASSERT_TRUE(ex.run({{"x", x}}, outs).isOk());
  expectClose(outs["probs"], SmallNet::reference(x, w2, net.b), 1e-6);
  EXPECT_EQ(ex.constant(net.wId).raw(), w2.raw());
  Status st = ex.replaceConstant(net.wId, random(DType::F32, {3, 4}, 1));
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "replaceConstant: constant 'W' (value 1) is "
                          "f32[4, 3], the replacement is f32[3, 4]");
  EXPECT_FALSE(ex.replaceConstant(net.wId, random(DType::F64, {4, 3}, 1)).isOk());
  EXPECT_FALSE(ex.replaceConstant(0, w2).isOk()) << "the input is no constant";
  EXPECT_FALSE(ex.replaceConstant(1000, w2).isOk());
  EXPECT_FALSE(ex.replaceConstant(net.wId, Tensor()).isOk());
  // The plan itself is untouched.
  EXPECT_EQ(net.plan->constants.at(net.wId).raw(), net.w.raw());
}

TEST(Executor, SweepIsStepMajor) {
  SmallNet net;
  Executor ex(net.plan);
  std::vector<NamedTensors> lanes = {{{"x", random(DType::F32, {2, 4}, 1)}},
                                     {{"x", random(DType::F32, {5, 4}, 2)}},
                                     {{"x", random(DType::F32, {1, 4}, 3)}}};
  std::vector<std::string> log;
  ex.addHook([](const Step &) { return true; },
             [&](const HookEvent &ev) -> Status {
               log.push_back("exec " + std::to_string(ev.stepIndex) + " lane " +
                             std::to_string(ev.lane));
               return Status::ok();
             });
  Tensor w2 = random(DType::F32, {4, 3}, 42);
  Executor::SweepCallbacks cb;
  cb.filter = [&](const Step &s) { return &s == &net.plan->steps[0]; };
  cb.observe = [&](const HookEvent &ev) -> Status {
    EXPECT_EQ(&ev.step, &net.plan->steps[ev.stepIndex]) << "the plan's step";
    EXPECT_EQ(ev.inputs[1]->raw(), net.w.raw()) << "observe sees the old W";
    log.push_back("observe " + std::to_string(ev.stepIndex) + " lane " +
                  std::to_string(ev.lane) + " " + ev.inputs[0]->describe());
    return Status::ok();
  };
  cb.beforeStep = [&](size_t i, const Step &) -> Status {
    log.push_back("before " + std::to_string(i));
    if (i == 0)
      return ex.replaceConstant(net.wId, w2);
    return Status::ok();
  };
  std::vector<NamedTensors> outs;
  Status st = ex.sweep(lanes, cb, &outs);
  ASSERT_TRUE(st.isOk()) << st.message();
  std::vector<std::string> want = {
      "observe 0 lane 0 f32[2, 4]", "observe 0 lane 1 f32[5, 4]",
      "observe 0 lane 2 f32[1, 4]", "before 0",
      "exec 0 lane 0",              "exec 0 lane 1",
      "exec 0 lane 2",              "before 1",
      "exec 1 lane 0",              "exec 1 lane 1",
      "exec 1 lane 2",              "before 2",
      "exec 2 lane 0",              "exec 2 lane 1",
      "exec 2 lane 2"};
  EXPECT_EQ(log, want);
  ASSERT_EQ(outs.size(), 3u);
  for (size_t l = 0; l < 3; ++l)
    expectClose(outs[l]["probs"],
                SmallNet::reference(lanes[l].at("x"), w2, net.b), 1e-6);
  // Errors name the lane; observe errors abort as they are.
  lanes[1]["x"] = random(DType::F32, {5, 3}, 2);
  st = ex.sweep(lanes, cb, &outs);
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message().rfind("lane 1: input 'x'", 0), 0u) << st.message();
  lanes[1]["x"] = random(DType::F32, {5, 4}, 2);
  cb.observe = [](const HookEvent &) { return errorf("hessian failed"); };
  st = ex.sweep(lanes, cb, &outs);
  EXPECT_EQ(st.message(), "hessian failed");
}

TEST(Executor, CheckFiniteNamesTheStep) {
  PlanMaker pm;
  int x = pm.input("x", DType::F32, {3});
  int l = pm.step1(OpKind::Log, "the_log", {x});
  int s = pm.step1(OpKind::Sqrt, "the_sqrt", {x});
  pm.output("l", l);
  pm.output("s", s);
  auto plan = pm.finish();
  NamedTensors outs;
  Executor lax(plan);
  EXPECT_TRUE(lax.run({{"x", f32({3}, {1, 0, 4})}}, outs).isOk());
  ExecOptions opts;
  opts.checkFinite = true;
  Executor strict(plan, opts);
  Status st = strict.run({{"x", f32({3}, {1, 0, 4})}}, outs);
  EXPECT_EQ(st.message(), "step 'the_log' (nn.log) produced Inf in output 0 "
                          "at index 1 from finite inputs");
  st = strict.run({{"x", f32({3}, {1, 2, -4})}}, outs);
  EXPECT_EQ(st.message(), "step 'the_log' (nn.log) produced NaN in output 0 "
                          "at index 2 from inputs without NaN");
  EXPECT_TRUE(strict.run({{"x", f32({3}, {1, 2, 4})}}, outs).isOk());
  // Infinities that come in (a -inf attention mask) may flow through; a
  // NaN made from them may not.
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(strict.run({{"x", f32({3}, {1, inf, 4})}}, outs).isOk());
  PlanMaker pm2;
  int a = pm2.input("a", DType::F32, {2});
  int d = pm2.step1(OpKind::Sub, "diff", {a, a});
  pm2.output("d", d);
  Executor strict2(pm2.finish(), opts);
  st = strict2.run({{"a", f32({2}, {1, -inf})}}, outs);
  EXPECT_EQ(st.message(), "step 'diff' (nn.sub) produced NaN in output 0 at "
                          "index 1 from inputs without NaN");
  // f16 outputs are checked too.
  PlanMaker ph;
  int xh = ph.input("x", DType::F16, {2});
  int e = ph.step1(OpKind::Exp, "exp16", {xh}, DType::F16);
  ph.output("e", e, DType::F16);
  Executor sh(ph.finish(), opts);
  st = sh.run({{"x", make(DType::F16, {2}, {1, 20})}}, outs);
  EXPECT_EQ(st.message(), "step 'exp16' (nn.exp) produced Inf in output 0 at "
                          "index 1 from finite inputs");
}

TEST(Executor, KernelErrorsAndOutputs) {
  PlanMaker pm;
  int ids = pm.input("ids", DType::I64, {-1});
  int table = pm.constant(random(DType::F32, {512, 4}, 1), "embed");
  int g = pm.step1(OpKind::Gather, "/layers.0/Gather", {table, ids});
  pm.output("emb", g);
  pm.output("table", table);
  pm.output("ids_again", ids, DType::I64);
  Executor ex(pm.finish());
  NamedTensors outs;
  Status st = ex.run({{"ids", i64({2}, {1, 600})}}, outs);
  EXPECT_EQ(st.message(), "step '/layers.0/Gather' (nn.gather): index 600 is "
                          "out of range [-512, 512) for axis 0");
  Tensor in = i64({2}, {1, -1});
  ASSERT_TRUE(ex.run({{"ids", in}}, outs).isOk());
  EXPECT_EQ(outs["emb"].shape(), (Shape{2, 4}));
  EXPECT_EQ(outs["table"].shape(), (Shape{512, 4})) << "a constant output";
  EXPECT_EQ(outs["ids_again"].raw(), in.raw()) << "an input output";
  // A step whose declared dtype disagrees with what its kernel computes.
  PlanMaker bad;
  int x = bad.input("x", DType::F32, {2});
  int y = bad.step1(OpKind::Neg, "neg", {x}, DType::F16);
  bad.output("y", y, DType::F16);
  Executor ex2(bad.finish());
  st = ex2.run({{"x", f32({2}, {1, 2})}}, outs);
  EXPECT_EQ(st.message(), "step 'neg' (nn.neg): output 0 is f32[2] but the "
                          "plan expects f16");
}

TEST(Executor, InvalidPlanAndThreads) {
  SmallNet net;
  auto broken = std::make_shared<Plan>(*net.plan);
  broken->steps[0].inputs[0] = 77;
  Executor ex(broken);
  NamedTensors outs;
  Status st = ex.run({{"x", random(DType::F32, {2, 4}, 1)}}, outs);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("plan:"), std::string::npos);
  EXPECT_FALSE(ex.sweep({}, {}, nullptr).isOk());
  Executor none(nullptr);
  EXPECT_FALSE(none.run({}, outs).isOk());

  ExecOptions one;
  one.numThreads = 1;
  Executor single(net.plan, one);
  Tensor x = random(DType::F32, {300, 4}, 3);
  ASSERT_TRUE(single.run({{"x", x}}, outs).isOk());
  expectClose(outs["probs"], SmallNet::reference(x, net.w, net.b), 1e-6);
  ExecOptions two;
  two.numThreads = 2;
  Executor dual(net.plan, two);
  ASSERT_TRUE(dual.run({{"x", x}}, outs).isOk());
  expectClose(outs["probs"], SmallNet::reference(x, net.w, net.b), 1e-6);
}

} // namespace
