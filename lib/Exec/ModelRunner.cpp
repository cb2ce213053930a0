//===- ModelRunner.cpp - run, evaluate and decode with a model --*- C++ -*-===//

#include "gptq/Exec/ModelRunner.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace gptq;
namespace rt = gptq::rt;

std::unique_ptr<ModelRunner> ModelRunner::create(mlir::ModuleOp module,
                                                 const RunnerOptions &options) {
  if (options.device != "cpu" && options.device != "cuda") {
    mlir::emitError(module.getLoc())
        << "unknown device '" << options.device << "' (use cpu or cuda)";
    return nullptr;
  }
  if (options.device == "cuda") {
    if (auto st = rt::cuda::probeDevice(0); !st) {
      mlir::emitError(module.getLoc())
          << "device 'cuda' is not available: " << st.message();
      return nullptr;
    }
  }
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  auto plan = buildPlan(module, "main", &runner->mapping_);
  if (mlir::failed(plan))
    return nullptr;
  runner->plan_ = *plan;
  for (const rt::IOSpec &in : runner->plan_->inputs)
    runner->declaredInputs_[in.name] = in.dtype;
  for (const rt::IOSpec &out : runner->plan_->outputs)
    runner->declaredOutputs_[out.name] = out.dtype;
  if (options.device == "cpu")
    computeHalfInF32(*runner->plan_, options.halfCompute, &runner->mapping_);
  // The graph outputs as the plan computes them (for the language-model
  // analysis), then, when nobody reads them, freed as soon as they are made.
  std::vector<rt::IOSpec> outputs = runner->plan_->outputs;
  if (options.discardOutputs) {
    runner->plan_->outputs.clear();
    runner->plan_->computeReleases();
  }
  if (auto st = runner->plan_->validate(); !st) {
    mlir::emitError(module.getLoc()) << "invalid plan: " << st.message();
    return nullptr;
  }
  if (options.device == "cuda") {
    rt::cuda::CudaOptions co;
    co.verbose = options.verbose;
    auto ex = rt::cuda::CudaExecutor::create(runner->plan_, options.cudaSource,
                                             co);
    if (!ex) {
      mlir::emitError(module.getLoc())
          << "cannot run on CUDA: " << ex.status().message();
      return nullptr;
    }
    runner->cudaExecutor_ = ex.take();
  } else {
    rt::ExecOptions eo;
    eo.checkFinite = options.checkFinite;
    eo.numThreads = options.numThreads;
    eo.profile = options.profile;
    runner->executor_ = std::make_unique<rt::Executor>(runner->plan_, eo);
  }
  // --input overrides, converted to the plan's dtypes.
  std::set<std::string> overridden;
  for (const auto &[name, t] : options.inputOverrides) {
    const rt::IOSpec *spec = nullptr;
    for (const rt::IOSpec &in : runner->plan_->inputs)
      if (in.name == name)
        spec = &in;
    if (!spec) {
      std::string names;
      for (const rt::IOSpec &in : runner->plan_->inputs)
        names += (names.empty() ? "'" : ", '") + in.name + "'";
      mlir::emitError(module.getLoc())
          << "--input '" << name << "': the model has no such input (its "
          << "inputs are " << names << ")";
      return nullptr;
    }
    rt::DType declared = runner->declaredInputs_[name];
    if (t.dtype() != declared) {
      mlir::emitError(module.getLoc())
          << "--input '" << name << "' holds " << rt::dtypeName(t.dtype())
          << " values; the input is " << rt::dtypeName(declared);
      return nullptr;
    }
    runner->overrides_[name] = convertFloatTensor(t, spec->dtype);
    overridden.insert(name);
  }
  auto lm =
      LanguageModelInputs::analyze(runner->plan_->inputs, outputs, overridden);
  if (lm) {
    runner->lm_ = lm.take();
    runner->vocab_ = runner->lm_->vocab();
  } else {
    runner->lmStatus_ = lm.status();
  }
  return runner;
}

