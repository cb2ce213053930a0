//===- QuantMatMul.cpp - fused low-bit matmul on raw arrays ---------------===//
//
// See QuantMatMul.h for the strategy. Vocabulary:
//   position p    index in processing order: row order[p] of W (identity
//                 unless act-order); groups are contiguous runs of positions
//                 ("segments").
//   words mode    bits in {2, 4, 8}, identity order, every segment starting
//                 at a multiple of 32/bits rows: whole packed words are
//                 unpacked with immediate shifts/masks. Field j of a word is
//                 extracted as (word & (mask << bits*j)) = q * 2^(bits*j),
//                 which converts to float exactly; the activation is
//                 pre-scaled by 2^-(bits*j) (exact), so the product is x*q.
//   rows mode     any bits and order: row p is extracted from its word with a
//                 variable shift (and the next word for 3-bit straddles).
//
//===----------------------------------------------------------------------===//

#include "runtime/quant/QuantMatMul.h"

#include "runtime/quant/Packing.h"
#include "runtime/quant/QuantInternal.h"
#include "runtime/quant/TaskPool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define GPTQ_HAVE_X86 1
#define GPTQ_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define GPTQ_HAVE_X86 0
#endif

namespace gptq::rt::quant {
namespace {

constexpr int kFusedTile = 32;     // columns per tile, M <= 4
constexpr int kGemmTile = 16;      // columns per tile, dequantize + GEMM
constexpr int64_t kChunkRows = 256;// rows dequantized at a time (16 KiB)
constexpr int kFusedMaxM = 4;
// Rows of packed words prefetched ahead: a column tile walks down rows that
// are N * 4 bytes apart, a stride the hardware prefetchers do not follow.
constexpr int64_t kPrefetchRows = 16;
// Rows per segment at most (a multiple of 32, so of every words-per-word).
constexpr int64_t kSegmentRows = 128;

/// Per-call description of the weight's groups and rows.
struct Layout {
  int bits = 4;
  int vpw = 8; // values per word (0 for 3 bits)
  uint32_t mask = 15;
  int64_t k = 0, n = 0, groups = 1, packedRows = 0;
  std::vector<int32_t> rowGroup; // [k], original order
  bool sorted = true;            // rowGroup non-decreasing
  bool wordsMode = false;
  std::vector<int32_t> order;    // [k] position -> row (empty: identity)
  std::vector<int64_t> segStart; // [S + 1] positions
  std::vector<int32_t> segGroup; // [S]
  struct RowLoc {
    int32_t word, hiWord;
    int32_t shift, hiShift; // hiShift = 32 (no contribution) unless straddle
  };
  std::vector<RowLoc> loc; // [k] by position (rows mode)

