//===- Repack.cpp - the "gpu" layout of packed weights --------------------===//

#include "runtime/quant/Repack.h"

#include "runtime/quant/Packing.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace gptq::rt::quant {

namespace {

Status checkArgs(int64_t k, int64_t n, int bits) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return errorf("bits must be 2, 3, 4 or 8 (got ", bits, ")");
  if (k < 0 || n < 0)
    return errorf("negative dimension (K ", k, ", N ", n, ")");
  return Status::ok();
}

/// Field of word position j (see Repack.h, 3.).
inline int fieldOf(int j, int bits) {
  const int half = 16 / bits;
  return (j & 1) ? half + j / 2 : j / 2;
}

uint32_t interleave(uint32_t w, int bits) {
  if (bits == 3)
    return w;
  const uint32_t mask = (1u << bits) - 1u;
  const int v = 32 / bits;
  uint32_t out = 0;
  for (int j = 0; j < v; ++j)
    out |= ((w >> (bits * j)) & mask) << (bits * fieldOf(j, bits));
  return out;
}

uint32_t deinterleave(uint32_t w, int bits) {
  if (bits == 3)
    return w;
  const uint32_t mask = (1u << bits) - 1u;
  const int v = 32 / bits;
  uint32_t out = 0;
  for (int j = 0; j < v; ++j)
    out |= ((w >> (bits * fieldOf(j, bits))) & mask) << (bits * j);
  return out;
}

/// Permutes the rows of a packed weight: row p of `out` = row order[p] of
/// `in` (inverse = false), or row order[p] of `out` = row p of `in`.
void permuteRows(const int32_t *in, int64_t k, int64_t n, int bits,
                 const std::vector<int32_t> &order, bool inverse,
                 int32_t *out) {
  std::vector<int32_t> q(static_cast<size_t>(k * n)), p(q.size());
  unpackWeights(in, k, n, bits, q.data());
  for (int64_t r = 0; r < k; ++r) {
    const int64_t src = inverse ? r : order[r];
    const int64_t dst = inverse ? order[r] : r;
    std::memcpy(p.data() + dst * n, q.data() + src * n, sizeof(int32_t) * n);
  }
  packWeights(p.data(), k, n, bits, out);
}

} // namespace

std::vector<int32_t> actOrder(const int32_t *gIdx, int64_t k) {
  std::vector<int32_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  if (gIdx)
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return gIdx[a] < gIdx[b]; });
  return order;
}

Status repackToGpu(const int32_t *in, int64_t k, int64_t n, int bits,
                   const int32_t *gIdx, int32_t *out) {
  GPTQ_RT_TRY(checkArgs(k, n, bits));
  const int64_t rows = packedRows(k, bits);
  std::vector<int32_t> sorted;
  const int32_t *stream = in;
  if (gIdx) {
    sorted.resize(static_cast<size_t>(rows * n));
    permuteRows(in, k, n, bits, actOrder(gIdx, k), /*inverse=*/false,
                sorted.data());
    stream = sorted.data();
  }
  const int64_t chunks = (rows + bits - 1) / bits;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t wc = chunkWords(c, rows, bits);
    for (int64_t col = 0; col < n; ++col)
      for (int64_t w = 0; w < wc; ++w)
        out[c * bits * n + col * wc + w] = int32_t(
            interleave(uint32_t(stream[(c * bits + w) * n + col]), bits));
  }
  return Status::ok();
}

Status repackFromGpu(const int32_t *in, int64_t k, int64_t n, int bits,
                     const int32_t *gIdx, int32_t *out) {
  GPTQ_RT_TRY(checkArgs(k, n, bits));
  const int64_t rows = packedRows(k, bits);
  std::vector<int32_t> sorted;
  int32_t *stream = out;
  if (gIdx) {
    sorted.resize(static_cast<size_t>(rows * n));
    stream = sorted.data();
  }
  const int64_t chunks = (rows + bits - 1) / bits;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t wc = chunkWords(c, rows, bits);
    for (int64_t col = 0; col < n; ++col)
      for (int64_t w = 0; w < wc; ++w)
        stream[(c * bits + w) * n + col] = int32_t(
            deinterleave(uint32_t(in[c * bits * n + col * wc + w]), bits));
  }
  if (gIdx)
    permuteRows(sorted.data(), k, n, bits, actOrder(gIdx, k), /*inverse=*/true,
                out);
  return Status::ok();
}

Status chunkGroups(const int32_t *gIdx, int64_t k, int64_t groupSize,
                   std::vector<int32_t> &out) {
  const int64_t chunks = (k + 31) / 32;
  out.assign(static_cast<size_t>(chunks), 0);
  std::vector<int32_t> order;
  if (gIdx)
    order = actOrder(gIdx, k);
  auto groupAt = [&](int64_t p) -> int64_t {
    if (gIdx)
      return gIdx[order[p]];
    return groupSize > 0 ? p / groupSize : 0;
  };
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t p0 = c * 32, p1 = std::min(k, p0 + 32);
    const int64_t g = groupAt(p0);
    for (int64_t p = p0 + 1; p < p1; ++p)
      if (groupAt(p) != g)
        return errorf("rows ", p0, "..", p1 - 1,
                      " (in act-order) span groups ", g, " and ", groupAt(p),
                      "; the CUDA kernels need every 32-row chunk in one "
                      "group (group sizes that are multiples of 32)");
    out[c] = int32_t(g);
  }
  return Status::ok();
}

} // namespace gptq::rt::quant
