//===- IndexOpsTest.cpp - gather_nd, *_elements, tile, arg*, reduce_* -----===//
//
// Every kernel against a plain reference loop (multi-index arithmetic, no
// shared code with the kernels). Tolerances: data movement, integer ops and
// arg* are exact; reduce_prod/l2/log_sum_exp in f32 1e-6 relative against a
// double reference, f16/bf16 within their rounding (tolFor).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include <limits>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

int64_t flat(const std::vector<int64_t> &idx, const Shape &shape) {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    f = f * shape[d] + idx[d];
  return f;
}

const std::vector<DType> kMoveTypes = {DType::F32, DType::F16,  DType::I64,
                                       DType::I8,  DType::Bool, DType::F64};

TEST(GatherND, BatchDimsAndNegativeIndices) {
  for (DType dt : kMoveTypes) {
    Tensor data = random(dt, {2, 3, 4, 5}, 11, -9, 9);
    struct Case {
      int64_t b;
      Shape idxShape;
    } cases[] = {{0, {6, 2}}, {0, {2, 3, 4}},    {1, {2, 7, 1}},
                 {1, {2, 2}}, {2, {2, 3, 4, 2}}, {0, {1}}};
    for (const Case &c : cases) {
      int64_t k = c.idxShape.back();
      Tensor idx = Tensor::empty(DType::I64, c.idxShape);
      std::mt19937 rng(c.b * 10 + k);
      for (int64_t i = 0; i < idx.numel(); ++i) {
        int64_t dim = data.dim(c.b + i % k);
        // Negative indices count from the end.
        int64_t v = (int64_t)(rng() % (2 * dim)) - dim;
        idx.setInt(i, v);
      }
      KernelCall call(OpKind::GatherND);
      call.attr("batch_dims", c.b);
      Tensor out = runOk(call, {&data, &idx});
      Shape want(c.idxShape.begin(), c.idxShape.end() - 1);
      want.insert(want.end(), data.shape().begin() + c.b + k,
                  data.shape().end());
      ASSERT_EQ(out.shape(), want) << "b=" << c.b;
      for (int64_t o = 0; o < out.numel(); ++o) {
        auto oi = unravel(o, out.shape());
        // oi = [batch..., tuple..., slice...]
        int64_t q = (int64_t)c.idxShape.size();
        std::vector<int64_t> di;
        for (int64_t d = 0; d < c.b; ++d)
          di.push_back(oi[d]);
        std::vector<int64_t> tuple(oi.begin(), oi.begin() + (q - 1));
        for (int64_t j = 0; j < k; ++j) {
          tuple.push_back(j);
          int64_t v = idx.getInt(flat(tuple, c.idxShape));
          tuple.pop_back();
          int64_t dim = data.dim(c.b + j);
          di.push_back(v < 0 ? v + dim : v);
        }
        for (size_t d = q - 1; d < oi.size(); ++d)
          di.push_back(oi[d]);
        ASSERT_EQ(out.getDouble(o), data.getDouble(flat(di, data.shape())))
            << dtypeName(dt) << " b=" << c.b << " at " << o;
      }
    }
  }
}