std::string ModelRunner::profileTable() const {
  if (!executor_)
    return "profiling covers the CPU runtime only\n";
  std::map<std::string, std::pair<double, int64_t>> byKind;
  double total = 0;
  const auto &secs = executor_->stepSeconds();
  for (size_t i = 0; i < secs.size(); ++i) {
    auto &e = byKind[rt::opKindName(plan_->steps[i].kind)];
    e.first += secs[i];
    e.second += 1;
    total += secs[i];
  }
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> rows(
      byKind.begin(), byKind.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.first > b.second.first;
  });
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::format("%-24s %6s %10s %7s\n", "op", "steps", "seconds", "share");
  for (const auto &[name, e] : rows)
    os << llvm::format("%-24s %6lld %10.4f %6.1f%%\n", name.c_str(),
                       (long long)e.second, e.first,
                       total > 0 ? 100.0 * e.first / total : 0.0);
  os << llvm::format("%-24s %6zu %10.4f\n", "total", secs.size(), total);
  return out;
}

rt::Status ModelRunner::runPlan(const rt::NamedTensors &inputs,
                                rt::NamedTensors &outputs) {
  if (cudaExecutor_)
    return cudaExecutor_->run(inputs, outputs);
  return executor_->run(inputs, outputs);
}

rt::Status ModelRunner::run(const rt::NamedTensors &inputs,
                            rt::NamedTensors &outputs) {
  rt::NamedTensors feeds;
  for (const auto &[name, t] : inputs) {
    auto it = declaredInputs_.find(name);
    const rt::IOSpec *spec = nullptr;
    for (const rt::IOSpec &in : plan_->inputs)
      if (in.name == name)
        spec = &in;
    if (it != declaredInputs_.end() && spec && it->second != spec->dtype) {
      if (t.dtype() != it->second)
        return rt::errorf("input '", name, "' has dtype ",
                          rt::dtypeName(t.dtype()), ", expected ",
                          rt::dtypeName(it->second));
      feeds[name] = convertFloatTensor(t, spec->dtype);
    } else {
      feeds[name] = t;
    }
  }
  GPTQ_RT_TRY(runPlan(feeds, outputs));
  for (auto &[name, t] : outputs) {
    auto it = declaredOutputs_.find(name);
    if (it != declaredOutputs_.end() && t.dtype() != it->second)
      t = convertFloatTensor(t, it->second);
  }
  return rt::Status::ok();
}

rt::Status ModelRunner::replaceConstant(int valueId, const rt::Tensor &value) {
  if (!executor_)
    return rt::errorf("replaceConstant: the CPU executor only");
  const rt::Tensor &old = executor_->constant(valueId);
  rt::Tensor v = value;
  if (old.defined() && old.dtype() != v.dtype())
    v = convertFloatTensor(v, old.dtype());
  return executor_->replaceConstant(valueId, v);
}

rt::Status ModelRunner::lmSpec() {
  if (!lm_)
    return lmStatus_;
  return rt::Status::ok();
}

int64_t ModelRunner::batchFor(int64_t preferred) const {
  int64_t fixed = lm_ ? lm_->staticBatch() : -1;
  return fixed > 0 ? fixed : std::max<int64_t>(1, preferred);
}

rt::Status ModelRunner::checkTokens(const int64_t *ids, int64_t n,
                                    const std::string &what) {
  GPTQ_RT_TRY(lmSpec());
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0)
      return rt::errorf(what, ": token id ", ids[i], " at index ", i,
                        " is negative");
    if (vocab_ > 0 && ids[i] >= vocab_)
      return rt::errorf(what, ": token id ", ids[i], " at index ", i,
                        " is not below the vocabulary size ", vocab_);
  }
  return rt::Status::ok();
}

rt::StatusOr<rt::NamedTensors>
ModelRunner::languageModelFeeds(const int64_t *ids, int64_t b, int64_t seq,
                                int64_t row0) {
  GPTQ_RT_TRY(lmSpec());
  LanguageModelInputs::Request r;
  r.ids = ids;
  r.batch = b;
  r.seq = seq;
  r.row0 = row0;
  return lm_->feeds(r, overrides_);
}

/// The logits output as f32.
static rt::Tensor logitsAsF32(const rt::Tensor &t) {
  if (t.dtype() == rt::DType::F32)
    return t;
  if (t.dtype() == rt::DType::F16 || t.dtype() == rt::DType::BF16)
    return convertFloatTensor(t, rt::DType::F32);
  rt::Tensor f = rt::Tensor::empty(rt::DType::F32, t.shape());
  for (int64_t i = 0; i < f.numel(); ++i)
    f.data<float>()[i] = (float)t.getDouble(i);
  return f;
}

