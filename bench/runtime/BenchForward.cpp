//===- BenchForward.cpp - stories260k forward throughput on the CPU -------===//
//
// Prints, for batches of 1 x 256 and 16 x 256 tokens of the bundled
// stories260k model: forward tokens/s of the CPU runtime, and the time the
// runtime spends in its MatMul steps next to bare OpenBLAS sgemm calls of
// the same shapes (same threads, same run), with their ratio.
//
//   bench-forward [model.onnx] [--iters N] [--threads T]
//
// bench/runtime/run.sh runs this and onnxruntime's CPU session side by side.
//
//===----------------------------------------------------------------------===//

#include "gptq/Exec/ModelRunner.h"
#include "gptq/InitAll.h"
#include "gptq/Support/ToolSupport.h"

#include "runtime/Executor.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
namespace rt = gptq::rt;
using Clock = std::chrono::steady_clock;

namespace {
/// One runtime MatMul call: batch GEMMs of [m, k] x [k, n].
struct Gemm {
  int64_t batch, m, k, n;
};

double seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The GEMM a matmul step performs, from its operand shapes (numpy rules:
/// a 2-D right operand folds the left operand's batch into M).
Gemm gemmOf(const rt::Shape &a, const rt::Shape &b) {
  Gemm g{1, a[a.size() - 2], a.back(), b.back()};
  if (b.size() == 2) {
    for (size_t i = 0; i + 2 < a.size(); ++i)
      g.m *= a[i];
    return g;
  }
  for (size_t i = 0; i + 2 < std::max(a.size(), b.size()); ++i) {
    int64_t da = i + 2 < a.size() ? a[a.size() - 3 - i] : 1;
    int64_t db = i + 2 < b.size() ? b[b.size() - 3 - i] : 1;
    g.batch *= std::max(da, db);
  }
  return g;
}
} // namespace

int main(int argc, char **argv) {
  std::string model = "models/stories260k/model.onnx";
  int iters = 20, threads = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--iters") && i + 1 < argc)
      iters = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else
      model = argv[i];
  }
  DialectRegistry registry;
  gptq::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  gptq::ToolDiagnostics diags(&context, "bench-forward");

  llvm::outs() << llvm::format("stories260k forward on the CPU runtime (%d "
                               "threads, %d timed runs each)\n",
                               threads, iters);
  llvm::outs() << llvm::format("%-8s %12s %14s %14s %12s\n", "batch",
                               "tokens/s", "matmul ms/run", "sgemm ms/run",
                               "matmul/sgemm");
  for (int64_t b : {1, 16}) {
    const int64_t seq = 256;
    std::string shape = "input_ids=" + std::to_string(b) + "x256";
    auto module = gptq::loadModel(&context, model, {shape});
    if (!module)
      return 1;
    gptq::RunnerOptions ro;
    ro.numThreads = threads;
    ro.profile = true;
    auto runner = gptq::ModelRunner::create(*module, ro);
    if (!runner)
      return 1;
    rt::Tensor ids = rt::Tensor::empty(rt::DType::I64, {b, seq});
    std::mt19937 rng(1);
    for (int64_t i = 0; i < b * seq; ++i)
      ids.data<int64_t>()[i] = 3 + rng() % 500;
    rt::NamedTensors in{{runner->plan().inputs[0].name, ids}}, out;

    // The GEMMs of the MatMul steps, recorded once through a hook.
    std::vector<Gemm> gemms;
    std::vector<size_t> matmulSteps;
    runner->executor().addHook(
        [](const rt::Step &s) { return s.kind == rt::OpKind::MatMul; },
        [&](const rt::HookEvent &ev) {
          gemms.push_back(gemmOf(ev.inputs[0]->shape(), ev.inputs[1]->shape()));
          matmulSteps.push_back(ev.stepIndex);
          return rt::Status::ok();
        });
    if (auto st = runner->run(in, out); !st) {
      llvm::errs() << "bench-forward: " << st.message() << "\n";
      return 1;
    }
    runner->executor().clearHooks();
    runner->executor().resetProfile();
    auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i)
      if (auto st = runner->run(in, out); !st) {
        llvm::errs() << "bench-forward: " << st.message() << "\n";
        return 1;
      }
    double fwd = seconds(t0);
    double matmul = 0;
    for (size_t s : matmulSteps)
      matmul += runner->executor().stepSeconds()[s];

    // Bare sgemm calls of the same shapes on fresh buffers.
    std::vector<std::vector<float>> a(gemms.size()), w(gemms.size()),
        c(gemms.size());
    for (size_t g = 0; g < gemms.size(); ++g) {
      const Gemm &m = gemms[g];
      a[g].assign(m.batch * m.m * m.k, 0.5f);
      w[g].assign(m.batch * m.k * m.n, 0.25f);
      c[g].assign(m.batch * m.m * m.n, 0.0f);
    }
    auto sgemmAll = [&] {
      for (size_t g = 0; g < gemms.size(); ++g) {
        const Gemm &m = gemms[g];
        for (int64_t i = 0; i < m.batch; ++i)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m.m,
                      (int)m.n, (int)m.k, 1.0f, a[g].data() + i * m.m * m.k,
                      (int)m.k, w[g].data() + i * m.k * m.n, (int)m.n, 0.0f,
                      c[g].data() + i * m.m * m.n, (int)m.n);
      }
    };
    sgemmAll();
    t0 = Clock::now();
    for (int i = 0; i < iters; ++i)
      sgemmAll();
    double bare = seconds(t0);
    llvm::outs() << llvm::format("%-8s %12.0f %14.3f %14.3f %12.2f\n",
                                 (std::to_string(b) + "x256").c_str(),
                                 double(b * seq * iters) / fwd,
                                 1e3 * matmul / iters, 1e3 * bare / iters,
                                 matmul / bare);
  }
  return 0;
}
