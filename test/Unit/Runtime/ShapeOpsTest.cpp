//===- ShapeOpsTest.cpp - data movement and shape computations ------------===//
//
// Tolerances: exact everywhere (data movement, integer shape arithmetic,
// Range values computed as start + i * delta in the element type).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

/// Distinct values per element (exactly representable in every dtype).
Tensor iota(DType dt, Shape shape) {
  Tensor t = Tensor::empty(dt, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.setInt(i, dt == DType::Bool ? (i % 3 == 1) : (i % 97) + 1);
  return t;
}

std::string errorOf(KernelCall &call, std::vector<const Tensor *> ins) {
  Status st = call.run(ins);
  EXPECT_FALSE(st.isOk());
  return st.message();
}

TEST(Reshape, ZerosAndInference) {
  Tensor x = iota(DType::F32, {2, 3, 4});
  struct C {
    std::vector<int64_t> shape;
    Shape want;
  } cases[] = {{{6, 4}, {6, 4}},       {{-1}, {24}},      {{0, -1}, {2, 12}},
               {{0, 0, 2, 2}, {2, 3, 2, 2}}, {{4, 0, -1}, {4, 3, 2}},
               {{1, 24, 1}, {1, 24, 1}}};
  for (const C &c : cases) {
    Tensor s = i64({(int64_t)c.shape.size()}, c.shape);
    KernelCall call(OpKind::Reshape);
    Tensor out = runOk(call, {&x, &s});
    EXPECT_EQ(out.shape(), c.want);
    EXPECT_EQ(out.raw(), x.raw()) << "reshape shares storage";
  }
  // allowzero: 0 is a size.
  Tensor e = iota(DType::F32, {0, 4});
  Tensor s = i64({2}, {4, 0});
  KernelCall az(OpKind::Reshape);
  az.attr("allowzero", (int64_t)1);
  EXPECT_EQ(runOk(az, {&e, &s}).shape(), (Shape{4, 0}));
  // Errors.
  KernelCall call(OpKind::Reshape);
  Tensor bad1 = i64({2}, {5, -1});
  EXPECT_NE(errorOf(call, {&x, &bad1}).find("cannot reshape f32[2, 3, 4] (24 elements) into [5, -1]"),
            std::string::npos);
  Tensor bad2 = i64({2}, {-1, -1});
  EXPECT_NE(errorOf(call, {&x, &bad2}).find("more than one -1"), std::string::npos);
  Tensor bad3 = i64({2}, {-2, 12});
  EXPECT_NE(errorOf(call, {&x, &bad3}).find("invalid size -2"), std::string::npos);
  Tensor bad4 = i64({4}, {2, 3, 4, 0});
  EXPECT_NE(errorOf(call, {&x, &bad4}).find("copies dimension 3"), std::string::npos);
  Tensor bad5 = i64({2}, {7, 7});
  EXPECT_FALSE(call.run({&x, &bad5}).isOk());
  Tensor i32s = makeInts(DType::I32, {2}, {4, 6});
  EXPECT_EQ(runOk(call, {&x, &i32s}).shape(), (Shape{4, 6}));
}

TEST(Transpose, PermutationsEveryDType) {
  std::vector<std::vector<int64_t>> perms = {
      {1, 0, 2, 3}, {0, 2, 1, 3}, {3, 2, 1, 0}, {0, 1, 3, 2}, {2, 0, 3, 1},
      {0, 1, 2, 3}};
  Shape shape = {2, 3, 4, 5};
  for (DType dt : allDTypes()) {
    Tensor x = iota(dt, shape);
    for (const auto &perm : perms) {
      KernelCall call(OpKind::Transpose);
      call.attr("perm", perm);
      Tensor out = runOk(call, {&x});
      Shape want(4);
      for (int i = 0; i < 4; ++i)
        want[i] = shape[perm[i]];
      ASSERT_EQ(out.shape(), want);
      for (int64_t i = 0; i < out.numel(); ++i) {
        auto oi = unravel(i, want);
        std::vector<int64_t> ii(4);
        for (int d = 0; d < 4; ++d)
          ii[perm[d]] = oi[d];
        int64_t src = ((ii[0] * 3 + ii[1]) * 4 + ii[2]) * 5 + ii[3];
        ASSERT_EQ(out.getInt(i), x.getInt(src)) << dtypeName(dt);
      }
    }
  }
  // Moving only size-1 dimensions shares storage.
  Tensor y = iota(DType::F32, {4, 1, 6});
  KernelCall call(OpKind::Transpose);
  call.attr("perm", std::vector<int64_t>{1, 0, 2});
  Tensor out = runOk(call, {&y});
  EXPECT_EQ(out.shape(), (Shape{1, 4, 6}));
  EXPECT_EQ(out.raw(), y.raw());
  // A large 2-D transpose (parallel path).
  Tensor big = iota(DType::F32, {300, 700});
  KernelCall t2(OpKind::Transpose);
  t2.attr("perm", std::vector<int64_t>{1, 0});
  Tensor bt = runOk(t2, {&big});
  for (int64_t i = 0; i < bt.numel(); i += 37) {
    int64_t r = i / 300, c = i % 300;
    ASSERT_EQ(bt.getDouble(i), big.getDouble(c * 700 + r));
  }
  Tensor x4 = iota(DType::F32, shape);
  KernelCall bad(OpKind::Transpose);
  bad.attr("perm", std::vector<int64_t>{0, 0, 1, 2});
  EXPECT_NE(errorOf(bad, {&x4}).find("not a permutation"), std::string::npos);
  KernelCall bad2(OpKind::Transpose);
  bad2.attr("perm", std::vector<int64_t>{0, 1});
  EXPECT_FALSE(bad2.run({&x4}).isOk());
}

TEST(Gather, AxesNegativeIndicesAndDTypes) {
  for (DType dt : allDTypes()) {
    Tensor x = iota(dt, {4, 3, 2});
    for (int64_t axis : {0, 1, 2, -1, -3}) {
      int64_t ax = axis < 0 ? axis + 3 : axis;
      int64_t dim = x.dim(ax);
      for (DType it : {DType::I64, DType::I32}) {
        Tensor idx = makeInts(it, {2, 2}, {0, dim - 1, -1, -dim});
        KernelCall call(OpKind::Gather);
        call.attr("axis", axis);
        Tensor out = runOk(call, {&x, &idx});
        Shape want(x.shape().begin(), x.shape().begin() + ax);
        want.push_back(2);
        want.push_back(2);
        want.insert(want.end(), x.shape().begin() + ax + 1, x.shape().end());
        ASSERT_EQ(out.shape(), want);
        for (int64_t i = 0; i < out.numel(); ++i) {
          auto oi = unravel(i, want);
          std::vector<int64_t> src(oi.begin(), oi.begin() + ax);
          int64_t j = idx.getInt(oi[ax] * 2 + oi[ax + 1]);
          src.push_back(j < 0 ? j + dim : j);
          src.insert(src.end(), oi.begin() + ax + 2, oi.end());
          int64_t flat = (src[0] * 3 + src[1]) * 2 + src[2];
          ASSERT_EQ(out.getInt(i), x.getInt(flat));
        }
      }
    }
  }
  // Scalar index drops the axis.
  Tensor x = iota(DType::F32, {5, 3});
  Tensor s = i64({}, {2});
  KernelCall call(OpKind::Gather);
  Tensor out = runOk(call, {&x, &s});
  EXPECT_EQ(out.shape(), (Shape{3}));
  EXPECT_EQ(values(out), (std::vector<double>{7, 8, 9}));
}

TEST(Gather, OutOfRangeIndexIsAnError) {
  Tensor x = iota(DType::F32, {512, 4});
  Tensor idx = i64({3}, {1, 600, 2});
  KernelCall call(OpKind::Gather);
  call.step.name = "/layers.0/Gather";
  Status st = call.run({&x, &idx});
  ASSERT_FALSE(st.isOk());
  EXPECT_EQ(st.message(), "step '/layers.0/Gather' (nn.gather): index 600 is "
                          "out of range [-512, 512) for axis 0");
  Tensor neg = i64({1}, {-513});
  EXPECT_FALSE(call.run({&x, &neg}).isOk());
  Tensor fidx = f32({1}, {1});
  EXPECT_FALSE(call.run({&x, &fidx}).isOk());
  KernelCall badAxis(OpKind::Gather);
  badAxis.attr("axis", (int64_t)2);
  EXPECT_NE(errorOf(badAxis, {&x, &idx}).find("axis 2 is out of range for rank 2"),
            std::string::npos);
}

TEST(Concat, AxesAndDTypes) {
  for (DType dt : allDTypes()) {
    Tensor a = iota(dt, {2, 3, 2}), b = iota(dt, {2, 1, 2}), c = iota(dt, {2, 2, 2});
    for (int64_t axis : {1, -2}) {
      KernelCall call(OpKind::Concat);
      call.attr("axis", axis);
      Tensor out = runOk(call, {&a, &b, &c});
      ASSERT_EQ(out.shape(), (Shape{2, 6, 2}));
      for (int64_t i = 0; i < out.numel(); ++i) {
        auto oi = unravel(i, out.shape());
        int64_t j = oi[1];
        const Tensor &src = j < 3 ? a : j < 4 ? b : c;
        int64_t jj = j < 3 ? j : j < 4 ? j - 3 : j - 4;
        ASSERT_EQ(out.getInt(i),
                  src.getInt((oi[0] * src.dim(1) + jj) * 2 + oi[2]));
      }
    }
  }
  Tensor a = iota(DType::F32, {2, 3}), b = iota(DType::F32, {3, 3});
  KernelCall call(OpKind::Concat);
  call.attr("axis", (int64_t)1);
  EXPECT_NE(errorOf(call, {&a, &b}).find("input 1 has size 3 in dimension 0, expected 2"),
            std::string::npos);
  Tensor i = iota(DType::I32, {2, 3});
  EXPECT_NE(errorOf(call, {&a, &i}).find("expected dtype f32"), std::string::npos);
  Tensor e = iota(DType::F32, {2, 0});
  EXPECT_EQ(runOk(call, {&a, &e, &a}).shape(), (Shape{2, 6}));
}

/// Reference ONNX slice along one axis: the selected source indices.
std::vector<int64_t> refSliceIndices(int64_t dim, int64_t s, int64_t e,
                                     int64_t st) {
  if (s < 0)
    s += dim;
  if (e < 0)
    e += dim;
  std::vector<int64_t> out;
  if (st > 0) {
    s = std::clamp<int64_t>(s, 0, dim);
    e = std::clamp<int64_t>(e, 0, dim);
    for (int64_t i = s; i < e; i += st)
      out.push_back(i);
  } else {
    s = std::clamp<int64_t>(s, 0, dim - 1);
    e = std::clamp<int64_t>(e, -1, dim - 1);
    for (int64_t i = s; i > e; i += st)
      out.push_back(i);
  }
  return out;
}

TEST(Slice, ClampingNegativeStepsAndExtremes) {
  struct C {
    int64_t s, e, st;
  } cases[] = {{0, 5, 1},     {1, 4, 2},      {-3, -1, 1},    {4, 0, -1},
               {kMax, kMin, -1}, {-1, kMin, -2}, {0, kMax, 3},  {-100, 100, 1},
               {100, -100, -1}, {3, 3, 1},     {-100, 2, -1},  {2, 5, -1},
               {kMin, kMax, 1}, {5, 2, 1},     {-1, -6, -1},   {6, 0, -2}};
  for (DType dt : {DType::F32, DType::I64, DType::F16, DType::Bool, DType::U8}) {
    Tensor x = iota(dt, {3, 6, 2});
    for (const C &c : cases) {
      for (int64_t axis : {1, -2}) {
        Tensor starts = i64({1}, {c.s}), ends = i64({1}, {c.e});
        Tensor axes = i64({1}, {axis}), steps = i64({1}, {c.st});
        KernelCall call(OpKind::Slice);
        Tensor out = runOk(call, {&x, &starts, &ends, &axes, &steps});
        auto sel = refSliceIndices(6, c.s, c.e, c.st);
        ASSERT_EQ(out.shape(), (Shape{3, (int64_t)sel.size(), 2}))
            << c.s << ":" << c.e << ":" << c.st;
        for (int64_t i = 0; i < out.numel(); ++i) {
          auto oi = unravel(i, out.shape());
          ASSERT_EQ(out.getInt(i), x.getInt((oi[0] * 6 + sel[oi[1]]) * 2 + oi[2]));
        }
      }
    }
  }
  // Several axes at once; omitted axes/steps.
  Tensor x = iota(DType::F32, {4, 5, 6});
  Tensor starts = i64({2}, {1, -1}), ends = i64({2}, {3, kMin});
  Tensor axes = i64({2}, {0, 2}), steps = i64({2}, {1, -2});
  KernelCall call(OpKind::Slice);
  Tensor out = runOk(call, {&x, &starts, &ends, &axes, &steps});
  ASSERT_EQ(out.shape(), (Shape{2, 5, 3}));
  for (int64_t i = 0; i < out.numel(); ++i) {
    auto oi = unravel(i, out.shape());
    ASSERT_EQ(out.getDouble(i),
              x.getDouble(((1 + oi[0]) * 5 + oi[1]) * 6 + (5 - 2 * oi[2])));
  }
  Tensor s2 = i64({1}, {1}), e2 = i64({1}, {3});
  KernelCall noAxes(OpKind::Slice);
  EXPECT_EQ(runOk(noAxes, {&x, &s2, &e2, nullptr, nullptr}).shape(),
            (Shape{2, 5, 6}));
  // A full slice shares storage.
  Tensor s3 = i64({1}, {0}), e3 = i64({1}, {kMax});
  EXPECT_EQ(runOk(noAxes, {&x, &s3, &e3}).raw(), x.raw());
}

TEST(Slice, Errors) {
  Tensor x = iota(DType::F32, {4, 5});
  Tensor s = i64({1}, {0}), e = i64({1}, {2}), a = i64({1}, {0});
  Tensor zero = i64({1}, {0}), a2 = i64({2}, {0, 1}), bad = i64({1}, {2});
  KernelCall call(OpKind::Slice);
  EXPECT_NE(errorOf(call, {&x, &s, &e, &a, &zero}).find("is zero"), std::string::npos);
  EXPECT_NE(errorOf(call, {&x, &s, &e, &a2, &a}).find("one length"), std::string::npos);
  EXPECT_NE(errorOf(call, {&x, &s, &e, &bad, &a}).find("out of range"), std::string::npos);
  Tensor rep = i64({2}, {0, -2}), two = i64({2}, {0, 0}), twoE = i64({2}, {1, 1}),
         ones = i64({2}, {1, 1});
  EXPECT_NE(errorOf(call, {&x, &two, &twoE, &rep, &ones}).find("repeated"),
            std::string::npos);
}

TEST(Split, SizesAndErrors) {
  for (DType dt : {DType::F32, DType::I8, DType::F64, DType::Bool}) {
    Tensor x = iota(dt, {2, 7, 3});
    KernelCall call(OpKind::Split, 3);
    call.attr("axis", (int64_t)-2).attr("sizes", std::vector<int64_t>{2, 0, 5});
    ASSERT_TRUE(call.run({&x}).isOk()) << call.status.message();
    EXPECT_EQ(call.out(0).shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(call.out(1).shape(), (Shape{2, 0, 3}));
    EXPECT_EQ(call.out(2).shape(), (Shape{2, 5, 3}));
    for (int64_t i = 0; i < call.out(2).numel(); ++i) {
      auto oi = unravel(i, call.out(2).shape());
      ASSERT_EQ(call.out(2).getInt(i), x.getInt((oi[0] * 7 + 2 + oi[1]) * 3 + oi[2]));
    }
    for (int64_t i = 0; i < call.out(0).numel(); ++i) {
      auto oi = unravel(i, call.out(0).shape());
      ASSERT_EQ(call.out(0).getInt(i), x.getInt((oi[0] * 7 + oi[1]) * 3 + oi[2]));
    }
  }
  Tensor x = iota(DType::F32, {6});
  KernelCall eq(OpKind::Split, 3); // no sizes: equal parts
  ASSERT_TRUE(eq.run({&x}).isOk());
  EXPECT_EQ(values(eq.out(2)), (std::vector<double>{5, 6}));
  KernelCall bad(OpKind::Split, 2);
  bad.attr("sizes", std::vector<int64_t>{2, 3});
  EXPECT_NE(errorOf(bad, {&x}).find("sum to 5 but dimension 0"), std::string::npos);
  KernelCall count(OpKind::Split, 2);
  count.attr("sizes", std::vector<int64_t>{2, 2, 2});
  EXPECT_NE(errorOf(count, {&x}).find("3 split sizes but 2 results"), std::string::npos);
}

TEST(SqueezeUnsqueeze, AxesAndErrors) {
  Tensor x = iota(DType::F32, {1, 3, 1, 2});
  KernelCall all(OpKind::Squeeze);
  all.attr("axes", std::vector<int64_t>{});
  Tensor o = runOk(all, {&x});
  EXPECT_EQ(o.shape(), (Shape{3, 2}));
  EXPECT_EQ(o.raw(), x.raw());
  KernelCall some(OpKind::Squeeze);
  some.attr("axes", std::vector<int64_t>{-2});
  EXPECT_EQ(runOk(some, {&x}).shape(), (Shape{1, 3, 2}));
  KernelCall bad(OpKind::Squeeze);
  bad.attr("axes", std::vector<int64_t>{1});
  EXPECT_NE(errorOf(bad, {&x}).find("cannot squeeze dimension 1 of size 3"),
            std::string::npos);
  KernelCall un(OpKind::Unsqueeze);
  un.attr("axes", std::vector<int64_t>{0, -1, 3});
  Tensor y = iota(DType::I64, {3, 2});
  Tensor u = runOk(un, {&y});
  EXPECT_EQ(u.shape(), (Shape{1, 3, 2, 1, 1}));
  EXPECT_EQ(u.raw(), y.raw());
  KernelCall unBad(OpKind::Unsqueeze);
  unBad.attr("axes", std::vector<int64_t>{0, 0});
  EXPECT_FALSE(unBad.run({&y}).isOk());
  KernelCall unRange(OpKind::Unsqueeze);
  unRange.attr("axes", std::vector<int64_t>{4});
  EXPECT_FALSE(unRange.run({&y}).isOk());
}

TEST(Expand, BidirectionalBroadcast) {
  for (DType dt : {DType::F32, DType::I16, DType::Bool, DType::F64}) {
    Tensor x = iota(dt, {3, 1});
    Tensor s = i64({3}, {2, 1, 4});
    KernelCall call(OpKind::Expand);
    Tensor out = runOk(call, {&x, &s});
    ASSERT_EQ(out.shape(), (Shape{2, 3, 4}));
    for (int64_t i = 0; i < out.numel(); ++i)
      ASSERT_EQ(out.getInt(i), x.getInt(unravel(i, out.shape())[1]));
  }
  Tensor x = iota(DType::F32, {2, 3});
  Tensor same = i64({1}, {1});
  KernelCall call(OpKind::Expand);
  EXPECT_EQ(runOk(call, {&x, &same}).raw(), x.raw());
  Tensor bad = i64({2}, {4, 3});
  EXPECT_NE(errorOf(call, {&x, &bad}).find("cannot be expanded to [4, 3]"),
            std::string::npos);
  Tensor neg = i64({2}, {-1, 3});
  EXPECT_FALSE(call.run({&x, &neg}).isOk());
}

TEST(ShapeSize, StartEndClamping) {
  Tensor x = iota(DType::F16, {2, 3, 4, 5});
  struct C {
    int64_t start;
    bool hasEnd;
    int64_t end;
    std::vector<int64_t> want;
  } cases[] = {{0, false, 0, {2, 3, 4, 5}}, {1, false, 0, {3, 4, 5}},
               {-2, false, 0, {4, 5}},      {1, true, 3, {3, 4}},
               {-10, true, 10, {2, 3, 4, 5}}, {3, true, 1, {}},
               {0, true, -1, {2, 3, 4}},    {7, false, 0, {}}};
  for (const C &c : cases) {
    KernelCall call(OpKind::ShapeOf);
    call.attr("start", c.start);
    if (c.hasEnd)
      call.attr("end", c.end);
    Tensor out = runOk(call, {&x});
    EXPECT_EQ(out.dtype(), DType::I64);
    EXPECT_EQ(ints(out), c.want) << c.start << " " << c.end;
  }
  KernelCall size(OpKind::Size);
  Tensor n = runOk(size, {&x});
  EXPECT_EQ(n.rank(), 0);
  EXPECT_EQ(n.getInt(0), 120);
}

TEST(ConstantOfShape, DTypesAndValues) {
  Tensor s = i64({2}, {2, 3});
  KernelCall f(OpKind::ConstantOfShape);
  f.attr("value", 1.5);
  Tensor o = runOk(f, {&s});
  EXPECT_EQ(o.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(o), std::vector<double>(6, 1.5));
  KernelCall i(OpKind::ConstantOfShape);
  i.outDType(DType::I64).attr("value", 9007199254740993.0)
      .attr("value_int", (int64_t)9007199254740993);
  EXPECT_EQ(ints(runOk(i, {&s})), std::vector<int64_t>(6, 9007199254740993));
  KernelCall b(OpKind::ConstantOfShape);
  b.outDType(DType::Bool).attr("value", 1.0).attr("value_int", (int64_t)1);
  EXPECT_EQ(ints(runOk(b, {&s})), std::vector<int64_t>(6, 1));
  KernelCall h(OpKind::ConstantOfShape);
  h.outDType(DType::F16).attr("value", -0.1);
  EXPECT_EQ(values(runOk(h, {&s})), std::vector<double>(6, roundTo(DType::F16, -0.1)));
  Tensor empty = i64({0}, {});
  KernelCall z(OpKind::ConstantOfShape);
  Tensor sc = runOk(z, {&empty});
  EXPECT_EQ(sc.rank(), 0);
  EXPECT_EQ(sc.getDouble(0), 0.0);
  Tensor neg = i64({2}, {2, -3});
  EXPECT_NE(errorOf(z, {&neg}).find("negative size -3"), std::string::npos);
}

TEST(Range, FloatsIntegersAndErrors) {
  auto run = [](DType dt, double s, double l, double d) {
    Tensor ts = make(dt, {}, {s}), tl = make(dt, {}, {l}), td = make(dt, {}, {d});
    KernelCall call(OpKind::Range);
    return runOk(call, {&ts, &tl, &td});
  };
  EXPECT_EQ(values(run(DType::F32, 0, 1, 0.25)), (std::vector<double>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(values(run(DType::F64, 1, -1, -0.5)), (std::vector<double>{1, 0.5, 0, -0.5}));
  EXPECT_EQ(values(run(DType::F32, 0, 1, 0.3)).size(), 4u); // ceil(3.33)
  EXPECT_EQ(ints(run(DType::I64, 0, 10, 3)), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(ints(run(DType::I32, 10, 4, -2)), (std::vector<int64_t>{10, 8, 6}));
  EXPECT_EQ(ints(run(DType::I64, 5, 5, 1)), (std::vector<int64_t>{}));
  EXPECT_EQ(ints(run(DType::I64, 5, 1, 1)), (std::vector<int64_t>{}));
  EXPECT_EQ(values(run(DType::F16, 0, 2, 0.5)), (std::vector<double>{0, 0.5, 1, 1.5}));
  // Start and limit as 1-element vectors, like many exporters produce.
  Tensor s = i64({1}, {2}), l = i64({1}, {5}), d = i64({1}, {1});
  KernelCall call(OpKind::Range);
  EXPECT_EQ(ints(runOk(call, {&s, &l, &d})), (std::vector<int64_t>{2, 3, 4}));
  Tensor z = i64({}, {0});
  EXPECT_NE(errorOf(call, {&s, &l, &z}).find("delta must not be zero"),
            std::string::npos);
  Tensor f = f32({}, {1});
  EXPECT_NE(errorOf(call, {&s, &l, &f}).find("one dtype"), std::string::npos);
  Tensor v = i64({2}, {1, 2});
  EXPECT_NE(errorOf(call, {&v, &l, &d}).find("must be a scalar"), std::string::npos);
  Tensor big = i64({}, {kMax}), zero = i64({}, {0}), one = i64({}, {1});
  EXPECT_NE(errorOf(call, {&zero, &big, &one}).find("too many"), std::string::npos);
}

} // namespace
