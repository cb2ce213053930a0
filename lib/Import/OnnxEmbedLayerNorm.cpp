//===- OnnxEmbedLayerNorm.cpp - com.microsoft EmbedLayerNormalization -----===//
//
// onnxruntime's fused BERT/GPT-2 embedding layer (com.microsoft opset 1, as
// its transformer optimizer and its GPT-2 converter write it), with the
// semantics of onnxruntime's CPU kernel:
//
//   inputs  0 input_ids [B, S] int32, 1 segment_ids [B, S] int32 (optional),
//           2 word_embedding [V, H], 3 position_embedding [P, H],
//           4 segment_embedding [G, H] (optional, with segment_ids),
//           5 gamma [H], 6 beta [H], 7 mask [B, S] int32 (optional),
//           8 position_ids [B, S] or [1, S] int32 (optional)
//   attrs   epsilon (default 1e-12), mask_index_type (shape inference only)
//   outputs 0 output = LayerNorm(sum, gamma, beta, epsilon) over H,
//           1 mask_index [B] int32 = per row, the number of mask entries
//             equal to 1 (zeros without a mask),
//           2 embedding_sum = sum
//   where sum[b, s] = word_embedding[input_ids[b, s]]
//                   + position_embedding[p(b, s)]
//                   + segment_embedding[segment_ids[b, s]] (when given),
//         p(b, s) = position_ids[b or 0, s], or s without position_ids.
//
// Lowered to nn.gather + nn.add (+ nn.slice of the position table) +
// nn.layer_norm; mask_index to nn.equal + nn.cast + nn.reduce_sum. Only the
// outputs the graph uses are built. onnxruntime rejects out-of-range ids at
// run time; here an id outside the table is a run-time gather error too
// (negative word/segment ids count from the end, as in ONNX Gather).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

