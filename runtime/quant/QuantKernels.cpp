//===- QuantKernels.cpp - gptq.matmul_nbits and gptq.dequantize -----------===//
//
// Kernel adapters over QuantMatMul.h. Operands (Plan.h, PlanBuilder):
//   gptq.matmul_nbits  input [..., K] (f32/f16/bf16), qweight i32
//                      [ceil(K*bits/32), N], scales [G, N] (f32/f16/bf16),
//                      qzeros i32 [G, ceil(N*bits/32)], g_idx i32 [K]
//                      (optional), bias [N] (optional)
//                      -> input dtype, shape input[:-1] + [N]
//   gptq.dequantize    qweight, scales, qzeros, g_idx (optional)
//                      -> [K, N] in the scales' dtype
//   gptq.fused_matmul_nbits, gptq.launch
//                      the operands of matmul_nbits (g_idx and bias -1 when
//                      absent), then the epilogue operands (each of the
//                      result's shape); attribute "epilogue" lists the steps
//                      ("silu,mul"; see GPTQOps.td)
// Attributes: bits, group_size (required), in_features (K, when present the
// input's last dimension must equal it), sym, desc_act (informational:
// zeros are always read from qzeros, groups from g_idx when present, else
// k / group_size), layout ("gptq" when absent, or "gpu": qweight is then
// converted back per call with repackFromGpu, see Repack.h). K of
// gptq.dequantize cannot be recovered from qweight alone (ceil(K*bits/32)
// rows), so its step carries the attribute "k" (the output's dimension 0),
// which is required.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Kernel.h"
#include "runtime/quant/Packing.h"
#include "runtime/quant/QuantMatMul.h"
#include "runtime/quant/Repack.h"

#include <cmath>
#include <sstream>
#include <vector>

