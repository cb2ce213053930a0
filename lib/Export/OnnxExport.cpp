//===- OnnxExport.cpp - nn/gptq modules to ONNX -----------------*- C++ -*-===//
//
// Every nn op maps to default-domain opset-17 ONNX, or 18 where an op needs
// it (Bitwise*, max/min scatter reductions); nn.rms_norm and nn.gelu are
// decomposed; nn.rotary_embedding is com.microsoft.RotaryEmbedding;
// gptq.matmul_nbits becomes com.microsoft.MatMulNBits with B uint8
// [N, k_blocks, blob], scales [N, k_blocks] of the activation type, zero
// points for asymmetric weights, g_idx for act-order and the bias. What
// onnxruntime (1.32, CPU) computes was checked by experiment: 2/4/8 bits,
// block_size a power of two >= 16, K need not be a multiple of it, missing
// zero points mean 2^(bits-1); g_idx only at 4 bits and, with g_idx, uint8
// zero points are ignored (float ones in the scales' type work). Layouts it
// cannot express (3 bits, act-order at 2 or 8 bits, group sizes without a
// power-of-two divisor >= 16) are refused naming the layer.
//
//===----------------------------------------------------------------------===//

#include "gptq/Export/Export.h"

#include "gptq/Exec/PlanBuilder.h"

#include "dialects/GPTQ/IR/GPTQOps.h"
#include "dialects/NN/IR/NNOps.h"

#include "runtime/quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <set>

using namespace mlir;
using namespace gptq;

static int32_t onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF16())
    return onnx::TensorProto::FLOAT16;
  if (t.isBF16())
    return onnx::TensorProto::BFLOAT16;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (auto it = dyn_cast<IntegerType>(t)) {
    bool u = it.isUnsigned();
    switch (it.getWidth()) {
    case 1:
      return onnx::TensorProto::BOOL;
    case 8:
      return u ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
    case 16:
      return u ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
    case 32:
      return u ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
    case 64:
      return u ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
    }
  }
  return onnx::TensorProto::UNDEFINED;
}

/// The name of `op`'s location, or "".
static std::string locName(Operation *op) {
  if (auto n = dyn_cast<NameLoc>(op->getLoc()))
    return n.getName().str();
  return "";
}

namespace {
class OnnxExporter {
public:
  explicit OnnxExporter(ModuleOp module) : module(module) {}

  LogicalResult run(StringRef path, const OnnxExportOptions &options);

private:
  std::string unique(StringRef base) {
    std::string name = base.empty() ? "v" : base.str();
    std::string out = name;
    for (int i = 1; used.count(out) || reserved.count(out); ++i)
      out = name + "_" + std::to_string(i);
    used.insert(out);
    return out;
  }
  std::string nameOf(Value v) { return names.lookup(v); }
  std::string define(Value v, StringRef base) {
    auto it = outputNames.find(v);
    std::string n;
    if (it != outputNames.end() && reserved.count(it->second)) {
      n = it->second;
      reserved.erase(n);
      used.insert(n);
    } else {
      n = unique(base);
    }
    names[v] = n;
    return n;
  }
  onnx::NodeProto *node(StringRef type, ArrayRef<std::string> inputs,
                        ArrayRef<std::string> outputs, StringRef name,
                        StringRef domain = "") {
    onnx::NodeProto *n = graph->add_node();
    n->set_op_type(type.str());
    if (!domain.empty())
      n->set_domain(domain.str());
    n->set_name(unique(name.empty() ? type : name));
    for (const auto &i : inputs)
      n->add_input(i);
    for (const auto &o : outputs)
      n->add_output(o);
    return n;
  }
  static void attrInt(onnx::NodeProto *n, StringRef name, int64_t v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attrFloat(onnx::NodeProto *n, StringRef name, float v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attrString(onnx::NodeProto *n, StringRef name, StringRef v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v.str());
  }
  static void attrInts(onnx::NodeProto *n, StringRef name,
                       ArrayRef<int64_t> v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }
  /// An initializer from raw little-endian bytes.
  std::string initializer(StringRef base, int32_t dtype,
                          ArrayRef<int64_t> shape, const void *data,
                          size_t bytes) {
    onnx::TensorProto *t = graph->add_initializer();
    std::string name = unique(base);
    t->set_name(name);
    t->set_data_type(dtype);
    for (int64_t d : shape)
      t->add_dims(d);
    t->set_raw_data(std::string(static_cast<const char *>(data), bytes));
    return name;
  }
  std::string constI64(ArrayRef<int64_t> values, StringRef base,
                       bool scalar = false) {
    SmallVector<int64_t> shape;
    if (!scalar)
      shape.push_back(values.size());
    return initializer(base, onnx::TensorProto::INT64, shape, values.data(),
                       values.size() * 8);
  }
  /// A scalar initializer of `elem` holding `v`.
  std::string constScalar(Type elem, double v, StringRef base) {
    rt::Tensor t = rt::Tensor::empty(*toDType(elem), {});
    t.setDouble(0, v);
    return initializer(base, onnxType(elem), {}, t.raw(), t.nbytes());
  }
  /// A `type` reduction node (ReduceMean, ReduceMax, ...) of `input` over
  /// `axes` (none: all): the axes are an input from opset 18 (a constant
  /// named after `base`), an attribute before.
  onnx::NodeProto *reduceNode(StringRef type, const std::string &input,
                              ArrayRef<int64_t> axes, bool keepdims,
                              const std::string &output,
                              const std::string &base, StringRef nodeName) {
    std::vector<std::string> inputs{input};
    if (opsetVersion >= 18 && !axes.empty())
      inputs.push_back(constI64(axes, base + "_axes"));
    auto *n = node(type, inputs, {output}, nodeName);
    if (opsetVersion < 18 && !axes.empty())
      attrInts(n, "axes", axes);
    attrInt(n, "keepdims", keepdims);
    return n;
  }

  LogicalResult exportConstant(nn::ConstantOp op);
  LogicalResult exportOp(Operation *op);
  LogicalResult exportMatMulNBits(quant::MatMulNBitsOp op);
  LogicalResult exportAttention(nn::AttentionOp op);
  void setValueInfo(onnx::ValueInfoProto *vi, const std::string &name,
                    Type type, ArrayAttr dimNames);

  ModuleOp module;
  onnx::ModelProto model;
  onnx::GraphProto *graph = nullptr;
  llvm::DenseMap<Value, std::string> names;
  llvm::DenseMap<Value, std::string> outputNames;
  std::set<std::string> used;
  std::set<std::string> reserved; ///< graph output names not yet defined
  /// Default-domain opset written: 17, or 18 when an op needs it (see
  /// requiredOpset); Reduce* ops take their axes as an input from 18.
  int64_t opsetVersion = 17;
};
} // namespace

/// The lowest default-domain opset (>= 17) that expresses every op of `fn`:
/// 18 for the Bitwise ops and for ScatterND/ScatterElements' max and min
/// reductions.
static int64_t requiredOpset(func::FuncOp fn) {
  int64_t version = 17;
  fn.walk([&](Operation *op) {
    if (isa<nn::BitwiseAndOp, nn::BitwiseOrOp, nn::BitwiseXorOp,
            nn::BitwiseNotOp>(op))
      version = std::max<int64_t>(version, 18);
    StringRef red;
    if (auto s = dyn_cast<nn::ScatterNDOp>(op))
      red = s.getReduction();
    else if (auto s = dyn_cast<nn::ScatterElementsOp>(op))
      red = s.getReduction();
    if (red == "max" || red == "min")
      version = std::max<int64_t>(version, 18);
  });
  return version;
}

void OnnxExporter::setValueInfo(onnx::ValueInfoProto *vi,
                                const std::string &name, Type type,
                                ArrayAttr dimNames) {
  vi->set_name(name);
  auto tt = cast<RankedTensorType>(type);
  auto *tensor = vi->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnxType(tt.getElementType()));
  auto *shape = tensor->mutable_shape();
  // The original's dim_params are written back, also where the compiler
  // proved a dim static (onnxruntime-genai's `kv_cache_dim`, fixed by the
  // attention that reads the cache): the model keeps its interface.
  // --input-shape clears the names of the dims it pins.
  for (int64_t i = 0; i < tt.getRank(); ++i) {
    auto *d = shape->add_dim();
    StringAttr name;
    if (dimNames && i < (int64_t)dimNames.size())
      name = dyn_cast<StringAttr>(dimNames[i]);
    if (name && !name.getValue().empty())
      d->set_dim_param(name.str());
    else if (!tt.isDynamicDim(i))
      d->set_dim_value(tt.getDimSize(i));
  }
}

