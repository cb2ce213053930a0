//===- ModelRunner.h - run, evaluate and decode with a model ---*- C++ -*-===//
#ifndef GPTQ_EXEC_MODELRUNNER_H
#define GPTQ_EXEC_MODELRUNNER_H

#include "gptq/Exec/HalfCompute.h"
#include "gptq/Exec/LanguageModelInputs.h"
#include "gptq/Exec/PlanBuilder.h"

#include "runtime/Executor.h"
#include "runtime/cuda/CudaExecutor.h"

#include <map>
#include <memory>
#include <optional>
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
  /// How f16/bf16 models compute on the CPU (HalfCompute.h); the CUDA
  /// device runs the plan as declared.
  HalfCompute halfCompute = HalfCompute::F32;
  /// Graph inputs given instead of filled by the language-model rules
  /// (--input NAME=file.npy; LanguageModelInputs.h), in declared dtypes.
  rt::NamedTensors inputOverrides;
  /// Free every graph output as soon as it is computed (calibration reads
  /// only the activations its hooks see: no logits or present.* kept per
  /// lane). run() then returns no outputs.
  bool discardOutputs = false;
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

  /// Runs the model on inputs of the declared dtypes and returns outputs of
  /// the declared dtypes (f16/bf16 converted at the boundary).
  rt::Status run(const rt::NamedTensors &inputs, rt::NamedTensors &outputs);

  /// exp(mean NLL) of next-token prediction over non-overlapping windows of
  /// a token stream (1-D) or over the rows of a 2-D token array; the first
  /// position of each window is not scored.
  rt::StatusOr<PerplexityResult> perplexity(const rt::Tensor &tokens,
                                            const PerplexityOptions &options);

  /// Greedy decoding: appends `count` argmax tokens to `prompt` and returns
  /// the whole sequence. With `kvCache` and past inputs that have present
  /// outputs, the prompt is run once and each new token alone with the
  /// cache (present.* fed back as past.*, the mask grown, the positions
  /// advanced); otherwise the whole sequence is run for every token (with
  /// zero-length pasts).
  rt::StatusOr<std::vector<int64_t>> greedyGenerate(std::vector<int64_t> prompt,
                                                    int64_t count,
                                                    bool kvCache = true);

  /// Whether greedyGenerate(..., kvCache) decodes with the model's cache.
  bool decodesIncrementally(bool kvCache) const {
    return kvCache && lm_ && lm_->canDecodeIncrementally();
  }

  /// Checks that the module is a language model whose inputs can be filled
  /// (LanguageModelInputs.h) and that every id of `ids` is below the
  /// vocabulary size; `what` names the ids in errors.
  rt::Status checkTokens(const int64_t *ids, int64_t n, const std::string &what);

  /// Whether the model's inputs can be filled for a language model (the
  /// error names every input that cannot).
  const rt::Status &languageModelStatus() const { return lmStatus_; }
  /// The recognised inputs; null unless languageModelStatus() is ok.
  const LanguageModelInputs *languageModel() const {
    return lm_ ? &*lm_ : nullptr;
  }
  /// The feeds (in the plan's dtypes) of one forward pass over `b` rows of
  /// `seq` token ids, rows `row0`... of the data (for --input overrides).
  rt::StatusOr<rt::NamedTensors> languageModelFeeds(const int64_t *ids,
                                                    int64_t b, int64_t seq,
                                                    int64_t row0 = 0);
  /// Rows per forward pass: `preferred`, or the token input's static batch.
  int64_t batchFor(int64_t preferred) const;

  /// Replaces a constant of the CPU executor, converting `value` to the
  /// dtype the plan computes with (f32 for f16 weights under
  /// HalfCompute::F32).
  rt::Status replaceConstant(int valueId, const rt::Tensor &value);

  /// With RunnerOptions::profile: seconds and share of the run time per op
  /// kind, most expensive first, as a printable table.
  std::string profileTable() const;

  /// The CPU executor (device "cpu" only).
  rt::Executor &executor() { return *executor_; }
  bool onCuda() const { return cudaExecutor_ != nullptr; }
  const rt::Plan &plan() const { return *plan_; }
  const PlanMapping &mapping() const { return mapping_; }

  /// Runs a batch of token windows [b, seq] (rows `row0`... of the data)
  /// and returns the logits as f32 [b, seq', vocab]; `mask`, if given,
  /// receives the attention mask used ([b, seq] of 0/1).
  rt::StatusOr<rt::Tensor> logits(const std::vector<int64_t> &ids, int64_t b,
                                  int64_t seq, int64_t row0 = 0,
                                  std::vector<int64_t> *mask = nullptr);

private:
  ModelRunner() = default;
  rt::Status lmSpec();
  /// Runs on feeds of the plan's dtypes.
  rt::Status runPlan(const rt::NamedTensors &inputs, rt::NamedTensors &outputs);

  std::shared_ptr<rt::Plan> plan_;
  PlanMapping mapping_;
  std::unique_ptr<rt::Executor> executor_;
  std::unique_ptr<rt::cuda::CudaExecutor> cudaExecutor_;
  int64_t vocab_ = -1; ///< from the IR, -1 if dynamic
  /// The declared dtypes of the inputs and outputs, by name (the plan's
  /// are f32 where f16/bf16 compute in f32).
  std::map<std::string, rt::DType> declaredInputs_, declaredOutputs_;
  rt::NamedTensors overrides_; ///< in the plan's dtypes
  std::optional<LanguageModelInputs> lm_;
  rt::Status lmStatus_;
};

} // namespace gptq

#endif // GPTQ_EXEC_MODELRUNNER_H
