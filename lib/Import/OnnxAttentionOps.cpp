//===- OnnxAttentionOps.cpp - attention-family ONNX converters --*- C++ -*-===//
//
// Converters for the attention family and the fused ops that exporters and
// onnxruntime's transformer optimizer write, each with the semantics of the
// ONNX spec / onnxruntime's contrib-op documentation and CPU kernels:
//
//   ai.onnx (opset 23)  Attention, RMSNormalization, RotaryEmbedding
//   com.microsoft       Attention (GPT-2 fusion), MultiHeadAttention,
//                       GroupQueryAttention, SkipLayerNormalization,
//                       FastGelu, BiasGelu, Gelu, QuickGelu
//
// Every attention becomes one nn.attention (heads in [B, H, S, D] layout,
// grouped-query heads without repeating K/V) plus the reshapes, caches and
// masks around it, spelled with ordinary nn ops so that shapes stay dynamic.
// Unsupported attribute values or input forms fail naming the node and what
// is unsupported.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

namespace {

/// Builds nn ops for one node; after the first failure (already reported
/// naming the node) every call returns a null value, so that a converter can
/// chain calls and check failed() once.
class Emit {
public:
  explicit Emit(NodeContext &nc) : nc(nc), b(nc.builder()) {}

  bool failed() const { return bad; }
  LogicalResult status() const { return bad ? failure() : success(); }
  /// Sets the node's outputs 0, 1, ... to `outputs` unless a call failed.
  LogicalResult finish(ArrayRef<Value> outputs) {
    if (bad)
      return failure();
    return nc.setOutputs(outputs);
  }
  /// Reports an error naming the node and marks the emitter failed.
  Value fail(const Twine &msg) {
    if (!bad)
      (void)nc.fail(msg);
    bad = true;
    return {};
  }

  template <typename OpTy>
  SmallVector<Value> ops(ArrayRef<Value> operands,
                         ArrayRef<NamedAttribute> attrs = {}) {
    if (bad || llvm::any_of(operands, [](Value v) { return !v; })) {
      bad = true;
      return {};
    }
    auto r = nc.build<OpTy>(operands, attrs);
    if (mlir::failed(r)) {
      bad = true;
      return {};
    }
    return *r;
  }
  template <typename OpTy>
  Value op(ArrayRef<Value> operands, ArrayRef<NamedAttribute> attrs = {}) {
    auto r = ops<OpTy>(operands, attrs);
    return r.empty() ? Value() : r[0];
  }

  NamedAttribute attr(StringRef name, Attribute a) {
    return b.getNamedAttr(name, a);
  }
  NamedAttribute i64Attr(StringRef name, int64_t v) {
    return attr(name, b.getI64IntegerAttr(v));
  }
  NamedAttribute arrayAttr(StringRef name, ArrayRef<int64_t> v) {
    return attr(name, b.getDenseI64ArrayAttr(v));
  }

  Value i64s(ArrayRef<int64_t> v) { return nc.constI64(v); }
  Value i64(int64_t v) { return nc.constI64({v}, /*scalar=*/true); }
  /// A 0-D constant of a float element type.
  Value scalar(Type elem, double v) {
    auto t = RankedTensorType::get({}, elem);
    return nc.constant(
        DenseElementsAttr::get(t, FloatAttr::get(elem, v).getValue()));
  }

  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return op<nn::ReshapeOp>({x, i64s(shape)});
  }
  Value reshape(Value x, Value shape) { return op<nn::ReshapeOp>({x, shape}); }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    return op<nn::TransposeOp>({x}, {arrayAttr("perm", perm)});
  }
  Value unsqueeze(Value x, ArrayRef<int64_t> axes) {
    return op<nn::UnsqueezeOp>({x}, {arrayAttr("axes", axes)});
  }
  Value squeeze(Value x, ArrayRef<int64_t> axes) {
    return op<nn::SqueezeOp>({x}, {arrayAttr("axes", axes)});
  }
  Value concat(ArrayRef<Value> xs, int64_t axis) {
    return op<nn::ConcatOp>(xs, {i64Attr("axis", axis)});
  }
  SmallVector<Value> split(Value x, int64_t axis, ArrayRef<int64_t> sizes) {
    return ops<nn::SplitOp>({x},
                            {i64Attr("axis", axis), arrayAttr("sizes", sizes)});
  }
  Value cast(Value x, Type to) {
    if (!x || tensorType(x).getElementType() == to)
      return x;
    return op<nn::CastOp>({x}, {attr("to", TypeAttr::get(to))});
  }
  /// Dims [start, end) of x as a 1-D i64 tensor.
  Value dims(Value x, int64_t start, int64_t end) {
    return op<nn::ShapeOp>({x}, {i64Attr("start", start), i64Attr("end", end)});
  }
  /// Dim i of x as a 0-D i64 tensor.
  Value dim(Value x, int64_t i) { return squeeze(dims(x, i, i + 1), {0}); }
  /// [0, n) for a 0-D i64 n.
  Value range(Value n) { return op<nn::RangeOp>({i64(0), n, i64(1)}); }

  /// [B, S, H * D] -> [B, H, S, D].
  Value toHeads(Value x, int64_t heads) {
    if (!x)
      return {};
    int64_t hidden = tensorType(x).getDimSize(2);
    int64_t size = !ShapedType::isDynamic(hidden) && hidden % heads == 0
                       ? hidden / heads
                       : -1;
    return transpose(reshape(x, {0, 0, heads, size}), {0, 2, 1, 3});
  }
  /// [B, H, S, D] -> [B, S, H * D]; `hidden` is H * D when the caller knows
  /// it (the result then has it even where D is dynamic in x's type).
  Value fromHeads(Value x, int64_t hidden = -1) {
    if (!x)
      return {};
    auto t = tensorType(x);
    if (hidden < 0 && !ShapedType::isDynamic(t.getDimSize(1)) &&
        !ShapedType::isDynamic(t.getDimSize(3)))
      hidden = t.getDimSize(1) * t.getDimSize(3);
    return reshape(transpose(x, {0, 2, 1, 3}), {0, 0, hidden});
  }

  NodeContext &nc;
  OpBuilder &b;

