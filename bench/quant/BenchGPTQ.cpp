//===- BenchGPTQ.cpp - the GPTQ solver on one large layer -----------------===//
//
// Quantizes one K x N layer (default 4096 x 4096, group 128, 4-bit, 4096
// calibration tokens) and prints the seconds spent accumulating the Hessian
// and in the solver (factorization + quantization loop), the peak resident
// memory, and the loss. bench/quant/run.sh runs it next to a plain numpy
// implementation of the same algorithm on the same OpenBLAS.
//
//   bench-gptq [--k K] [--n N] [--tokens T] [--group G] [--bits B]
//              [--threads T] [--act-order]
//
//===----------------------------------------------------------------------===//

#include "runtime/quant/GPTQ.h"
#include "runtime/quant/TaskPool.h"

#include <cblas.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace gptq::rt::quant;
using Clock = std::chrono::steady_clock;

static double seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

static double peakRssMiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; // kilobytes on Linux
}

int main(int argc, char **argv) {
  int64_t k = 4096, n = 4096, tokens = 4096, group = 128;
  int bits = 4, threads = 2;
  bool act = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> int64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench-gptq: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (!std::strcmp(argv[i], "--k")) k = next();
    else if (!std::strcmp(argv[i], "--n")) n = next();
    else if (!std::strcmp(argv[i], "--tokens")) tokens = next();
    else if (!std::strcmp(argv[i], "--group")) group = next();
    else if (!std::strcmp(argv[i], "--bits")) bits = (int)next();
    else if (!std::strcmp(argv[i], "--threads")) threads = (int)next();
    else if (!std::strcmp(argv[i], "--act-order")) act = true;
    else {
      std::fprintf(stderr, "bench-gptq: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  openblas_set_num_threads(threads);
  setQuantThreads(threads);

  // Activations with correlated channels and a few outliers, streamed in
  // chunks of 512 tokens as the pass does; weights ~ N(0, 0.02).
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(k * n);
  for (float &v : w)
    v = 0.02f * normal(rng);
  std::vector<float> mix(k);
  for (float &v : mix)
    v = 0.5f * normal(rng);
  HessianAccumulator acc(k);
  const int64_t chunk = 512;
  std::vector<float> x(chunk * k);
  double hessianSecs = 0;
  for (int64_t t0 = 0; t0 < tokens; t0 += chunk) {
    int64_t rows = std::min(chunk, tokens - t0);
    for (int64_t r = 0; r < rows; ++r) {
      float shared = normal(rng);
      for (int64_t c = 0; c < k; ++c)
        x[r * k + c] = normal(rng) + mix[c] * shared + (c % 97 == 0 ? 6.0f * shared : 0.0f);
    }
    auto t = Clock::now();
    acc.add(x.data(), rows);
    hessianSecs += seconds(t);
  }
  QuantConfig cfg;
  cfg.bits = bits;
  cfg.groupSize = group;
  cfg.descAct = act;
  auto t = Clock::now();
  auto res = gptqQuantize(w.data(), k, n, acc.matrix(), cfg, "bench");
  double solveSecs = seconds(t);
  if (!res) {
    std::fprintf(stderr, "bench-gptq: %s\n", res.status().message().c_str());
    return 1;
  }
  std::printf("GPTQ %lldx%lld, %d-bit, group %lld%s, %lld tokens, %d threads\n",
              (long long)k, (long long)n, bits, (long long)group,
              act ? ", act-order" : "", (long long)tokens, threads);
  std::printf("  hessian   %8.3f s  (%lld tokens streamed)\n", hessianSecs,
              (long long)tokens);
  std::printf("  solve     %8.3f s  (factor %.3f s, quantize loop %.3f s)\n",
              solveSecs, res->factorSeconds, res->loopSeconds);
  std::printf("  peak RSS  %8.0f MiB\n", peakRssMiB());
  std::printf("  loss      %12.6g\n", res->loss);
  return 0;
}