  int64_t segments() const { return int64_t(segGroup.size()); }
  int64_t rowAt(int64_t p) const { return order.empty() ? p : order[p]; }
};

Layout::RowLoc rowLoc(int64_t row, int bits) {
  const int64_t bit = row * bits;
  Layout::RowLoc l;
  l.word = int32_t(bit >> 5);
  l.shift = int32_t(bit & 31);
  const bool straddle = l.shift + bits > 32;
  l.hiWord = straddle ? l.word + 1 : l.word;
  l.hiShift = straddle ? 32 - l.shift : 32;
  return l;
}

Status buildGroups(const MatMulNBitsArgs &a, Layout &L) {
  if (a.bits != 2 && a.bits != 3 && a.bits != 4 && a.bits != 8)
    return errorf("bits must be 2, 3, 4 or 8 (got ", a.bits, ")");
  if (a.groups < 1)
    return errorf("need at least one group (got ", a.groups, ")");
  if (a.scalesType != DType::F32 && a.scalesType != DType::F16 &&
      a.scalesType != DType::BF16)
    return errorf("scales must be f32, f16 or bf16 (got ",
                  dtypeName(a.scalesType), ")");
  L.bits = a.bits;
  L.vpw = 32 % a.bits == 0 ? 32 / a.bits : 0;
  L.mask = (1u << a.bits) - 1u;
  L.k = a.k;
  L.n = a.n;
  L.groups = a.groups;
  L.packedRows = packedRows(a.k, a.bits);
  L.rowGroup.resize(static_cast<size_t>(a.k));
  for (int64_t r = 0; r < a.k; ++r) {
    int64_t g = a.gIdx ? int64_t(a.gIdx[r])
                       : (a.groupSize > 0 ? r / a.groupSize : int64_t(0));
    if (g < 0 || g >= a.groups) {
      if (a.gIdx)
        return errorf("g_idx[", r, "] = ", g, " is outside [0, ", a.groups,
                      ")");
      return errorf("row ", r, " falls in group ", g, " but there are only ",
                    a.groups, " groups (group_size ", a.groupSize, ")");
    }
    L.rowGroup[r] = int32_t(g);
    if (r > 0 && g < L.rowGroup[r - 1])
      L.sorted = false;
  }
  return Status::ok();
}

/// Processing order and segments (for the fused path).
void buildSegments(Layout &L) {
  const int64_t k = L.k;
  if (!L.sorted) {
    // Stable counting sort of the rows by group.
    std::vector<int64_t> start(static_cast<size_t>(L.groups + 1), 0);
    for (int64_t r = 0; r < k; ++r)
      ++start[L.rowGroup[r] + 1];
    for (int64_t g = 0; g < L.groups; ++g)
      start[g + 1] += start[g];
    L.order.resize(static_cast<size_t>(k));
    for (int64_t r = 0; r < k; ++r)
      L.order[start[L.rowGroup[r]]++] = int32_t(r);
  }
  L.segStart.clear();
  L.segGroup.clear();
  for (int64_t p = 0; p < k; ++p) {
    int32_t g = L.rowGroup[L.rowAt(p)];
    // A new segment at each change of group, and every kSegmentRows rows:
    // the fused path sweeps its column tiles one segment at a time.
    if (L.segGroup.empty() || g != L.segGroup.back() ||
        p - L.segStart.back() == kSegmentRows) {
      L.segStart.push_back(p);
      L.segGroup.push_back(g);
    }
  }
  L.segStart.push_back(k);
  L.wordsMode = L.sorted && L.vpw != 0;
  for (size_t s = 1; L.wordsMode && s + 1 < L.segStart.size(); ++s)
    L.wordsMode = L.segStart[s] % L.vpw == 0;
  if (!L.wordsMode) {
    L.loc.resize(static_cast<size_t>(k));
    for (int64_t p = 0; p < k; ++p)
      L.loc[p] = rowLoc(L.rowAt(p), L.bits);
  }
}

float loadScale(const void *s, DType t, int64_t i) {
  switch (t) {
  case DType::F16: return halfToFloat(static_cast<const uint16_t *>(s)[i]);
  case DType::BF16: return bf16ToFloat(static_cast<const uint16_t *>(s)[i]);
  default: return static_cast<const float *>(s)[i];
  }
}

int32_t zeroAt(const int32_t *qzeros, int64_t zcols, int bits, int64_t g,
               int64_t col) {
  const uint32_t *row = reinterpret_cast<const uint32_t *>(qzeros) + g * zcols;
  const int64_t bit = col * bits;
  const int shift = int(bit & 31);
  uint32_t v = row[bit >> 5] >> shift;
  if (shift + bits > 32)
    v |= row[(bit >> 5) + 1] << (32 - shift);
  return int32_t(v & ((1u << bits) - 1u));
}

/// Scales and zero points of columns [n0, n0 + width) for every group,
/// [groups][ld], padded with zeros up to ld.
void tileParams(const MatMulNBitsArgs &a, int64_t n0, int64_t width, int ld,
                std::vector<float> &s, std::vector<int32_t> &z) {
  s.assign(static_cast<size_t>(a.groups * ld), 0.0f);
  z.assign(static_cast<size_t>(a.groups * ld), 0);
  const int64_t zcols = packedZeroCols(a.n, a.bits);
  for (int64_t g = 0; g < a.groups; ++g) {
    for (int64_t j = 0; j < width; ++j) {
      s[g * ld + j] = loadScale(a.scales, a.scalesType, g * a.n + n0 + j);
      z[g * ld + j] = zeroAt(a.qzeros, zcols, a.bits, g, n0 + j);
    }
  }
}

/// The packed words of columns [n0, n0 + width): in place when the tile is
/// full, else gathered into `buf` ([packedRows][ld], zero padded).
const int32_t *tileWords(const MatMulNBitsArgs &a, const Layout &L, int64_t n0,
                         int64_t width, int ld, std::vector<int32_t> &buf,
                         int64_t &ldq) {
  if (width == ld) {
    ldq = a.n;
    return a.qweight + n0;
  }
  buf.assign(static_cast<size_t>(L.packedRows * ld), 0);
  for (int64_t r = 0; r < L.packedRows; ++r)
    std::memcpy(buf.data() + r * ld, a.qweight + r * a.n + n0,
                sizeof(int32_t) * width);
  ldq = ld;
  return buf.data();
}

/// Dequantizes rows [k0, k1) (original order) of a tile into buf[k - k0][ld].
void dequantRowsPortable(const int32_t *qw, int64_t ldq, const Layout &L,
                         int64_t k0, int64_t k1, const float *s,
                         const int32_t *z, int ld, float *buf) {
  const uint32_t *q = reinterpret_cast<const uint32_t *>(qw);
  for (int64_t r = k0; r < k1; ++r) {
    const Layout::RowLoc l = rowLoc(r, L.bits);
    const uint32_t *lo = q + l.word * ldq, *hi = q + l.hiWord * ldq;
    const int64_t g = L.rowGroup[r];
    float *o = buf + (r - k0) * ld;
    for (int j = 0; j < ld; ++j) {
      uint32_t v = lo[j] >> l.shift;
      if (l.hiShift < 32)
        v |= hi[j] << l.hiShift;
      o[j] = float(int32_t(v & L.mask) - z[g * ld + j]) * s[g * ld + j];
    }
  }
}

//===----------------------------------------------------------------------===//
// AVX2 kernels.
//===----------------------------------------------------------------------===//

#if GPTQ_HAVE_X86

/// The end of a segment (a run of rows of one group) in both kernels:
/// fin[m][n] += s[g][n] * (acc[m][n] - z[g][n] * xsum[m][sg]).
template <int MR, int NV>
GPTQ_AVX2 inline __attribute__((always_inline)) void
finishSegment(const __m256 (&acc)[MR][NV], const float *xsum, int64_t ldsum,
              int64_t sg, int64_t g, const float *s, const float *z,
              int64_t ldp, float *fin, int64_t ldf) {
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    const __m256 xsb = _mm256_broadcast_ss(xsum + m * ldsum + sg);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __m256 sv = _mm256_loadu_ps(s + g * ldp + 8 * v);
      const __m256 zv = _mm256_loadu_ps(z + g * ldp + 8 * v);
      const __m256 t = _mm256_fnmadd_ps(zv, xsb, acc[m][v]);
      float *f = fin + m * ldf + 8 * v;
      _mm256_storeu_ps(f, _mm256_fmadd_ps(sv, t, _mm256_loadu_ps(f)));
    }
  }
}