private:
  bool bad = false;
};

/// Static size of dim i of v, or ShapedType::kDynamic.
int64_t sizeOf(Value v, int64_t i) { return tensorType(v).getDimSize(i); }
bool isStatic(int64_t d) { return !ShapedType::isDynamic(d); }

/// A causal mask [S, T] (i1) where query row s sees key t iff t <= s + offset
/// (offset: 0-D i64, or null for 0). q is [B, H, S, D], k [B, H, T, D].
Value causalMask(Emit &e, Value q, Value k, Value offset) {
  Value rows = e.range(e.dim(q, 2));
  if (offset)
    rows = e.op<nn::AddOp>({rows, offset});
  Value cols = e.unsqueeze(e.range(e.dim(k, 2)), {0});
  return e.op<nn::LessEqualOp>({cols, e.unsqueeze(rows, {1})});
}

/// Hides the keys that `allowed` (i1) does not allow in `mask` (i1, float
/// additive, or null).
Value restrictMask(Emit &e, Value mask, Value allowed, Type elem) {
  if (!mask)
    return allowed;
  if (tensorType(mask).getElementType().isInteger(1))
    return e.op<nn::AndOp>({mask, allowed});
  return e.op<nn::WhereOp>(
      {allowed, mask,
       e.scalar(elem, -std::numeric_limits<double>::infinity())});
}

/// Prepends the past keys and values (when given) along the sequence axis.
void prependPast(Emit &e, Value pastK, Value pastV, Value &k, Value &v) {
  if (!pastK)
    return;
  k = e.concat({pastK, k}, 2);
  v = e.concat({pastV, v}, 2);
}

/// Causal attention of q [B, H, S, D] over k = past ++ newK: query s sees
/// key t iff t <= past_length + s. That is nn.attention's bottom-right
/// alignment exactly when the new keys are as many as the queries (returns
/// true: is_causal does it); otherwise the rule is added to `mask` and false
/// is returned.
bool causalOrMask(Emit &e, Value q, Value k, Value newK, Value pastK,
                  Value &mask, Type elem) {
  int64_t s = sizeOf(q, 2), l = sizeOf(newK, 2);
  if (isStatic(s) && isStatic(l) && s == l)
    return true;
  Value offset = pastK ? e.dim(pastK, 2) : Value();
  mask = restrictMask(e, mask, causalMask(e, q, k, offset), elem);
  return false;
}

/// The scale attribute of an nn.attention, when the node sets one (0 or
/// absent means the default 1/sqrt(head_size)).
LogicalResult scaleOf(NodeContext &nc, std::optional<float> &scale) {
  scale.reset();
  if (!nc.attr("scale"))
    return success();
  auto s = nc.floatAttr("scale", 0.0f);
  if (failed(s))
    return failure();
  if (*s == 0.0f)
    return success();
  if (!(*s > 0))
    return nc.fail("scale must be positive, got " + std::to_string(*s));
  scale = *s;
  return success();
}

Value attention(Emit &e, Value q, Value k, Value v, Value mask, bool causal,
                std::optional<float> scale, float softcap) {
  SmallVector<NamedAttribute> attrs;
  if (causal)
    attrs.push_back(e.attr("is_causal", e.b.getBoolAttr(true)));
  if (scale)
    attrs.push_back(e.attr("scale", e.b.getF32FloatAttr(*scale)));
  if (softcap != 0)
    attrs.push_back(e.attr("softcap", e.b.getF32FloatAttr(softcap)));
  SmallVector<Value> operands{q, k, v};
  if (mask)
    operands.push_back(mask);
  return e.op<nn::AttentionOp>(operands, attrs);
}

/// Fails unless the optional inputs at `indices` are all absent.
LogicalResult rejectInputs(NodeContext &nc,
                           ArrayRef<std::pair<int, const char *>> inputs) {
  for (auto [i, what] : inputs)
    if (nc.input(i))
      return nc.fail("input " + Twine(i) + " (" + what + ") is not supported");
  return success();
}

/// Fails if output i is used.
LogicalResult rejectOutput(NodeContext &nc, int i, const char *what) {
  if (nc.outputUsed(i))
    return nc.fail("output " + Twine(i) + " (" + what + ") is not supported");
  return success();
}

//===----------------------------------------------------------------------===//
// ai.onnx Attention (opset 23)
//===----------------------------------------------------------------------===//