rt::StatusOr<rt::Tensor> ModelRunner::logits(const std::vector<int64_t> &ids,
                                             int64_t b, int64_t seq,
                                             int64_t row0,
                                             std::vector<int64_t> *mask) {
  GPTQ_RT_TRY(lmSpec());
  LanguageModelInputs::Request r;
  r.ids = ids.data();
  r.batch = b;
  r.seq = seq;
  r.row0 = row0;
  auto feeds = lm_->feeds(r, overrides_, mask);
  if (!feeds)
    return feeds.status();
  rt::NamedTensors outs;
  GPTQ_RT_TRY(runPlan(*feeds, outs));
  rt::Tensor logits = outs[lm_->logits().name];
  if (logits.rank() != 3 || logits.dim(0) != b ||
      (logits.dim(1) != seq && logits.dim(1) != 1))
    return rt::errorf("the model returned logits of shape ",
                      rt::shapeToString(logits.shape()), " for input [", b,
                      ", ", seq, "]");
  return logitsAsF32(logits);
}

rt::StatusOr<PerplexityResult>
ModelRunner::perplexity(const rt::Tensor &tokens,
                        const PerplexityOptions &options) {
  GPTQ_RT_TRY(lmSpec());
  if (!rt::isInteger(tokens.dtype()))
    return rt::errorf("token file holds ", rt::dtypeName(tokens.dtype()),
                      " values; expected integer token ids");
  if (tokens.rank() != 1 && tokens.rank() != 2)
    return rt::errorf("token file has shape ",
                      rt::shapeToString(tokens.shape()),
                      "; expected a flat stream or [rows, seq]");
  int64_t seq = options.seqLen;
  int64_t windows;
  if (tokens.rank() == 2) {
    if (seq == 0)
      seq = tokens.dim(1);
    if (seq != tokens.dim(1))
      return rt::errorf("--seq-len ", seq, " differs from the token rows' length ",
                        tokens.dim(1));
    windows = tokens.dim(0);
  } else {
    if (seq == 0)
      seq = 256;
    windows = tokens.dim(0) / seq;
  }
  if (seq < 2)
    return rt::errorf("windows must hold at least 2 tokens, got ", seq);
  if (windows == 0)
    return rt::errorf("the token file has ", tokens.numel(),
                      " tokens, fewer than one window of ", seq);
  if (options.maxWindows > 0)
    windows = std::min(windows, options.maxWindows);
  std::vector<int64_t> ids(windows * seq);
  for (int64_t i = 0; i < windows * seq; ++i)
    ids[i] = tokens.getInt(i);
  GPTQ_RT_TRY(checkTokens(ids.data(), (int64_t)ids.size(), "token file"));

  int64_t batch = batchFor(options.batch);
  double nll = 0;
  int64_t scored = 0;
  std::vector<int64_t> mask;
  for (int64_t w0 = 0; w0 < windows; w0 += batch) {
    int64_t b = std::min(batch, windows - w0);
    std::vector<int64_t> chunk(ids.begin() + w0 * seq,
                               ids.begin() + (w0 + b) * seq);
    // A static batch larger than the windows left: repeat the last one.
    int64_t run = b;
    if (lm_->staticBatch() > 0 && b < lm_->staticBatch()) {
      run = lm_->staticBatch();
      for (int64_t r = b; r < run; ++r)
        chunk.insert(chunk.end(), chunk.end() - seq, chunk.end());
    }
    auto lg = logits(chunk, run, seq, w0, &mask);
    if (!lg)
      return lg.status();
    if (lg->dim(1) != seq)
      return rt::errorf("the model returns logits for ", lg->dim(1), " of ",
                        seq, " positions; perplexity needs all");
    int64_t vocab = lg->dim(2);
    const float *data = lg->data<float>();
    for (int64_t r = 0; r < b; ++r)
      for (int64_t t = 1; t < seq; ++t) {
        // Padded positions (an attention_mask given with --input) are not
        // scored, as transformers leaves them out of the loss.
        if (!mask.empty() && mask[r * seq + t] == 0)
          continue;
        const float *row = data + (r * seq + t - 1) * vocab;
        int64_t target = chunk[r * seq + t];
        if (target >= vocab)
          return rt::errorf("token id ", target, " is not below the vocabulary size ",
                            vocab);
        double mx = row[0];
        for (int64_t v = 1; v < vocab; ++v)
          mx = std::max(mx, (double)row[v]);
        double sum = 0;
        for (int64_t v = 0; v < vocab; ++v)
          sum += std::exp((double)row[v] - mx);
        nll += std::log(sum) + mx - row[target];
        ++scored;
      }
  }
  if (scored == 0)
    return rt::errorf("no position was scored (the attention mask pads "
                      "every target)");
  PerplexityResult result;
  result.meanNll = nll / scored;
  result.perplexity = std::exp(result.meanNll);
  result.scoredTokens = scored;
  result.windows = windows;
  result.seqLen = seq;
  if (!std::isfinite(result.perplexity))
    return rt::errorf("perplexity is not finite (mean NLL ", result.meanNll,
                      "); run with --check-finite to find the op");
  return result;
}