namespace gptq::rt {
namespace {

bool isFloatStorage(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

/// Converts a float tensor's elements to fp32 (no copy for F32).
const float *asFloat(const Tensor &t, std::vector<float> &buf) {
  if (t.dtype() == DType::F32)
    return t.data<float>();
  const int64_t n = t.numel();
  buf.resize(static_cast<size_t>(n));
  const uint16_t *src = t.data<uint16_t>();
  if (t.dtype() == DType::F16)
    for (int64_t i = 0; i < n; ++i)
      buf[i] = halfToFloat(src[i]);
  else
    for (int64_t i = 0; i < n; ++i)
      buf[i] = bf16ToFloat(src[i]);
  return buf.data();
}

void storeFloats(const float *src, int64_t n, Tensor &dst) {
  uint16_t *o = dst.data<uint16_t>();
  if (dst.dtype() == DType::F16)
    for (int64_t i = 0; i < n; ++i)
      o[i] = floatToHalf(src[i]);
  else
    for (int64_t i = 0; i < n; ++i)
      o[i] = floatToBf16(src[i]);
}

/// Checks qweight/scales/qzeros/g_idx against K and the attributes; fills
/// the weight part of `a`.
Status checkWeight(const Step &step, const Tensor *qweight,
                   const Tensor *scales, const Tensor *qzeros,
                   const Tensor *gIdx, int64_t k, quant::MatMulNBitsArgs &a,
                   std::vector<int32_t> &qweightBuf) {
  const std::string pre = stepPrefix(step);
  if (!qweight || !scales || !qzeros)
    return errorf(pre, "qweight, scales and qzeros are required");
  if (!step.attrs.has("bits") || !step.attrs.has("group_size"))
    return errorf(pre, "missing attribute 'bits' or 'group_size'");
  const int64_t bits = step.attrs.getInt("bits", 0);
  const int64_t gs = step.attrs.getInt("group_size", -1);
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return errorf(pre, "bits must be 2, 3, 4 or 8 (got ", bits, ")");
  if (gs != -1 && gs <= 0)
    return errorf(pre, "group_size must be -1 or positive (got ", gs, ")");
  if (qweight->dtype() != DType::I32 || qweight->rank() != 2)
    return errorf(pre, "qweight must be a 2-D i32 tensor (got ",
                  qweight->describe(), ")");
  const int64_t n = qweight->dim(1);
  const int64_t rows = quant::packedRows(k, int(bits));
  if (qweight->dim(0) != rows)
    return errorf(pre, "qweight has ", qweight->dim(0), " rows, expected ",
                  rows, " for K = ", k, " at ", bits, " bits");
  const int64_t groups = quant::numGroups(k, gs);
  if (!isFloatStorage(scales->dtype()) || scales->rank() != 2 ||
      scales->dim(0) != groups || scales->dim(1) != n)
    return errorf(pre, "scales must be f32/f16/bf16 [", groups, ", ", n,
                  "] (got ", scales->describe(), ")");
  const int64_t zcols = quant::packedZeroCols(n, int(bits));
  if (qzeros->dtype() != DType::I32 || qzeros->rank() != 2 ||
      qzeros->dim(0) != groups || qzeros->dim(1) != zcols)
    return errorf(pre, "qzeros must be i32 [", groups, ", ", zcols,
                  "] (got ", qzeros->describe(), ")");
  if (gIdx && (gIdx->dtype() != DType::I32 || gIdx->rank() != 1 ||
               gIdx->dim(0) != k))
    return errorf(pre, "g_idx must be i32 [", k, "] (got ", gIdx->describe(),
                  ")");
  a.k = k;
  a.n = n;
  a.bits = int(bits);
  a.groupSize = gs;
  a.groups = groups;
  a.qweight = qweight->data<int32_t>();
  const std::string layout = step.attrs.getString("layout", "gptq");
  if (layout == "gpu") {
    qweightBuf.resize(static_cast<size_t>(rows * n));
    Status st = quant::repackFromGpu(a.qweight, k, n, int(bits),
                                     gIdx ? gIdx->data<int32_t>() : nullptr,
                                     qweightBuf.data());
    if (!st)
      return errorf(pre, st.message());
    a.qweight = qweightBuf.data();
  } else if (layout != "gptq") {
    return errorf(pre, "unknown weight layout '", layout, "'");
  }
  a.scales = scales->raw();
  a.scalesType = scales->dtype();
  a.qzeros = qzeros->data<int32_t>();
  a.gIdx = gIdx ? gIdx->data<int32_t>() : nullptr;
  return Status::ok();
}

const Tensor *operand(const KernelArgs &args, size_t i) {
  return i < args.inputs.size() ? args.inputs[i] : nullptr;
}

} // namespace

namespace {

enum class EpiStep { Relu, Silu, Add, Mul };

Status parseEpilogue(const Step &step, std::vector<EpiStep> &steps,
                     size_t &binary) {
  steps.clear();
  binary = 0;
  std::stringstream ss(step.attrs.getString("epilogue", ""));
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty())
      continue;
    if (item == "relu")
      steps.push_back(EpiStep::Relu);
    else if (item == "silu")
      steps.push_back(EpiStep::Silu);
    else if (item == "add")
      steps.push_back(EpiStep::Add), ++binary;
    else if (item == "mul")
      steps.push_back(EpiStep::Mul), ++binary;
    else
      return errorf(stepPrefix(step), "unknown epilogue step '", item, "'");
  }
  return Status::ok();
}

/// The same formula as nn.sigmoid's CPU kernel, so that a fused SiLU gives
/// the bits of the unfused ops.
inline float sigmoidRef(float v) {
  if (v >= 0.0f)
    return 1.0f / (1.0f + std::exp(-v));
  float e = std::exp(v);
  return e / (1.0f + e);
}

/// matmul_nbits, fused_matmul_nbits and launch: the matmul (+ bias) in
/// fp32, then the epilogue steps, then one conversion to the output type.
Status runQuantMatMul(const KernelArgs &args, bool fused) {
  const Step &step = args.step;
  const std::string pre = stepPrefix(step);
  if (!fused && (args.inputs.size() < 4 || args.inputs.size() > 6))
    return errorf(pre, "expected 4 to 6 operands, got ", args.inputs.size());
  std::vector<EpiStep> epi;
  size_t binary = 0;
  if (fused) {
    GPTQ_RT_TRY(parseEpilogue(step, epi, binary));
    if (args.inputs.size() != 6 + binary)
      return errorf(pre, "expected ", 6 + binary, " operands (", binary,
                    " for the epilogue), got ", args.inputs.size());
  }
  if (args.outputs.size() != 1)
    return errorf(pre, "expected one result, got ", args.outputs.size());
  const Tensor *input = operand(args, 0);
  const Tensor *bias = operand(args, 5);
  if (!input)
    return errorf(pre, "input is required");
  if (!isFloatStorage(input->dtype()) || input->rank() < 1)
    return errorf(pre, "input must be an f32/f16/bf16 tensor of rank >= 1 (got ",
                  input->describe(), ")");
  const int64_t k = input->dim(-1);
  // K is the weight's (gptq.matmul_nbits' in_features): a model with dynamic
  // shapes meets the input's actual last dimension only here.
  if (step.attrs.has("in_features") &&
      step.attrs.getInt("in_features", -1) != k)
    return errorf(pre, "input ", input->describe(), " has K = ", k,
                  " (last dimension) but the weight has K = ",
                  step.attrs.getInt("in_features", -1), " (in_features)");
  quant::MatMulNBitsArgs a;
  std::vector<int32_t> qweightBuf;
  GPTQ_RT_TRY(checkWeight(step, operand(args, 1), operand(args, 2),
                          operand(args, 3), operand(args, 4), k, a,
                          qweightBuf));
  if (bias && (!isFloatStorage(bias->dtype()) || bias->rank() != 1 ||
               bias->dim(0) != a.n))
    return errorf(pre, "bias must be f32/f16/bf16 [", a.n, "] (got ",
                  bias->describe(), ")");
  Shape outShape(input->shape().begin(), input->shape().end() - 1);
  int64_t m = 1;
  for (int64_t d : outShape)
    m *= d;
  outShape.push_back(a.n);
  for (size_t i = 0; i < binary; ++i) {
    const Tensor *e = operand(args, 6 + i);
    if (!e || !isFloatStorage(e->dtype()) || e->shape() != outShape)
      return errorf(pre, "epilogue operand ", i, " must be a float tensor of "
                    "the result's shape ", shapeToString(outShape), " (got ",
                    e ? e->describe() : std::string("none"), ")");
  }
  Tensor out = Tensor::empty(input->dtype(), outShape);
  std::vector<float> xBuf, biasBuf, outBuf, eBuf;
  a.m = m;
  a.x = asFloat(*input, xBuf);
  a.bias = bias ? asFloat(*bias, biasBuf) : nullptr;
  float *o = out.dtype() == DType::F32 ? out.data<float>()
                                       : (outBuf.resize(static_cast<size_t>(m * a.n)),
                                          outBuf.data());
  Status st = quant::matMulNBits(a, o);
  if (!st)
    return errorf(pre, st.message());
  const int64_t total = m * a.n;
  size_t next = 6;
  for (EpiStep s : epi) {
    switch (s) {
    case EpiStep::Relu:
      for (int64_t i = 0; i < total; ++i)
        o[i] = o[i] < 0.0f ? 0.0f : o[i];
      break;
    case EpiStep::Silu:
      for (int64_t i = 0; i < total; ++i)
        o[i] = o[i] * sigmoidRef(o[i]);
      break;
    case EpiStep::Add:
    case EpiStep::Mul: {
      const float *e = asFloat(*operand(args, next++), eBuf);
      if (s == EpiStep::Add)
        for (int64_t i = 0; i < total; ++i)
          o[i] = o[i] + e[i];
      else
        for (int64_t i = 0; i < total; ++i)
          o[i] = o[i] * e[i];
      break;
    }
    }
  }
  if (out.dtype() != DType::F32)
    storeFloats(o, total, out);
  args.outputs[0] = std::move(out);
  return Status::ok();
}

} // namespace

