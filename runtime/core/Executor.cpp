//===- Executor.cpp - run a plan on the CPU ---------------------*- C++ -*-===//

#include "runtime/Executor.h"
#include "runtime/core/Convert.h"
#include "runtime/core/Parallel.h"
#include "runtime/kernels/Kernel.h"

#include <algorithm>
#include <atomic>
#include <cblas.h>
#include <chrono>
#include <cmath>

namespace gptq::rt {

namespace {

/// The value table of one lane, and scratch reused from step to step.
struct Lane {
  std::vector<Tensor> values;
  std::vector<const Tensor *> inputs;
  std::vector<Tensor> outputs;
};

std::string specString(const IOSpec &spec) {
  std::string s = std::string(dtypeName(spec.dtype)) + "[";
  for (size_t i = 0; i < spec.shape.size(); ++i) {
    if (i)
      s += ", ";
    if (spec.shape[i] >= 0)
      s += std::to_string(spec.shape[i]);
    else if (i < spec.dimNames.size() && !spec.dimNames[i].empty())
      s += spec.dimNames[i];
    else
      s += "?";
  }
  return s + "]";
}

/// Whether a float tensor holds NaN and infinities.
struct NonFinite {
  bool nan = false, inf = false;
  bool any() const { return nan || inf; }
};

/// From the bit patterns (vectorized, in parallel): with the sign masked
/// off, a value is Inf when it equals the exponent mask and NaN above it.
template <typename U>
NonFinite scanBits(const void *data, int64_t n, U expMask, U absMask) {
  const U *p = static_cast<const U *>(data);
  std::atomic<bool> nan{false}, inf{false};
  parallelFor(n, 1 << 16, [&](int64_t b, int64_t e) {
    U anyNan = 0, anyInf = 0;
    for (int64_t i = b; i < e; ++i) {
      U v = p[i] & absMask;
      anyNan |= U(v > expMask);
      anyInf |= U(v == expMask);
    }
    if (anyNan)
      nan = true;
    if (anyInf)
      inf = true;
  });
  return {nan.load(), inf.load()};
}

NonFinite scanNonFinite(const Tensor &t) {
  switch (t.dtype()) {
  case DType::F32:
    return scanBits<uint32_t>(t.raw(), t.numel(), 0x7f800000u, 0x7fffffffu);
  case DType::F64:
    return scanBits<uint64_t>(t.raw(), t.numel(), 0x7ff0000000000000ull,
                              0x7fffffffffffffffull);
  case DType::F16:
    return scanBits<uint16_t>(t.raw(), t.numel(), 0x7c00, 0x7fff);
  case DType::BF16:
    return scanBits<uint16_t>(t.raw(), t.numel(), 0x7f80, 0x7fff);
  default:
    return {};
  }
}

/// Index of the first NaN (or, with `nan` false, infinity) of a float
/// tensor; -1 if none. For messages only.
int64_t firstNonFinite(const Tensor &t, bool nan) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.getDouble(i);
    if (nan ? std::isnan(v) : std::isinf(v))
      return i;
  }
  return -1;
}

} // namespace

struct Executor::Impl {
  ExecOptions options;
  Status planStatus;
  std::vector<Tensor> constants; // by value id; undefined for non-constants
  std::vector<uint8_t> isConst;
  std::vector<KernelFn> kernels; // by step
  std::vector<std::pair<StepFilter, Hook>> hooks;
  mutable std::vector<double> stepSeconds; // by step, with options.profile

  Status bind(const Plan &plan, const NamedTensors &feeds, Lane &lane) const;
  Status gather(const Step &step, Lane &lane) const;
  Status callHooks(const Step &step, size_t index, Lane &lane, int laneId);
  Status execute(const Step &step, size_t index, Lane &lane) const;
  Status collect(const Plan &plan, Lane &lane, NamedTensors &outputs) const;
};

Executor::Executor(std::shared_ptr<const Plan> plan, ExecOptions options)
    : plan_(std::move(plan)), impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (!plan_) {
    impl_->planStatus = Status::error("executor: no plan");
    return;
  }
  impl_->planStatus = plan_->validate();
  if (impl_->planStatus.isOk()) {
    impl_->constants.resize(plan_->numValues);
    impl_->isConst.assign(plan_->numValues, 0);
    for (const auto &[id, t] : plan_->constants) {
      impl_->constants[id] = t;
      impl_->isConst[id] = 1;
    }
    for (const Step &s : plan_->steps)
      impl_->kernels.push_back(kernelFor(s.kind));
    impl_->stepSeconds.assign(plan_->steps.size(), 0.0);
  }
  if (options.numThreads > 0)
    setParallelThreads(options.numThreads);
}

Executor::~Executor() = default;

void Executor::addHook(StepFilter filter, Hook hook) {
  impl_->hooks.emplace_back(std::move(filter), std::move(hook));
}

void Executor::clearHooks() { impl_->hooks.clear(); }

const std::vector<double> &Executor::stepSeconds() const {
  return impl_->stepSeconds;
}

