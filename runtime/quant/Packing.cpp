//===- Packing.cpp - the GPTQ packing convention --------------------------===//
//
// Bit streams as documented in Packing.h: value i of a stream occupies bits
// [i*bits, i*bits + bits), word w holding stream bits [32w, 32w + 32). Values
// are masked to `bits` bits; unused trailing bits are zero.
//
//===----------------------------------------------------------------------===//

#include "runtime/quant/Packing.h"

#include <algorithm>
#include <cstring>

namespace gptq::rt::quant {

namespace {

inline uint32_t maskFor(int bits) { return (1u << bits) - 1u; }

} // namespace

void packWeights(const int32_t *q, int64_t k, int64_t n, int bits,
                 int32_t *out) {
  const int64_t rows = packedRows(k, bits);
  std::memset(out, 0, sizeof(int32_t) * rows * n);
  const uint32_t mask = maskFor(bits);
  uint32_t *o = reinterpret_cast<uint32_t *>(out);
  for (int64_t r = 0; r < k; ++r) {
    const int64_t bit = r * bits;
    const int64_t word = bit >> 5;
    const int shift = int(bit & 31);
    const int32_t *src = q + r * n;
    uint32_t *lo = o + word * n;
    for (int64_t c = 0; c < n; ++c)
      lo[c] |= (uint32_t(src[c]) & mask) << shift;
    if (shift + bits > 32) { // 3 bits: the value straddles two words
      uint32_t *hi = lo + n;
      for (int64_t c = 0; c < n; ++c)
        hi[c] |= (uint32_t(src[c]) & mask) >> (32 - shift);
    }
  }
}

void unpackWeights(const int32_t *packed, int64_t k, int64_t n, int bits,
                   int32_t *q) {
  const uint32_t mask = maskFor(bits);
  const uint32_t *p = reinterpret_cast<const uint32_t *>(packed);
  for (int64_t r = 0; r < k; ++r) {
    const int64_t bit = r * bits;
    const int64_t word = bit >> 5;
    const int shift = int(bit & 31);
    const uint32_t *lo = p + word * n;
    int32_t *dst = q + r * n;
    if (shift + bits > 32) {
      const uint32_t *hi = lo + n;
      for (int64_t c = 0; c < n; ++c)
        dst[c] = int32_t(((lo[c] >> shift) | (hi[c] << (32 - shift))) & mask);
    } else {
      for (int64_t c = 0; c < n; ++c)
        dst[c] = int32_t((lo[c] >> shift) & mask);
    }
  }
}

void packRow(const int32_t *values, int64_t n, int bits, int32_t *out) {
  const int64_t words = packedZeroCols(n, bits);
  std::memset(out, 0, sizeof(int32_t) * words);
  const uint32_t mask = maskFor(bits);
  uint32_t *o = reinterpret_cast<uint32_t *>(out);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    const int shift = int(bit & 31);
    const uint32_t v = uint32_t(values[i]) & mask;
    o[bit >> 5] |= v << shift;
    if (shift + bits > 32)
      o[(bit >> 5) + 1] |= v >> (32 - shift);
  }
}

void unpackRow(const int32_t *packed, int64_t n, int bits, int32_t *values) {
  const uint32_t mask = maskFor(bits);
  const uint32_t *p = reinterpret_cast<const uint32_t *>(packed);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    const int shift = int(bit & 31);
    uint32_t v = p[bit >> 5] >> shift;
    if (shift + bits > 32)
      v |= p[(bit >> 5) + 1] << (32 - shift);
    values[i] = int32_t(v & mask);
  }
}

void dequantize(const PackedWeight &w, float *out) {
  const int64_t k = w.k, n = w.n;
  if (k <= 0 || n <= 0)
    return;
  const int64_t groups = w.groups();
  std::vector<int32_t> q(static_cast<size_t>(k * n));
  unpackWeights(w.qweight.data(), k, n, w.bits, q.data());
  std::vector<int32_t> zeros(static_cast<size_t>(groups * n));
  const int64_t zcols = packedZeroCols(n, w.bits);
  for (int64_t g = 0; g < groups; ++g)
    unpackRow(w.qzeros.data() + g * zcols, n, w.bits, zeros.data() + g * n);
  const bool haveGIdx = int64_t(w.gIdx.size()) == k;
  for (int64_t r = 0; r < k; ++r) {
    int64_t g = haveGIdx ? w.gIdx[r]
                         : (w.groupSize > 0 ? r / w.groupSize : int64_t(0));
    g = std::min<int64_t>(std::max<int64_t>(g, 0), groups - 1);
    const int32_t *qr = q.data() + r * n;
    const int32_t *zr = zeros.data() + g * n;
    const float *sr = w.scales.data() + g * n;
    float *o = out + r * n;
    for (int64_t c = 0; c < n; ++c)
      o[c] = float(qr[c] - zr[c]) * sr[c];
  }
}

} // namespace gptq::rt::quant