LogicalResult convertOnnxAttention(NodeContext &nc) {
  if (nc.opset < 23)
    return nc.fail("Attention needs opset 23 or later");
  if (failed(nc.expectInputs(3, 7)) ||
      failed(rejectInputs(nc, {{6, "nonpad_kv_seqlen"}})) ||
      failed(rejectOutput(nc, 3, "qk_matmul_output")))
    return failure();
  auto isCausal = nc.intAttr("is_causal", 0);
  auto qHeads = nc.intAttr("q_num_heads", 0);
  auto kvHeads = nc.intAttr("kv_num_heads", 0);
  auto mode = nc.intAttr("qk_matmul_output_mode", 0);
  auto softcap = nc.floatAttr("softcap", 0.0f);
  auto precision = nc.intAttr("softmax_precision", 0);
  std::optional<float> scale;
  bool badScale = failed(scaleOf(nc, scale));
  if (failed(isCausal) || failed(qHeads) || failed(kvHeads) || failed(mode) ||
      failed(softcap) || failed(precision) || badScale)
    return failure();
  if (*mode != 0)
    return nc.fail("qk_matmul_output_mode = " + Twine(*mode) +
                   " is not supported (0 only)");
  // The softmax is computed in f32, at least the precision of every float
  // type but double.
  if (*precision == onnx::TensorProto::DOUBLE)
    return nc.fail("softmax_precision = 11 (double) is not supported");
  Emit e(nc);
  Value q = nc.input(0), k = nc.input(1), v = nc.input(2);
  int64_t rank = tensorType(q).getRank();
  if ((rank != 3 && rank != 4) || tensorType(k).getRank() != rank ||
      tensorType(v).getRank() != rank)
    return nc.fail("Q, K and V must all be 3-D or all be 4-D");
  Type elem = tensorType(q).getElementType();
  if (!isa<FloatType>(elem))
    return nc.fail("Q must be floating point, got " + typeStr(elem));
  if (rank == 3) {
    if (*qHeads <= 0 || *kvHeads <= 0)
      return nc.fail("3-D inputs need q_num_heads and kv_num_heads");
    q = e.toHeads(q, *qHeads);
    k = e.toHeads(k, *kvHeads);
    v = e.toHeads(v, *kvHeads);
  }
  Value pastK = nc.input(4), pastV = nc.input(5);
  if (!pastK != !pastV)
    return nc.fail("past_key and past_value must be given together");
  Value newK = k;
  prependPast(e, pastK, pastV, k, v);
  if (e.failed())
    return failure();

  Value mask = nc.input(3);
  if (mask) {
    Type me = tensorType(mask).getElementType();
    if (isa<FloatType>(me))
      mask = e.cast(mask, elem);
    else if (!me.isInteger(1))
      return nc.fail("attn_mask must be bool or floating point, got " +
                     typeStr(me));
    // A mask shorter than the keys is padded with "not attended" (ONNX).
    auto mt = tensorType(mask);
    int64_t m = mt.getRank() ? mt.getDimSize(mt.getRank() - 1) : 1;
    int64_t t = sizeOf(k, 2);
    if (mt.getRank() && isStatic(m) && isStatic(t) && m != 1 && m < t) {
      if (!mt.hasStaticShape())
        return nc.fail("attn_mask shorter than the keys needs a static shape "
                       "to be padded");
      SmallVector<int64_t> padShape(mt.getShape());
      padShape.back() = t - m;
      auto padType = RankedTensorType::get(padShape, mt.getElementType());
      Attribute fill =
          mt.getElementType().isInteger(1)
              ? Attribute(BoolAttr::get(nc.imp.ctx, false))
              : Attribute(FloatAttr::get(
                    elem, -std::numeric_limits<double>::infinity()));
      mask =
          e.concat({mask, nc.constant(DenseElementsAttr::get(padType, fill))},
                   mt.getRank() - 1);
    }
  }

  // Causal as ONNX defines it: query s sees key t iff t <= s + past_length.
  bool causal = *isCausal && causalOrMask(e, q, k, newK, pastK, mask, elem);
  Value y = attention(e, q, k, v, mask, causal, scale, *softcap);
  if (rank == 3)
    y = e.fromHeads(y);
  return e.finish({y, k, v});
}

//===----------------------------------------------------------------------===//
// ai.onnx RMSNormalization and RotaryEmbedding (opset 23)
//===----------------------------------------------------------------------===//

LogicalResult convertRMSNormalization(NodeContext &nc) {
  if (nc.opset < 23)
    return nc.fail("RMSNormalization needs opset 23 or later");
  if (failed(nc.expectInputs(2, 2)))
    return failure();
  auto axis = nc.intAttr("axis", -1);
  auto eps = nc.floatAttr("epsilon", 1e-5f);
  auto stash = nc.intAttr("stash_type", 1);
  if (failed(axis) || failed(eps) || failed(stash))
    return failure();
  // nn.rms_norm computes in f32 (stash_type 1).
  if (*stash != onnx::TensorProto::FLOAT)
    return nc.fail("stash_type " + Twine(*stash) +
                   " is not supported (1: float)");
  Emit e(nc);
  Value x = nc.input(0), scale = nc.input(1);
  Type xe = tensorType(x).getElementType(),
       se = tensorType(scale).getElementType();
  // Y has the scale's type: normalize in X's type, then convert.
  Value y = e.op<nn::RMSNormOp>(
      {x, e.cast(scale, xe)},
      {e.i64Attr("axis", *axis), e.attr("epsilon", e.b.getF32FloatAttr(*eps))});
  y = e.cast(y, se);
  return e.finish({y});
}

LogicalResult convertOnnxRotaryEmbedding(NodeContext &nc) {
  if (nc.opset < 23)
    return nc.fail("RotaryEmbedding needs opset 23 or later");
  if (failed(nc.expectInputs(3, 4)))
    return failure();
  auto interleaved = nc.intAttr("interleaved", 0);
  auto heads = nc.intAttr("num_heads", 0);
  auto rdim = nc.intAttr("rotary_embedding_dim", 0);
  if (failed(interleaved) || failed(heads) || failed(rdim))
    return failure();
  Emit e(nc);
  Value x = nc.input(0), cosC = nc.input(1), sinC = nc.input(2);
  Value pos = nc.input(3);
  if (tensorType(x).getRank() == 3 && *heads <= 0)
    return nc.fail("3-D input needs num_heads");
  if (pos) {
    if (tensorType(cosC).getRank() != 2)
      return nc.fail("with position_ids the caches must be 2-D "
                     "[max_position, rotary_dim / 2]");
  } else {
    // Caches [B, S, rotary_dim / 2] per token: flattened to [B * S, half]
    // and addressed by positions 0 .. B * S - 1.
    if (tensorType(cosC).getRank() != 3 || tensorType(sinC).getRank() != 3)
      return nc.fail("without position_ids the caches must be 3-D "
                     "[batch, sequence, rotary_dim / 2]");
    Value bs = e.dims(cosC, 0, 2);
    Value n = e.squeeze(
        e.op<nn::MulOp>({e.dims(cosC, 0, 1), e.dims(cosC, 1, 2)}), {0});
    Value flat = e.concat({e.i64s({-1}), e.dims(cosC, 2, 3)}, 0);
    pos = e.reshape(e.range(n), bs);
    cosC = e.reshape(cosC, flat);
    sinC = e.reshape(sinC, flat);
  }
  Value y = e.op<nn::RotaryEmbeddingOp>(
      {x, pos, cosC, sinC},
      {e.attr("interleaved", e.b.getBoolAttr(*interleaved != 0)),
       e.i64Attr("num_heads", *heads),
       e.i64Attr("rotary_embedding_dim", *rdim)});
  return e.finish({y});
}

