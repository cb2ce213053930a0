//===- SymbolicShapes.cpp - symbolic shape propagation ----------*- C++ -*-===//
//
// The transfer functions of ShapeAnalysis (see SymbolicShapes.h). Each op
// yields, per result, a partial list of dimension expressions and (for
// small integer tensors) element expressions; std::nullopt entries are
// unknown. finish() merges them with the declared result type (a static size
// wins) and fills the unknowns with fresh symbols, so that every value the
// analysis saw has complete facts.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Analysis/SymbolicShapes.h"

#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "symbolic-shapes"

using namespace mlir;
using namespace gptq;
using namespace gptq::shapes;

namespace gptq::shapes {

using OptExpr = std::optional<SymExpr>;
using Partial = SmallVector<OptExpr, 4>;

/// What one op says about one of its results.
struct ResultFacts {
  std::optional<Partial> dims;
  std::optional<Partial> elements;
};

class ShapeTransfer {
public:
  explicit ShapeTransfer(ShapeAnalysis &a) : A(a), syms(a.syms) {}

  void run(func::FuncOp fn);
  /// Computes the facts of `v` and of everything it depends on (iteratively:
  /// backward slices of real models are thousands of ops deep).
  void ensure(Value v);

private:
  //===--------------------------------------------------------------------===//
  // Facts of operands
  //===--------------------------------------------------------------------===//

  /// Records that `a` and `b` must be equal for the op to run: a dim_param
  /// equal to a constant is bound to it (ShapeAnalysis::boundDimParams).
  void requireEqual(const SymExpr &a, const SymExpr &b) {
    for (auto [x, y] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      auto s = x->getSymbol();
      auto c = y->getConstant();
      if (s && c && *c >= 0 && syms.isDimParam(*s))
        A.bindings.emplace(syms.name(*s).str(), *c);
    }
  }