void Executor::resetProfile() {
  std::fill(impl_->stepSeconds.begin(), impl_->stepSeconds.end(), 0.0);
}

static std::string constantLabel(const Plan &plan, int id) {
  auto it = plan.constantNames.find(id);
  if (it != plan.constantNames.end())
    return "constant '" + it->second + "' (value " + std::to_string(id) + ")";
  return "constant value " + std::to_string(id);
}

Status Executor::replaceConstant(int valueId, Tensor value) {
  GPTQ_RT_TRY(impl_->planStatus);
  if (valueId < 0 || valueId >= (int)impl_->isConst.size() ||
      !impl_->isConst[valueId])
    return errorf("replaceConstant: value ", valueId,
                  " is not a constant of the plan");
  const Tensor &old = impl_->constants[valueId];
  std::string label = constantLabel(*plan_, valueId);
  if (!value.defined())
    return errorf("replaceConstant: the new value of ", label,
                  " is undefined");
  if (value.dtype() != old.dtype() || value.shape() != old.shape())
    return errorf("replaceConstant: ", label, " is ", old.describe(),
                  ", the replacement is ", value.describe());
  impl_->constants[valueId] = std::move(value);
  return Status::ok();
}

const Tensor &Executor::constant(int valueId) const {
  static const Tensor none;
  if (valueId < 0 || valueId >= (int)impl_->isConst.size() ||
      !impl_->isConst[valueId])
    return none;
  return impl_->constants[valueId];
}

Status Executor::Impl::bind(const Plan &plan, const NamedTensors &feeds,
                            Lane &lane) const {
  lane.values.assign(plan.numValues, Tensor());
  for (const auto &[name, t] : feeds) {
    bool known = false;
    for (const IOSpec &in : plan.inputs)
      known = known || in.name == name;
    if (!known) {
      std::string names;
      for (const IOSpec &in : plan.inputs)
        names += (names.empty() ? "'" : ", '") + in.name + "'";
      return errorf("unknown input '", name, "' (the plan's inputs are ",
                    names.empty() ? "none" : names, ")");
    }
  }
  for (const IOSpec &in : plan.inputs) {
    auto it = feeds.find(in.name);
    if (it == feeds.end())
      return errorf("missing input '", in.name, "' (", specString(in), ")");
    const Tensor &t = it->second;
    if (!t.defined())
      return errorf("input '", in.name, "' is an undefined tensor (expected ",
                    specString(in), ")");
    if (t.dtype() != in.dtype)
      return errorf("input '", in.name, "' has dtype ", dtypeName(t.dtype()),
                    ", expected ", dtypeName(in.dtype), " (", specString(in),
                    ")");
    if (t.rank() != (int64_t)in.shape.size())
      return errorf("input '", in.name, "' has rank ", t.rank(), " (shape ",
                    shapeToString(t.shape()), "), expected rank ",
                    in.shape.size(), " (", specString(in), ")");
    for (size_t d = 0; d < in.shape.size(); ++d)
      if (in.shape[d] >= 0 && t.shape()[d] != in.shape[d])
        return errorf("input '", in.name, "' has size ", t.shape()[d],
                      " in dimension ", d, " (shape ",
                      shapeToString(t.shape()), "), expected ", in.shape[d],
                      " (", specString(in), ")");
    lane.values[in.value] = t;
  }
  return Status::ok();
}

Status Executor::Impl::gather(const Step &step, Lane &lane) const {
  lane.inputs.resize(step.inputs.size());
  for (size_t j = 0; j < step.inputs.size(); ++j) {
    int v = step.inputs[j];
    if (v < 0) {
      lane.inputs[j] = nullptr;
      continue;
    }
    const Tensor *t = isConst[v] ? &constants[v] : &lane.values[v];
    if (!t->defined())
      return errorf(stepPrefix(step), "operand ", j, " (value ", v,
                    ") has no value");
    lane.inputs[j] = t;
  }
  return Status::ok();
}

Status Executor::Impl::callHooks(const Step &step, size_t index, Lane &lane,
                                 int laneId) {
  for (auto &[filter, hook] : hooks) {
    if (filter && !filter(step))
      continue;
    HookEvent ev{step, index, lane.inputs, laneId};
    GPTQ_RT_TRY(hook(ev));
  }
  return Status::ok();
}