//===----------------------------------------------------------------------===//
// com.microsoft norms and activations
//===----------------------------------------------------------------------===//

LogicalResult convertSkipLayerNorm(NodeContext &nc) {
  if (failed(nc.expectInputs(3, 5)))
    return failure();
  auto eps = nc.floatAttr("epsilon", 1e-12f);
  if (failed(eps))
    return failure();
  Emit e(nc);
  Value sum = e.op<nn::AddOp>({nc.input(0), nc.input(1)});
  if (Value bias = nc.input(4))
    sum = e.op<nn::AddOp>({sum, bias});
  SmallVector<Value> operands{sum, nc.input(2)};
  if (Value beta = nc.input(3))
    operands.push_back(beta);
  Value y = e.op<nn::LayerNormOp>(
      operands, {e.attr("epsilon", e.b.getF32FloatAttr(*eps))});
  if (e.failed())
    return failure();
  nc.setOutput(0, y);
  nc.setOutput(3, sum);
  if (!nc.outputUsed(1) && !nc.outputUsed(2))
    return success();
  // mean and inv_std_var over the last axis, in f32, kept as [..., 1].
  Value x = e.cast(sum, e.b.getF32Type());
  int64_t last = tensorType(sum).getRank() - 1;
  auto axes = e.arrayAttr("axes", {last});
  Value mean = e.op<nn::ReduceMeanOp>({x}, {axes});
  Value diff = e.op<nn::SubOp>({x, mean});
  Value var = e.op<nn::ReduceMeanOp>({e.op<nn::MulOp>({diff, diff})}, {axes});
  Value inv = e.op<nn::ReciprocalOp>({e.op<nn::SqrtOp>(
      {e.op<nn::AddOp>({var, e.scalar(e.b.getF32Type(), *eps)})})});
  if (e.failed())
    return failure();
  nc.setOutput(1, mean);
  nc.setOutput(2, inv);
  return success();
}

/// Gelu of input 0 (+ input 1 when `bias`): "none" (erf) or "tanh".
ConvertFn gelu(StringRef approximate, bool bias, bool biasOptional) {
  std::string approx = approximate.str();
  return [approx, bias, biasOptional](NodeContext &nc) -> LogicalResult {
    int min = bias && !biasOptional ? 2 : 1, max = bias ? 2 : 1;
    if (failed(nc.expectInputs(min, max)))
      return failure();
    Emit e(nc);
    Value x = nc.input(0);
    if (Value b = nc.input(1))
      x = e.op<nn::AddOp>({x, b});
    Value y = e.op<nn::GeluOp>(
        {x}, {e.attr("approximate", e.b.getStringAttr(approx))});
    return e.finish({y});
  };
}

LogicalResult convertQuickGelu(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 1)))
    return failure();
  auto alpha = nc.floatAttr("alpha", 1.702f);
  if (failed(alpha))
    return failure();
  Emit e(nc);
  Value x = nc.input(0);
  Type elem = tensorType(x).getElementType();
  if (!isa<FloatType>(elem))
    return nc.fail("X must be floating point");
  Value ax = e.op<nn::MulOp>({x, e.scalar(elem, *alpha)});
  Value y = e.op<nn::MulOp>({x, e.op<nn::SigmoidOp>({ax})});
  return e.finish({y});
}

//===----------------------------------------------------------------------===//
// com.microsoft masks
//===----------------------------------------------------------------------===//

/// The additive mask [B, 1, S or 1, T] (element type `elem`) of a
/// com.microsoft mask index (int32): [B] end positions (right padding),
/// [2 * B] end positions then start positions (left padding), [B, T] or
/// [B, S, T] of 0 (masked) / 1. Masked keys get `filter` (mask_filter_value),
/// as onnxruntime's CPU kernels do. `k` is the keys [B, H, T, D] after the
/// past is prepended; `batch` the static batch size or kDynamic.
Value maskFromIndex(Emit &e, Value mask, Value k, int64_t batch, Type elem,
                    float filter, StringRef what) {
  auto mt = tensorType(mask);
  if (!mt.getElementType().isInteger(32) && !mt.getElementType().isInteger(64))
    return e.fail(what + " must be int32");
  Value zero = e.scalar(elem, 0.0), masked = e.scalar(elem, filter);
  switch (mt.getRank()) {
  case 1: {
    int64_t n = mt.getDimSize(0);
    if (!isStatic(n) || !isStatic(batch))
      return e.fail("cannot tell the form of the 1-D " + what +
                    ": its length and the batch size must be static");
    if (n != batch && n != 2 * batch)
      return e.fail("1-D " + what + " of length " + Twine(n) +
                    " is not supported ([batch] or [2 * batch])");
    Value idx = e.cast(mask, e.b.getI64Type());
    Value keys = e.unsqueeze(e.range(e.dim(k, 2)), {0}); // [1, T]
    Value end = idx, start;
    if (n == 2 * batch) {
      auto parts = e.split(idx, 0, {batch, batch});
      if (parts.size() != 2)
        return {};
      end = parts[0];
      start = parts[1];
    }
    Value hidden =
        e.op<nn::GreaterEqualOp>({keys, e.unsqueeze(end, {1})}); // [B, T]
    if (start)
      hidden = e.op<nn::OrOp>(
          {hidden, e.op<nn::LessOp>({keys, e.unsqueeze(start, {1})})});
    return e.unsqueeze(e.op<nn::WhereOp>({hidden, masked, zero}), {1, 2});
  }
  case 2:
  case 3: {
    Value keep =
        e.op<nn::GreaterOp>({mask, e.cast(e.i64(0), mt.getElementType())});
    Value add = e.op<nn::WhereOp>({keep, zero, masked});
    return e.unsqueeze(add, mt.getRank() == 2 ? ArrayRef<int64_t>{1, 2}
                                              : ArrayRef<int64_t>{1});
  }
  default:
    return e.fail(Twine(mt.getRank()) + "-D " + what +
                  " is not supported ([batch], [2 * batch], [batch, "
                  "total_length] or [batch, sequence, total_length])");
  }
}