Status kernelMatMulNBits(const KernelArgs &args) {
  return runQuantMatMul(args, /*fused=*/false);
}

Status kernelFusedMatMulNBits(const KernelArgs &args) {
  return runQuantMatMul(args, /*fused=*/true);
}

Status kernelDequantize(const KernelArgs &args) {
  const Step &step = args.step;
  const std::string pre = stepPrefix(step);
  if (args.inputs.size() < 3 || args.inputs.size() > 4)
    return errorf(pre, "expected 3 or 4 operands, got ", args.inputs.size());
  if (args.outputs.size() != 1)
    return errorf(pre, "expected one result, got ", args.outputs.size());
  if (!step.attrs.has("k"))
    return errorf(pre, "missing attribute 'k' (rows of the dequantized weight)");
  const int64_t k = step.attrs.getInt("k", -1);
  if (k < 0)
    return errorf(pre, "attribute 'k' must be non-negative (got ", k, ")");
  quant::MatMulNBitsArgs a;
  std::vector<int32_t> qweightBuf;
  GPTQ_RT_TRY(checkWeight(step, operand(args, 0), operand(args, 1),
                          operand(args, 2), operand(args, 3), k, a,
                          qweightBuf));
  const DType dtype = operand(args, 1)->dtype();
  Tensor out = Tensor::empty(dtype, {k, a.n});
  std::vector<float> outBuf;
  float *o = dtype == DType::F32 ? out.data<float>()
                                 : (outBuf.resize(static_cast<size_t>(k * a.n)), outBuf.data());
  Status st = quant::dequantizeNBits(a, o);
  if (!st)
    return errorf(pre, st.message());
  if (dtype != DType::F32)
    storeFloats(o, k * a.n, out);
  args.outputs[0] = std::move(out);
  return Status::ok();
}

} // namespace gptq::rt
