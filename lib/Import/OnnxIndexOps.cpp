//===- OnnxIndexOps.cpp - converters of predicates, integer and indexing ops
//===//
//
// IsNaN, IsInf, Sign, Round, Mod, BitwiseAnd/Or/Xor/Not, GatherND,
// GatherElements, ScatterElements, Tile, ArgMax, ArgMin and Flatten (default
// domain, opsets 7-23; none of them changed meaning in that range except
// ScatterElements' reduction: none before 16, add/mul from 16, max/min from
// 18; the Bitwise ops exist from 18; older versions only accept fewer types
// or no negative axes). Flatten's reshape is also the 2-D coercion of the
// softmax family before opset 13 (OnnxSoftmaxOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

namespace {

/// An integer flag attribute: 0 or 1 (anything else is an error).
FailureOr<bool> flagAttr(NodeContext &nc, StringRef name, bool def) {
  auto v = nc.intAttr(name, def ? 1 : 0);
  if (failed(v))
    return failure();
  if (*v != 0 && *v != 1)
    return nc.fail("attribute '" + name + "' must be 0 or 1, got " + Twine(*v));
  return *v == 1;
}

template <typename OpTy> ConvertFn plain(int n, int sinceOpset = 0) {
  return [n, sinceOpset](NodeContext &nc) -> LogicalResult {
    if (nc.opset < sinceOpset)
      return nc.fail(nc.node.op_type() + " needs opset " + Twine(sinceOpset) +
                     " or later");
    return buildOne<OpTy>(nc, n);
  };
}

LogicalResult convertIsInf(NodeContext &nc) {
  auto pos = flagAttr(nc, "detect_positive", true);
  auto neg = flagAttr(nc, "detect_negative", true);
  if (failed(pos) || failed(neg))
    return failure();
  OpBuilder &b = nc.builder();
  return buildOne<nn::IsInfOp>(
      nc, 1,
      {named(nc, "detect_positive", b.getBoolAttr(*pos)),
       named(nc, "detect_negative", b.getBoolAttr(*neg))});
}

LogicalResult convertMod(NodeContext &nc) {
  auto fmod = flagAttr(nc, "fmod", false);
  if (failed(fmod))
    return failure();
  if (nc.numInputs() == 2 && nc.input(0) &&
      isa<FloatType>(tensorType(nc.input(0)).getElementType()) && !*fmod)
    return nc.fail("fmod = 0 is not defined for floating-point inputs (the "
                   "ONNX spec requires fmod = 1)");
  return buildOne<nn::ModOp>(
      nc, 2, {named(nc, "fmod", nc.builder().getBoolAttr(*fmod))});
}

LogicalResult convertGatherND(NodeContext &nc) {
  auto batch = nc.intAttr("batch_dims", 0);
  if (failed(batch))
    return failure();
  return buildOne<nn::GatherNDOp>(
      nc, 2, {named(nc, "batch_dims", nc.builder().getI64IntegerAttr(*batch))});
}

LogicalResult convertGatherElements(NodeContext &nc) {
  auto axis = nc.intAttr("axis", 0);
  if (failed(axis))
    return failure();
  return buildOne<nn::GatherElementsOp>(
      nc, 2, {named(nc, "axis", nc.builder().getI64IntegerAttr(*axis))});
}

LogicalResult convertScatterElements(NodeContext &nc) {
  auto axis = nc.intAttr("axis", 0);
  auto red = nc.stringAttr("reduction", std::string("none"));
  if (failed(axis) || failed(red))
    return failure();
  if (nc.opset < 16 && nc.attr("reduction"))
    return nc.fail("attribute 'reduction' is not defined before opset 16");
  bool known = *red == "none" || *red == "add" || *red == "mul" ||
               *red == "max" || *red == "min";
  if (!known)
    return nc.fail("reduction '" + *red +
                   "' is not supported (none, add, mul, max, min)");
  if ((*red == "max" || *red == "min") && nc.opset < 18)
    return nc.fail("reduction '" + *red + "' needs opset 18 or later");
  OpBuilder &b = nc.builder();
  return buildOne<nn::ScatterElementsOp>(
      nc, 3,
      {named(nc, "axis", b.getI64IntegerAttr(*axis)),
       named(nc, "reduction", b.getStringAttr(*red))});
}

LogicalResult convertTile(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  Value reps = nc.input(1);
  auto rt = tensorType(reps);
  if (!rt.getElementType().isInteger(64))
    return nc.fail("repeats must be int64, got " +
                   std::string(rt.getElementType().isInteger(32)
                                   ? "int32"
                                   : "another type"));
  if (rt.getRank() != 1)
    return nc.fail("repeats must be 1-D");
  auto r = nc.build1<nn::TileOp>({nc.input(0), reps});
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

template <typename OpTy> LogicalResult convertArg(NodeContext &nc) {
  auto axis = nc.intAttr("axis", 0);
  auto keep = flagAttr(nc, "keepdims", true);
  auto last = flagAttr(nc, "select_last_index", false);
  if (failed(axis) || failed(keep) || failed(last))
    return failure();
  OpBuilder &b = nc.builder();
  return buildOne<OpTy>(nc, 1,
                        {named(nc, "axis", b.getI64IntegerAttr(*axis)),
                         named(nc, "keepdims", b.getBoolAttr(*keep)),
                         named(nc, "select_last_index", b.getBoolAttr(*last))});
}

/// Flatten(x, axis) = Reshape(x, [prod(dims[:axis]), prod(dims[axis:])]).
/// A product of static sizes is a constant; one with dynamic sizes is
/// reduce_prod(shape(x)[range]), which folds once the sizes are known and
/// which symbolic shape reasoning can see through. allowzero keeps a zero
/// product literal.
LogicalResult convertFlatten(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto axisAttr = nc.intAttr("axis", 1);
  if (failed(axisAttr))
    return failure();
  auto out = buildFlatten2D(nc, nc.input(0), *axisAttr);
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

} // namespace

FailureOr<Value> gptq::onnximport::buildFlatten2D(NodeContext &nc, Value x,
                                                  int64_t axis) {
  auto type = tensorType(x);
  int64_t r = type.getRank();
  if (axis < -r || axis > r)
    return nc.fail("axis " + Twine(axis) + " is out of range [" + Twine(-r) +
                   ", " + Twine(r) + "] for rank " + Twine(r));
  if (axis < 0)
    axis += r;
  OpBuilder &b = nc.builder();
  SmallVector<Value, 2> parts;
  for (auto [start, end] : {std::pair<int64_t, int64_t>{0, axis}, {axis, r}}) {
    int64_t prod = 1;
    bool isStatic = true;
    for (int64_t d = start; d < end; ++d) {
      if (type.isDynamicDim(d))
        isStatic = false;
      else
        prod *= type.getDimSize(d);
    }
    if (isStatic) {
      parts.push_back(nc.constI64({prod}));
      continue;
    }
    auto dims = nc.build1<nn::ShapeOp>(
        {x}, {named(nc, "start", b.getI64IntegerAttr(start)),
              named(nc, "end", b.getI64IntegerAttr(end))});
    if (failed(dims))
      return failure();
    if (end - start == 1) { // one size: nn.shape gives it as [1] already
      parts.push_back(*dims);
      continue;
    }
    auto p = nc.build1<nn::ReduceProdOp>(
        {*dims}, {named(nc, "axes", b.getDenseI64ArrayAttr({}))});
    if (failed(p))
      return failure();
    parts.push_back(*p);
  }
  auto shape = nc.build1<nn::ConcatOp>(
      parts, {named(nc, "axis", b.getI64IntegerAttr(0))});
  if (failed(shape))
    return failure();
  return nc.build1<nn::ReshapeOp>(
      {x, *shape}, {named(nc, "allowzero", b.getBoolAttr(true))});
}

/// Trilu whose k is computed at run time (transformers 4.40's sliding-window
/// masks: k from the sequence lengths): out = where(cond, x, 0) with cond =
/// (col - row >= k) for the upper triangle, (col - row <= k) for the lower,
/// rows and cols from range over the last two sizes. Everything folds once
/// the sizes are known.
LogicalResult gptq::onnximport::buildTriluDynamicK(NodeContext &nc,
                                                   bool upper) {
  Value x = nc.input(0), k = nc.input(1);
  auto type = tensorType(x);
  int64_t r = type.getRank();
  if (r < 2)
    return nc.fail("input must have rank >= 2, got " + Twine(r));
  auto kType = tensorType(k);
  if (!kType.getElementType().isInteger(64) || kType.getNumElements() != 1)
    return nc.fail("k must be an int64 scalar");
  OpBuilder &b = nc.builder();
  Value zero = nc.constI64({0}), one = nc.constI64({1});
  SmallVector<Value, 2> ranges;
  for (int64_t d : {r - 2, r - 1}) {
    Value size;
    if (!type.isDynamicDim(d)) {
      size = nc.constI64({type.getDimSize(d)});
    } else {
      auto s = nc.build1<nn::ShapeOp>(
          {x}, {named(nc, "start", b.getI64IntegerAttr(d)),
                named(nc, "end", b.getI64IntegerAttr(d + 1))});
      if (failed(s))
        return failure();
      size = *s;
    }
    auto range = nc.build1<nn::RangeOp>({zero, size, one});
    if (failed(range))
      return failure();
    ranges.push_back(*range);
  }
  auto rows = nc.build1<nn::UnsqueezeOp>(
      {ranges[0]}, {named(nc, "axes", b.getDenseI64ArrayAttr({1}))});
  auto cols = nc.build1<nn::UnsqueezeOp>(
      {ranges[1]}, {named(nc, "axes", b.getDenseI64ArrayAttr({0}))});
  if (failed(rows) || failed(cols))
    return failure();
  auto diff = nc.build1<nn::SubOp>({*cols, *rows});
  if (failed(diff))
    return failure();
  auto cond = upper ? nc.build1<nn::GreaterEqualOp>({*diff, k})
                    : nc.build1<nn::LessEqualOp>({*diff, k});
  if (failed(cond))
    return failure();
  Type elem = type.getElementType();
  Value zeroElem = nc.constant(
      DenseElementsAttr::get(RankedTensorType::get({}, elem),
                             ArrayRef<Attribute>{b.getZeroAttr(elem)}));
  auto out = nc.build1<nn::WhereOp>({*cond, x, zeroElem});
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

void gptq::onnximport::addIndexOpConverters(llvm::StringMap<ConvertFn> &t) {
  t["IsNaN"] = plain<nn::IsNaNOp>(1);
  t["IsInf"] = convertIsInf;
  t["Sign"] = plain<nn::SignOp>(1);
  t["Round"] = plain<nn::RoundOp>(1);
  t["Mod"] = convertMod;
  t["BitwiseAnd"] = plain<nn::BitwiseAndOp>(2, 18);
  t["BitwiseOr"] = plain<nn::BitwiseOrOp>(2, 18);
  t["BitwiseXor"] = plain<nn::BitwiseXorOp>(2, 18);
  t["BitwiseNot"] = plain<nn::BitwiseNotOp>(1, 18);
  t["GatherND"] = convertGatherND;
  t["GatherElements"] = convertGatherElements;
  t["ScatterElements"] = convertScatterElements;
  t["Tile"] = convertTile;
  t["ArgMax"] = convertArg<nn::ArgMaxOp>;
  t["ArgMin"] = convertArg<nn::ArgMinOp>;
  t["Flatten"] = convertFlatten;
}