  /// Facts of `v` (computed if not known yet).
  const ValueFacts &get(Value v) {
    auto it = A.facts.find(v);
    if (it != A.facts.end())
      return *it->second;
    ensure(v);
    it = A.facts.find(v);
    if (it != A.facts.end())
      return *it->second;
    static const ValueFacts none;
    return none; // not a ranked tensor: never an operand we look at
  }
  const SmallVector<SymExpr, 4> &dims(Value v) { return get(v).dims; }
  /// Element expressions, or null if `v` is not a tracked integer tensor.
  const SmallVector<SymExpr, 4> *elems(Value v) {
    const ValueFacts &f = get(v);
    return f.elements ? &*f.elements : nullptr;
  }
  /// Elements that are all constants.
  std::optional<SmallVector<int64_t>> constElems(Value v) {
    const auto *e = elems(v);
    if (!e)
      return std::nullopt;
    SmallVector<int64_t> out;
    for (const SymExpr &x : *e) {
      auto c = x.getConstant();
      if (!c)
        return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  /// The single element of a scalar-like (0-D or [1]) tracked tensor.
  OptExpr scalar(Value v) {
    const auto *e = elems(v);
    if (!e || e->size() != 1)
      return std::nullopt;
    return (*e)[0];
  }

  static bool tracksElements(Type t) {
    auto tt = dyn_cast<RankedTensorType>(t);
    return tt && isa<IntegerType>(tt.getElementType()) && tt.hasStaticShape() &&
           tt.getRank() <= 1 &&
           tt.getNumElements() <= ShapeAnalysis::kMaxElements;
  }
  static int64_t rankOf(Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t ? t.getRank() : -1;
  }

  /// Records the facts of `v`: `rf` merged with the declared type.
  void finish(Value v, const ResultFacts &rf, StringRef hint);
  /// A block argument: a graph input's named dims, or fresh symbols.
  void argument(BlockArgument arg);
  /// Runs the transfer function of `op` (its operands' facts are known).
  void process(Operation *op);

  //===--------------------------------------------------------------------===//
  // Algebra helpers
  //===--------------------------------------------------------------------===//

  /// The size of a broadcast dimension (numpy rules).
  static OptExpr broadcastDim(const SymExpr &a, const SymExpr &b) {
    if (a == b)
      return a;
    if (a.isConstant(1))
      return b;
    if (b.isConstant(1))
      return a;
    if (a.isConstant())
      return a; // static and not 1: b must be a or 1
    if (b.isConstant())
      return b;
    return std::nullopt; // max(a, b): not expressible
  }
  static Partial broadcast(ArrayRef<const SmallVector<SymExpr, 4> *> shapes) {
    size_t rank = 0;
    for (auto *s : shapes)
      rank = std::max(rank, s->size());
    Partial out(rank, SymExpr(1));
    for (auto *s : shapes)
      for (size_t i = 0; i < s->size(); ++i) {
        OptExpr &o = out[rank - s->size() + i];
        if (o)
          o = broadcastDim(*o, (*s)[i]);
      }
    return out;
  }
  OptExpr product(ArrayRef<SymExpr> xs) {
    SymExpr p(1);
    for (const SymExpr &x : xs) {
      auto q = mul(p, x);
      if (!q)
        return std::nullopt;
      p = *q;
    }
    return p;
  }
  static Partial known(ArrayRef<SymExpr> xs) {
    return Partial(xs.begin(), xs.end());
  }
  static bool allKnown(const Partial &p) {
    return llvm::all_of(p, [](const OptExpr &e) { return e.has_value(); });
  }
  /// A position along a dimension of size `dim` for ONNX Slice with step 1:
  /// the clamped index in [0, dim], where it is decided.
  OptExpr slicePosition(const SymExpr &x, const SymExpr &dim);
  OptExpr sliceDim(const SymExpr &dim, const SymExpr &start, const SymExpr &end,
                   const SymExpr &step);

  /// Elementwise over broadcast 1-D element lists.
  std::optional<Partial>
  mapElements(Value result, ValueRange operands,
              llvm::function_ref<OptExpr(ArrayRef<SymExpr>)> fn);
  /// A decided comparison as an i1 element.
  static OptExpr boolElem(std::optional<bool> b) {
    if (!b)
      return std::nullopt;
    return SymExpr(*b ? 1 : 0);
  }

  //===--------------------------------------------------------------------===//
  // Transfer functions
  //===--------------------------------------------------------------------===//

  SmallVector<ResultFacts, 1> transfer(Operation *op);
  ResultFacts sameAs(Value v) { return {known(dims(v)), std::nullopt}; }
  ResultFacts broadcastOp(Operation *op);
  ResultFacts reshape(nn::ReshapeOp op);
  ResultFacts gather(nn::GatherOp op);
  ResultFacts concat(nn::ConcatOp op);
  ResultFacts slice(nn::SliceOp op);
  SmallVector<ResultFacts, 1> split(nn::SplitOp op);
  ResultFacts squeeze(nn::SqueezeOp op);
  ResultFacts unsqueeze(nn::UnsqueezeOp op);
  ResultFacts expand(nn::ExpandOp op);
  ResultFacts shape(nn::ShapeOp op);
  ResultFacts matmul(nn::MatMulOp op);
  ResultFacts gemm(nn::GemmOp op);
  ResultFacts range(nn::RangeOp op);
  ResultFacts reduce(Operation *op, StringRef kind);
  ResultFacts castOp(nn::CastOp op);

  ShapeAnalysis &A;
  SymbolTable &syms;
};

} // namespace gptq::shapes

//===----------------------------------------------------------------------===//
// Merging with declared types
//===----------------------------------------------------------------------===//

void ShapeTransfer::finish(Value v, const ResultFacts &rf, StringRef hint) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || A.facts.count(v))
    return; // facts, once given out, never change
  ValueFacts f;
  bool dimsOk = rf.dims && (int64_t)rf.dims->size() == t.getRank();
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (!t.isDynamicDim(i))
      f.dims.push_back(SymExpr(t.getDimSize(i)));
    else if (dimsOk && (*rf.dims)[i])
      f.dims.push_back(*(*rf.dims)[i]);
    else
      f.dims.push_back(SymExpr::symbol(
          syms.fresh(SymbolKind::Size,
                     hint.empty() ? "" : (hint + "_d" + Twine(i)).str())));
  }
  if (tracksElements(t)) {
    int64_t n = t.getNumElements();
    bool elemsOk = rf.elements && (int64_t)rf.elements->size() == n;
    auto values = nn::getConstantIntValues(v);
    if (values && (int64_t)values->size() != n)
      values.reset();
    if (values && t.getElementType().isInteger(1))
      for (int64_t &x : *values)
        x = x != 0;
    SmallVector<SymExpr, 4> e;
    for (int64_t j = 0; j < n; ++j) {
      if (values)
        e.push_back(SymExpr((*values)[j]));
      else if (elemsOk && (*rf.elements)[j])
        e.push_back(*(*rf.elements)[j]);
      else
        e.push_back(SymExpr::symbol(syms.fresh(SymbolKind::Value, "v")));
    }
    f.elements = std::move(e);
  }
  A.facts[v] = std::make_unique<ValueFacts>(std::move(f));
}

void ShapeTransfer::argument(BlockArgument arg) {
  auto t = dyn_cast<RankedTensorType>(arg.getType());
  if (!t)
    return;
  auto fn = dyn_cast_or_null<func::FuncOp>(arg.getOwner()->getParentOp());
  ArrayAttr names;
  std::string hint = "arg" + std::to_string(arg.getArgNumber());
  if (fn && arg.getOwner() == &fn.getBody().front()) {
    names = fn.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(),
                                           nn::NNDialect::kDimNamesAttr);
    if (auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                 nn::NNDialect::kNameAttr))
      hint = n.str();
  }
  ResultFacts rf;
  rf.dims = Partial(t.getRank());
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (!names || i >= (int64_t)names.size())
      continue;
    auto s = dyn_cast<StringAttr>(names[i]);
    if (s && !s.getValue().empty())
      (*rf.dims)[i] = parseDimParam(s.getValue(), syms);
  }
  finish(arg, rf, hint);
}

void ShapeTransfer::process(Operation *op) {
  SmallVector<ResultFacts, 1> rfs = transfer(op);
  for (auto [i, r] : llvm::enumerate(op->getResults())) {
    finish(r, i < rfs.size() ? rfs[i] : ResultFacts(), "");
    LLVM_DEBUG(llvm::dbgs()
               << op->getName() << " #" << i << ": dims " << A.describeDims(r)
               << ", elements " << A.describeElements(r) << "\n");
  }
}