Status Executor::Impl::execute(const Step &step, size_t index,
                               Lane &lane) const {
  lane.outputs.assign(step.outputs.size(), Tensor());
  KernelArgs args{step, lane.inputs, lane.outputs};
  if (options.profile) {
    auto t0 = std::chrono::steady_clock::now();
    GPTQ_RT_TRY(kernels[index](args));
    stepSeconds[index] += std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
  } else {
    GPTQ_RT_TRY(kernels[index](args));
  }
  for (size_t o = 0; o < step.outputs.size(); ++o) {
    const Tensor &t = lane.outputs[o];
    if (!t.defined())
      return errorf(stepPrefix(step), "the kernel produced no output ", o);
    if (t.dtype() != step.outputDTypes[o])
      return errorf(stepPrefix(step), "output ", o, " is ", t.describe(),
                    " but the plan expects ",
                    dtypeName(step.outputDTypes[o]));
    if (options.checkFinite) {
      // Only values a step creates are reported: NaN where no input has
      // one, Inf where no input has Inf or NaN (a -inf attention mask flows
      // through adds and wheres by design). Materialized constants
      // (constant_of_shape's fill value) are taken as given.
      NonFinite out = scanNonFinite(t);
      if (out.any() && step.kind != OpKind::ConstantOfShape) {
        NonFinite in;
        for (const Tensor *x : lane.inputs) {
          if (!x)
            continue;
          NonFinite f = scanNonFinite(*x);
          in.nan |= f.nan;
          in.inf |= f.inf;
        }
        if (out.nan && !in.nan)
          return errorf("step '", step.name, "' (", opKindName(step.kind),
                        ") produced NaN in output ", o, " at index ",
                        firstNonFinite(t, true), " from inputs without NaN");
        if (out.inf && !in.any())
          return errorf("step '", step.name, "' (", opKindName(step.kind),
                        ") produced Inf in output ", o, " at index ",
                        firstNonFinite(t, false), " from finite inputs");
      }
    }
  }
  for (size_t o = 0; o < step.outputs.size(); ++o)
    lane.values[step.outputs[o]] = std::move(lane.outputs[o]);
  lane.outputs.clear();
  lane.inputs.clear();
  for (int v : step.release)
    if (!isConst[v])
      lane.values[v] = Tensor();
  return Status::ok();
}

Status Executor::Impl::collect(const Plan &plan, Lane &lane,
                               NamedTensors &outputs) const {
  for (const IOSpec &out : plan.outputs) {
    const Tensor &t =
        isConst[out.value] ? constants[out.value] : lane.values[out.value];
    if (!t.defined())
      return errorf("output '", out.name, "' (value ", out.value,
                    ") has no value");
    outputs[out.name] = t;
  }
  return Status::ok();
}

Status Executor::run(const NamedTensors &inputs, NamedTensors &outputs) {
  GPTQ_RT_TRY(impl_->planStatus);
  ScopedBlasThreads blas(1); // kernels parallelize around their BLAS calls
  Lane lane;
  GPTQ_RT_TRY(impl_->bind(*plan_, inputs, lane));
  for (size_t i = 0; i < plan_->steps.size(); ++i) {
    const Step &step = plan_->steps[i];
    GPTQ_RT_TRY(impl_->gather(step, lane));
    if (!impl_->hooks.empty())
      GPTQ_RT_TRY(impl_->callHooks(step, i, lane, 0));
    GPTQ_RT_TRY(impl_->execute(step, i, lane));
  }
  return impl_->collect(*plan_, lane, outputs);
}

Status Executor::sweep(const std::vector<NamedTensors> &lanes,
                       const SweepCallbacks &callbacks,
                       std::vector<NamedTensors> *outputs) {
  GPTQ_RT_TRY(impl_->planStatus);
  ScopedBlasThreads blas(1);
  std::vector<Lane> state(lanes.size());
  for (size_t l = 0; l < lanes.size(); ++l) {
    Status st = impl_->bind(*plan_, lanes[l], state[l]);
    if (!st)
      return st.prefix("lane " + std::to_string(l) + ": ");
  }
  for (size_t i = 0; i < plan_->steps.size(); ++i) {
    const Step &step = plan_->steps[i];
    if (callbacks.observe && (!callbacks.filter || callbacks.filter(step))) {
      for (size_t l = 0; l < state.size(); ++l) {
        Status st = impl_->gather(step, state[l]);
        if (!st)
          return st.prefix("lane " + std::to_string(l) + ": ");
        HookEvent ev{step, i, state[l].inputs, (int)l};
        GPTQ_RT_TRY(callbacks.observe(ev));
      }
    }
    if (callbacks.beforeStep)
      GPTQ_RT_TRY(callbacks.beforeStep(i, step));
    for (size_t l = 0; l < state.size(); ++l) {
      std::string lanePrefix = "lane " + std::to_string(l) + ": ";
      Status st = impl_->gather(step, state[l]);
      if (!st)
        return st.prefix(lanePrefix);
      if (!impl_->hooks.empty()) // a hook's error is returned as it is
        GPTQ_RT_TRY(impl_->callHooks(step, i, state[l], (int)l));
      st = impl_->execute(step, i, state[l]);
      if (!st)
        return st.prefix(lanePrefix);
    }
  }
  if (outputs) {
    outputs->assign(state.size(), NamedTensors());
    for (size_t l = 0; l < state.size(); ++l) {
      Status st = impl_->collect(*plan_, state[l], (*outputs)[l]);
      if (!st)
        return st.prefix("lane " + std::to_string(l) + ": ");
    }
  }
  return Status::ok();
}

} // namespace gptq::rt