/// mask (or null) + attention_bias (or null).
Value addBias(Emit &e, Value mask, Value bias) {
  if (!bias)
    return mask;
  if (!mask)
    return bias;
  return e.op<nn::AddOp>({mask, bias});
}

/// Checks attention_bias: the query's element type.
LogicalResult checkBias(NodeContext &nc, Value bias, Type elem) {
  if (bias && tensorType(bias).getElementType() != elem)
    return nc.fail("attention_bias must have the element type of the query");
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft Attention (GPT-2 fusion)
//===----------------------------------------------------------------------===//

LogicalResult convertMsAttention(NodeContext &nc) {
  if (failed(nc.expectInputs(2, 7)) ||
      failed(rejectInputs(nc, {{6, "past_sequence_length"}})))
    return failure();
  auto heads = nc.intAttr("num_heads", std::nullopt);
  auto uni = nc.intAttr("unidirectional", 0);
  auto share = nc.intAttr("past_present_share_buffer", 0);
  auto filter = nc.floatAttr("mask_filter_value", -10000.0f);
  auto rotary = nc.intAttr("do_rotary", 0);
  auto sizes = nc.intsAttr("qkv_hidden_sizes");
  std::optional<float> scale;
  bool badScale = failed(scaleOf(nc, scale));
  if (failed(heads) || failed(uni) || failed(share) || failed(filter) ||
      failed(rotary) || failed(sizes) || badScale)
    return failure();
  if (*share)
    return nc.fail("past_present_share_buffer = 1 is not supported");
  if (*rotary)
    return nc.fail("do_rotary = 1 is not supported");
  if (*heads <= 0)
    return nc.fail("num_heads must be positive");
  Value x = nc.input(0), w = nc.input(1);
  if (tensorType(x).getRank() != 3 || tensorType(w).getRank() != 2)
    return nc.fail("input must be 3-D and weights 2-D");
  int64_t n = tensorType(w).getDimSize(1);
  SmallVector<int64_t> hs;
  if (*sizes) {
    hs.assign((*sizes)->begin(), (*sizes)->end());
    if (hs.size() != 3 || hs[0] != hs[1])
      return nc.fail("qkv_hidden_sizes must hold 3 sizes, Q's equal to K's");
  } else {
    if (!isStatic(n) || n % 3)
      return nc.fail("the weights' second dimension must be static and "
                     "divisible by 3 (or qkv_hidden_sizes given)");
    hs.assign(3, n / 3);
  }
  for (int64_t h : hs)
    if (h <= 0 || h % *heads)
      return nc.fail("Q, K and V hidden sizes must be positive multiples of "
                     "num_heads");
  Emit e(nc);
  Type elem = tensorType(x).getElementType();
  if (!isa<FloatType>(elem))
    return nc.fail("input must be floating point, got " + typeStr(elem));
  // The projection is an ordinary linear layer (nn.matmul with the
  // constant weights): the GPTQ passes quantize it.
  Value qkv = e.op<nn::MatMulOp>({x, w});
  if (Value bias = nc.input(2))
    qkv = e.op<nn::AddOp>({qkv, bias});
  auto parts = e.split(qkv, 2, hs);
  if (e.failed())
    return failure();
  Value q = e.toHeads(parts[0], *heads), k = e.toHeads(parts[1], *heads),
        v = e.toHeads(parts[2], *heads);
  if (Value past = nc.input(4)) {
    if (tensorType(past).getRank() != 5)
      return nc.fail("past must be 5-D [2, batch, heads, past_length, "
                     "head_size]");
    auto kv = e.split(past, 0, {1, 1});
    if (e.failed())
      return failure();
    k = e.concat({e.squeeze(kv[0], {0}), k}, 2);
    v = e.concat({e.squeeze(kv[1], {0}), v}, 2);
  }
  Value bias = nc.input(5);
  if (failed(checkBias(nc, bias, elem)))
    return failure();
  Value mask;
  if (Value idx = nc.input(3))
    mask = maskFromIndex(e, idx, k, tensorType(x).getDimSize(0), elem, *filter,
                         "mask_index");
  mask = addBias(e, mask, bias);
  // Self-attention: as many new keys as queries, so past_length + s is
  // nn.attention's bottom-right causal alignment.
  Value y = e.fromHeads(
      attention(e, q, k, v, mask, *uni != 0, scale, /*softcap=*/0), hs[2]);
  Value present;
  if (nc.outputUsed(1))
    present = e.concat({e.unsqueeze(k, {0}), e.unsqueeze(v, {0})}, 0);
  if (e.failed())
    return failure();
  nc.setOutput(0, y);
  if (present)
    nc.setOutput(1, present);
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft MultiHeadAttention
//===----------------------------------------------------------------------===//

LogicalResult convertMultiHeadAttention(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 10)) ||
      failed(rejectInputs(
          nc, {{8, "past_sequence_length"}, {9, "cache_indirection"}})) ||
      failed(rejectOutput(nc, 3, "qk")))
    return failure();
  auto heads = nc.intAttr("num_heads", std::nullopt);
  auto uni = nc.intAttr("unidirectional", 0);
  auto filter = nc.floatAttr("mask_filter_value", -10000.0f);
  std::optional<float> scale;
  bool badScale = failed(scaleOf(nc, scale));
  if (failed(heads) || failed(uni) || failed(filter) || badScale)
    return failure();
  int64_t H = *heads;
  if (H <= 0)
    return nc.fail("num_heads must be positive");
  Emit e(nc);
  Value query = nc.input(0), key = nc.input(1), value = nc.input(2);
  Value bias = nc.input(3);
  Type elem = tensorType(query).getElementType();
  if (!isa<FloatType>(elem))
    return nc.fail("query must be floating point, got " + typeStr(elem));
  int64_t qRank = tensorType(query).getRank(),
          kRank = key ? tensorType(key).getRank() : 0;
  // Bias [q_hidden + k_hidden + v_hidden], split by the hidden sizes.
  auto biasParts = [&](int64_t qh, int64_t kh,
                       int64_t vh) -> SmallVector<Value> {
    if (!bias)
      return {Value(), Value(), Value()};
    if (!isStatic(qh) || !isStatic(kh) || !isStatic(vh))
      return e.fail("bias needs static hidden sizes"), SmallVector<Value>{};
    auto p = e.split(bias, 0, {qh, kh, vh});
    return p.size() == 3 ? p : SmallVector<Value>{};
  };
  auto addTo = [&](Value x, Value b) {
    return b ? e.op<nn::AddOp>({x, b}) : x;
  };
  Value q, k, v;
  bool bnshKV = false;
  if (qRank == 5) {
    // Packed QKV [B, S, H, 3, D].
    if (key || value)
      return nc.fail("packed QKV (5-D query) takes no key or value");
    int64_t d = sizeOf(query, 4), h = sizeOf(query, 2);
    if (sizeOf(query, 3) != 3)
      return nc.fail("packed QKV must be [batch, sequence, heads, 3, "
                     "head_size]");
    auto qkv = e.split(query, 3, {1, 1, 1});
    auto b = biasParts(h * d, h * d, h * d);
    if (e.failed())
      return failure();
    SmallVector<Value> out;
    for (int i = 0; i < 3; ++i) {
      Value x = e.squeeze(qkv[i], {3});
      if (b[i])
        x = addTo(x, e.reshape(b[i], {h, d}));
      out.push_back(e.transpose(x, {0, 2, 1, 3}));
    }
    q = out[0];
    k = out[1];
    v = out[2];
  } else if (qRank == 3 && kRank == 5) {
    // Packed KV [B, L, H, 2, D].
    if (value)
      return nc.fail("packed KV (5-D key) takes no value");
    if (sizeOf(key, 3) != 2)
      return nc.fail("packed KV must be [batch, kv_sequence, heads, 2, "
                     "head_size]");
    int64_t d = sizeOf(key, 4), h = sizeOf(key, 2);
    auto b = biasParts(sizeOf(query, 2), h * d, h * d);
    auto kv = e.split(key, 3, {1, 1});
    if (e.failed())
      return failure();
    q = e.toHeads(addTo(query, b[0]), H);
    Value kk = e.squeeze(kv[0], {3}), vv = e.squeeze(kv[1], {3});
    if (b[1]) {
      kk = addTo(kk, e.reshape(b[1], {h, d}));
      vv = addTo(vv, e.reshape(b[2], {h, d}));
    }
    k = e.transpose(kk, {0, 2, 1, 3});
    v = e.transpose(vv, {0, 2, 1, 3});
  } else if (qRank == 3 && kRank == 3 && value &&
             tensorType(value).getRank() == 3) {
    auto b = biasParts(sizeOf(query, 2), sizeOf(key, 2), sizeOf(value, 2));
    if (e.failed())
      return failure();
    q = e.toHeads(addTo(query, b[0]), H);
    k = e.toHeads(addTo(key, b[1]), H);
    v = e.toHeads(addTo(value, b[2]), H);
  } else if (qRank == 3 && kRank == 4 && value &&
             tensorType(value).getRank() == 4) {
    // Keys and values already in [B, H, L, D] (a cross-attention cache).
    if (bias)
      return nc.fail("bias with key/value in [batch, heads, length, "
                     "head_size] layout is not supported");
    bnshKV = true;
    q = e.toHeads(query, H);
    k = key;
    v = value;
  } else {
    return nc.fail("unsupported query/key/value form: query must be 3-D "
                   "(with 3-D key and value, a 5-D packed KV key, or 4-D "
                   "key and value) or 5-D packed QKV");
  }
  Value pastK = nc.input(6), pastV = nc.input(7);
  if (!pastK != !pastV)
    return nc.fail("past_key and past_value must be given together");
  if (pastK && bnshKV)
    return nc.fail("past_key/past_value with 4-D key and value are not "
                   "supported");
  Value newK = k;
  prependPast(e, pastK, pastV, k, v);
  Value attnBias = nc.input(5);
  if (e.failed() || failed(checkBias(nc, attnBias, elem)))
    return failure();
  Value mask;
  if (Value kpm = nc.input(4))
    mask = maskFromIndex(e, kpm, k, tensorType(query).getDimSize(0), elem,
                         *filter, "key_padding_mask");
  mask = addBias(e, mask, attnBias);
  // Causal: query s sees key t iff t <= past_length + s.
  bool causal = *uni && causalOrMask(e, q, k, newK, pastK, mask, elem);
  Value y =
      e.fromHeads(attention(e, q, k, v, mask, causal, scale, /*softcap=*/0));
  return e.finish({y, k, v});
}