/// Whether every use of a constant is a packed operand (or the bias) of a
/// gptq.matmul_nbits: exportMatMulNBits re-encodes those itself.
static bool onlyFeedsMatMulNBits(nn::ConstantOp op) {
  return !op->use_empty() && llvm::all_of(op->getUses(), [](OpOperand &use) {
    return isa<quant::MatMulNBitsOp>(use.getOwner()) &&
           use.getOperandNumber() > 0;
  });
}

LogicalResult OnnxExporter::exportConstant(nn::ConstantOp op) {
  if (onlyFeedsMatMulNBits(op))
    return success();
  auto type = cast<RankedTensorType>(op.getType());
  int32_t dtype = onnxType(type.getElementType());
  auto t = tensorFromAttr(op.getValue());
  if (failed(t) || dtype == onnx::TensorProto::UNDEFINED)
    return op.emitOpError("has a value ONNX cannot hold");
  std::string base = locName(op);
  std::string name = initializer(base.empty() ? "const" : base, dtype,
                                 type.getShape(), t->raw(), t->nbytes());
  // A returned constant keeps its value name; the graph output is an
  // Identity of it (see run()).
  names[op.getResult()] = name;
  return success();
}

/// The layer name of a gptq.matmul_nbits: its gptq.layer attribute, else
/// its location name.
static std::string layerNameOf(quant::MatMulNBitsOp op) {
  if (auto l = op->getAttrOfType<StringAttr>("gptq.layer"))
    return l.str();
  return locName(op);
}

FailureOr<MatMulNBitsLayout> gptq::matMulNBitsLayout(int64_t bits,
                                                     int64_t groupSize,
                                                     bool actOrder, int64_t k,
                                                     std::string &reason) {
  MatMulNBitsLayout layout;
  if (bits != 2 && bits != 4 && bits != 8) {
    reason = "onnxruntime's MatMulNBits supports 2, 4 and 8 bits, not " +
             std::to_string(bits);
    return failure();
  }
  if (actOrder && bits != 4) {
    reason = "act-order weights need g_idx, which onnxruntime's MatMulNBits "
             "computes only at 4 bits (its g_idx path unpacks nibbles: "
             "2-bit weights come out wrong, 8-bit ones fail), not " +
             std::to_string(bits);
    return failure();
  }
  int64_t groups = groupSize > 0 ? (k + groupSize - 1) / groupSize : 1;
  if (groups == 1) {
    // One group: any block size works (blocks repeat the group's scale).
    // Blocks of at most 256 keep onnxruntime on its packed kernels.
    int64_t bs = 16;
    while (bs < k && bs < 256)
      bs *= 2;
    layout.blockSize = bs;
  } else {
    // Blocks must not straddle groups: the largest power of two >= 16 that
    // divides the group size (the group size itself when it is one).
    int64_t bs = groupSize & -groupSize;
    if (bs < 16) {
      reason = "group size " + std::to_string(groupSize) +
               " has no power-of-two divisor >= 16, which onnxruntime's "
               "MatMulNBits block_size must be";
      return failure();
    }
    layout.blockSize = bs;
  }
  layout.kBlocks = (k + layout.blockSize - 1) / layout.blockSize;
  layout.blobSize = layout.blockSize * bits / 8;
  return layout;
}

