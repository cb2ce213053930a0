//===- QuantGemvBench.cpp - fused W4 GEMV vs OpenBLAS sgemv ---------------===//
//
//   build/bin/bench-quant-gemv [--threads N] [--reps R] [--shapes KxN,...]
//
// For each shape, one run times side by side: the fused 4-bit GEMV of the
// CPU runtime (matMulNBits, M = 1, group size 128, weights never
// dequantized) and OpenBLAS cblas_sgemv on the same weight dequantized to
// fp32, with the same number of threads. Prints the median of R runs
// (after warm-up), the weight bytes each reads per call as GB/s, the
// speedup and whether it reaches the 3x target, and the largest relative
// difference between the two results.
//
//===----------------------------------------------------------------------===//

#include "runtime/quant/Packing.h"
#include "runtime/quant/QuantMatMul.h"
#include "runtime/quant/TaskPool.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace gptq::rt;
using namespace gptq::rt::quant;

namespace {

double nowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename F> double medianSeconds(int reps, F &&f) {
  for (int i = 0; i < 3; ++i) // warm-up: caches, page faults, thread pools
    f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    double t0 = nowSeconds();
    f();
    t.push_back(nowSeconds() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  int threads = 0, reps = 20;
  std::vector<std::pair<int64_t, int64_t>> shapes = {
      {4096, 4096}, {4096, 11008}, {11008, 4096}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--shapes" && i + 1 < argc) {
      shapes.clear();
      std::string s = argv[++i];
      size_t pos = 0;
      while (pos < s.size()) {
        size_t comma = s.find(',', pos);
        std::string item = s.substr(pos, comma - pos);
        size_t x = item.find('x');
        if (x == std::string::npos) {
          std::fprintf(stderr, "bad shape '%s' (expected KxN)\n", item.c_str());
          return 2;
        }
        shapes.push_back({std::atoll(item.substr(0, x).c_str()),
                          std::atoll(item.substr(x + 1).c_str())});
        pos = comma == std::string::npos ? s.size() : comma + 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--reps R] [--shapes KxN,...]\n",
                   argv[0]);
      return 2;
    }
  }
  if (threads > 0)
    setQuantThreads(threads);
  threads = quantThreads();
  openblas_set_num_threads(threads);

  std::printf("fused W4 GEMV (M = 1, group 128, sym) vs OpenBLAS cblas_sgemv "
              "(fp32 weight), %d thread(s), median of %d runs\n",
              threads, reps);
  std::printf("%-12s %12s %10s %12s %10s %9s  %s\n", "K x N", "fused ms",
              "fused GB/s", "sgemv ms", "sgemv GB/s", "speedup",
              "max rel diff");
  bool allMet = true;
  for (auto [k, n] : shapes) {
    const int bits = 4;
    const int64_t gs = 128, groups = numGroups(k, gs);
    std::mt19937 rng(1);
    std::uniform_int_distribution<int32_t> qd(0, 15);
    std::uniform_real_distribution<float> sd(0.005f, 0.02f);
    std::normal_distribution<float> xd(0.0f, 1.0f);
    PackedWeight w;
    w.k = k;
    w.n = n;
    w.bits = bits;
    w.groupSize = gs;
    std::vector<int32_t> q(size_t(k * n)), z(size_t(n), 8);
    for (int32_t &v : q)
      v = qd(rng);
    w.qweight.resize(size_t(packedRows(k, bits) * n));
    packWeights(q.data(), k, n, bits, w.qweight.data());
    q = {};
    const int64_t zc = packedZeroCols(n, bits);
    w.qzeros.resize(size_t(groups * zc));
    for (int64_t g = 0; g < groups; ++g)
      packRow(z.data(), n, bits, w.qzeros.data() + g * zc);
    w.scales.resize(size_t(groups * n));
    for (float &s : w.scales)
      s = sd(rng);
    w.gIdx.resize(size_t(k));
    for (int64_t r = 0; r < k; ++r)
      w.gIdx[r] = int32_t(r / gs);
    std::vector<float> dense(static_cast<size_t>(k * n)), x(static_cast<size_t>(k)),
        yFused(static_cast<size_t>(n)),
        yBlas(static_cast<size_t>(n));
    dequantize(w, dense.data());
    for (float &v : x)
      v = xd(rng);

    MatMulNBitsArgs a;
    a.m = 1;
    a.k = k;
    a.n = n;
    a.bits = bits;
    a.groupSize = gs;
    a.groups = groups;
    a.x = x.data();
    a.qweight = w.qweight.data();
    a.scales = w.scales.data();
    a.qzeros = w.qzeros.data();
    a.threads = threads;
    bool ok = true;
    const double tFused = medianSeconds(reps, [&] {
      ok = ok && matMulNBits(a, yFused.data()).isOk();
    });
    const double tBlas = medianSeconds(reps, [&] {
      cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(n), 1.0f,
                  dense.data(), int(n), x.data(), 1, 0.0f, yBlas.data(), 1);
    });
    if (!ok) {
      std::fprintf(stderr, "matMulNBits failed\n");
      return 1;
    }
    double maxRel = 0, scale = 0;
    for (int64_t j = 0; j < n; ++j)
      scale = std::max(scale, double(std::fabs(yBlas[j])));
    for (int64_t j = 0; j < n; ++j)
      maxRel = std::max(maxRel, std::fabs(double(yFused[j]) - yBlas[j]) /
                                    std::max(scale, 1e-30));
    const double fusedBytes = double(w.qweight.size()) * 4 +
                              double(w.scales.size()) * 2 +
                              double(w.qzeros.size()) * 4;
    const double blasBytes = double(dense.size()) * 4;
    const double speedup = tBlas / tFused;
    allMet = allMet && speedup >= 3.0;
    char label[32];
    std::snprintf(label, sizeof label, "%lldx%lld", (long long)k, (long long)n);
    std::printf("%-12s %12.3f %10.1f %12.3f %10.1f %8.2fx  %.2e%s\n", label,
                tFused * 1e3, fusedBytes / tFused / 1e9, tBlas * 1e3,
                blasBytes / tBlas / 1e9, speedup, maxRel,
                speedup >= 3.0 ? "" : "  (below the 3x target)");
  }
  std::printf("target (fused >= 3x sgemv on every shape): %s\n",
              allMet ? "met" : "NOT met");
  return 0;
}