/// Words mode: MR activation rows x (8 NV) columns over all segments.
/// xs: pre-scaled activations [MR][ldx] (ldx >= packedRows * vpw, padded
/// with zeros); xsum: [MR][ldsum] sums of the unscaled activations per
/// segment; s, z: [groups][ldp]; fin: [MR][ldf] accumulated outputs.
template <int BITS, int MR, int NV>
GPTQ_AVX2 void fusedWords(const int32_t *qw, int64_t ldq, const Layout &L,
                          const float *xs, int64_t ldx, const float *xsum,
                          int64_t ldsum, const float *s, const float *z,
                          int64_t ldp, float *fin, int64_t ldf, int64_t sgBegin,
                          int64_t sgEnd) {
  constexpr int VPW = 32 / BITS;
  constexpr uint32_t MASK = (1u << BITS) - 1u;
  for (int64_t sg = sgBegin; sg < sgEnd; ++sg) {
    const int64_t w0 = L.segStart[sg] / VPW;
    const int64_t w1 = (L.segStart[sg + 1] + VPW - 1) / VPW;
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[m][v] = _mm256_setzero_ps();
    for (int64_t w = w0; w < w1; ++w) {
      const int32_t *row = qw + w * ldq;
      // The tile's words of a later row (prefetches never fault).
      _mm_prefetch(reinterpret_cast<const char *>(row + kPrefetchRows * ldq),
                   _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char *>(row + kPrefetchRows * ldq + 16),
                   _MM_HINT_T0);
      __m256i pk[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        pk[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(row + 8 * v));
      const float *xr = xs + w * VPW;
#pragma GCC unroll 16
      for (int j = 0; j < VPW; ++j) {
        __m256 xb[MR];
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m)
          xb[m] = _mm256_broadcast_ss(xr + m * ldx + j);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
          __m256i f;
          if (j == VPW - 1)
            f = _mm256_srli_epi32(pk[v], 32 - BITS);
          else
            f = _mm256_and_si256(pk[v], _mm256_set1_epi32(int(MASK << (BITS * j))));
          const __m256 wf = _mm256_cvtepi32_ps(f);
#pragma GCC unroll 8
          for (int m = 0; m < MR; ++m)
            acc[m][v] = _mm256_fmadd_ps(xb[m], wf, acc[m][v]);
        }
      }
    }
    finishSegment<MR, NV>(acc, xsum, ldsum, sg, L.segGroup[sg], s, z, ldp, fin,
                          ldf);
  }
}

