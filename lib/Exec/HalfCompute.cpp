//===- HalfCompute.cpp - run f16/bf16 plans in f32 ------------------------===//

#include "gptq/Exec/HalfCompute.h"
#include "gptq/Exec/PlanBuilder.h"

#include "runtime/core/Parallel.h"

#include <map>

using namespace gptq;
namespace rt = gptq::rt;

const char *gptq::halfComputeName(HalfCompute mode) {
  switch (mode) {
  case HalfCompute::F32:
    return "f32";
  case HalfCompute::F32PerUse:
    return "f32-per-use";
  case HalfCompute::Native:
    return "native";
  }
  return "?";
}

std::optional<HalfCompute> gptq::parseHalfCompute(const std::string &name) {
  for (HalfCompute m :
       {HalfCompute::F32, HalfCompute::F32PerUse, HalfCompute::Native})
    if (name == halfComputeName(m))
      return m;
  return std::nullopt;
}

static bool isHalf(rt::DType t) {
  return t == rt::DType::F16 || t == rt::DType::BF16;
}

bool gptq::planHasHalf(const rt::Plan &plan) {
  for (const rt::IOSpec &s : plan.inputs)
    if (isHalf(s.dtype))
      return true;
  for (const rt::IOSpec &s : plan.outputs)
    if (isHalf(s.dtype))
      return true;
  for (const auto &[id, t] : plan.constants)
    if (isHalf(t.dtype()))
      return true;
  for (const rt::Step &s : plan.steps)
    for (rt::DType t : s.outputDTypes)
      if (isHalf(t))
        return true;
  return false;
}

rt::Tensor gptq::convertFloatTensor(const rt::Tensor &t, rt::DType to) {
  if (t.dtype() == to)
    return t;
  rt::Tensor out = rt::Tensor::empty(to, t.shape());
  const int64_t n = t.numel();
  const rt::DType from = t.dtype();
  auto chunk = [&](int64_t b, int64_t e) {
    if (to == rt::DType::F32) {
      float *o = out.data<float>();
      const uint16_t *s = t.data<uint16_t>();
      if (from == rt::DType::F16)
        for (int64_t i = b; i < e; ++i)
          o[i] = rt::halfToFloat(s[i]);
      else if (from == rt::DType::BF16)
        for (int64_t i = b; i < e; ++i)
          o[i] = rt::bf16ToFloat(s[i]);
      else
        for (int64_t i = b; i < e; ++i)
          o[i] = (float)t.getDouble(i);
    } else if (from == rt::DType::F32 && to == rt::DType::F16) {
      uint16_t *o = out.data<uint16_t>();
      const float *s = t.data<float>();
      for (int64_t i = b; i < e; ++i)
        o[i] = rt::floatToHalf(s[i]);
    } else if (from == rt::DType::F32 && to == rt::DType::BF16) {
      uint16_t *o = out.data<uint16_t>();
      const float *s = t.data<float>();
      for (int64_t i = b; i < e; ++i)
        o[i] = rt::floatToBf16(s[i]);
    } else {
      for (int64_t i = b; i < e; ++i)
        out.setDouble(i, t.getDouble(i));
    }
  };
  rt::parallelFor(n, 1 << 16, chunk);
  return out;
}

void gptq::computeHalfInF32(rt::Plan &plan, HalfCompute mode,
                            PlanMapping *mapping) {
  if (mode == HalfCompute::Native || !planHasHalf(plan))
    return;
  for (rt::IOSpec &s : plan.inputs)
    if (isHalf(s.dtype))
      s.dtype = rt::DType::F32;
  for (rt::IOSpec &s : plan.outputs)
    if (isHalf(s.dtype))
      s.dtype = rt::DType::F32;
  for (rt::Step &s : plan.steps)
    for (rt::DType &t : s.outputDTypes)
      if (isHalf(t))
        t = rt::DType::F32;

  if (mode == HalfCompute::F32) {
    for (auto &[id, t] : plan.constants)
      if (isHalf(t.dtype()))
        t = convertFloatTensor(t, rt::DType::F32);
    return;
  }

  // F32PerUse: a cast step before every step that reads a half constant;
  // its result dies after that step (computeReleases).
  std::vector<rt::Step> steps;
  std::vector<mlir::Operation *> ops;
  steps.reserve(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    rt::Step &step = plan.steps[i];
    std::map<int, int> castOf; // constant -> f32 value, within this step
    for (int &v : step.inputs) {
      auto it = plan.constants.find(v);
      if (v < 0 || it == plan.constants.end() || !isHalf(it->second.dtype()))
        continue;
      auto done = castOf.find(v);
      if (done != castOf.end()) {
        v = done->second;
        continue;
      }
      rt::Step cast;
      cast.kind = rt::OpKind::Cast;
      cast.name = step.name + "/upcast";
      cast.inputs = {v};
      int id = plan.numValues++;
      cast.outputs = {id};
      cast.outputDTypes = {rt::DType::F32};
      steps.push_back(std::move(cast));
      if (mapping)
        ops.push_back(nullptr);
      castOf[v] = id;
      v = id;
    }
    steps.push_back(std::move(step));
    if (mapping)
      ops.push_back(i < mapping->stepOps.size() ? mapping->stepOps[i]
                                                : nullptr);
  }
  plan.steps = std::move(steps);
  if (mapping)
    mapping->stepOps = std::move(ops);
  // A graph output that is a half constant itself.
  for (rt::IOSpec &s : plan.outputs) {
    auto it = plan.constants.find(s.value);
    if (it != plan.constants.end() && isHalf(it->second.dtype()))
      it->second = convertFloatTensor(it->second, rt::DType::F32);
  }
  plan.computeReleases();
}
