//===- CudaKernelSpec.h - specializations of the CUDA matmul kernels -*- C++ -*-===//
//
// The compiler's CUDA emitter (plain C++, no MLIR): a KernelSpec names one
// specialization of the fused dequantize + matmul kernel; functionName()
// derives the `__global__`'s name from it, launchShape() its tile, block and
// shared memory, and emitKernel() its readable CUDA C++ source.
// gptq-lower-to-cuda builds specs from ops and records them in
// gptq.cuda_kernel ops; gptq-translate --emit-cuda and the CUDA backend
// (which compiles the source with NVRTC) turn them back into source.
//
// The emitted source needs no header (not even cuda_fp16.h): halves are
// 16-bit integers converted and combined with inline PTX, so that NVRTC
// compiles it without include paths and nvcc compiles it as a .cu file.
//
// Kernel contract (both paths; all pointers are device pointers):
//
//   void NAME(const XT *xp, const u32 *qw, const u16 *scales, const u32 *qz,
//             const int *cgroup, const float *bias, const IO *e0,
//             const IO *e1, IO *out, int M, int N, int K)
//
//   xp      the activations, prepared by a gptq_prep_x_* kernel: [Mp, Kp]
//           with Kp = 32 * ceil(K / 32), columns permuted to the weight's
//           act-order (column p holds input column order[p]), zero padded.
//           XT = float and Mp = M for gemv; XT = half (u16) and
//           Mp = 64 * ceil(M / 64) for mma.
//   qw      the weight in the "gpu" layout (runtime/quant/Repack.h).
//   scales  fp16 [groups, N]; qz the packed zero points [groups,
//           ceil(N * bits / 32)] (v2: the zero points themselves).
//   cgroup  act-order: group of each 32-row chunk in processing order
//           (chunkGroups() of Repack.h); unused otherwise (may be null).
//   bias    fp32 [N] (when spec.bias); e0, e1 the epilogue operands [M, N]
//           of the io type, consumed by the add/mul steps in order.
//   out     [M, N] of the io type IO (float or half).
//   grid    [ceil(N / tile_n), ceil(M / tile_m), 1], block launchShape().block.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_PASSES_CONVERSION_QUANTTOCUDA_CUDAKERNELSPEC_H
#define GPTQ_PASSES_CONVERSION_QUANTTOCUDA_CUDAKERNELSPEC_H

#include <cstdint>
#include <string>
#include <vector>

namespace gptq::cuda {

enum class KernelPath { Gemv, Mma };

struct KernelSpec {
  int bits = 4;
  int64_t groupSize = 128; ///< -1 or a multiple of 32
  bool actOrder = false;   ///< g_idx: activations permuted, cgroup table
  KernelPath path = KernelPath::Gemv;
  bool ioF16 = false;      ///< activations/epilogue/result: half (else float)
  bool bias = false;
  std::vector<std::string> epilogue; ///< relu, silu, add, mul (<= 2 add/mul)
  bool maskK = false;      ///< K % 32 != 0: the last chunk is partial
  bool maskN = false;      ///< N % tile_n != 0: the last column tile is partial
};

struct LaunchShape {
  int64_t tileM, tileN, tileK;
  int64_t block[3];
  int64_t smem;  ///< static shared memory in bytes
  int64_t maxM;  ///< largest M (gemv), -1 for any
};

/// M <= this runs the gemv path (when M is dynamic, both are emitted).
inline constexpr int64_t kGemvMaxM = 8;

const char *pathName(KernelPath path); ///< "gemv", "mma"
/// Checks what the kernels support; the message says what is wrong.
bool validate(const KernelSpec &spec, std::string &error);
/// "gptq_fused_matmul_nbits_w4_g128_act_gemv_f32_bias_silu_mul_mk_mn".
std::string functionName(const KernelSpec &spec);
LaunchShape launchShape(const KernelSpec &spec);
/// The source of the helpers and prep kernels every module needs.
std::string emitPrelude();
/// The `extern "C" __global__` of one specialization.
std::string emitKernel(const KernelSpec &spec);
/// Name of the activation prep kernel for an io type and path.
std::string prepKernelName(bool ioF16, KernelPath path);

} // namespace gptq::cuda

#endif // GPTQ_PASSES_CONVERSION_QUANTTOCUDA_CUDAKERNELSPEC_H