/// Words mode, one segment over a contiguous range of `ntiles` full column
/// tiles: each packed row of the segment is read from start to end of the
/// range (sequential memory), the per-column sums sum(x * q) live in `acc`
/// ([MR][ntiles * 32], L1-resident), and at the end of the segment
/// fin[tile][m][j] += s * (acc - z * xsum). s, z: [groups][ldp], from the
/// range's first column.
template <int BITS, int MR>
GPTQ_AVX2 void fusedSweep(const int32_t *qw, int64_t ldq, const Layout &L,
                          const float *xs, int64_t ldx, const float *xsum,
                          int64_t ldsum, const float *s, const float *z,
                          int64_t ldp, float *fin, int64_t ntiles,
                          int64_t sg, float *acc) {
  constexpr int VPW = 32 / BITS;
  constexpr uint32_t MASK = (1u << BITS) - 1u;
  const int64_t ncols = ntiles * kFusedTile, nvec = ncols / 8;
  for (int64_t i = 0; i < MR * ncols; i += 8)
    _mm256_storeu_ps(acc + i, _mm256_setzero_ps());
  const int64_t w0 = L.segStart[sg] / VPW;
  const int64_t w1 = (L.segStart[sg + 1] + VPW - 1) / VPW;
  // Two vectors of 8 columns per step and, for MR <= 2, two partial sums
  // per vector (even / odd fields): independent FMA chains hide the FMA
  // latency (one chain of VPW dependent FMAs per vector would bound the
  // kernel).
  constexpr int P = MR <= 2 ? 2 : 1;
  constexpr bool hoist = MR * VPW <= 8; // broadcasts kept in registers
  for (int64_t w = w0; w < w1; ++w) {
    const int32_t *row = qw + w * ldq;
    const int32_t *ahead = row + 2 * ldq; // the row after next
    const float *xr = xs + w * VPW;
    __m256 xh[hoist ? MR * VPW : 1];
    if constexpr (hoist) {
#pragma GCC unroll 16
      for (int i = 0; i < MR * VPW; ++i)
        xh[i] = _mm256_broadcast_ss(xr + (i / VPW) * ldx + i % VPW);
    }
    for (int64_t v = 0; v < nvec; v += 2) {
      _mm_prefetch(reinterpret_cast<const char *>(ahead + 8 * v), _MM_HINT_T0);
      __m256i pk[2];
      __m256 a[MR][2][P];
#pragma GCC unroll 2
      for (int u = 0; u < 2; ++u) {
        pk[u] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(row + 8 * (v + u)));
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
          a[m][u][0] = _mm256_loadu_ps(acc + m * ncols + 8 * (v + u));
          if constexpr (P == 2)
            a[m][u][P - 1] = _mm256_setzero_ps();
        }
      }
#pragma GCC unroll 16
      for (int j = 0; j < VPW; ++j) {
#pragma GCC unroll 2
        for (int u = 0; u < 2; ++u) {
          __m256i f;
          if (j == VPW - 1)
            f = _mm256_srli_epi32(pk[u], 32 - BITS);
          else
            f = _mm256_and_si256(pk[u],
                                 _mm256_set1_epi32(int(MASK << (BITS * j))));
          const __m256 wf = _mm256_cvtepi32_ps(f);
#pragma GCC unroll 8
          for (int m = 0; m < MR; ++m) {
            const __m256 xb = hoist ? xh[hoist ? m * VPW + j : 0]
                                    : _mm256_broadcast_ss(xr + m * ldx + j);
            a[m][u][j % P] = _mm256_fmadd_ps(xb, wf, a[m][u][j % P]);
          }
        }
      }
#pragma GCC unroll 2
      for (int u = 0; u < 2; ++u)
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
          __m256 t = a[m][u][0];
          if constexpr (P == 2)
            t = _mm256_add_ps(t, a[m][u][P - 1]);
          _mm256_storeu_ps(acc + m * ncols + 8 * (v + u), t);
        }
    }
  }
  const int64_t g = L.segGroup[sg];
  for (int64_t v = 0; v < nvec; ++v) {
    const int64_t t = v / (kFusedTile / 8), j = (v % (kFusedTile / 8)) * 8;
    const __m256 sv = _mm256_loadu_ps(s + g * ldp + 8 * v);
    const __m256 zv = _mm256_loadu_ps(z + g * ldp + 8 * v);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m256 xsb = _mm256_broadcast_ss(xsum + m * ldsum + sg);
      const __m256 tt =
          _mm256_fnmadd_ps(zv, xsb, _mm256_loadu_ps(acc + m * ncols + 8 * v));
      float *f = fin + t * kFusedMaxM * kFusedTile + m * kFusedTile + j;
      _mm256_storeu_ps(f, _mm256_fmadd_ps(sv, tt, _mm256_loadu_ps(f)));
    }
  }
}

using SweepFn = void (*)(const int32_t *, int64_t, const Layout &,
                         const float *, int64_t, const float *, int64_t,
                         const float *, const float *, int64_t, float *,
                         int64_t, int64_t, float *);

template <int BITS> SweepFn pickSweepM(int64_t mr) {
  switch (mr) {
  case 1: return &fusedSweep<BITS, 1>;
  case 2: return &fusedSweep<BITS, 2>;
  case 3: return &fusedSweep<BITS, 3>;
  default: return &fusedSweep<BITS, 4>;
  }
}

/// Null for 3 bits (no words mode).
SweepFn pickSweep(int bits, int64_t mr) {
  switch (bits) {
  case 2: return pickSweepM<2>(mr);
  case 4: return pickSweepM<4>(mr);
  case 8: return pickSweepM<8>(mr);
  default: return nullptr;
  }
}

/// Rows mode: as fusedWords, but position p is row order[p], extracted with
/// a variable shift; xs is [MR][ldx] in position order, unscaled.
template <int BITS, int MR, int NV>
GPTQ_AVX2 void fusedRows(const int32_t *qw, int64_t ldq, const Layout &L,
                         const float *xs, int64_t ldx, const float *xsum,
                         int64_t ldsum, const float *s, const float *z,
                         int64_t ldp, float *fin, int64_t ldf, int64_t sgBegin,
                         int64_t sgEnd) {
  const __m256i mask = _mm256_set1_epi32(int((1u << BITS) - 1u));
  for (int64_t sg = sgBegin; sg < sgEnd; ++sg) {
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[m][v] = _mm256_setzero_ps();
    for (int64_t p = L.segStart[sg]; p < L.segStart[sg + 1]; ++p) {
      const Layout::RowLoc &l = L.loc[p];
      const int32_t *lo = qw + int64_t(l.word) * ldq;
      if (p + kPrefetchRows < L.k) {
        const int32_t *ahead =
            qw + int64_t(L.loc[p + kPrefetchRows].word) * ldq;
        _mm_prefetch(reinterpret_cast<const char *>(ahead), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(ahead + 16), _MM_HINT_T0);
      }
      const __m128i sh = _mm_cvtsi32_si128(l.shift);
      __m256 xb[MR];
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m)
        xb[m] = _mm256_broadcast_ss(xs + m * ldx + p);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        __m256i f = _mm256_srl_epi32(
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lo + 8 * v)), sh);
        if (BITS == 3) {
          const int32_t *hi = qw + int64_t(l.hiWord) * ldq;
          f = _mm256_or_si256(
              f, _mm256_sll_epi32(_mm256_loadu_si256(
                                      reinterpret_cast<const __m256i *>(hi + 8 * v)),
                                  _mm_cvtsi32_si128(l.hiShift)));
        }
        const __m256 wf = _mm256_cvtepi32_ps(_mm256_and_si256(f, mask));
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m)
          acc[m][v] = _mm256_fmadd_ps(xb[m], wf, acc[m][v]);
      }
    }
    finishSegment<MR, NV>(acc, xsum, ldsum, sg, L.segGroup[sg], s, z, ldp, fin,
                          ldf);
  }
}

