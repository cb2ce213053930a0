//===- GPTQ.h - the GPTQ and round-to-nearest solvers -----------*- C++ -*-===//
//
// Weights are [K, N] as the IR's nn.matmul uses them (x[..., K] @ W[K, N]):
// row k of W is "column k" of the GPTQ paper's [N, K] weight, i.e. the input
// dimension that the algorithm quantizes one at a time.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_GPTQ_H
#define GPTQ_RUNTIME_QUANT_GPTQ_H

#include "runtime/Status.h"
#include "runtime/quant/Packing.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gptq::rt::quant {

struct QuantConfig {
  int bits = 4;             ///< 2, 3, 4 or 8
  int64_t groupSize = 128;  ///< -1: one group (per output channel)
  bool sym = true;
  bool descAct = false;     ///< act-order: quantize rows by descending diag(H)
  bool staticGroups = false;///< group params from the original weights up front
  double dampPercent = 0.01;
  int64_t blockSize = 128;  ///< lazy-batch block (rounded to fit groups)
  bool mse = false;         ///< grid-search the clipping range per group
  float mseNorm = 2.4f;
  int mseGrid = 100;
  float mseMaxShrink = 0.8f;
};

/// H = 2/n * sum x x^T over all rows x seen (n = number of rows), in fp32,
/// accumulated incrementally so that activations are never stored.
class HessianAccumulator {
public:
  explicit HessianAccumulator(int64_t k);
  /// Adds `rows` rows of length K (row-major).
  void add(const float *x, int64_t rows);
  int64_t k() const { return k_; }
  int64_t samples() const { return n_; }
  /// The full symmetric [K, K] matrix.
  std::vector<float> matrix() const;

private:
  int64_t k_;
  int64_t n_ = 0;
  std::vector<float> h_; // upper triangle maintained
};

struct QuantResult {
  PackedWeight packed;
  std::vector<float> dequantized; ///< [K, N]: what the IR computes with
  double loss = 0;                ///< sum over weights of (w - q)^2 / d^2 / 2
  double dampUsed = 0;            ///< damping added to the diagonal
  bool fellBackToRtn = false;     ///< Cholesky failed at every damping
  std::string warning;            ///< set when something was adjusted
  double seconds = 0;
  double factorSeconds = 0;       ///< damping + Cholesky + inverse (GPTQ)
  double loopSeconds = 0;         ///< the quantization loop (GPTQ)
};

/// GPTQ (Frantar et al., Algorithm 1, lazy batches) of W [K, N] given H
/// [K, K]. `name` is used in warnings and errors.
StatusOr<QuantResult> gptqQuantize(const float *w, int64_t k, int64_t n,
                                   std::vector<float> h, const QuantConfig &cfg,
                                   const std::string &name);

/// Round-to-nearest with the same grouping and packing.
StatusOr<QuantResult> rtnQuantize(const float *w, int64_t k, int64_t n,
                                  const QuantConfig &cfg, const std::string &name);

/// Validates a configuration against K (bits in {2,3,4,8}, group size -1 or
/// positive, block size positive, damp in (0, 1]).
Status validateConfig(const QuantConfig &cfg, int64_t k, const std::string &name);

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_GPTQ_H