TEST(GatherND, Errors) {
  Tensor data = f32({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor bad = i64({1, 2}, {0, 3});
  KernelCall call(OpKind::GatherND);
  Status st = call.run({&data, &bad});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("index 3 at position 1 of indices is out of "
                              "range [-3, 3)"),
            std::string::npos)
      << st.message();
  Tensor deep = i64({1, 3}, {0, 0, 0});
  KernelCall call2(OpKind::GatherND);
  EXPECT_FALSE(call2.run({&data, &deep}).isOk());
  Tensor batch = i64({3, 1}, {0, 0, 0});
  KernelCall call3(OpKind::GatherND);
  call3.attr("batch_dims", int64_t(1));
  EXPECT_FALSE(call3.run({&data, &batch}).isOk()); // batch 2 vs 3
}

TEST(GatherElements, EveryAxisSmallerIndices) {
  for (DType dt : kMoveTypes) {
    Tensor data = random(dt, {3, 4, 5}, 21, -9, 9);
    for (int64_t axis : {0, 1, 2, -1}) {
      int64_t ax = axis < 0 ? axis + 3 : axis;
      Shape is = {2, 3, 4};
      is[ax] = 6; // along the axis indices may be longer than data
      for (int64_t d = 0; d < 3; ++d)
        if (d != ax && is[d] > data.dim(d))
          is[d] = data.dim(d);
      Tensor idx = Tensor::empty(DType::I32, is);
      std::mt19937 rng(ax);
      int64_t dim = data.dim(ax);
      for (int64_t i = 0; i < idx.numel(); ++i)
        idx.setInt(i, (int64_t)(rng() % (2 * dim)) - dim);
      KernelCall call(OpKind::GatherElements);
      call.attr("axis", axis);
      Tensor out = runOk(call, {&data, &idx});
      ASSERT_EQ(out.shape(), idx.shape());
      for (int64_t o = 0; o < out.numel(); ++o) {
        auto oi = unravel(o, out.shape());
        int64_t v = idx.getInt(o);
        oi[ax] = v < 0 ? v + dim : v;
        ASSERT_EQ(out.getDouble(o), data.getDouble(flat(oi, data.shape())))
            << dtypeName(dt) << " axis " << axis;
      }
    }
  }
  Tensor data = f32({2, 2}, {1, 2, 3, 4});
  Tensor big = i64({3, 2}, {0, 0, 0, 0, 0, 0});
  KernelCall along(OpKind::GatherElements); // longer along the axis: fine
  EXPECT_TRUE(along.run({&data, &big}).isOk());
  KernelCall call(OpKind::GatherElements);
  call.attr("axis", int64_t(1));
  EXPECT_FALSE(call.run({&data, &big}).isOk()); // 3 > 2 off the axis
  Tensor oob = i64({2, 2}, {0, 2, 0, 0});
  KernelCall call2(OpKind::GatherElements);
  call2.attr("axis", int64_t(1));
  EXPECT_FALSE(call2.run({&data, &oob}).isOk());
}

TEST(ScatterElements, ReductionsInOrder) {
  for (DType dt : {DType::F32, DType::F64, DType::I32, DType::I64, DType::U8,
                   DType::F16}) {
    Tensor data = random(dt, {3, 4}, 31, 1, 9);
    for (int64_t axis : {0, 1}) {
      // Duplicate indices on purpose.
      Tensor idx = Tensor::empty(DType::I64, {3, 3});
      std::mt19937 rng(axis + 5);
      int64_t dim = data.dim(axis);
      for (int64_t i = 0; i < idx.numel(); ++i)
        idx.setInt(i, (int64_t)(rng() % (2 * dim)) - dim);
      Tensor upd = random(dt, {3, 3}, 32 + axis, 1, 5);
      for (std::string red : {"none", "add", "mul", "max", "min"}) {
        KernelCall call(OpKind::ScatterElements);
        call.attr("axis", axis).attr("reduction", red);
        Tensor out = runOk(call, {&data, &idx, &upd});
        std::vector<double> want = values(data);
        for (int64_t u = 0; u < idx.numel(); ++u) {
          auto ui = unravel(u, idx.shape());
          int64_t v = idx.getInt(u);
          ui[axis] = v < 0 ? v + dim : v;
          double &w = want[flat(ui, data.shape())];
          double y = upd.getDouble(u);
          w = red == "none"  ? y
              : red == "add" ? w + y
              : red == "mul" ? w * y
              : red == "max" ? std::max(w, y)
                             : std::min(w, y);
        }
        for (double &w : want)
          w = isInteger(dt) ? wrapTo(dt, (int64_t)w) : roundTo(dt, w);
        expectClose(out, want, tolFor(dt),
                    (std::string(dtypeName(dt)) + " " + red).c_str());
      }
    }
  }
  // Bool data moves with reduction none; arithmetic reductions refuse it.
  Tensor b = make(DType::Bool, {2, 2}, {0, 0, 1, 1});
  Tensor bi = i64({1, 2}, {1, 0});
  Tensor bu = make(DType::Bool, {1, 2}, {0, 1});
  KernelCall none(OpKind::ScatterElements);
  Tensor bo = runOk(none, {&b, &bi, &bu});
  EXPECT_EQ(values(bo), (std::vector<double>{0, 1, 0, 1}));
  KernelCall add(OpKind::ScatterElements);
  add.attr("reduction", std::string("add"));
  EXPECT_FALSE(add.run({&b, &bi, &bu}).isOk());
}

TEST(Tile, Shapes) {
  for (DType dt : kMoveTypes) {
    Tensor x = random(dt, {2, 3, 4}, 41, -9, 9);
    for (std::vector<int64_t> reps : {std::vector<int64_t>{1, 1, 1},
                                      {2, 1, 3},
                                      {1, 3, 1},
                                      {3, 2, 2},
                                      {1, 0, 2}}) {
      Tensor r = i64({3}, reps);
      KernelCall call(OpKind::Tile);
      Tensor out = runOk(call, {&x, &r});
      Shape want = {2 * reps[0], 3 * reps[1], 4 * reps[2]};
      ASSERT_EQ(out.shape(), want);
      for (int64_t o = 0; o < out.numel(); ++o) {
        auto oi = unravel(o, out.shape());
        for (int64_t d = 0; d < 3; ++d)
          oi[d] %= x.dim(d);
        ASSERT_EQ(out.getDouble(o), x.getDouble(flat(oi, x.shape())))
            << dtypeName(dt);
      }
    }
  }
  Tensor s = f32({}, {7});
  Tensor none = i64({0}, {});
  KernelCall call(OpKind::Tile);
  Tensor out = runOk(call, {&s, &none});
  EXPECT_EQ(out.numel(), 1);
  EXPECT_EQ(out.getDouble(0), 7);
  Tensor v = f32({2}, {1, 2});
  Tensor neg = i64({1}, {-1});
  KernelCall bad(OpKind::Tile);
  EXPECT_FALSE(bad.run({&v, &neg}).isOk());
  Tensor wrong = i64({2}, {1, 1});
  KernelCall bad2(OpKind::Tile);
  EXPECT_FALSE(bad2.run({&v, &wrong}).isOk());
}

TEST(ArgMinMax, TiesNaNAndKeepdims) {
  for (DType dt : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::U8,
                   DType::I64, DType::F64}) {
    // Few distinct values so that ties happen.
    Tensor x = random(dt, {3, 4, 5}, 51, 0, 4);
    if (isFloat(dt))
      x.setDouble(7, std::nan(""));
    for (OpKind k : {OpKind::ArgMax, OpKind::ArgMin})
      for (int64_t axis : {0, 1, 2, -2})
        for (int keep = 0; keep < 2; ++keep)
          for (int last = 0; last < 2; ++last) {
            KernelCall call(k);
            call.attr("axis", axis)
                .attr("keepdims", (int64_t)keep)
                .attr("select_last_index", (int64_t)last);
            Tensor out = runOk(call, {&x});
            int64_t ax = axis < 0 ? axis + 3 : axis;
            Shape ks = x.shape();
            ks[ax] = 1;
            ASSERT_EQ(out.numel(), numElements(ks));
            ASSERT_EQ(out.rank(), keep ? 3 : 2);
            ASSERT_EQ(out.dtype(), DType::I64);
            for (int64_t o = 0; o < out.numel(); ++o) {
              auto oi = unravel(o, ks);
              int64_t best = -1;
              double bv = 0;
              for (int64_t j = 0; j < x.dim(ax); ++j) {
                oi[ax] = j;
                double v = x.getDouble(flat(oi, x.shape()));
                bool take;
                if (best < 0)
                  take = true;
                else if (std::isnan(bv))
                  take = last && std::isnan(v);
                else if (std::isnan(v))
                  take = true;
                else
                  take = (k == OpKind::ArgMax ? v > bv : v < bv) ||
                         (last && v == bv);
                if (take) {
                  best = j;
                  bv = v;
                }
              }
              ASSERT_EQ(out.getInt(o), best)
                  << dtypeName(dt) << " axis " << axis << " last " << last;
            }
          }
  }
  Tensor e = f32({2, 0}, {});
  KernelCall call(OpKind::ArgMax);
  call.attr("axis", int64_t(1));
  EXPECT_FALSE(call.run({&e}).isOk());
}

