//===- ModelRunner.cpp - run, evaluate and decode with a model --*- C++ -*-===//

#include "gptq/Exec/ModelRunner.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

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
  if (!runner->plan_->outputs.empty()) {
    const auto &out = runner->plan_->outputs[0].shape;
    if (out.size() == 3)
      runner->vocab_ = out[2];
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

rt::Status ModelRunner::run(const rt::NamedTensors &inputs,
                            rt::NamedTensors &outputs) {
  if (cudaExecutor_)
    return cudaExecutor_->run(inputs, outputs);
  return executor_->run(inputs, outputs);
}

rt::Status ModelRunner::lmSpec() {
  const rt::Plan &p = *plan_;
  if (p.inputs.size() != 1 || !rt::isInteger(p.inputs[0].dtype) ||
      p.inputs[0].shape.size() != 2)
    return rt::errorf("the model is not a language model: it needs exactly "
                      "one integer input of shape [batch, seq] (it has ",
                      p.inputs.size(), " inputs)");
  if (p.outputs.empty() || !rt::isFloat(p.outputs[0].dtype) ||
      p.outputs[0].shape.size() != 3)
    return rt::errorf("the model is not a language model: its first output "
                      "must be float logits [batch, seq, vocab]");
  return rt::Status::ok();
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

rt::StatusOr<rt::Tensor> ModelRunner::logits(const std::vector<int64_t> &ids,
                                             int64_t b, int64_t seq) {
  GPTQ_RT_TRY(lmSpec());
  const rt::IOSpec &in = plan_->inputs[0];
  rt::Tensor t = rt::Tensor::empty(in.dtype, {b, seq});
  for (int64_t i = 0; i < b * seq; ++i)
    t.setInt(i, ids[i]);
  rt::NamedTensors feeds{{in.name, t}}, outs;
  GPTQ_RT_TRY(run(feeds, outs));
  rt::Tensor logits = outs[plan_->outputs[0].name];
  if (logits.rank() != 3 || logits.dim(0) != b || logits.dim(1) != seq)
    return rt::errorf("the model returned logits of shape ",
                      rt::shapeToString(logits.shape()), " for input [", b,
                      ", ", seq, "]");
  if (logits.dtype() != rt::DType::F32) {
    rt::Tensor f = rt::Tensor::empty(rt::DType::F32, logits.shape());
    for (int64_t i = 0; i < f.numel(); ++i)
      f.data<float>()[i] = (float)logits.getDouble(i);
    logits = f;
  }
  return logits;
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

  int64_t batch = std::max<int64_t>(1, options.batch);
  double nll = 0;
  int64_t scored = 0;
  for (int64_t w0 = 0; w0 < windows; w0 += batch) {
    int64_t b = std::min(batch, windows - w0);
    std::vector<int64_t> chunk(ids.begin() + w0 * seq,
                               ids.begin() + (w0 + b) * seq);
    auto lg = logits(chunk, b, seq);
    if (!lg)
      return lg.status();
    int64_t vocab = lg->dim(2);
    const float *data = lg->data<float>();
    for (int64_t r = 0; r < b; ++r)
      for (int64_t t = 1; t < seq; ++t) {
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

rt::StatusOr<std::vector<int64_t>>
ModelRunner::greedyGenerate(std::vector<int64_t> prompt, int64_t count) {
  GPTQ_RT_TRY(checkTokens(prompt.data(), (int64_t)prompt.size(), "--prompt-ids"));
  for (int64_t step = 0; step < count; ++step) {
    int64_t seq = (int64_t)prompt.size();
    auto lg = logits(prompt, 1, seq);
    if (!lg)
      return lg.status();
    int64_t vocab = lg->dim(2);
    const float *row = lg->data<float>() + (seq - 1) * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best])
        best = v;
    prompt.push_back(best);
  }
  return prompt;
}