/// Dequantizes rows [k0, k1) of a 16-column tile into buf[k - k0][16].
template <int BITS>
GPTQ_AVX2 void dequantRowsAvx2(const int32_t *qw, int64_t ldq, const Layout &L,
                               int64_t k0, int64_t k1, const float *s,
                               const int32_t *z, float *buf) {
  const __m256i mask = _mm256_set1_epi32(int((1u << BITS) - 1u));
  for (int64_t r = k0; r < k1; ++r) {
    const int64_t bit = r * BITS;
    const int32_t *lo = qw + (bit >> 5) * ldq;
    _mm_prefetch(reinterpret_cast<const char *>(lo + kPrefetchRows * ldq),
                 _MM_HINT_T0);
    const int shift = int(bit & 31);
    const __m128i sh = _mm_cvtsi32_si128(shift);
    __m256i f0 = _mm256_srl_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lo)), sh);
    __m256i f1 = _mm256_srl_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lo + 8)), sh);
    if (BITS == 3 && shift + BITS > 32) {
      const int32_t *hi = lo + ldq;
      const __m128i hs = _mm_cvtsi32_si128(32 - shift);
      f0 = _mm256_or_si256(f0, _mm256_sll_epi32(_mm256_loadu_si256(
                                   reinterpret_cast<const __m256i *>(hi)), hs));
      f1 = _mm256_or_si256(f1, _mm256_sll_epi32(_mm256_loadu_si256(
                                   reinterpret_cast<const __m256i *>(hi + 8)), hs));
    }
    const int64_t g = L.rowGroup[r];
    const int32_t *zg = z + g * kGemmTile;
    const float *sg = s + g * kGemmTile;
    f0 = _mm256_sub_epi32(_mm256_and_si256(f0, mask),
                          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(zg)));
    f1 = _mm256_sub_epi32(_mm256_and_si256(f1, mask),
                          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(zg + 8)));
    float *o = buf + (r - k0) * kGemmTile;
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(f0), _mm256_loadu_ps(sg)));
    _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(f1),
                                          _mm256_loadu_ps(sg + 8)));
  }
}

/// c[MR][16] (+)= x[MR rows, ld ldx][kc] @ buf[kc][16].
template <int MR>
GPTQ_AVX2 void microGemm(const float *x, int64_t ldx, const float *buf,
                         int64_t kc, float *c, int64_t ldc, bool init) {
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    if (init) {
      acc[m][0] = _mm256_setzero_ps();
      acc[m][1] = _mm256_setzero_ps();
    } else {
      acc[m][0] = _mm256_loadu_ps(c + m * ldc);
      acc[m][1] = _mm256_loadu_ps(c + m * ldc + 8);
    }
  }
  for (int64_t kk = 0; kk < kc; ++kk) {
    const __m256 b0 = _mm256_loadu_ps(buf + kk * kGemmTile);
    const __m256 b1 = _mm256_loadu_ps(buf + kk * kGemmTile + 8);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m256 a = _mm256_broadcast_ss(x + m * ldx + kk);
      acc[m][0] = _mm256_fmadd_ps(a, b0, acc[m][0]);
      acc[m][1] = _mm256_fmadd_ps(a, b1, acc[m][1]);
    }
  }
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    _mm256_storeu_ps(c + m * ldc, acc[m][0]);
    _mm256_storeu_ps(c + m * ldc + 8, acc[m][1]);
  }
}

using FusedFn = void (*)(const int32_t *, int64_t, const Layout &, const float *,
                         int64_t, const float *, int64_t, const float *,
                         const float *, int64_t, float *, int64_t, int64_t,
                         int64_t);

template <int BITS, int MR> FusedFn pickFused(bool words) {
  constexpr int NV = MR <= 2 ? 4 : 2;
  if constexpr (BITS != 3)
    if (words)
      return &fusedWords<BITS, MR, NV>;
  return &fusedRows<BITS, MR, NV>;
}

template <int BITS> FusedFn pickFusedM(bool words, int64_t mr) {
  switch (mr) {
  case 1: return pickFused<BITS, 1>(words);
  case 2: return pickFused<BITS, 2>(words);
  case 3: return pickFused<BITS, 3>(words);
  default: return pickFused<BITS, 4>(words);
  }
}

FusedFn pickFusedKernel(int bits, bool words, int64_t mr) {
  switch (bits) {
  case 2: return pickFusedM<2>(words, mr);
  case 3: return pickFusedM<3>(words, mr);
  case 4: return pickFusedM<4>(words, mr);
  default: return pickFusedM<8>(words, mr);
  }
}

using DequantFn = void (*)(const int32_t *, int64_t, const Layout &, int64_t,
                           int64_t, const float *, const int32_t *, float *);