TEST(ReduceMore, ProdL2LogSumExp) {
  for (DType dt : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64,
                   DType::I32, DType::U8}) {
    Tensor x = random(dt, {3, 4, 2}, 61, -2, 2);
    for (OpKind k :
         {OpKind::ReduceProd, OpKind::ReduceL2, OpKind::ReduceLogSumExp}) {
      if (k != OpKind::ReduceProd && !isFloat(dt)) {
        KernelCall call(k);
        call.attr("axes", std::vector<int64_t>{1});
        EXPECT_FALSE(call.run({&x}).isOk());
        continue;
      }
      for (std::vector<int64_t> axes :
           {std::vector<int64_t>{}, {0}, {1}, {-1}, {0, 2}}) {
        for (int keep = 0; keep < 2; ++keep) {
          KernelCall call(k);
          call.attr("axes", axes).attr("keepdims", (int64_t)keep);
          Tensor out = runOk(call, {&x});
          std::vector<bool> red(3, axes.empty());
          for (int64_t a : axes)
            red[a < 0 ? a + 3 : a] = true;
          Shape ks = x.shape();
          for (int d = 0; d < 3; ++d)
            if (red[d])
              ks[d] = 1;
          ASSERT_EQ(out.numel(), numElements(ks));
          std::vector<double> want;
          for (int64_t o = 0; o < numElements(ks); ++o) {
            auto oi = unravel(o, ks);
            double acc = k == OpKind::ReduceProd ? 1 : 0, mx = -INFINITY;
            std::vector<double> vals;
            for (int64_t i = 0; i < x.numel(); ++i) {
              auto xi = unravel(i, x.shape());
              bool mine = true;
              for (int d = 0; d < 3; ++d)
                mine = mine && (red[d] || xi[d] == oi[d]);
              if (mine)
                vals.push_back(x.getDouble(i));
            }
            for (double v : vals)
              mx = std::max(mx, v);
            for (double v : vals)
              acc = k == OpKind::ReduceProd ? acc * v
                    : k == OpKind::ReduceL2 ? acc + v * v
                                            : acc + std::exp(v - mx);
            if (k == OpKind::ReduceL2)
              acc = std::sqrt(acc);
            if (k == OpKind::ReduceLogSumExp)
              acc = std::log(acc) + mx;
            want.push_back(isInteger(dt) ? wrapTo(dt, (int64_t)acc) : acc);
          }
          expectClose(
              out, want, std::max(tolFor(dt), 1e-6),
              (std::string(dtypeName(dt)) + " " + opKindName(k)).c_str());
        }
      }
    }
  }
  // Empty reductions give the identities.
  Tensor e = f32({0, 3}, {});
  for (auto [k, v] : {std::pair<OpKind, double>{OpKind::ReduceProd, 1},
                      {OpKind::ReduceL2, 0},
                      {OpKind::ReduceLogSumExp, -INFINITY}}) {
    KernelCall call(k);
    call.attr("axes", std::vector<int64_t>{0});
    Tensor out = runOk(call, {&e});
    ASSERT_EQ(out.shape(), (Shape{1, 3}));
    EXPECT_EQ(out.getDouble(0), v) << opKindName(k);
  }
  // Log-sum-exp of large values does not overflow; infinities pass.
  Tensor big = f32({3}, {1000, 1000, -INFINITY});
  KernelCall lse(OpKind::ReduceLogSumExp);
  lse.attr("axes", std::vector<int64_t>{0});
  Tensor r = runOk(lse, {&big});
  EXPECT_TRUE(near(r.getDouble(0), 1000 + std::log(2.0), 1e-6));
}

} // namespace