void ShapeTransfer::ensure(Value root) {
  if (A.facts.count(root) || !isa<RankedTensorType>(root.getType()))
    return;
  if (auto arg = dyn_cast<BlockArgument>(root)) {
    argument(arg);
    return;
  }
  // Post-order over defining ops. An op may be pushed more than once; it is
  // processed once (its first result then has facts). Values that are not
  // ranked tensors get none and do not hold anything up.
  SmallVector<Operation *> stack{root.getDefiningOp()};
  auto done = [&](Operation *op) {
    return op->getNumResults() == 0 || A.facts.count(op->getResult(0)) ||
           !isa<RankedTensorType>(op->getResult(0).getType());
  };
  while (!stack.empty()) {
    Operation *op = stack.back();
    if (done(op)) {
      stack.pop_back();
      if (op->getNumResults() && !A.facts.count(op->getResult(0)))
        process(op); // results of other types: the ranked ones still count
      continue;
    }
    bool ready = true;
    for (Value v : op->getOperands()) {
      if (A.facts.count(v) || !isa<RankedTensorType>(v.getType()))
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        argument(arg);
        continue;
      }
      stack.push_back(v.getDefiningOp());
      ready = false;
    }
    if (!ready)
      continue;
    stack.pop_back();
    process(op);
  }
}