DequantFn pickDequant(int bits) {
  switch (bits) {
  case 2: return &dequantRowsAvx2<2>;
  case 3: return &dequantRowsAvx2<3>;
  case 4: return &dequantRowsAvx2<4>;
  default: return &dequantRowsAvx2<8>;
  }
}

using GemmFn = void (*)(const float *, int64_t, const float *, int64_t, float *,
                        int64_t, bool);
constexpr int kGemmRows = 6;
GemmFn pickGemm(int64_t mr) {
  switch (mr) {
  case 1: return &microGemm<1>;
  case 2: return &microGemm<2>;
  case 3: return &microGemm<3>;
  case 4: return &microGemm<4>;
  case 5: return &microGemm<5>;
  default: return &microGemm<6>;
  }
}

#endif // GPTQ_HAVE_X86

//===----------------------------------------------------------------------===//
// Drivers.
//===----------------------------------------------------------------------===//

/// Splits `tiles` column tiles into tasks for `threads` threads.
int64_t tilesPerTask(int64_t tiles, int threads) {
  if (threads <= 1)
    return tiles;
  return std::max<int64_t>(1, tiles / (int64_t(threads) * 4));
}

int threadsFor(const MatMulNBitsArgs &a, double work) {
  int t = a.threads > 0 ? a.threads : quantThreads();
  return work < double(1 << 18) ? 1 : t;
}

void writeOutputs(const MatMulNBitsArgs &a, const float *tile, int64_t ld,
                  int64_t rows, int64_t m0, int64_t n0, int64_t width,
                  float *out) {
  for (int64_t m = 0; m < rows; ++m) {
    float *o = out + (m0 + m) * a.n + n0;
    const float *t = tile + m * ld;
    if (a.bias)
      for (int64_t j = 0; j < width; ++j)
        o[j] = t[j] + a.bias[n0 + j];
    else
      std::memcpy(o, t, sizeof(float) * width);
  }
}

/// Dequantize + micro-GEMM (any M; the portable path and M > 4 on AVX2).
void gemmPath(const MatMulNBitsArgs &a, const Layout &L, bool avx2,
              float *out) {
  const int64_t tiles = (a.n + kGemmTile - 1) / kGemmTile;
  const int threads = threadsFor(a, double(a.m) * double(a.k) * double(a.n));
  const int64_t per = tilesPerTask(tiles, threads);
  const int64_t tasks = (tiles + per - 1) / per;
  runTasks(tasks, threads, [&](int64_t task) {
    std::vector<float> s, buf(static_cast<size_t>(kChunkRows * kGemmTile)),
        c(static_cast<size_t>(a.m * kGemmTile));
    std::vector<int32_t> z, words;
    for (int64_t t = task * per; t < std::min(tiles, (task + 1) * per); ++t) {
      const int64_t n0 = t * kGemmTile;
      const int64_t width = std::min<int64_t>(kGemmTile, a.n - n0);
      tileParams(a, n0, width, kGemmTile, s, z);
      int64_t ldq;
      const int32_t *qw = tileWords(a, L, n0, width, kGemmTile, words, ldq);
      for (int64_t k0 = 0; k0 < a.k; k0 += kChunkRows) {
        const int64_t k1 = std::min(a.k, k0 + kChunkRows);
#if GPTQ_HAVE_X86
        if (avx2) {
          pickDequant(a.bits)(qw, ldq, L, k0, k1, s.data(), z.data(),
                              buf.data());
          for (int64_t m0 = 0; m0 < a.m; m0 += kGemmRows) {
            const int64_t mr = std::min<int64_t>(kGemmRows, a.m - m0);
            pickGemm(mr)(a.x + m0 * a.k + k0, a.k, buf.data(), k1 - k0,
                         c.data() + m0 * kGemmTile, kGemmTile, k0 == 0);
          }
          continue;
        }
#endif
        dequantRowsPortable(qw, ldq, L, k0, k1, s.data(), z.data(), kGemmTile,
                            buf.data());
        if (k0 == 0)
          std::fill(c.begin(), c.end(), 0.0f);
        for (int64_t m = 0; m < a.m; ++m) {
          const float *xr = a.x + m * a.k + k0;
          float *cr = c.data() + m * kGemmTile;
          for (int64_t kk = 0; kk < k1 - k0; ++kk) {
            const float xv = xr[kk];
            const float *b = buf.data() + kk * kGemmTile;
            for (int j = 0; j < kGemmTile; ++j)
              cr[j] += xv * b[j];
          }
        }
      }
      writeOutputs(a, c.data(), kGemmTile, a.m, 0, n0, width, out);
    }
  });
}

#if GPTQ_HAVE_X86
/// Scratch that lives as long as the thread (no page faults per call).
std::vector<float> &scratch(int which) {
  thread_local std::vector<float> buffers[4];
  return buffers[which];
}

float *scratchFloats(int which, size_t n) {
  std::vector<float> &v = scratch(which);
  if (v.size() < n)
    v.resize(n);
  return v.data();
}

