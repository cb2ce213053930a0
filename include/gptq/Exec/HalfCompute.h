//===- HalfCompute.h - run f16/bf16 plans in f32 ----------------*- C++ -*-===//
//
// The CPU kernels compute in f32; an f16/bf16 plan makes every kernel convert
// its operands up and its result back down (rounding after each op, and
// converting weights on every call). Rewriting the plan to compute in f32
// instead gives PyTorch's behaviour for the values fp16 cannot hold
// (finfo(fp16).min + score stays finite before the softmax) and removes the
// per-op conversions:
//
//   F32       f16/bf16 constants are converted to f32 once, when the plan is
//             built; every f16/bf16 value (step results, casts to f16/bf16,
//             constant_of_shape) becomes f32. Graph inputs and outputs keep
//             their declared type at the boundary (ModelRunner converts).
//   F32PerUse as F32, but constants stay f16/bf16 in memory and a cast to
//             f32 is inserted before each use (half the weight memory, a
//             conversion per use).
//   Native    the plan as the IR declares it (f16/bf16 results rounded after
//             every op).
//
// bench/lm/half_compute.sh measures the three on fp32/fp16 twins.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_EXEC_HALFCOMPUTE_H
#define GPTQ_EXEC_HALFCOMPUTE_H

#include "runtime/Plan.h"

#include <optional>
#include <string>
#include <vector>

namespace gptq {

struct PlanMapping;

enum class HalfCompute { F32, F32PerUse, Native };

/// "f32", "f32-per-use", "native"; parse returns nullopt for other names.
const char *halfComputeName(HalfCompute mode);
std::optional<HalfCompute> parseHalfCompute(const std::string &name);

/// Whether the plan holds f16/bf16 values (inputs, outputs, constants or
/// step results).
bool planHasHalf(const rt::Plan &plan);

/// Rewrites `plan` to compute f16/bf16 values in f32 (mode F32 or
/// F32PerUse; Native leaves it as it is). IO specs become f32; their
/// declared dtypes are the ones before the call. `mapping` (step -> op) is
/// kept in step with inserted cast steps (null ops).
void computeHalfInF32(rt::Plan &plan, HalfCompute mode,
                      PlanMapping *mapping = nullptr);

/// f16/bf16 <-> f32 conversion of a tensor (other dtypes: returned as is).
rt::Tensor convertFloatTensor(const rt::Tensor &t, rt::DType to);

} // namespace gptq

#endif // GPTQ_EXEC_HALFCOMPUTE_H