void ShapeTransfer::run(func::FuncOp fn) {
  if (fn.isExternal())
    return;
  for (BlockArgument arg : fn.getArguments())
    argument(arg);
  fn.walk([&](Operation *op) {
    for (Value r : op->getResults())
      ensure(r);
  });
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Indices at or above this are "to the end" (as exporters write INT64_MAX
/// or INT32_MAX): dimensions are assumed smaller.
static constexpr int64_t kEndSentinel = (int64_t(1) << 31) - 1;

OptExpr ShapeTransfer::slicePosition(const SymExpr &x, const SymExpr &dim) {
  auto dc = dim.getConstant();
  if (auto c = x.getConstant()) {
    if (*c >= 0) {
      if (dc)
        return SymExpr(std::min(*c, *dc));
      if (*c >= kEndSentinel)
        return dim;
      auto d = sub(dim, x); // x <= dim: x itself
      if (d && d->isNonNegative(syms))
        return x;
      return std::nullopt;
    }
    // Negative: dim + c, clamped at 0.
    if (dc)
      return SymExpr(std::max<int64_t>(0, *dc + *c));
    auto p = add(dim, x);
    if (p && p->isNonNegative(syms))
      return p;
    return std::nullopt;
  }
  if (x == dim)
    return dim;
  if (!x.isNonNegative(syms))
    return std::nullopt;
  auto d = sub(dim, x);
  if (d && d->isNonNegative(syms))
    return x;
  return std::nullopt;
}

/// Size of one ONNX Slice along a dimension of static size `dim`.
static int64_t constSliceSize(int64_t dim, int64_t start, int64_t end,
                              int64_t step) {
  auto clampIdx = [](int64_t v, int64_t lo, int64_t hi) {
    return std::min(std::max(v, lo), hi);
  };
  if (start < 0)
    start = start < -dim ? -1 : start + dim;
  if (end < 0)
    end = end < -dim ? -1 : end + dim;
  // ceil(span / |step|) without overflow for any step (INT64_MIN excluded
  // by the callers).
  if (step > 0) {
    start = clampIdx(start, 0, dim);
    end = clampIdx(end, 0, dim);
    return end > start ? 1 + (end - start - 1) / step : 0;
  }
  start = clampIdx(start, -1, dim - 1);
  end = clampIdx(end, -1, dim - 1);
  return start > end ? 1 + (start - end - 1) / (-step) : 0;
}

OptExpr ShapeTransfer::sliceDim(const SymExpr &dim, const SymExpr &start,
                                const SymExpr &end, const SymExpr &step) {
  auto d = dim.getConstant(), s = start.getConstant(), e = end.getConstant(),
       st = step.getConstant();
  if (st && *st == 0)
    return std::nullopt;
  if (d && s && e && st) {
    // Guard the arithmetic of the clamped formula against overflow.
    if (*st == INT64_MIN || *d < 0)
      return std::nullopt;
    return SymExpr(constSliceSize(*d, *s, *e, *st));
  }
  if (!st || *st != 1)
    return std::nullopt;
  auto ps = slicePosition(start, dim), pe = slicePosition(end, dim);
  if (!ps || !pe)
    return std::nullopt;
  auto size = sub(*pe, *ps);
  if (!size)
    return std::nullopt;
  if (size->isNonNegative(syms))
    return size;
  if (auto c = size->getConstant(); c && *c < 0)
    return SymExpr(0);
  return std::nullopt;
}

std::optional<Partial>
ShapeTransfer::mapElements(Value result, ValueRange operands,
                           llvm::function_ref<OptExpr(ArrayRef<SymExpr>)> fn) {
  if (!tracksElements(result.getType()))
    return std::nullopt;
  int64_t n = cast<RankedTensorType>(result.getType()).getNumElements();
  SmallVector<const SmallVector<SymExpr, 4> *> lists;
  for (Value v : operands) {
    const auto *e = elems(v);
    if (!e || (e->size() != 1 && (int64_t)e->size() != n))
      return std::nullopt;
    lists.push_back(e);
  }
  Partial out;
  SmallVector<SymExpr, 3> args(lists.size());
  for (int64_t j = 0; j < n; ++j) {
    for (size_t k = 0; k < lists.size(); ++k)
      args[k] = (*lists[k])[lists[k]->size() == 1 ? 0 : j];
    out.push_back(fn(args));
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Transfer functions
//===----------------------------------------------------------------------===//

ResultFacts ShapeTransfer::broadcastOp(Operation *op) {
  SmallVector<const SmallVector<SymExpr, 4> *> shapes;
  for (Value v : op->getOperands()) {
    if (rankOf(v) < 0)
      return {};
    shapes.push_back(&dims(v));
  }
  ResultFacts rf;
  rf.dims = broadcast(shapes);
  Value result = op->getResult(0);
  Type elem =
      cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  if (!isa<IntegerType>(elem))
    return rf;
  auto cmp = [&](const SymExpr &a, const SymExpr &b) {
    return compare(a, b, syms);
  };
  auto decided = [](std::optional<int> c, auto pred) -> std::optional<bool> {
    if (!c)
      return std::nullopt;
    return pred(*c);
  };
  auto binary = [&](auto fn) {
    return mapElements(
        result, op->getOperands(),
        [&](ArrayRef<SymExpr> a) -> OptExpr { return fn(a[0], a[1]); });
  };
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](nn::AddOp) {
        rf.elements = binary([](auto &a, auto &b) { return add(a, b); });
      })
      .Case([&](nn::SubOp) {
        rf.elements = binary([](auto &a, auto &b) { return sub(a, b); });
      })
      .Case([&](nn::MulOp) {
        rf.elements = binary([](auto &a, auto &b) { return mul(a, b); });
      })
      .Case([&](nn::DivOp) {
        rf.elements = binary([&](auto &a, auto &b) -> OptExpr {
          if (auto q = divTrunc(a, b, syms))
            return q;
          if (b.isConstant(0))
            return std::nullopt;
          // An opaque symbol named after the quotient: equal quotients are
          // one symbol, and errors can show what was computed.
          auto paren = [&](const SymExpr &e) {
            std::string s = e.str(syms);
            return e.getSymbol() || e.isConstant() ? s : "(" + s + ")";
          };
          bool size =
              a.isNonNegative(syms) && b.getConstant() && *b.getConstant() > 0;
          return SymExpr::symbol(
              syms.opaque(paren(a) + "/" + paren(b),
                          size ? SymbolKind::Size : SymbolKind::Value));
        });
      })
      .Case([&](nn::MaxOp) {
        rf.elements = binary([&](auto &a, auto &b) -> OptExpr {
          auto c = cmp(a, b);
          return c ? OptExpr(*c >= 0 ? a : b) : std::nullopt;
        });
      })
      .Case([&](nn::MinOp) {
        rf.elements = binary([&](auto &a, auto &b) -> OptExpr {
          auto c = cmp(a, b);
          return c ? OptExpr(*c <= 0 ? a : b) : std::nullopt;
        });
      })
      .Case([&](nn::EqualOp) {
        rf.elements = binary([&](auto &a, auto &b) {
          return boolElem(decided(cmp(a, b), [](int c) { return c == 0; }));
        });
      })
      .Case([&](nn::LessOp) {
        rf.elements = binary([&](auto &a, auto &b) {
          return boolElem(decided(cmp(a, b), [](int c) { return c < 0; }));
        });
      })
      .Case([&](nn::LessEqualOp) {
        rf.elements = binary([&](auto &a, auto &b) {
          return boolElem(decided(cmp(a, b), [](int c) { return c <= 0; }));
        });
      })
      .Case([&](nn::GreaterOp) {
        rf.elements = binary([&](auto &a, auto &b) {
          return boolElem(decided(cmp(a, b), [](int c) { return c > 0; }));
        });
      })
      .Case([&](nn::GreaterEqualOp) {
        rf.elements = binary([&](auto &a, auto &b) {
          return boolElem(decided(cmp(a, b), [](int c) { return c >= 0; }));
        });
      })
      .Case([&](nn::AndOp) {
        rf.elements = binary([](auto &a, auto &b) -> OptExpr {
          if (a.isConstant(0) || b.isConstant(0))
            return SymExpr(0);
          if (a.isConstant(1) && b.isConstant(1))
            return SymExpr(1);
          return std::nullopt;
        });
      })
      .Case([&](nn::OrOp) {
        rf.elements = binary([](auto &a, auto &b) -> OptExpr {
          if (a.isConstant(1) || b.isConstant(1))
            return SymExpr(1);
          if (a.isConstant(0) && b.isConstant(0))
            return SymExpr(0);
          return std::nullopt;
        });
      })
      .Case([&](nn::WhereOp) {
        rf.elements = mapElements(
            result, op->getOperands(), [](ArrayRef<SymExpr> a) -> OptExpr {
              auto c = a[0].getConstant();
              if (!c)
                return a[1] == a[2] ? OptExpr(a[1]) : std::nullopt;
              return *c ? a[1] : a[2];
            });
      });
  return rf;
}

ResultFacts ShapeTransfer::reshape(nn::ReshapeOp op) {
  const auto &in = dims(op.getInput());
  const auto *target = elems(op.getShape());
  int64_t rank = rankOf(op.getOutput());
  if (!target || (int64_t)target->size() != rank)
    return {};
  bool allowzero = op.getAllowzero();
  Partial out(rank);
  int64_t inferIdx = -1;
  bool othersKnown = true;
  for (int64_t i = 0; i < rank; ++i) {
    const SymExpr &e = (*target)[i];
    if (auto c = e.getConstant()) {
      if (*c == -1) {
        if (inferIdx >= 0)
          return {}; // invalid: the verifier reports it
        inferIdx = i;
      } else if (*c == 0 && !allowzero) {
        if (i < (int64_t)in.size())
          out[i] = in[i];
        else
          othersKnown = false;
      } else if (*c >= 0) {
        out[i] = e;
      } else {
        return {};
      }
    } else if (e.isNonNegative(syms)) {
      out[i] = e; // a size (it cannot be the -1 or, as assumed, a 0 to copy)
    } else {
      othersKnown = false; // could be -1 or 0
    }
  }
  if (inferIdx >= 0 && othersKnown) {
    SmallVector<SymExpr> others;
    for (int64_t i = 0; i < rank; ++i)
      if (i != inferIdx)
        others.push_back(*out[i]);
    auto numel = product(in);
    auto known = product(others);
    if (numel && known)
      out[inferIdx] = divExact(*numel, *known);
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  if (const auto *e = elems(op.getInput()))
    rf.elements = known(*e);
  return rf;
}

ResultFacts ShapeTransfer::gather(nn::GatherOp op) {
  const auto &data = dims(op.getData());
  const auto &idx = dims(op.getIndices());
  auto axis = nn::normalizeAxis(op.getAxis(), data.size());
  if (!axis)
    return {};
  ResultFacts rf;
  Partial out(data.begin(), data.begin() + *axis);
  out.append(idx.begin(), idx.end());
  out.append(data.begin() + *axis + 1, data.end());
  rf.dims = std::move(out);
  const auto *de = elems(op.getData());
  auto ie = constElems(op.getIndices());
  if (de && ie && data.size() == 1) {
    Partial e;
    int64_t n = de->size();
    for (int64_t i : *ie) {
      if (i < -n || i >= n)
        return rf;
      e.push_back((*de)[i < 0 ? i + n : i]);
    }
    rf.elements = std::move(e);
  }
  return rf;
}

ResultFacts ShapeTransfer::concat(nn::ConcatOp op) {
  int64_t rank = rankOf(op.getOutput());
  auto axis = nn::normalizeAxis(op.getAxis(), rank);
  if (!axis)
    return {};
  Partial out(rank);
  SymExpr sum(0);
  bool sumOk = true;
  for (Value in : op.getInputs()) {
    const auto &d = dims(in);
    if ((int64_t)d.size() != rank)
      return {};
    for (int64_t i = 0; i < rank; ++i) {
      if (i == *axis)
        continue;
      // Sizes off the axis must agree: any input's will do; prefer a
      // constant.
      if (out[i])
        requireEqual(*out[i], d[i]);
      if (!out[i] || (!out[i]->isConstant() && d[i].isConstant()))
        out[i] = d[i];
    }
    if (sumOk) {
      auto s = add(sum, d[*axis]);
      if (s)
        sum = *s;
      sumOk = s.has_value();
    }
  }
  if (sumOk)
    out[*axis] = sum;
  ResultFacts rf;
  rf.dims = std::move(out);
  if (rank == 1) {
    Partial e;
    for (Value in : op.getInputs()) {
      const auto *ie = elems(in);
      if (!ie)
        return rf;
      e.append(ie->begin(), ie->end());
    }
    rf.elements = std::move(e);
  }
  return rf;
}

ResultFacts ShapeTransfer::slice(nn::SliceOp op) {
  const auto &in = dims(op.getInput());
  auto axes = constElems(op.getAxes());
  const auto *starts = elems(op.getStarts());
  const auto *ends = elems(op.getEnds());
  const auto *steps = elems(op.getSteps());
  if (!axes || !starts || !ends || !steps || starts->size() != axes->size() ||
      ends->size() != axes->size() || steps->size() != axes->size())
    return {};
  Partial out = known(in);
  SmallVector<int64_t> normAxes;
  for (auto [k, a] : llvm::enumerate(*axes)) {
    auto axis = nn::normalizeAxis(a, in.size());
    if (!axis)
      return {};
    normAxes.push_back(*axis);
    out[*axis] = sliceDim(in[*axis], (*starts)[k], (*ends)[k], (*steps)[k]);
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  // A slice of a shape tensor.
  const auto *de = elems(op.getInput());
  auto s = constElems(op.getStarts()), e = constElems(op.getEnds()),
       st = constElems(op.getSteps());
  if (de && in.size() == 1 && s && e && st && normAxes.size() == 1 &&
      (*st)[0] != 0 && (*st)[0] != INT64_MIN) {
    int64_t n = de->size(), step = (*st)[0];
    int64_t size = constSliceSize(n, (*s)[0], (*e)[0], step);
    int64_t first = (*s)[0];
    if (first < 0)
      first += n;
    first = step > 0 ? std::clamp<int64_t>(first, 0, n)
                     : std::clamp<int64_t>(first, -1, n - 1);
    Partial out;
    for (int64_t k = 0; k < size; ++k)
      out.push_back((*de)[first + k * step]);
    rf.elements = std::move(out);
  }
  return rf;
}

SmallVector<ResultFacts, 1> ShapeTransfer::split(nn::SplitOp op) {
  const auto &in = dims(op.getInput());
  auto axis = nn::normalizeAxis(op.getAxis(), in.size());
  SmallVector<ResultFacts, 1> out;
  if (!axis)
    return out;
  const auto *de = elems(op.getInput());
  int64_t offset = 0;
  for (int64_t size : op.getSizes()) {
    ResultFacts rf;
    Partial d = known(in);
    d[*axis] = SymExpr(size);
    rf.dims = std::move(d);
    if (de && in.size() == 1 && offset + size <= (int64_t)de->size())
      rf.elements = Partial(de->begin() + offset, de->begin() + offset + size);
    offset += size;
    out.push_back(std::move(rf));
  }
  return out;
}

ResultFacts ShapeTransfer::squeeze(nn::SqueezeOp op) {
  const auto &in = dims(op.getInput());
  SmallVector<bool> drop(in.size(), false);
  for (int64_t a : op.getAxes()) {
    auto axis = nn::normalizeAxis(a, in.size());
    if (!axis)
      return {};
    drop[*axis] = true;
  }
  Partial out;
  for (size_t i = 0; i < in.size(); ++i) {
    bool d = op.getAxes().empty() ? in[i].isConstant(1) : drop[i];
    if (!d)
      out.push_back(in[i]);
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  if (const auto *e = elems(op.getInput()))
    rf.elements = known(*e);
  return rf;
}

ResultFacts ShapeTransfer::unsqueeze(nn::UnsqueezeOp op) {
  const auto &in = dims(op.getInput());
  int64_t rank = in.size() + op.getAxes().size();
  SmallVector<bool> ins(rank, false);
  for (int64_t a : op.getAxes()) {
    auto axis = nn::normalizeAxis(a, rank);
    if (!axis)
      return {};
    ins[*axis] = true;
  }
  Partial out;
  size_t src = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (ins[i])
      out.push_back(SymExpr(1));
    else if (src < in.size())
      out.push_back(in[src++]);
    else
      return {};
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  if (const auto *e = elems(op.getInput()))
    rf.elements = known(*e);
  return rf;
}

ResultFacts ShapeTransfer::expand(nn::ExpandOp op) {
  const auto &in = dims(op.getInput());
  const auto *target = elems(op.getShape());
  int64_t rank = rankOf(op.getOutput());
  if (!target || rank < (int64_t)in.size() || rank < (int64_t)target->size())
    return {};
  Partial out(rank, SymExpr(1));
  for (size_t i = 0; i < target->size(); ++i) {
    const SymExpr &t = (*target)[i];
    OptExpr &o = out[rank - target->size() + i];
    // A target entry that may be negative is not a size.
    o = t.isNonNegative(syms) ? OptExpr(t) : std::nullopt;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    OptExpr &o = out[rank - in.size() + i];
    if (o)
      o = broadcastDim(*o, in[i]);
    else if (in[i].isConstant() && !in[i].isConstant(1))
      o = in[i];
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  return rf;
}

ResultFacts ShapeTransfer::shape(nn::ShapeOp op) {
  const auto &in = dims(op.getInput());
  int64_t rank = in.size();
  auto clampDim = [rank](int64_t v) {
    if (v < 0)
      v += rank;
    return std::min(std::max<int64_t>(v, 0), rank);
  };
  int64_t s = clampDim(op.getStart());
  int64_t e = op.getEnd() ? clampDim(*op.getEnd()) : rank;
  e = std::max(s, e);
  ResultFacts rf;
  rf.dims = Partial{SymExpr(e - s)};
  rf.elements = Partial(in.begin() + s, in.begin() + e);
  return rf;
}

ResultFacts ShapeTransfer::matmul(nn::MatMulOp op) {
  SmallVector<SymExpr, 4> a = dims(op.getLhs()), b = dims(op.getRhs());
  if (a.empty() || b.empty())
    return {};
  bool lhsVec = a.size() == 1, rhsVec = b.size() == 1;
  if (lhsVec)
    a.insert(a.begin(), SymExpr(1));
  if (rhsVec)
    b.push_back(SymExpr(1));
  if (!lhsVec && !rhsVec)
    requireEqual(a.back(), b[b.size() - 2]);
  SmallVector<SymExpr, 4> ab(a.begin(), a.end() - 2),
      bb(b.begin(), b.end() - 2);
  Partial out = broadcast({&ab, &bb});
  if (!lhsVec)
    out.push_back(a[a.size() - 2]);
  if (!rhsVec)
    out.push_back(b.back());
  ResultFacts rf;
  rf.dims = std::move(out);
  return rf;
}

ResultFacts ShapeTransfer::gemm(nn::GemmOp op) {
  const auto &a = dims(op.getA());
  const auto &b = dims(op.getB());
  if (a.size() != 2 || b.size() != 2)
    return {};
  ResultFacts rf;
  rf.dims = Partial{a[op.getTransA() ? 1 : 0], b[op.getTransB() ? 0 : 1]};
  return rf;
}

ResultFacts ShapeTransfer::range(nn::RangeOp op) {
  auto start = scalar(op.getStart()), limit = scalar(op.getLimit()),
       delta = scalar(op.getDelta());
  if (!start || !limit || !delta)
    return {};
  auto d = delta->getConstant();
  if (!d || *d == 0)
    return {};
  auto span = sub(*limit, *start);
  if (!span)
    return {};
  ResultFacts rf;
  if (auto c = span->getConstant()) {
    if (*c == INT64_MIN || *d == INT64_MIN)
      return {};
    // ceil(span / d), at least 0.
    int64_t n = *c / *d + ((*c % *d != 0) && ((*c < 0) == (*d < 0)) ? 1 : 0);
    rf.dims = Partial{SymExpr(std::max<int64_t>(n, 0))};
  } else if (*d == 1 && span->isNonNegative(syms)) {
    rf.dims = Partial{*span};
  } else {
    return {};
  }
  return rf;
}

ResultFacts ShapeTransfer::reduce(Operation *op, StringRef kind) {
  Value input = op->getOperand(0);
  const auto &in = dims(input);
  auto axesAttr = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  auto keepAttr = op->getAttrOfType<BoolAttr>("keepdims");
  bool keep = !keepAttr || keepAttr.getValue();
  if (!axesAttr)
    return {};
  SmallVector<bool> red(in.size(), axesAttr.empty());
  for (int64_t a : axesAttr.asArrayRef()) {
    auto axis = nn::normalizeAxis(a, in.size());
    if (!axis)
      return {};
    red[*axis] = true;
  }
  Partial out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!red[i])
      out.push_back(in[i]);
    else if (keep)
      out.push_back(SymExpr(1));
  }
  ResultFacts rf;
  rf.dims = std::move(out);
  // Sum / product of a whole shape tensor.
  const auto *e = elems(input);
  if (e && in.size() <= 1 && (in.empty() || red[0]) &&
      (kind == "sum" || kind == "prod")) {
    SymExpr acc(kind == "prod" ? 1 : 0);
    for (const SymExpr &x : *e) {
      auto r = kind == "prod" ? mul(acc, x) : add(acc, x);
      if (!r)
        return rf;
      acc = *r;
    }
    rf.elements = Partial{acc};
  }
  return rf;
}

ResultFacts ShapeTransfer::castOp(nn::CastOp op) {
  ResultFacts rf = sameAs(op.getInput());
  const auto *e = elems(op.getInput());
  Type to = op.getTo();
  if (!e || !isa<IntegerType>(to))
    return rf;
  Partial out;
  for (const SymExpr &x : *e) {
    if (to.isInteger(1)) {
      auto c = compare(x, SymExpr(0), syms);
      out.push_back(c ? OptExpr(SymExpr(*c != 0 ? 1 : 0)) : std::nullopt);
      continue;
    }
    auto c = x.getConstant();
    unsigned width = cast<IntegerType>(to).getWidth();
    if (c && width < 64 &&
        (*c >= (int64_t(1) << (width - 1)) ||
         *c < -(int64_t(1) << (width - 1))))
      out.push_back(std::nullopt); // wraps
    else
      out.push_back(x);
  }
  rf.elements = std::move(out);
  return rf;
}

SmallVector<ResultFacts, 1> ShapeTransfer::transfer(Operation *op) {
  // Only ops whose operands the analysis can describe.
  for (Value v : op->getOperands())
    if (rankOf(v) < 0)
      return {};
  auto one = [](ResultFacts rf) { return SmallVector<ResultFacts, 1>{rf}; };
  StringRef name = op->getName().getStringRef();
  if (name == "nn.reduce_prod") // defined by the ops branch; seen by name
    return one(reduce(op, "prod"));
  return llvm::TypeSwitch<Operation *, SmallVector<ResultFacts, 1>>(op)
      .Case<nn::NegOp, nn::AbsOp>([&](Operation *o) {
        ResultFacts rf = sameAs(o->getOperand(0));
        const auto *e = elems(o->getOperand(0));
        if (e && isa<IntegerType>(getElementTypeOrSelf(o->getResult(0)))) {
          Partial out;
          for (const SymExpr &x : *e) {
            if (isa<nn::NegOp>(o))
              out.push_back(neg(x));
            else if (x.isNonNegative(syms))
              out.push_back(x);
            else
              out.push_back(std::nullopt);
          }
          rf.elements = std::move(out);
        }
        return one(rf);
      })
      .Case([&](nn::NotOp o) {
        ResultFacts rf = sameAs(o.getInput());
        if (const auto *e = elems(o.getInput())) {
          Partial out;
          for (const SymExpr &x : *e)
            out.push_back(x.isConstant() ? OptExpr(SymExpr(x.isConstant(0)))
                                         : std::nullopt);
          rf.elements = std::move(out);
        }
        return one(rf);
      })
      .Case<nn::SqrtOp, nn::ReciprocalOp, nn::ExpOp, nn::LogOp, nn::TanhOp,
            nn::ErfOp, nn::SigmoidOp, nn::ReluOp, nn::CosOp, nn::SinOp,
            nn::FloorOp, nn::CeilOp, nn::GeluOp, nn::ClipOp, nn::SoftmaxOp,
            nn::LayerNormOp, nn::RMSNormOp, nn::TriluOp, nn::CumSumOp,
            nn::ScatterNDOp, nn::RotaryEmbeddingOp>(
          [&](Operation *o) { return one(sameAs(o->getOperand(0))); })
      .Case([&](nn::CastOp o) { return one(castOp(o)); })
      .Case<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::PowOp, nn::MinOp,
            nn::MaxOp, nn::AndOp, nn::OrOp, nn::XorOp, nn::EqualOp, nn::LessOp,
            nn::LessEqualOp, nn::GreaterOp, nn::GreaterEqualOp, nn::WhereOp>(
          [&](Operation *o) { return one(broadcastOp(o)); })
      .Case([&](nn::AttentionOp o) {
        // [B, Hq, S, D] x [B, Hkv, T, Dv] -> [B, Hq, S, Dv].
        const auto &q = dims(o.getQuery());
        const auto &k = dims(o.getKey());
        const auto &v = dims(o.getValue());
        if (q.size() != 4 || v.size() != 4)
          return SmallVector<ResultFacts, 1>{};
        if (k.size() == 4) {
          requireEqual(q[3], k[3]); // the head size of queries and keys
          requireEqual(k[2], v[2]); // one value per key
        }
        ResultFacts rf;
        rf.dims = Partial{q[0], q[1], q[2], v[3]};
        return one(rf);
      })
      .Case([&](nn::MatMulOp o) { return one(matmul(o)); })
      .Case([&](nn::GemmOp o) { return one(gemm(o)); })
      .Case([&](nn::ReshapeOp o) { return one(reshape(o)); })
      .Case([&](nn::TransposeOp o) {
        const auto &in = dims(o.getInput());
        Partial out;
        for (int64_t p : o.getPerm()) {
          if (p < 0 || p >= (int64_t)in.size())
            return SmallVector<ResultFacts, 1>{};
          out.push_back(in[p]);
        }
        ResultFacts rf;
        rf.dims = std::move(out);
        return one(rf);
      })
      .Case([&](nn::GatherOp o) { return one(gather(o)); })
      .Case([&](nn::ConcatOp o) { return one(concat(o)); })
      .Case([&](nn::SliceOp o) { return one(slice(o)); })
      .Case([&](nn::SplitOp o) { return split(o); })
      .Case([&](nn::SqueezeOp o) { return one(squeeze(o)); })
      .Case([&](nn::UnsqueezeOp o) { return one(unsqueeze(o)); })
      .Case([&](nn::ExpandOp o) { return one(expand(o)); })
      .Case([&](nn::ShapeOp o) { return one(shape(o)); })
      .Case([&](nn::SizeOp o) {
        ResultFacts rf;
        rf.dims = Partial{};
        rf.elements = Partial{product(dims(o.getInput()))};
        return one(rf);
      })
      .Case([&](nn::ConstantOfShapeOp o) {
        ResultFacts rf;
        if (const auto *e = elems(o.getShape())) {
          Partial d;
          for (const SymExpr &x : *e)
            d.push_back(x.isNonNegative(syms) ? OptExpr(x) : std::nullopt);
          rf.dims = std::move(d);
        }
        if (auto iv = dyn_cast<IntegerAttr>(o.getValue());
            iv && tracksElements(o.getType())) {
          int64_t v = iv.getType().isInteger(1)
                          ? int64_t(iv.getValue().getBoolValue())
                          : iv.getValue().getSExtValue();
          rf.elements = Partial(
              cast<RankedTensorType>(o.getType()).getNumElements(), SymExpr(v));
        }
        return one(rf);
      })
      .Case([&](nn::RangeOp o) { return one(range(o)); })
      .Case([&](nn::ReduceSumOp o) { return one(reduce(o, "sum")); })
      .Case<nn::ReduceMeanOp, nn::ReduceMaxOp, nn::ReduceMinOp>(
          [&](Operation *o) { return one(reduce(o, "")); })
      .Default([](Operation *) { return SmallVector<ResultFacts, 1>{}; });
}

//===----------------------------------------------------------------------===//
// ShapeAnalysis
//===----------------------------------------------------------------------===//

ShapeAnalysis::ShapeAnalysis(func::FuncOp fn) {
  ShapeTransfer transfer(*this);
  transfer.run(fn);
}

const ValueFacts *ShapeAnalysis::analyze(Value v) {
  ShapeTransfer transfer(*this);
  transfer.ensure(v);
  return lookup(v);
}

const ValueFacts *ShapeAnalysis::lookup(Value v) const {
  auto it = facts.find(v);
  return it == facts.end() ? nullptr : it->second.get();
}

Type ShapeAnalysis::refinedType(Value v) const {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  const ValueFacts *f = lookup(v);
  if (!t || !f || (int64_t)f->dims.size() != t.getRank())
    return v.getType();
  SmallVector<int64_t> shape(t.getShape());
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (auto c = f->dims[i].getConstant(); c && *c >= 0)
      shape[i] = *c;
  return RankedTensorType::get(shape, t.getElementType(), t.getEncoding());
}

std::optional<SmallVector<int64_t>>
ShapeAnalysis::constantElements(Value v) const {
  const ValueFacts *f = lookup(v);
  if (!f || !f->elements)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const SymExpr &e : *f->elements) {
    auto c = e.getConstant();
    if (!c)
      return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

static std::string describeList(ArrayRef<SymExpr> xs,
                                const shapes::SymbolTable &s) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i ? ", " : "") + xs[i].str(s);
  return out + "]";
}

std::string ShapeAnalysis::describeDims(Value v) const {
  const ValueFacts *f = lookup(v);
  return f ? describeList(f->dims, syms) : "<unknown>";
}

std::string ShapeAnalysis::describeElements(Value v) const {
  const ValueFacts *f = lookup(v);
  return f && f->elements ? describeList(*f->elements, syms) : "<unknown>";
}