LogicalResult OnnxExporter::exportMatMulNBits(quant::MatMulNBitsOp op) {
  if (op.getLayoutName() != "gptq")
    return op.emitOpError("cannot be exported: its weight is in the \"")
           << op.getLayoutName()
           << "\" layout (gptq-repack); export the module before repacking";
  auto q = op.getQuant();
  int bits = (int)q.getBits();
  int64_t K = op.getK(), N = op.getN();
  std::string layer = layerNameOf(op);
  auto refuse = [&](const Twine &why) {
    return op.emitOpError("layer '")
           << layer
           << "' cannot be exported as com.microsoft.MatMulNBits: " << why;
  };

  auto readConst = [](Value v) -> FailureOr<rt::Tensor> {
    auto c = v.getDefiningOp<nn::ConstantOp>();
    if (!c)
      return failure();
    return tensorFromAttr(c.getValue());
  };
  auto qweight = readConst(op.getQweight());
  auto scales = readConst(op.getScales());
  auto qzeros = readConst(op.getQzeros());
  if (failed(qweight) || failed(scales) || failed(qzeros))
    return refuse("its packed operands must be constants");
  int64_t groups = q.getNumGroups(K);
  int64_t gs = q.getGroupSize() > 0 ? q.getGroupSize() : K;

  // g_idx: dropped when it is the trivial k / group_size (static groups).
  std::vector<int32_t> gIdx;
  if (Value g = op.getGIdx()) {
    auto gt = readConst(g);
    if (failed(gt))
      return refuse("g_idx must be a constant");
    gIdx.assign(gt->data<int32_t>(), gt->data<int32_t>() + K);
    bool trivial = true;
    for (int64_t k = 0; k < K; ++k) {
      if (gIdx[k] < 0 || gIdx[k] >= groups)
        return refuse("g_idx[" + Twine(k) + "] = " + Twine(gIdx[k]) +
                      " is not a group index below " + Twine(groups));
      trivial &= gIdx[k] == (groups == 1 ? 0 : k / gs);
    }
    if (trivial)
      gIdx.clear();
  }
  std::string reason;
  auto layout =
      matMulNBitsLayout(bits, q.getGroupSize(), !gIdx.empty(), K, reason);
  if (failed(layout))
    return refuse(reason);
  int64_t bs = layout->blockSize, kBlocks = layout->kBlocks,
          blob = layout->blobSize;
  // Blocks per group (blocks repeat their group's scale and zero point).
  int64_t perGroup = groups == 1 ? kBlocks : gs / bs;

  std::vector<int32_t> qv(K * N);
  rt::quant::unpackWeights(qweight->data<int32_t>(), K, N, bits, qv.data());
  std::vector<int32_t> zeros(groups * N);
  for (int64_t g = 0; g < groups; ++g)
    rt::quant::unpackRow(qzeros->data<int32_t>() +
                             g * rt::quant::packedZeroCols(N, bits),
                         N, bits, zeros.data() + g * N);
  bool sym =
      llvm::all_of(zeros, [&](int32_t z) { return z == (1 << (bits - 1)); });

  // B [N][kBlocks][blob], the values of a block packed low bits first.
  std::vector<uint8_t> b(N * kBlocks * blob, 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t blk = k / bs, j = k % bs, bit = j * bits;
      b[(n * kBlocks + blk) * blob + bit / 8] |=
          (uint8_t)(qv[k * N + n] << (bit % 8));
    }
  // Scales and zero points per (n, block): block blk belongs to group
  // blk / perGroup.
  Type actType =
      cast<RankedTensorType>(op.getInput().getType()).getElementType();
  rt::DType act = *toDType(actType);
  rt::Tensor s = rt::Tensor::empty(act, {N, kBlocks});
  // uint8 zero points, packed like B ([N, ceil(kBlocks * bits / 8)]); with
  // g_idx onnxruntime reads zero points only in the scales' type.
  int64_t zRow = (kBlocks * bits + 7) / 8;
  std::vector<uint8_t> zp(N * zRow, 0);
  rt::Tensor zf = rt::Tensor::empty(act, {N, kBlocks});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t blk = 0; blk < kBlocks; ++blk) {
      int64_t g = std::min(blk / perGroup, groups - 1);
      s.setDouble(n * kBlocks + blk, scales->getDouble(g * N + n));
      int32_t z = zeros[g * N + n];
      zf.setDouble(n * kBlocks + blk, z);
      int64_t bit = blk * bits;
      zp[n * zRow + bit / 8] |= (uint8_t)(z << (bit % 8));
    }

  std::string base = layer.empty() ? "matmul_nbits" : layer;
  std::vector<std::string> inputs{
      nameOf(op.getInput()),
      initializer(base + ".B", onnx::TensorProto::UINT8, {N, kBlocks, blob},
                  b.data(), b.size()),
      initializer(base + ".scales", onnxType(actType), {N, kBlocks}, s.raw(),
                  s.nbytes())};
  if (sym)
    inputs.push_back("");
  else if (gIdx.empty())
    inputs.push_back(initializer(base + ".zero_points",
                                 onnx::TensorProto::UINT8, {N, zRow}, zp.data(),
                                 zp.size()));
  else
    inputs.push_back(initializer(base + ".zero_points", onnxType(actType),
                                 {N, kBlocks}, zf.raw(), zf.nbytes()));
  if (!gIdx.empty()) {
    // Group g starts at block g * perGroup (all its blocks are alike).
    for (int32_t &g : gIdx)
      g = (int32_t)(g * perGroup);
    inputs.push_back(initializer(base + ".g_idx", onnx::TensorProto::INT32, {K},
                                 gIdx.data(), gIdx.size() * 4));
  } else {
    inputs.push_back("");
  }
  if (Value bias = op.getBias()) {
    if (cast<RankedTensorType>(bias.getType()).getElementType() != actType)
      return refuse("the bias type must match the activations");
    auto c = bias.getDefiningOp<nn::ConstantOp>();
    if (c && onlyFeedsMatMulNBits(c)) {
      auto bt = readConst(bias);
      if (failed(bt))
        return refuse("its bias has a value ONNX cannot hold");
      inputs.push_back(initializer(base + ".bias", onnxType(actType), {N},
                                   bt->raw(), bt->nbytes()));
    } else {
      inputs.push_back(nameOf(bias));
    }
  }
  while (!inputs.empty() && inputs.back().empty())
    inputs.pop_back();
  std::string out = define(op.getResult(), base + ".output");
  auto *n = node("MatMulNBits", inputs, {out},
                 locName(op).empty() ? base : locName(op), "com.microsoft");
  attrInt(n, "K", K);
  attrInt(n, "N", N);
  attrInt(n, "bits", bits);
  attrInt(n, "block_size", bs);
  return success();
}

