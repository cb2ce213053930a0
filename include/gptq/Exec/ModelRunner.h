//===- ModelRunner.h - run, evaluate and decode with a model ---*- C++ -*-===//
#ifndef GPTQ_EXEC_MODELRUNNER_H
#define GPTQ_EXEC_MODELRUNNER_H

#include "gptq/Exec/PlanBuilder.h"

#include "runtime/Executor.h"
#include "runtime/cuda/CudaExecutor.h"

#include <memory>
#include <string>
#include <vector>

namespace gptq {

struct RunnerOptions {
  bool checkFinite = false;
  int numThreads = 0;
  std::string device = "cpu"; ///< "cpu" or "cuda"
  bool profile = false;       ///< time every step (profileTable())
  /// device "cuda": the CUDA C++ of the module's gptq.cuda_kernel ops
  /// (gptq::emitCuda; gptq::lowerForCuda makes them). Quantized matmuls not
  /// lowered run on the host.
  std::string cudaSource;
  /// device "cuda": report the device and where steps ran on stderr.
  bool verbose = false;
};

struct PerplexityOptions {
  int64_t seqLen = 0;     ///< window length; 0: rows of a 2-D file, else 256
  int64_t batch = 8;      ///< windows per forward pass
  int64_t maxWindows = 0; ///< 0: all
};

struct PerplexityResult {
  double perplexity = 0;
  double meanNll = 0;
  int64_t scoredTokens = 0;
  int64_t windows = 0;
  int64_t seqLen = 0;
};

/// A module lowered to a plan and an executor, with language-model helpers.
/// The module must outlive the runner.
class ModelRunner {
public:
  /// Emits diagnostics and returns null if the module cannot be executed.
  static std::unique_ptr<ModelRunner> create(mlir::ModuleOp module,
                                             const RunnerOptions &options = {});

  rt::Status run(const rt::NamedTensors &inputs, rt::NamedTensors &outputs);

  /// exp(mean NLL) of next-token prediction over non-overlapping windows of
  /// a token stream (1-D) or over the rows of a 2-D token array; the first
  /// position of each window is not scored.
  rt::StatusOr<PerplexityResult> perplexity(const rt::Tensor &tokens,
                                            const PerplexityOptions &options);

  /// Greedy decoding: appends `count` argmax tokens to `prompt` (full-sequence
  /// forward per token) and returns the whole sequence.
  rt::StatusOr<std::vector<int64_t>> greedyGenerate(std::vector<int64_t> prompt,
                                                    int64_t count);

  /// Checks that the module is a language model (one integer [batch, seq]
  /// input, first output [batch, seq, vocab]) and that every id of `ids` is
  /// below the vocabulary size; `what` names the ids in errors.
  rt::Status checkTokens(const int64_t *ids, int64_t n, const std::string &what);

  /// With RunnerOptions::profile: seconds and share of the run time per op
  /// kind, most expensive first, as a printable table.
  std::string profileTable() const;

  /// The CPU executor (device "cpu" only).
  rt::Executor &executor() { return *executor_; }
  bool onCuda() const { return cudaExecutor_ != nullptr; }
  const rt::Plan &plan() const { return *plan_; }
  const PlanMapping &mapping() const { return mapping_; }

  /// Runs a batch of token windows [b, seq] and returns the logits.
  rt::StatusOr<rt::Tensor> logits(const std::vector<int64_t> &ids, int64_t b,
                                  int64_t seq);

private:
  ModelRunner() = default;
  rt::Status lmSpec();

  std::shared_ptr<rt::Plan> plan_;
  PlanMapping mapping_;
  std::unique_ptr<rt::Executor> executor_;
  std::unique_ptr<rt::cuda::CudaExecutor> cudaExecutor_;
  int64_t vocab_ = -1; ///< from the IR, -1 if dynamic
};

} // namespace gptq

#endif // GPTQ_EXEC_MODELRUNNER_H
