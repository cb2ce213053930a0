//===- Repack.h - the "gpu" layout of packed weights ------------*- C++ -*-===//
//
// gptq-repack rewrites qweight offline from the GPTQ convention (Packing.h)
// into the layout the CUDA kernels read; the op records it as
// `layout = "gpu"`. The tensor keeps its shape [ceil(K * bits / 32), N] and
// its words, only their order and the order of the values inside them
// change:
//
//   1. Rows (act-order only): with g_idx, stream position p holds input row
//      order[p], where `order` is the stable sort of the rows by g_idx
//      (actOrder below). Groups are then contiguous runs of positions and the
//      kernels permute the activations once per call instead of gathering
//      per group. Without g_idx, position p holds row p.
//   2. Chunks: each column's stream is cut into chunks of 32 positions,
//      i.e. `bits` words (the last chunk has wc = packedRows - c * bits words,
//      possibly fewer). Words are stored chunk-major, then by column:
//        word w of chunk c of column n is at  c * bits * N + n * wc(c) + w.
//      A thread reading one column's chunk reads `bits` contiguous words
//      (16 bytes at 4 bits), and a block reading chunk c of columns
//      [n0, n0 + T) reads one contiguous run of T * bits words.
//   3. Interleave (2, 4 and 8 bits; 3-bit words are unchanged): a word holds
//      V = 32 / bits values (positions 0..V-1 of the word); position 2j is
//      stored in field j and position 2j + 1 in field V/2 + j (field f is
//      bits [f * bits, f * bits + bits)). Then
//        ((word >> (bits * j)) & (M | M << 16)) | 0x64006400,  M = 2^bits - 1,
//      is the fp16 pair (1024 + q[2j], 1024 + q[2j + 1]): one shift and one
//      lop3 per two values; subtracting 1024 + zero is exact.
//
// Zero points, scales and g_idx are not changed.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_REPACK_H
#define GPTQ_RUNTIME_QUANT_REPACK_H

#include "runtime/Status.h"

#include <cstdint>
#include <vector>

namespace gptq::rt::quant {

/// Rows in chunk order: the stable sort of [0, k) by gIdx (identity when
/// gIdx is null).
std::vector<int32_t> actOrder(const int32_t *gIdx, int64_t k);

/// Number of words of chunk `c` of a column (bits, or fewer for the last).
inline int64_t chunkWords(int64_t c, int64_t packedRows, int bits) {
  int64_t rest = packedRows - c * bits;
  return rest < bits ? rest : bits;
}

/// GPTQ layout -> "gpu" layout. `gIdx` ([k]) is null without act-order.
/// `in` and `out` are [packedRows(k, bits), n] words and must not overlap.
Status repackToGpu(const int32_t *in, int64_t k, int64_t n, int bits,
                   const int32_t *gIdx, int32_t *out);

/// "gpu" layout -> GPTQ layout (the inverse of repackToGpu).
Status repackFromGpu(const int32_t *in, int64_t k, int64_t n, int bits,
                     const int32_t *gIdx, int32_t *out);

/// The group of each 32-position chunk in processing order
/// ([ceil(k / 32)]), for kernels that read one scale and zero per chunk.
/// Fails, naming the chunk, when a chunk spans two groups.
Status chunkGroups(const int32_t *gIdx, int64_t k, int64_t groupSize,
                   std::vector<int32_t> &out);

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_REPACK_H
