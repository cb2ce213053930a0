//===- Packing.h - the GPTQ packing convention ------------------*- C++ -*-===//
//
// THE packing convention of gptq-mlir (the IR, the kernels and the exporters
// all follow this header):
//
//   qweight  int32 [ceil(K * bits / 32), N]. Column n holds the K integer
//            weights q[0..K) of output channel n as a little-endian bit
//            stream: value k occupies bits [k*bits, k*bits + bits) of the
//            stream, word w of the column holding stream bits [32w, 32w+32).
//            For 2/4/8 bits this is "32/bits values per int32, low bits
//            first"; for 3 bits values straddle words (AutoGPTQ's layout
//            when K % 32 == 0). Unused trailing bits are zero.
//   qzeros   int32 [groups, ceil(N * bits / 32)], the zero points of each
//            group packed the same way along N.
//            Stored zeros are v2: the zero point itself. GPTQ checkpoints
//            of the v1 format store (zero - 1) (with wrap-around in `bits`
//            bits); the conversion happens only at the export boundary.
//   scales   [groups, N], fp16 in the IR (fp32 in memory here).
//   g_idx    int32 [K]: group of input row k (k / group_size unless
//            act-order); groups = ceil(K / group_size), or 1 for
//            group_size = -1 (per output channel).
//
//   dequantized w[k][n] = (q[k][n] - zero[g_idx[k]][n]) * scale[g_idx[k]][n]
//   sym: zero = 2^(bits-1) for every group.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_PACKING_H
#define GPTQ_RUNTIME_QUANT_PACKING_H

#include <cstdint>
#include <vector>

namespace gptq::rt::quant {

/// Stored zero points are the zero points themselves (v2), not zero - 1.
inline constexpr bool kZerosAreV2 = true;

inline int64_t packedRows(int64_t k, int bits) { return (k * bits + 31) / 32; }
inline int64_t packedZeroCols(int64_t n, int bits) { return (n * bits + 31) / 32; }
inline int64_t numGroups(int64_t k, int64_t groupSize) {
  return groupSize <= 0 ? 1 : (k + groupSize - 1) / groupSize;
}

/// A quantized [K, N] weight in the convention above.
struct PackedWeight {
  int64_t k = 0, n = 0;
  int bits = 4;
  int64_t groupSize = -1;
  bool sym = true;
  bool descAct = false;
  std::vector<int32_t> qweight; ///< [packedRows(k), n]
  std::vector<int32_t> qzeros;  ///< [groups, packedZeroCols(n)]
  std::vector<float> scales;    ///< [groups, n], values representable in fp16
  std::vector<int32_t> gIdx;    ///< [k]; always filled (k / groupSize when not act-order)
  int64_t groups() const { return numGroups(k, groupSize); }
};

/// Packs q ([K][N] row-major, each value in [0, 2^bits)) along K.
void packWeights(const int32_t *q, int64_t k, int64_t n, int bits, int32_t *out);
/// Inverse of packWeights.
void unpackWeights(const int32_t *packed, int64_t k, int64_t n, int bits, int32_t *q);
/// Packs one row of N values (zero points of one group) along N.
void packRow(const int32_t *values, int64_t n, int bits, int32_t *out);
/// Inverse of packRow.
void unpackRow(const int32_t *packed, int64_t n, int bits, int32_t *values);

/// Dequantizes into out ([K][N] row-major float).
void dequantize(const PackedWeight &w, float *out);

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_PACKING_H