/// nn.attention as opset-17 ops: grouped key/value heads repeated with
/// Unsqueeze/Expand/Reshape (shapes read at run time), MatMul, Mul by the
/// scale, softcap as Div/Tanh/Mul, the mask added (float) or applied with
/// Where (bool), the bottom-right causal mask from Range/LessOrEqual, Softmax
/// and MatMul. With a mask or causal, rows whose every score is masked give
/// zeros (Where on the row maximum), as the runtime kernel does.
LogicalResult OnnxExporter::exportAttention(nn::AttentionOp op) {
  std::string name = locName(op);
  if (name.empty())
    name = "attention";
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  auto kt = cast<RankedTensorType>(op.getKey().getType());
  Type elem = qt.getElementType();
  int64_t hq = qt.getDimSize(1), hkv = kt.getDimSize(1);
  std::string q = nameOf(op.getQuery()), k = nameOf(op.getKey()),
              v = nameOf(op.getValue());
  auto tmp = [&](StringRef suffix) {
    return unique(name + "_" + suffix.str());
  };
  auto slice = [&](const std::string &x, int64_t b, int64_t e) {
    std::string out = tmp("dims");
    node("Slice",
         {x, constI64({b}, name + "_start"), constI64({e}, name + "_end"),
          constI64({0}, name + "_axis")},
         {out}, name + "_slice");
    return out;
  };
  if (hq != hkv) {
    if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv))
      return op.emitOpError("cannot be exported to ONNX: grouped heads need "
                            "static head counts");
    int64_t group = hq / hkv;
    auto repeat = [&](const std::string &x) {
      std::string shape = tmp("shape"), u = tmp("unsq"), ex = tmp("expand"),
                  expShape = tmp("expand_shape"), outShape = tmp("rep_shape"),
                  out = tmp("rep");
      node("Shape", {x}, {shape}, name + "_shape");
      std::string lead = slice(shape, 0, 2), tail = slice(shape, 2, 4),
                  batch = slice(shape, 0, 1);
      attrInt(node("Concat", {lead, constI64({group}, name + "_group"), tail},
                   {expShape}, name + "_concat"),
              "axis", 0);
      node("Unsqueeze", {x, constI64({2}, name + "_axes")}, {u},
           name + "_unsqueeze");
      node("Expand", {u, expShape}, {ex}, name + "_expand");
      attrInt(node("Concat", {batch, constI64({hq}, name + "_heads"), tail},
                   {outShape}, name + "_concat"),
              "axis", 0);
      node("Reshape", {ex, outShape}, {out}, name + "_reshape");
      return out;
    };
    k = repeat(k);
    v = repeat(v);
  }
  double scale = op.getScale() ? (double)op.getScale()->convertToFloat()
                               : 1.0 / std::sqrt((double)qt.getDimSize(3));
  if (!op.getScale() && ShapedType::isDynamic(qt.getDimSize(3)))
    return op.emitOpError("cannot be exported to ONNX: the default scale "
                          "needs a static head size");
  std::string kT = tmp("key_t"), raw = tmp("qk"), s = tmp("scores");
  attrInts(node("Transpose", {k}, {kT}, name + "_transpose"), "perm",
           {0, 1, 3, 2});
  node("MatMul", {q, kT}, {raw}, name + "_qk");
  node("Mul", {raw, constScalar(elem, scale, name + "_scale")}, {s},
       name + "_scale");
  if (float cap = op.getSoftcap().convertToFloat(); cap > 0) {
    std::string d = tmp("capped"), t = tmp("tanh"), c = tmp("softcapped");
    std::string capName = constScalar(elem, cap, name + "_softcap");
    node("Div", {s, capName}, {d}, name + "_softcap_div");
    node("Tanh", {d}, {t}, name + "_softcap_tanh");
    node("Mul", {t, capName}, {c}, name + "_softcap_mul");
    s = c;
  }
  std::string negInf;
  auto getNegInf = [&]() {
    if (negInf.empty())
      negInf = constScalar(elem, -INFINITY, name + "_neg_inf");
    return negInf;
  };
  bool guard = false;
  if (Value mask = op.getMask()) {
    guard = true;
    std::string masked = tmp("masked");
    if (cast<RankedTensorType>(mask.getType()).getElementType().isInteger(1))
      node("Where", {nameOf(mask), s, getNegInf()}, {masked}, name + "_mask");
    else
      node("Add", {s, nameOf(mask)}, {masked}, name + "_mask");
    s = masked;
  }
  if (op.getIsCausal()) {
    guard = true;
    std::string qs = tmp("q_shape"), ks = tmp("k_shape"), sLen = tmp("s_len"),
                tLen = tmp("t_len"), rows = tmp("rows"), rowsU = tmp("rows_u"),
                off = tmp("offset"), lim = tmp("limit"), cols = tmp("cols"),
                colsU = tmp("cols_u"), allowed = tmp("causal"),
                masked = tmp("causal_masked");
    node("Shape", {q}, {qs}, name + "_q_shape");
    node("Shape", {k}, {ks}, name + "_k_shape");
    std::string s1 = slice(qs, 2, 3), t1 = slice(ks, 2, 3);
    node("Squeeze", {s1, constI64({0}, name + "_axes")}, {sLen},
         name + "_squeeze");
    node("Squeeze", {t1, constI64({0}, name + "_axes")}, {tLen},
         name + "_squeeze");
    std::string zero = constI64({0}, name + "_zero", /*scalar=*/true),
                one = constI64({1}, name + "_one", /*scalar=*/true);
    node("Range", {zero, sLen, one}, {rows}, name + "_rows");
    node("Range", {zero, tLen, one}, {cols}, name + "_cols");
    node("Unsqueeze", {rows, constI64({1}, name + "_axes")}, {rowsU},
         name + "_unsqueeze");
    node("Unsqueeze", {cols, constI64({0}, name + "_axes")}, {colsU},
         name + "_unsqueeze");
    node("Sub", {tLen, sLen}, {off}, name + "_offset");
    node("Add", {rowsU, off}, {lim}, name + "_limit");
    node("LessOrEqual", {colsU, lim}, {allowed}, name + "_causal");
    node("Where", {allowed, s, getNegInf()}, {masked}, name + "_causal_mask");
    s = masked;
  }
  std::string probs = tmp("probs");
  attrInt(node("Softmax", {s}, {probs}, name + "_softmax"), "axis", -1);
  if (guard) {
    // Fully masked rows (maximum -inf or the lowest finite value): zeros.
    std::string mx = tmp("row_max"), valid = tmp("row_valid"),
                kept = tmp("probs_kept");
    reduceNode("ReduceMax", s, {-1}, /*keepdims=*/true, mx, name,
               name + "_row_max");
    double lowest =
        APFloat::getLargest(cast<FloatType>(elem).getFloatSemantics(),
                            /*Negative=*/true)
            .convertToDouble();
    node("Greater", {mx, constScalar(elem, lowest, name + "_lowest")}, {valid},
         name + "_row_valid");
    node("Where", {valid, probs, constScalar(elem, 0.0, name + "_zero_f")},
         {kept}, name + "_guard");
    probs = kept;
  }
  node("MatMul", {probs, v}, {define(op.getResult(), name + "_output")}, name);
  return success();
}