//===----------------------------------------------------------------------===//
// com.microsoft GroupQueryAttention
//===----------------------------------------------------------------------===//

/// x [B, H, P, D] extended with zero rows to [B, H, len, D] (len: 0-D i64,
/// at least P).
Value padRows(Emit &e, Value x, Value len) {
  Value extra = e.op<nn::SubOp>({len, e.dim(x, 2)});
  Value shape =
      e.concat({e.dims(x, 0, 2), e.unsqueeze(extra, {0}), e.dims(x, 3, 4)}, 0);
  Type elem = tensorType(x).getElementType();
  return e.concat({x, e.op<nn::ExpandOp>({e.scalar(elem, 0.0), shape})}, 2);
}

/// The present cache [B, Hkv, Tp, D]: rows [0, past_b) of `past` (or zeros
/// without a past), the new rows `fresh` [B, S, Hkv * D] at
/// [past_b, past_b + S), zeros after, as onnxruntime's CPU kernel writes it.
/// `pos` [B, S] holds past_b + s.
Value presentCache(Emit &e, Value past, Value fresh, Value pastLen, Value pos,
                   Value len, int64_t kvHeads, int64_t headSize, Type elem) {
  Value base;
  if (past) {
    base = padRows(e, past, len);
  } else {
    Value shape = e.concat({e.dims(fresh, 0, 1), e.i64s({kvHeads}),
                            e.unsqueeze(len, {0}), e.i64s({headSize})},
                           0);
    base = e.op<nn::ExpandOp>({e.scalar(elem, 0.0), shape});
  }
  // Keep rows t < past_b of the old cache.
  Value rows = e.unsqueeze(e.range(len), {0});                      // [1, Tp]
  Value keep = e.op<nn::LessOp>({rows, e.unsqueeze(pastLen, {1})}); // [B, Tp]
  base =
      e.op<nn::WhereOp>({e.unsqueeze(keep, {1, 3}), base, e.scalar(elem, 0.0)});
  // Scatter the new rows: data [B, Tp, Hkv, D], indices [B, S, 2] = (b, pos).
  Value data = e.transpose(base, {0, 2, 1, 3});
  Value batch = e.op<nn::ExpandOp>(
      {e.unsqueeze(e.range(e.dim(pos, 0)), {1}), e.dims(pos, 0, 2)});
  Value idx = e.concat({e.unsqueeze(batch, {2}), e.unsqueeze(pos, {2})}, 2);
  Value upd = e.reshape(fresh, {0, 0, kvHeads, headSize});
  Value out = e.op<nn::ScatterNDOp>({data, idx, upd});
  return e.transpose(out, {0, 2, 1, 3});
}