/// Scales and zero points of columns [c0, c1) for every group as floats,
/// into sF / zF ([groups][n]).
void paramsRange(const MatMulNBitsArgs &a, int64_t c0, int64_t c1, float *sF,
                 float *zF) {
  const int64_t zcols = packedZeroCols(a.n, a.bits);
  const int vpw = 32 % a.bits == 0 ? 32 / a.bits : 0;
  const uint32_t mask = (1u << a.bits) - 1u;
  for (int64_t g = 0; g < a.groups; ++g) {
    float *sr = sF + g * a.n, *zr = zF + g * a.n;
    switch (a.scalesType) {
    case DType::F16: {
      const uint16_t *src = static_cast<const uint16_t *>(a.scales) + g * a.n;
      for (int64_t c = c0; c < c1; ++c)
        sr[c] = halfToFloat(src[c]);
      break;
    }
    case DType::BF16: {
      const uint16_t *src = static_cast<const uint16_t *>(a.scales) + g * a.n;
      for (int64_t c = c0; c < c1; ++c)
        sr[c] = bf16ToFloat(src[c]);
      break;
    }
    default:
      std::memcpy(sr + c0, static_cast<const float *>(a.scales) + g * a.n + c0,
                  sizeof(float) * (c1 - c0));
    }
    const uint32_t *zrow =
        reinterpret_cast<const uint32_t *>(a.qzeros) + g * zcols;
    int64_t c = c0;
    if (vpw)
      for (; c < c1 && c % vpw; ++c)
        zr[c] = float(zeroAt(a.qzeros, zcols, a.bits, g, c));
    if (vpw)
      for (; c + vpw <= c1; c += vpw) {
        const uint32_t w = zrow[c / vpw];
        for (int j = 0; j < vpw; ++j)
          zr[c + j] = float((w >> (a.bits * j)) & mask);
      }
    for (; c < c1; ++c)
      zr[c] = float(zeroAt(a.qzeros, zcols, a.bits, g, c));
  }
}

/// Fused path for M <= 4 on AVX2.
void fusedPath(const MatMulNBitsArgs &a, Layout &L, float *out) {
  buildSegments(L);
  const int64_t m = a.m, k = a.k;
  const int64_t segs = L.segments();
  // Activations in processing order (words mode: pre-scaled, padded to
  // whole words) and their sums per segment.
  const int64_t ldx = L.wordsMode ? L.packedRows * L.vpw : k;
  float *xs = scratchFloats(0, static_cast<size_t>(m * ldx));
  float *xsum = scratchFloats(1, static_cast<size_t>(m * segs));
  std::fill(xs, xs + m * ldx, 0.0f);
  for (int64_t r = 0; r < m; ++r) {
    const float *x = a.x + r * k;
    float *o = xs + r * ldx;
    if (L.wordsMode) {
      // Field j < vpw - 1 is read as q * 2^(bits j); the last one is shifted
      // down. Scaling by a power of two is exact.
      float factor[32];
      for (int j = 0; j < L.vpw; ++j)
        factor[j] = j == L.vpw - 1 ? 1.0f : std::ldexp(1.0f, -L.bits * j);
      for (int64_t p = 0; p < k; ++p)
        o[p] = x[p] * factor[p % L.vpw];
    } else {
      for (int64_t p = 0; p < k; ++p)
        o[p] = x[L.rowAt(p)];
    }
    for (int64_t sg = 0; sg < segs; ++sg) {
      double sum = 0;
      for (int64_t p = L.segStart[sg]; p < L.segStart[sg + 1]; ++p)
        sum += double(x[L.rowAt(p)]);
      xsum[r * segs + sg] = float(sum);
    }
  }
  // Scales and zeros as floats, [groups][n] (+ one tile of padding: tile
  // kernels read whole tiles), filled by the tasks for their columns.
  const size_t paramsSize = static_cast<size_t>(a.groups * a.n + kFusedTile);
  float *sF = scratchFloats(2, paramsSize);
  float *zF = scratchFloats(3, paramsSize);
  std::fill(sF + a.groups * a.n, sF + paramsSize, 0.0f);
  std::fill(zF + a.groups * a.n, zF + paramsSize, 0.0f);
  const FusedFn fn = pickFusedKernel(a.bits, L.wordsMode, m);
  const SweepFn sweep = L.wordsMode ? pickSweep(a.bits, m) : nullptr;
  const int halves = m <= 2 ? 1 : 2; // MR 3-4 run 16 columns at a time
  const int64_t tiles = (a.n + kFusedTile - 1) / kFusedTile;
  const int threads = threadsFor(a, double(m) * double(k) * double(a.n));
  // Ranges of 1024 to 2048 columns: 4 to 8 KiB of every packed row read in
  // one go, the sums of a range (acc, [M][columns]) stay in L1/L2.
  const int64_t per = std::min<int64_t>(
      std::max<int64_t>(tilesPerTask(tiles, threads), 1024 / kFusedTile),
      2048 / kFusedTile);
  const int64_t tasks = (tiles + per - 1) / per;
  // Each task owns a range of column tiles and sweeps them one segment
  // (at most kSegmentRows rows) at a time: the rows of a segment are read
  // contiguously across the range instead of one tile column at a time down
  // all K rows (a large power-of-two-like stride that defeats the caches and
  // prefetchers).
  runTasks(tasks, threads, [&](int64_t task) {
    const int64_t t0 = task * per, t1 = std::min(tiles, (task + 1) * per);
    const int64_t nt = t1 - t0, c0 = t0 * kFusedTile;
    paramsRange(a, c0, std::min(a.n, t1 * kFusedTile), sF, zF);
    thread_local std::vector<float> finBuf, accBuf;
    thread_local std::vector<int32_t> words;
    finBuf.assign(static_cast<size_t>(nt * kFusedMaxM * kFusedTile), 0.0f);
    float *fin = finBuf.data();
    // Words mode: the full tiles of the range in one sweep per segment; the
    // partial last tile of the matrix (if this task has it) tile by tile,
    // gathered into `words`.
    int64_t swept = 0;
    if (sweep) {
      swept = nt;
      if (t1 * kFusedTile > a.n)
        --swept;
    }
    if (accBuf.size() < static_cast<size_t>(kFusedMaxM * swept * kFusedTile))
      accBuf.resize(static_cast<size_t>(kFusedMaxM * swept * kFusedTile));
    std::vector<const int32_t *> qws(static_cast<size_t>(nt));
    std::vector<int64_t> ldqs(static_cast<size_t>(nt));
    for (int64_t i = swept; i < nt; ++i) {
      const int64_t n0 = (t0 + i) * kFusedTile;
      qws[i] = tileWords(a, L, n0, std::min<int64_t>(kFusedTile, a.n - n0),
                         kFusedTile, words, ldqs[i]);
    }
    for (int64_t sg = 0; sg < segs; ++sg) {
      if (swept > 0)
        sweep(a.qweight + c0, a.n, L, xs, ldx, xsum, segs, sF + c0, zF + c0,
              a.n, fin, swept, sg, accBuf.data());
      for (int64_t i = swept; i < nt; ++i)
        for (int h = 0; h < halves; ++h) {
          const int off = h * (kFusedTile / halves);
          const int64_t col = (t0 + i) * kFusedTile + off;
          fn(qws[i] + off, ldqs[i], L, xs, ldx, xsum, segs, sF + col, zF + col,
             a.n, fin + i * kFusedMaxM * kFusedTile + off, kFusedTile, sg,
             sg + 1);
        }
    }
    for (int64_t i = 0; i < nt; ++i) {
      const int64_t n0 = (t0 + i) * kFusedTile;
      writeOutputs(a, fin + i * kFusedMaxM * kFusedTile, kFusedTile, m, 0, n0,
                   std::min<int64_t>(kFusedTile, a.n - n0), out);
    }
  });
}
#endif

} // namespace