LogicalResult OnnxExporter::exportOp(Operation *op) {
  std::string name = locName(op);
  auto in = [&](unsigned i) { return nameOf(op->getOperand(i)); };
  auto result = [&](unsigned i = 0) {
    return define(op->getResult(i), (name.empty() ? std::string("v") : name) +
                                        "_output_" + std::to_string(i));
  };
  StringRef mnemonic = op->getName().stripDialect();
  static const llvm::StringMap<StringRef> simple = {
      {"neg", "Neg"},         {"abs", "Abs"},
      {"sqrt", "Sqrt"},       {"reciprocal", "Reciprocal"},
      {"exp", "Exp"},         {"log", "Log"},
      {"tanh", "Tanh"},       {"erf", "Erf"},
      {"sigmoid", "Sigmoid"}, {"relu", "Relu"},
      {"cos", "Cos"},         {"sin", "Sin"},
      {"floor", "Floor"},     {"ceil", "Ceil"},
      {"not", "Not"},         {"add", "Add"},
      {"sub", "Sub"},         {"mul", "Mul"},
      {"div", "Div"},         {"pow", "Pow"},
      {"min", "Min"},         {"max", "Max"},
      {"and", "And"},         {"or", "Or"},
      {"xor", "Xor"},         {"equal", "Equal"},
      {"less", "Less"},       {"less_equal", "LessOrEqual"},
      {"greater", "Greater"}, {"greater_equal", "GreaterOrEqual"},
      {"where", "Where"},     {"matmul", "MatMul"},
      {"expand", "Expand"},   {"size", "Size"},
      {"range", "Range"}};
  // Predicates, rounding, bitwise ops and Tile: operands map one to one too.
  static const llvm::StringMap<StringRef> simpleMore = {
      {"is_nan", "IsNaN"},
      {"sign", "Sign"},
      {"round", "Round"},
      {"bitwise_and", "BitwiseAnd"},
      {"bitwise_or", "BitwiseOr"},
      {"bitwise_xor", "BitwiseXor"},
      {"bitwise_not", "BitwiseNot"},
      {"tile", "Tile"}};
  // Where of booleans is valid ONNX, but onnxruntime's CPU provider has no
  // kernel for it: (c and x) or (not c and y).
  if (auto w = dyn_cast<nn::WhereOp>(op);
      w && cast<RankedTensorType>(w.getType()).getElementType().isInteger(1)) {
    std::string x = nameOf(w.getLhs()), y = nameOf(w.getRhs());
    std::string c = in(0), base = name.empty() ? "where" : name;
    std::string notC = unique(base + "_not_condition");
    std::string thenV = unique(base + "_then"), elseV = unique(base + "_else");
    node("Not", {c}, {notC}, notC);
    node("And", {c, x}, {thenV}, thenV);
    node("And", {notC, y}, {elseV}, elseV);
    node("Or", {thenV, elseV}, {result()}, name);
    return success();
  }
  if (op->getDialect()->getNamespace() == "nn" &&
      (simple.count(mnemonic) || simpleMore.count(mnemonic))) {
    std::vector<std::string> inputs;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      inputs.push_back(in(i));
    StringRef type = simple.count(mnemonic) ? simple.lookup(mnemonic)
                                            : simpleMore.lookup(mnemonic);
    node(type, inputs, {result()}, name);
    return success();
  }
  if (auto c = dyn_cast<nn::ConstantOp>(op))
    return exportConstant(c);
  if (auto mm = dyn_cast<quant::MatMulNBitsOp>(op))
    return exportMatMulNBits(mm);
  if (auto a = dyn_cast<nn::AttentionOp>(op))
    return exportAttention(a);
  if (auto g = dyn_cast<nn::GemmOp>(op)) {
    std::vector<std::string> inputs{in(0), in(1)};
    if (g.getC())
      inputs.push_back(nameOf(g.getC()));
    auto *n = node("Gemm", inputs, {result()}, name);
    attrFloat(n, "alpha", g.getAlpha().convertToFloat());
    attrFloat(n, "beta", g.getBeta().convertToFloat());
    attrInt(n, "transA", g.getTransA());
    attrInt(n, "transB", g.getTransB());
    return success();
  }
  if (auto r = dyn_cast<nn::ReshapeOp>(op)) {
    auto *n = node("Reshape", {in(0), in(1)}, {result()}, name);
    if (r.getAllowzero())
      attrInt(n, "allowzero", 1);
    return success();
  }
  if (auto t = dyn_cast<nn::TransposeOp>(op)) {
    attrInts(node("Transpose", {in(0)}, {result()}, name), "perm", t.getPerm());
    return success();
  }
  if (auto g = dyn_cast<nn::GatherOp>(op)) {
    attrInt(node("Gather", {in(0), in(1)}, {result()}, name), "axis",
            (int64_t)g.getAxis());
    return success();
  }
  if (auto c = dyn_cast<nn::ConcatOp>(op)) {
    std::vector<std::string> inputs;
    for (Value v : c.getInputs())
      inputs.push_back(nameOf(v));
    attrInt(node("Concat", inputs, {result()}, name), "axis",
            (int64_t)c.getAxis());
    return success();
  }
  if (isa<nn::SliceOp>(op)) {
    node("Slice", {in(0), in(1), in(2), in(3), in(4)}, {result()}, name);
    return success();
  }
  if (auto s = dyn_cast<nn::SplitOp>(op)) {
    std::vector<std::string> outs;
    for (unsigned i = 0; i < op->getNumResults(); ++i)
      outs.push_back(result(i));
    auto *n = node("Split", {in(0), constI64(s.getSizes(), name + "_split")},
                   outs, name);
    attrInt(n, "axis", (int64_t)s.getAxis());
    return success();
  }
  if (auto s = dyn_cast<nn::SqueezeOp>(op)) {
    std::vector<std::string> inputs{in(0)};
    if (!s.getAxes().empty())
      inputs.push_back(constI64(s.getAxes(), name + "_axes"));
    node("Squeeze", inputs, {result()}, name);
    return success();
  }
  if (auto u = dyn_cast<nn::UnsqueezeOp>(op)) {
    node("Unsqueeze", {in(0), constI64(u.getAxes(), name + "_axes")},
         {result()}, name);
    return success();
  }
  if (auto s = dyn_cast<nn::ShapeOp>(op)) {
    auto *n = node("Shape", {in(0)}, {result()}, name);
    if (s.getStart() != 0)
      attrInt(n, "start", (int64_t)s.getStart());
    if (auto e = s.getEnd())
      attrInt(n, "end", (int64_t)*e);
    return success();
  }
  if (auto c = dyn_cast<nn::ConstantOfShapeOp>(op)) {
    auto *n = node("ConstantOfShape", {in(0)}, {result()}, name);
    auto *a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto *t = a->mutable_t();
    auto value = cast<TypedAttr>(c.getValue());
    t->set_data_type(onnxType(value.getType()));
    t->add_dims(1);
    rt::Tensor v = rt::Tensor::empty(*toDType(value.getType()), {1});
    if (auto f = dyn_cast<FloatAttr>(value))
      v.setDouble(0, f.getValueAsDouble());
    else
      v.setInt(0, cast<IntegerAttr>(value).getValue().getSExtValue());
    t->set_raw_data(std::string((const char *)v.raw(), v.nbytes()));
    return success();
  }
  if (auto c = dyn_cast<nn::CastOp>(op)) {
    attrInt(node("Cast", {in(0)}, {result()}, name), "to", onnxType(c.getTo()));
    return success();
  }
  if (auto c = dyn_cast<nn::ClipOp>(op)) {
    Type elem = c.getType().getElementType();
    std::vector<std::string> inputs{in(0)};
    inputs.push_back(
        c.getMin()
            ? constScalar(elem, c.getMin()->convertToDouble(), name + "_min")
            : "");
    if (c.getMax())
      inputs.push_back(
          constScalar(elem, c.getMax()->convertToDouble(), name + "_max"));
    node("Clip", inputs, {result()}, name);
    return success();
  }
  if (auto r = dyn_cast<nn::ReduceSumOp>(op)) {
    std::vector<std::string> inputs{in(0)};
    if (!r.getAxes().empty())
      inputs.push_back(constI64(r.getAxes(), name + "_axes"));
    attrInt(node("ReduceSum", inputs, {result()}, name), "keepdims",
            r.getKeepdims());
    return success();
  }
  auto reduceAttr = [&](StringRef type, ArrayRef<int64_t> axes, bool keep) {
    reduceNode(type, in(0), axes, keep, result(), name, name);
    return success();
  };
  if (auto r = dyn_cast<nn::ReduceMeanOp>(op))
    return reduceAttr("ReduceMean", r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<nn::ReduceMaxOp>(op))
    return reduceAttr("ReduceMax", r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<nn::ReduceMinOp>(op))
    return reduceAttr("ReduceMin", r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<nn::ReduceProdOp>(op))
    return reduceAttr("ReduceProd", r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<nn::ReduceL2Op>(op))
    return reduceAttr("ReduceL2", r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<nn::ReduceLogSumExpOp>(op))
    return reduceAttr("ReduceLogSumExp", r.getAxes(), r.getKeepdims());
  if (auto s = dyn_cast<nn::SoftmaxOp>(op)) {
    attrInt(node("Softmax", {in(0)}, {result()}, name), "axis",
            (int64_t)s.getAxis());
    return success();
  }
  if (auto l = dyn_cast<nn::LayerNormOp>(op)) {
    std::vector<std::string> inputs{in(0), in(1)};
    if (l.getBias())
      inputs.push_back(nameOf(l.getBias()));
    auto *n = node("LayerNormalization", inputs, {result()}, name);
    attrInt(n, "axis", (int64_t)l.getAxis());
    attrFloat(n, "epsilon", l.getEpsilon().convertToFloat());
    return success();
  }
  if (auto r = dyn_cast<nn::RMSNormOp>(op)) {
    // x / sqrt(mean(x * x over axis..) + eps) * scale
    auto type = cast<RankedTensorType>(r.getInput().getType());
    int64_t axis = *nn::normalizeAxis((int64_t)r.getAxis(), type.getRank());
    SmallVector<int64_t> axes;
    for (int64_t a = axis; a < type.getRank(); ++a)
      axes.push_back(a);
    std::string sq = unique(name + "_sq"), mean = unique(name + "_mean"),
                eps = unique(name + "_eps"), root = unique(name + "_rms"),
                normed = unique(name + "_normed");
    node("Mul", {in(0), in(0)}, {sq}, name + "_square");
    reduceNode("ReduceMean", sq, axes, /*keepdims=*/true, mean, name,
               name + "_reduce");
    node(
        "Add",
        {mean, constScalar(type.getElementType(),
                           r.getEpsilon().convertToFloat(), name + "_epsilon")},
        {eps}, name + "_add_eps");
    node("Sqrt", {eps}, {root}, name + "_sqrt");
    node("Div", {in(0), root}, {normed}, name + "_div");
    node("Mul", {normed, in(1)}, {result()}, name);
    return success();
  }
  if (auto g = dyn_cast<nn::GeluOp>(op)) {
    Type elem = g.getType().getElementType();
    std::string x = in(0), inner = unique(name + "_inner"),
                act = unique(name + "_act"), onep = unique(name + "_onep"),
                half = unique(name + "_half");
    if (g.getApproximate() == "tanh") {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      std::string x3 = unique(name + "_x3"), t = unique(name + "_t"),
                  sx = unique(name + "_sx"), x2 = unique(name + "_x2");
      node("Mul", {x, x}, {x2}, name + "_mul0");
      node("Mul", {x2, x}, {x3}, name + "_mul1");
      node("Mul", {x3, constScalar(elem, 0.044715, name + "_c")}, {t},
           name + "_mul2");
      node("Add", {x, t}, {sx}, name + "_add0");
      node("Mul", {sx, constScalar(elem, std::sqrt(2.0 / M_PI), name + "_k")},
           {inner}, name + "_mul3");
      node("Tanh", {inner}, {act}, name + "_tanh");
    } else {
      // 0.5 x (1 + erf(x / sqrt(2)))
      node("Mul", {x, constScalar(elem, 1.0 / std::sqrt(2.0), name + "_k")},
           {inner}, name + "_scale");
      node("Erf", {inner}, {act}, name + "_erf");
    }
    node("Add", {act, constScalar(elem, 1.0, name + "_one")}, {onep},
         name + "_add1");
    node("Mul", {x, onep}, {half}, name + "_mul4");
    node("Mul", {half, constScalar(elem, 0.5, name + "_half_c")}, {result()},
         name);
    return success();
  }
  if (auto t = dyn_cast<nn::TriluOp>(op)) {
    auto *n = node("Trilu",
                   {in(0), constI64({(int64_t)t.getK()}, name + "_k",
                                    /*scalar=*/true)},
                   {result()}, name);
    attrInt(n, "upper", t.getUpper());
    return success();
  }
  if (auto c = dyn_cast<nn::CumSumOp>(op)) {
    auto *n = node("CumSum",
                   {in(0), constI64({(int64_t)c.getAxis()}, name + "_axis",
                                    /*scalar=*/true)},
                   {result()}, name);
    attrInt(n, "exclusive", c.getExclusive());
    attrInt(n, "reverse", c.getReverse());
    return success();
  }
  if (auto s = dyn_cast<nn::ScatterNDOp>(op)) {
    auto *n = node("ScatterND", {in(0), in(1), in(2)}, {result()}, name);
    if (s.getReduction() != "none")
      attrString(n, "reduction", s.getReduction());
    return success();
  }
  if (auto r = dyn_cast<nn::RotaryEmbeddingOp>(op)) {
    auto *n = node("RotaryEmbedding", {in(0), in(1), in(2), in(3)}, {result()},
                   name, "com.microsoft");
    attrInt(n, "interleaved", r.getInterleaved());
    attrInt(n, "num_heads", (int64_t)r.getNumHeads());
    attrInt(n, "rotary_embedding_dim", (int64_t)r.getRotaryEmbeddingDim());
    attrFloat(n, "scale", r.getScale().convertToFloat());
    return success();
  }
  if (auto i = dyn_cast<nn::IsInfOp>(op)) {
    auto *n = node("IsInf", {in(0)}, {result()}, name);
    attrInt(n, "detect_positive", i.getDetectPositive());
    attrInt(n, "detect_negative", i.getDetectNegative());
    return success();
  }
  if (auto m = dyn_cast<nn::ModOp>(op)) {
    attrInt(node("Mod", {in(0), in(1)}, {result()}, name), "fmod", m.getFmod());
    return success();
  }
  if (auto g = dyn_cast<nn::GatherNDOp>(op)) {
    attrInt(node("GatherND", {in(0), in(1)}, {result()}, name), "batch_dims",
            (int64_t)g.getBatchDims());
    return success();
  }
  if (auto g = dyn_cast<nn::GatherElementsOp>(op)) {
    attrInt(node("GatherElements", {in(0), in(1)}, {result()}, name), "axis",
            (int64_t)g.getAxis());
    return success();
  }
  if (auto s = dyn_cast<nn::ScatterElementsOp>(op)) {
    auto *n = node("ScatterElements", {in(0), in(1), in(2)}, {result()}, name);
    attrInt(n, "axis", (int64_t)s.getAxis());
    if (s.getReduction() != "none")
      attrString(n, "reduction", s.getReduction());
    return success();
  }
  auto argOp = [&](StringRef type, int64_t axis, bool keep, bool last) {
    auto *n = node(type, {in(0)}, {result()}, name);
    attrInt(n, "axis", axis);
    attrInt(n, "keepdims", keep);
    attrInt(n, "select_last_index", last);
    return success();
  };
  if (auto a = dyn_cast<nn::ArgMaxOp>(op))
    return argOp("ArgMax", a.getAxis(), a.getKeepdims(),
                 a.getSelectLastIndex());
  if (auto a = dyn_cast<nn::ArgMinOp>(op))
    return argOp("ArgMin", a.getAxis(), a.getKeepdims(),
                 a.getSelectLastIndex());
  return op->emitOpError("cannot be exported to ONNX");
}