/// x [..., L] extended with zeros to [..., len] (len: 0-D i64 >= L).
Value padLast(Emit &e, Value x, Value len) {
  int64_t r = tensorType(x).getRank();
  Value extra = e.op<nn::SubOp>({len, e.dim(x, r - 1)});
  Value shape = e.concat({e.dims(x, 0, r - 1), e.unsqueeze(extra, {0})}, 0);
  Value zeros = e.op<nn::ExpandOp>(
      {e.scalar(tensorType(x).getElementType(), 0.0), shape});
  return e.concat({x, zeros}, r - 1);
}

LogicalResult convertGroupQueryAttention(NodeContext &nc) {
  if (failed(nc.expectInputs(1, 17)) || failed(nc.requiredInput(5)) ||
      failed(nc.requiredInput(6)) ||
      failed(rejectInputs(nc, {{9, "position_ids"},
                               {11, "head_sink"},
                               {12, "k_scale"},
                               {13, "v_scale"},
                               {14, "q_norm_weight"},
                               {15, "k_norm_weight"},
                               {16, "query_seqlens"}})) ||
      failed(rejectOutput(nc, 3, "output_qk")))
    return failure();
  auto heads = nc.intAttr("num_heads", std::nullopt);
  auto kvHeads = nc.intAttr("kv_num_heads", std::nullopt);
  auto softcap = nc.floatAttr("softcap", 0.0f);
  auto window = nc.intAttr("local_window_size", -1);
  auto rotary = nc.intAttr("do_rotary", 0);
  auto interleaved = nc.intAttr("rotary_interleaved", 0);
  auto smooth = nc.intAttr("smooth_softmax", 0);
  auto qkOut = nc.intAttr("qk_output", 0);
  auto causalAttr = nc.intAttr("causal", 1);
  auto slidingCache = nc.intAttr("sliding_window_cache", 0);
  auto kQuant = nc.stringAttr("k_quant_type", std::string("NONE"));
  auto vQuant = nc.stringAttr("v_quant_type", std::string("NONE"));
  std::optional<float> scale;
  bool badScale = failed(scaleOf(nc, scale));
  if (failed(heads) || failed(kvHeads) || failed(softcap) || failed(window) ||
      failed(rotary) || failed(interleaved) || failed(smooth) ||
      failed(qkOut) || failed(causalAttr) || failed(slidingCache) ||
      failed(kQuant) || failed(vQuant) || badScale)
    return failure();
  if (*smooth == 1)
    return nc.fail("smooth_softmax = 1 is not supported");
  if (*qkOut != 0)
    return nc.fail("qk_output = " + Twine(*qkOut) + " is not supported");
  if (*causalAttr != 1)
    return nc.fail("causal = " + Twine(*causalAttr) +
                   " is not supported (1 only)");
  if (*slidingCache)
    return nc.fail("sliding_window_cache = 1 is not supported");
  if (*kQuant != "NONE" || *vQuant != "NONE")
    return nc.fail("quantized KV caches (k_quant_type/v_quant_type) are not "
                   "supported");
  int64_t Hq = *heads, Hkv = *kvHeads;
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv)
    return nc.fail("num_heads must be a positive multiple of kv_num_heads");
  Emit e(nc);
  Value query = nc.input(0), key = nc.input(1), value = nc.input(2);
  Type elem = tensorType(query).getElementType();
  if (!isa<FloatType>(elem))
    return nc.fail("query must be floating point, got " + typeStr(elem));
  if (tensorType(query).getRank() != 3)
    return nc.fail("query must be 3-D [batch, sequence, hidden]");
  int64_t hidden = sizeOf(query, 2), headSize;
  if (!key != !value)
    return nc.fail("key and value must be given together");
  if (!key) {
    // Packed [B, S, (Hq + 2 Hkv) * D].
    if (!isStatic(hidden) || hidden % (Hq + 2 * Hkv))
      return nc.fail("packed QKV needs a static hidden size divisible by "
                     "num_heads + 2 * kv_num_heads");
    headSize = hidden / (Hq + 2 * Hkv);
    auto parts =
        e.split(query, 2, {Hq * headSize, Hkv * headSize, Hkv * headSize});
    if (e.failed())
      return failure();
    query = parts[0];
    key = parts[1];
    value = parts[2];
  } else {
    if (!isStatic(hidden) || hidden % Hq)
      return nc.fail("query needs a static hidden size divisible by "
                     "num_heads");
    headSize = hidden / Hq;
  }
  Value pastK = nc.input(3), pastV = nc.input(4);
  if (!pastK != !pastV)
    return nc.fail("past_key and past_value must be given together");
  if (pastK && tensorType(pastK).getRank() != 4)
    return nc.fail("past_key must be 4-D [batch, kv_heads, length, head_size]");

  // Lengths: total_b = seqlens_k[b] + 1; the first prompt (S equal to
  // total_sequence_length) has no past, later calls past_b = total_b - S.
  Value seqlens = e.cast(nc.input(5), e.b.getI64Type());
  Value total =
      e.reshape(e.cast(nc.input(6), e.b.getI64Type()), ArrayRef<int64_t>{});
  Value s = e.dim(query, 1);
  Value first = e.op<nn::EqualOp>({s, total});
  Value later = e.op<nn::SubOp>({e.op<nn::AddOp>({seqlens, e.i64(1)}), s});
  Value pastLen = e.op<nn::WhereOp>({first, e.i64(0), later}); // [B]
  Value pos = e.op<nn::AddOp>(
      {e.unsqueeze(pastLen, {1}), e.unsqueeze(e.range(s), {0})}); // [B, S]
  // The cache holds max(past buffer length, total_sequence_length) rows.
  Value len = pastK ? e.op<nn::MaxOp>({e.dim(pastK, 2), total}) : total;
  if (e.failed())
    return failure();

  if (*rotary) {
    Value cosC = nc.input(7), sinC = nc.input(8);
    if (!cosC || !sinC)
      return nc.fail("do_rotary = 1 needs cos_cache and sin_cache");
    int64_t half = tensorType(cosC).getRank() == 2 ? sizeOf(cosC, 1)
                                                   : ShapedType::kDynamic;
    if (!isStatic(half))
      return nc.fail("cos_cache must be 2-D with a static second dimension");
    SmallVector<NamedAttribute> common{
        e.attr("interleaved", e.b.getBoolAttr(*interleaved != 0)),
        e.i64Attr("rotary_embedding_dim", 2 * half == headSize ? 0 : 2 * half)};
    auto rope = [&](Value x, int64_t h) {
      SmallVector<NamedAttribute> attrs(common);
      attrs.push_back(e.i64Attr("num_heads", h));
      return e.op<nn::RotaryEmbeddingOp>({x, pos, cosC, sinC}, attrs);
    };
    query = rope(query, Hq);
    key = rope(key, Hkv);
  }
  Value presentK =
      presentCache(e, pastK, key, pastLen, pos, len, Hkv, headSize, elem);
  Value presentV =
      presentCache(e, pastV, value, pastLen, pos, len, Hkv, headSize, elem);

  // Query s (absolute position pos) sees keys t <= pos, and with a local
  // window only the local_window_size last ones, t > pos - local_window_size
  // (what onnxruntime 1.32's CPU kernel computes).
  Value keys = e.reshape(e.range(len), {1, 1, 1, -1});
  Value p4 = e.unsqueeze(pos, {1, 3}); // [B, 1, S, 1]
  Value allowed = e.op<nn::LessEqualOp>({keys, p4});
  if (*window > 0)
    allowed = e.op<nn::AndOp>(
        {allowed,
         e.op<nn::GreaterOp>({keys, e.op<nn::SubOp>({p4, e.i64(*window)})})});
  Value mask = allowed;
  if (Value bias = nc.input(10)) {
    if (failed(checkBias(nc, bias, elem)))
      return failure();
    mask = restrictMask(e, padLast(e, bias, len), allowed, elem);
  }
  // The output is [B, S, num_heads * head_size] (a static hidden size even
  // where the caches declare a dynamic head size).
  Value y = e.fromHeads(attention(e, e.toHeads(query, Hq), presentK, presentV,
                                  mask, /*causal=*/false, scale, *softcap),
                        Hq * headSize);
  return e.finish({y, presentK, presentV});
}

} // namespace

void gptq::onnximport::addDefaultDomainAttentionConverters(
    llvm::StringMap<ConvertFn> &t) {
  t["Attention"] = convertOnnxAttention;
  t["RMSNormalization"] = convertRMSNormalization;
  t["RotaryEmbedding"] = convertOnnxRotaryEmbedding;
}

void gptq::onnximport::addMicrosoftAttentionConverters(
    llvm::StringMap<ConvertFn> &t) {
  t["Attention"] = convertMsAttention;
  t["MultiHeadAttention"] = convertMultiHeadAttention;
  t["GroupQueryAttention"] = convertGroupQueryAttention;
  t["SkipLayerNormalization"] = convertSkipLayerNorm;
  t["FastGelu"] = gelu("tanh", /*bias=*/true, /*biasOptional=*/true);
  t["BiasGelu"] = gelu("none", /*bias=*/true, /*biasOptional=*/false);
  t["Gelu"] = gelu("none", /*bias=*/false, /*biasOptional=*/false);
  t["QuickGelu"] = convertQuickGelu;
}
