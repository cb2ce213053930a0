//===- OnnxSoftmaxOps.cpp - Softmax before 13, LogSoftmax, Hardmax --------===//
//
// The softmax family with each version's semantics:
//  - opsets 1-12 (Softmax/LogSoftmax/Hardmax 1 and 11): the input is coerced
//    to 2-D at `axis` (default 1), [prod(dims[:axis]), prod(dims[axis:])],
//    the operator applies along the second dimension and the result has the
//    input's shape: normalized jointly over every dimension from `axis` on.
//    Along the last dimension alone that is the opset-13 form; otherwise
//    flatten (Flatten's reshape), apply along -1, reshape back.
//  - opset 13+: along the single dimension `axis` (default -1).
// Softmax itself is nn.softmax. LogSoftmax is spelled out as onnxruntime
// computes it: d = x - max(x), y = d - log(sum(exp(d))) (no log of a
// softmax that underflowed to 0). Hardmax is 1 at the first maximum along
// the axis, 0 elsewhere: equal(iota along the axis, arg_max) cast to the
// input's type.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

namespace {

/// Builds the operator along dimension `axis` (non-negative) of `x`.
using AlongAxisFn =
    llvm::function_ref<FailureOr<Value>(NodeContext &, Value, int64_t)>;

/// Applies `along` with the semantics of the node's version (see the file
/// comment) and sets output 0.
LogicalResult convertFamily(NodeContext &nc, AlongAxisFn along) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  bool coerced = nc.opset < 13;
  auto axisAttr = nc.intAttr("axis", coerced ? 1 : -1);
  if (failed(axisAttr))
    return failure();
  Value x = nc.input(0);
  auto type = tensorType(x);
  if (!isa<FloatType>(type.getElementType()))
    return nc.fail("input must be a float tensor, got element type " +
                   typeStr(type.getElementType()));
  int64_t r = type.getRank(), axis = *axisAttr;
  if (r == 0)
    return nc.fail("input must have rank >= 1");
  if (axis < -r || axis >= r)
    return nc.fail("axis " + Twine(axis) + " is out of range [" + Twine(-r) +
                   ", " + Twine(r - 1) + "] for rank " + Twine(r));
  if (axis < 0)
    axis += r;
  if (!coerced || axis == r - 1) {
    auto y = along(nc, x, axis);
    if (failed(y))
      return failure();
    nc.setOutput(0, *y);
    return success();
  }
  auto flat = buildFlatten2D(nc, x, axis);
  if (failed(flat))
    return failure();
  auto y = along(nc, *flat, 1);
  if (failed(y))
    return failure();
  Value shape;
  if (type.hasStaticShape()) {
    shape = nc.constI64(type.getShape());
  } else {
    auto s = nc.build1<nn::ShapeOp>({x});
    if (failed(s))
      return failure();
    shape = *s;
  }
  auto out = nc.build1<nn::ReshapeOp>(
      {*y, shape}, {named(nc, "allowzero", nc.builder().getBoolAttr(true))});
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  return success();
}

FailureOr<Value> softmaxAlong(NodeContext &nc, Value x, int64_t axis) {
  if (axis == tensorType(x).getRank() - 1)
    axis = -1; // the form the opset-13 import and the passes use
  return nc.build1<nn::SoftmaxOp>(
      {x}, {named(nc, "axis", nc.builder().getI64IntegerAttr(axis))});
}

FailureOr<Value> logSoftmaxAlong(NodeContext &nc, Value x, int64_t axis) {
  OpBuilder &b = nc.builder();
  auto axes = named(nc, "axes", b.getDenseI64ArrayAttr({axis}));
  auto m = nc.build1<nn::ReduceMaxOp>({x}, {axes});
  if (failed(m))
    return failure();
  auto d = nc.build1<nn::SubOp>({x, *m});
  if (failed(d))
    return failure();
  auto e = nc.build1<nn::ExpOp>({*d});
  if (failed(e))
    return failure();
  auto s = nc.build1<nn::ReduceSumOp>({*e}, {axes});
  if (failed(s))
    return failure();
  auto l = nc.build1<nn::LogOp>({*s});
  if (failed(l))
    return failure();
  return nc.build1<nn::SubOp>({*d, *l});
}

FailureOr<Value> hardmaxAlong(NodeContext &nc, Value x, int64_t axis) {
  OpBuilder &b = nc.builder();
  auto type = tensorType(x);
  auto am = nc.build1<nn::ArgMaxOp>(
      {x}, {named(nc, "axis", b.getI64IntegerAttr(axis))});
  if (failed(am))
    return failure();
  // iota along `axis`: range(0, size) reshaped to [1, .., size, .., 1].
  Value size;
  if (!type.isDynamicDim(axis)) {
    size = nc.constI64({type.getDimSize(axis)});
  } else {
    auto s = nc.build1<nn::ShapeOp>(
        {x}, {named(nc, "start", b.getI64IntegerAttr(axis)),
              named(nc, "end", b.getI64IntegerAttr(axis + 1))});
    if (failed(s))
      return failure();
    size = *s;
  }
  auto iota =
      nc.build1<nn::RangeOp>({nc.constI64({0}), size, nc.constI64({1})});
  if (failed(iota))
    return failure();
  SmallVector<int64_t> iotaShape(type.getRank(), 1);
  iotaShape[axis] = -1;
  auto shaped = nc.build1<nn::ReshapeOp>({*iota, nc.constI64(iotaShape)});
  if (failed(shaped))
    return failure();
  auto eq = nc.build1<nn::EqualOp>({*shaped, *am});
  if (failed(eq))
    return failure();
  return nc.build1<nn::CastOp>(
      {*eq}, {named(nc, "to", TypeAttr::get(type.getElementType()))});
}

LogicalResult convertLogSoftmax(NodeContext &nc) {
  return convertFamily(nc, logSoftmaxAlong);
}

LogicalResult convertHardmax(NodeContext &nc) {
  return convertFamily(nc, hardmaxAlong);
}

} // namespace

LogicalResult gptq::onnximport::buildCoercedSoftmax(NodeContext &nc) {
  return convertFamily(nc, softmaxAlong);
}

void gptq::onnximport::addSoftmaxFamilyConverters(
    llvm::StringMap<ConvertFn> &t) {
  t["LogSoftmax"] = convertLogSoftmax;
  t["Hardmax"] = convertHardmax;
}
