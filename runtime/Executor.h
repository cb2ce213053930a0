//===- Executor.h - run a plan on the CPU -----------------------*- C++ -*-===//
//
// The calibration-execution runtime and the reference backend: executes a
// Plan step by step on the CPU, binding inputs by name, freeing tensors after
// their last use, calling hooks before chosen steps, and running many samples
// either one after another (run) or step-major in lanes (sweep), which is how
// the GPTQ pass calibrates in one pass over the graph.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_EXECUTOR_H
#define GPTQ_RUNTIME_EXECUTOR_H

#include "runtime/Plan.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gptq::rt {

using NamedTensors = std::map<std::string, Tensor>;

struct ExecOptions {
  /// After every step, check float outputs for NaN/Inf and fail naming the
  /// step that produced them.
  bool checkFinite = false;
  /// Threads for our kernels and BLAS (0: leave the defaults).
  int numThreads = 0;
  /// Accumulate the wall time of every step (see Executor::stepSeconds).
  bool profile = false;
};

/// What a hook sees: the step about to run and its input tensors (null for
/// an absent optional operand). `lane` is the lane index in a sweep, 0 in run.
struct HookEvent {
  const Step &step;
  size_t stepIndex;
  const std::vector<const Tensor *> &inputs;
  int lane;
};

using StepFilter = std::function<bool(const Step &)>;
using Hook = std::function<Status(const HookEvent &)>;

class Executor {
public:
  explicit Executor(std::shared_ptr<const Plan> plan, ExecOptions options = {});
  ~Executor();

  const Plan &plan() const { return *plan_; }

  /// With ExecOptions::profile: seconds spent in each step's kernel, summed
  /// over all runs (and lanes) since construction or resetProfile().
  const std::vector<double> &stepSeconds() const;
  void resetProfile();

  /// Runs the plan once. Inputs are bound by name and checked against the
  /// plan's IOSpec (missing/unknown names, dtype, rank, static sizes);
  /// `outputs` receives every graph output by name.
  Status run(const NamedTensors &inputs, NamedTensors &outputs);

  /// Calls `hook` before every step that `filter` accepts (in run and sweep).
  void addHook(StepFilter filter, Hook hook);
  void clearHooks();

  /// Replaces the value of a constant for later runs (same dtype and shape).
  Status replaceConstant(int valueId, Tensor value);
  const Tensor &constant(int valueId) const;

  /// Step-major execution over several lanes (e.g. chunks of a calibration
  /// batch): for each step, first `observe` is called for every lane's
  /// inputs (if the filter accepts the step), then `beforeStep` once (where
  /// constants may be replaced), then the step runs for every lane.
  struct SweepCallbacks {
    StepFilter filter;
    Hook observe;
    std::function<Status(size_t stepIndex, const Step &)> beforeStep;
  };
  Status sweep(const std::vector<NamedTensors> &lanes,
               const SweepCallbacks &callbacks,
               std::vector<NamedTensors> *outputs = nullptr);

private:
  struct Impl;
  std::shared_ptr<const Plan> plan_;
  std::unique_ptr<Impl> impl_;
};

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_EXECUTOR_H