LogicalResult OnnxExporter::run(StringRef path,
                                const OnnxExportOptions &options) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return emitError(UnknownLoc::get(module.getContext()))
           << "no function @main to export";
  model.set_ir_version(8);
  model.set_producer_name("gptq-mlir");
  model.set_producer_version("0.1");
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opsetVersion = requiredOpset(fn);
  opset->set_version(opsetVersion);
  auto *ms = model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  graph = model.mutable_graph();
  graph->set_name("main");

  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  std::vector<std::string> outNames;
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    std::string n = "output" + std::to_string(i);
    if (auto s =
            fn.getResultAttrOfType<StringAttr>(i, nn::NNDialect::kNameAttr))
      n = s.str();
    outNames.push_back(n);
    if (!outputNames.count(v) && !isa<BlockArgument>(v) &&
        !v.getDefiningOp<nn::ConstantOp>())
      outputNames[v] = n;
  }
  for (BlockArgument arg : body.getArguments()) {
    std::string n = "input" + std::to_string(arg.getArgNumber());
    if (auto s = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                 nn::NNDialect::kNameAttr))
      n = s.str();
    used.insert(n);
    names[arg] = n;
    setValueInfo(graph->add_input(), n, arg.getType(),
                 fn.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(),
                                                nn::NNDialect::kDimNamesAttr));
  }
  for (auto &[v, n] : outputNames)
    if (!used.count(n))
      reserved.insert(n); // define() hands them to their values
  for (Operation &op : body.without_terminator())
    if (failed(exportOp(&op)))
      return failure();
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (nameOf(v) != outNames[i]) {
      std::string n = outNames[i];
      reserved.erase(n);
      if (used.count(n))
        n = unique(n);
      else
        used.insert(n);
      node("Identity", {nameOf(v)}, {n}, "output_" + std::to_string(i));
      outNames[i] = n;
    }
    setValueInfo(
        graph->add_output(), outNames[i], v.getType(),
        fn.getResultAttrOfType<ArrayAttr>(i, nn::NNDialect::kDimNamesAttr));
  }

  // External data for large initializers.
  int64_t total = 0;
  for (const auto &t : graph->initializer())
    total += t.raw_data().size();
  bool external = options.externalData || total > (int64_t)1536 << 20;
  std::string dataName = llvm::sys::path::filename(path).str() + ".data";
  SmallString<256> dataPath(path);
  llvm::sys::path::remove_filename(dataPath);
  llvm::sys::path::append(dataPath, dataName);
  if (external) {
    std::string data;
    for (auto &t : *graph->mutable_initializer()) {
      if ((int64_t)t.raw_data().size() < options.externalThreshold)
        continue;
      while (data.size() % 64)
        data.push_back('\0');
      int64_t offset = data.size();
      data += t.raw_data();
      t.clear_raw_data();
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      for (auto [k, v] :
           {std::pair<std::string, std::string>{"location", dataName},
            {"offset", std::to_string(offset)},
            {"length", std::to_string(data.size() - offset)}}) {
        auto *e = t.add_external_data();
        e->set_key(k);
        e->set_value(v);
      }
    }
    if (llvm::Error err = llvm::writeToOutput(
            dataPath, [&](llvm::raw_ostream &os) -> llvm::Error {
              os << data;
              return llvm::Error::success();
            }))
      return emitError(UnknownLoc::get(module.getContext()))
             << "cannot write '" << dataPath
             << "': " << llvm::toString(std::move(err));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    if (external)
      llvm::sys::fs::remove(dataPath);
    return emitError(UnknownLoc::get(module.getContext()))
           << "the ONNX model is too large to serialize; use external data";
  }
  if (llvm::Error err =
          llvm::writeToOutput(path, [&](llvm::raw_ostream &os) -> llvm::Error {
            os << bytes;
            return llvm::Error::success();
          })) {
    if (external)
      llvm::sys::fs::remove(dataPath);
    return emitError(UnknownLoc::get(module.getContext()))
           << "cannot write '" << path
           << "': " << llvm::toString(std::move(err));
  }
  return success();
}

LogicalResult gptq::exportOnnx(ModuleOp module, StringRef path,
                               const OnnxExportOptions &options) {
  OnnxExporter exporter(module);
  return exporter.run(path, options);
}