namespace {

/// Input `i` named `what` must be an int32 tensor of rank 2.
LogicalResult checkIds(NodeContext &nc, Value v, int i, StringRef what) {
  auto t = tensorType(v);
  if (!t.getElementType().isInteger(32) || t.getRank() != 2)
    return nc.fail("input " + Twine(i) + " (" + what +
                   ") must be a 2-D int32 tensor (onnxruntime's T1), got " +
                   typeStr(t));
  return success();
}

/// Input `i` named `what` must be a 2-D table of the embeddings' type with
/// `hidden` columns (`hidden` is set from the first table checked).
LogicalResult checkTable(NodeContext &nc, Value v, int i, StringRef what,
                         Type elem, int64_t &hidden) {
  auto t = tensorType(v);
  if (t.getRank() != 2 || t.getElementType() != elem)
    return nc.fail("input " + Twine(i) + " (" + what +
                   ") must be a 2-D tensor of the word embedding's type");
  int64_t h = t.getDimSize(1);
  if (hidden == ShapedType::kDynamic)
    hidden = h;
  else if (!ShapedType::isDynamic(h) && h != hidden)
    return nc.fail("input " + Twine(i) + " (" + what + ") has " + Twine(h) +
                   " columns, the word embedding " + Twine(hidden));
  return success();
}

LogicalResult convertEmbedLayerNorm(NodeContext &nc) {
  if (nc.numInputs() < 7 || nc.numInputs() > 9)
    return nc.fail("expects 7 to 9 inputs, got " + Twine(nc.numInputs()));
  auto eps = nc.floatAttr("epsilon", 1e-12f);
  auto maskIndexType = nc.intAttr("mask_index_type", 1);
  if (failed(eps) || failed(maskIndexType))
    return failure();
  if (*eps < 0)
    return nc.fail("epsilon must not be negative");
  Value ids = nc.input(0), segIds = nc.input(1), word = nc.input(2),
        pos = nc.input(3), segEmb = nc.input(4), gamma = nc.input(5),
        beta = nc.input(6), mask = nc.input(7), posIds = nc.input(8);
  if (!ids || !word || !pos || !gamma || !beta)
    return nc.fail("inputs 0 (input_ids), 2 (word_embedding), 3 "
                   "(position_embedding), 5 (gamma) and 6 (beta) are "
                   "required");
  if ((segIds != nullptr) != (segEmb != nullptr))
    return nc.fail("segment_ids (input 1) and segment_embedding (input 4) "
                   "must be given together");
  if (failed(checkIds(nc, ids, 0, "input_ids")) ||
      (segIds && failed(checkIds(nc, segIds, 1, "segment_ids"))) ||
      (mask && failed(checkIds(nc, mask, 7, "mask"))) ||
      (posIds && failed(checkIds(nc, posIds, 8, "position_ids"))))
    return failure();
  Type elem = tensorType(word).getElementType();
  if (!elem.isF32() && !elem.isF16())
    return nc.fail("word_embedding must be float or float16");
  int64_t hidden = ShapedType::kDynamic;
  if (failed(checkTable(nc, word, 2, "word_embedding", elem, hidden)) ||
      failed(checkTable(nc, pos, 3, "position_embedding", elem, hidden)) ||
      (segEmb &&
       failed(checkTable(nc, segEmb, 4, "segment_embedding", elem, hidden))))
    return failure();
  for (auto [i, v, what] :
       {std::tuple<int, Value, const char *>{5, gamma, "gamma"},
        {6, beta, "beta"}}) {
    auto t = tensorType(v);
    if (t.getRank() != 1 || t.getElementType() != elem ||
        (!ShapedType::isDynamic(hidden) && !t.isDynamicDim(0) &&
         t.getDimSize(0) != hidden))
      return nc.fail("input " + Twine(i) + " (" + what +
                     ") must be 1-D with the hidden size " + Twine(hidden) +
                     " and the word embedding's type");
  }
  auto idsType = tensorType(ids);
  auto sameAsIds = [&](Value v, int i, StringRef what) -> LogicalResult {
    if (failed(verifyCompatibleShape(tensorType(v).getShape(),
                                     idsType.getShape())))
      return nc.fail("input " + Twine(i) + " (" + what +
                     ") must have input_ids' shape");
    return success();
  };
  if ((segIds && failed(sameAsIds(segIds, 1, "segment_ids"))) ||
      (mask && failed(sameAsIds(mask, 7, "mask"))))
    return failure();
  if (posIds) {
    auto pt = tensorType(posIds);
    int64_t b = pt.getDimSize(0), s = pt.getDimSize(1);
    int64_t idsB = idsType.getDimSize(0), idsS = idsType.getDimSize(1);
    if ((!ShapedType::isDynamic(s) && !ShapedType::isDynamic(idsS) &&
         s != idsS) ||
        (!ShapedType::isDynamic(b) && b != 1 && !ShapedType::isDynamic(idsB) &&
         b != idsB))
      return nc.fail("position_ids (input 8) must be [batch, sequence] or "
                     "[1, sequence] like input_ids");
  }

  OpBuilder &b = nc.builder();
  auto axis0 = named(nc, "axis", b.getI64IntegerAttr(0));
  auto wordRows = nc.build1<nn::GatherOp>({word, ids}, {axis0});
  if (failed(wordRows))
    return failure();

  // Position rows: looked up by position_ids, or rows 0..S-1 of the table.
  FailureOr<Value> posRows = failure();
  if (posIds) {
    posRows = nc.build1<nn::GatherOp>({pos, posIds}, {axis0});
  } else {
    Value seqLen;
    if (!idsType.isDynamicDim(1)) {
      seqLen = nc.constI64({idsType.getDimSize(1)});
    } else {
      auto s = nc.build1<nn::ShapeOp>(
          {ids}, {named(nc, "start", b.getI64IntegerAttr(1)),
                  named(nc, "end", b.getI64IntegerAttr(2))});
      if (failed(s))
        return failure();
      seqLen = *s;
    }
    posRows = nc.build1<nn::SliceOp>(
        {pos, nc.constI64({0}), seqLen, nc.constI64({0}), nc.constI64({1})});
  }
  if (failed(posRows))
    return failure();
  auto sum = nc.build1<nn::AddOp>({*wordRows, *posRows});
  if (failed(sum))
    return failure();
  if (segIds) {
    auto segRows = nc.build1<nn::GatherOp>({segEmb, segIds}, {axis0});
    if (failed(segRows))
      return failure();
    sum = nc.build1<nn::AddOp>({*sum, *segRows});
    if (failed(sum))
      return failure();
  }

  auto out = nc.build1<nn::LayerNormOp>(
      {*sum, gamma, beta}, {named(nc, "axis", b.getI64IntegerAttr(-1)),
                            named(nc, "epsilon", b.getF32FloatAttr(*eps))});
  if (failed(out))
    return failure();
  nc.setOutput(0, *out);
  nc.setOutput(2, *sum);

  if (!nc.outputUsed(1))
    return success();
  if (*maskIndexType == 0)
    return nc.fail("output 1 (mask_index) is used but mask_index_type is 0 "
                   "(no mask_index)");
  Type i32 = b.getI32Type();
  FailureOr<Value> maskIndex = failure();
  if (mask) {
    // Entries equal to 1 counted per row (onnxruntime's CPU kernel).
    auto one = nc.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, i32), b.getI32IntegerAttr(1).getValue()));
    auto isOne = nc.build1<nn::EqualOp>({mask, one});
    if (failed(isOne))
      return failure();
    auto asInt =
        nc.build1<nn::CastOp>({*isOne}, {named(nc, "to", TypeAttr::get(i32))});
    if (failed(asInt))
      return failure();
    maskIndex = nc.build1<nn::ReduceSumOp>(
        {*asInt}, {named(nc, "axes", b.getDenseI64ArrayAttr({1})),
                   named(nc, "keepdims", b.getBoolAttr(false))});
  } else {
    Value batch;
    if (!idsType.isDynamicDim(0)) {
      batch = nc.constI64({idsType.getDimSize(0)});
    } else {
      auto s = nc.build1<nn::ShapeOp>(
          {ids}, {named(nc, "start", b.getI64IntegerAttr(0)),
                  named(nc, "end", b.getI64IntegerAttr(1))});
      if (failed(s))
        return failure();
      batch = *s;
    }
    maskIndex = nc.build1<nn::ConstantOfShapeOp>(
        {batch}, {named(nc, "value", b.getI32IntegerAttr(0))});
  }
  if (failed(maskIndex))
    return failure();
  nc.setOutput(1, *maskIndex);
  return success();
}

} // namespace

void gptq::onnximport::addEmbedLayerNormConverters(
    llvm::StringMap<ConvertFn> &table) {
  table["EmbedLayerNormalization"] = convertEmbedLayerNorm;
}