Status matMulNBits(const MatMulNBitsArgs &a, float *out) {
  if (a.m < 0 || a.k < 0 || a.n < 0)
    return errorf("negative dimension (M ", a.m, ", K ", a.k, ", N ", a.n, ")");
  Layout L;
  GPTQ_RT_TRY(buildGroups(a, L));
  if (a.m == 0 || a.n == 0)
    return Status::ok();
  if (a.k == 0) {
    for (int64_t m = 0; m < a.m; ++m)
      for (int64_t j = 0; j < a.n; ++j)
        out[m * a.n + j] = a.bias ? a.bias[j] : 0.0f;
    return Status::ok();
  }
  const bool avx2 = useAvx2();
#if GPTQ_HAVE_X86
  if (avx2 && a.m <= kFusedMaxM) {
    fusedPath(a, L, out);
    return Status::ok();
  }
#endif
  gemmPath(a, L, avx2, out);
  return Status::ok();
}

Status dequantizeNBits(const MatMulNBitsArgs &a, float *out) {
  if (a.k < 0 || a.n < 0)
    return errorf("negative dimension (K ", a.k, ", N ", a.n, ")");
  Layout L;
  GPTQ_RT_TRY(buildGroups(a, L));
  if (a.k == 0 || a.n == 0)
    return Status::ok();
  const int64_t tiles = (a.n + kGemmTile - 1) / kGemmTile;
  const int threads = threadsFor(a, double(a.k) * double(a.n));
  const int64_t per = tilesPerTask(tiles, threads);
  const int64_t tasks = (tiles + per - 1) / per;
  const bool avx2 = useAvx2();
  runTasks(tasks, threads, [&](int64_t task) {
    std::vector<float> s, buf(static_cast<size_t>(kChunkRows * kGemmTile));
    std::vector<int32_t> z, words;
    for (int64_t t = task * per; t < std::min(tiles, (task + 1) * per); ++t) {
      const int64_t n0 = t * kGemmTile;
      const int64_t width = std::min<int64_t>(kGemmTile, a.n - n0);
      tileParams(a, n0, width, kGemmTile, s, z);
      int64_t ldq;
      const int32_t *qw = tileWords(a, L, n0, width, kGemmTile, words, ldq);
      for (int64_t k0 = 0; k0 < a.k; k0 += kChunkRows) {
        const int64_t k1 = std::min(a.k, k0 + kChunkRows);
#if GPTQ_HAVE_X86
        if (avx2)
          pickDequant(a.bits)(qw, ldq, L, k0, k1, s.data(), z.data(),
                              buf.data());
        else
#endif
          dequantRowsPortable(qw, ldq, L, k0, k1, s.data(), z.data(),
                              kGemmTile, buf.data());
        for (int64_t r = k0; r < k1; ++r)
          std::memcpy(out + r * a.n + n0, buf.data() + (r - k0) * kGemmTile,
                      sizeof(float) * width);
      }
    }
  });
  return Status::ok();
}

} // namespace gptq::rt::quant