static int64_t argmaxRow(const float *row, int64_t vocab) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (row[v] > row[best])
      best = v;
  return best;
}

rt::StatusOr<std::vector<int64_t>>
ModelRunner::greedyGenerate(std::vector<int64_t> prompt, int64_t count,
                            bool kvCache) {
  GPTQ_RT_TRY(checkTokens(prompt.data(), (int64_t)prompt.size(), "--prompt-ids"));
  // The decoder feeds these itself at every step.
  for (const LMInput &in : lm_->inputs())
    if (in.given && (in.role == LMInputRole::Tokens ||
                     in.role == LMInputRole::AttentionMask ||
                     in.role == LMInputRole::PositionIds ||
                     in.role == LMInputRole::CachePosition ||
                     in.role == LMInputRole::UseCacheBranch ||
                     in.role == LMInputRole::Past))
      return rt::errorf("--input '", in.spec.name,
                        "' cannot be given with --generate (the decoder "
                        "feeds it at every step)");
  if (lm_->staticBatch() > 1)
    return rt::errorf("--generate decodes one sequence; the model's batch is "
                      "fixed at ",
                      lm_->staticBatch());
  bool incremental = kvCache && lm_->canDecodeIncrementally();
  if (!incremental) {
    for (int64_t step = 0; step < count; ++step) {
      int64_t seq = (int64_t)prompt.size();
      auto lg = logits(prompt, 1, seq);
      if (!lg)
        return lg.status();
      int64_t vocab = lg->dim(2);
      prompt.push_back(
          argmaxRow(lg->data<float>() + (lg->dim(1) - 1) * vocab, vocab));
    }
    return prompt;
  }
  // The prompt with empty pasts, then one token at a time with the cache.
  rt::NamedTensors past;
  int64_t pastLen = 0;
  std::vector<int64_t> step = prompt;
  for (int64_t i = 0; i < count; ++i) {
    LanguageModelInputs::Request r;
    r.ids = step.data();
    r.batch = 1;
    r.seq = (int64_t)step.size();
    r.pastLen = pastLen;
    r.past = pastLen ? &past : nullptr;
    auto feeds = lm_->feeds(r, overrides_);
    if (!feeds)
      return feeds.status();
    rt::NamedTensors outs;
    GPTQ_RT_TRY(runPlan(*feeds, outs));
    rt::Tensor lg = logitsAsF32(outs[lm_->logits().name]);
    if (lg.rank() != 3 || lg.dim(0) != 1)
      return rt::errorf("the model returned logits of shape ",
                        rt::shapeToString(lg.shape()));
    int64_t vocab = lg.dim(2);
    int64_t next = argmaxRow(lg.data<float>() + (lg.dim(1) - 1) * vocab, vocab);
    prompt.push_back(next);
    auto presents = lm_->pastFromPresents(outs);
    if (!presents)
      return presents.status();
    pastLen += r.seq;
    for (const LMInput &in : lm_->inputs()) {
      if (in.role != LMInputRole::Past)
        continue;
      const rt::Tensor &t = (*presents)[in.spec.name];
      if (t.rank() != (int64_t)in.spec.shape.size() ||
          t.dim(in.pastAxis) != pastLen)
        return rt::errorf("present output for '", in.spec.name, "' is ",
                          t.describe(), "; expected ", pastLen,
                          " positions on axis ", in.pastAxis);
    }
    past = presents.take();
    step.assign(1, next);
  }
  return prompt;
}
