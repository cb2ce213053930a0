//===- CudaKernelsTest.cpp - the generated CUDA kernels vs the CPU --------===//
//
// CudaKernelTests. Without a GPU only the NVRTC compilation runs (NVRTC needs
// no device); the tests that launch kernels skip with the reason
// (GTEST_SKIP) when no usable CUDA device is present.
//
// Every kernel configuration (bits 2/3/4/8 x group size -1/32/64/128 x
// act-order x gemv/mma path, plus io types, bias and epilogues) runs on
// random weights and is compared with the CPU runtime's matMulNBits (the
// reference) on the activations the kernel sees (rounded to fp16 for the
// mma path and for f16 io). Tolerance per output, with mag = sum_k |x w|:
//   gemv: 1e-4 * mag (fp32 math like the CPU, another summation order);
//   mma: 3e-3 * mag (the weight is rounded once to fp16 before the tensor
//        cores, ~2^-11 relative per term, plus fp16 activations);
//   plus half an fp16 ulp of the result for f16 outputs.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/QuantToCuda/CudaKernelSpec.h"
#include "runtime/DType.h"
#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/CudaSupport.h"
#include "runtime/quant/Packing.h"
#include "runtime/quant/QuantMatMul.h"
#include "runtime/quant/Repack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <vector>

using namespace gptq::rt;
using namespace gptq::rt::cuda;
namespace codegen = gptq::cuda;

namespace {

struct Config {
  int bits;
  int64_t groupSize;
  bool act;
  codegen::KernelPath path;
  bool ioF16 = false;
  bool bias = false;
  std::vector<std::string> epilogue;
  int64_t m, k, n;
};

std::string configName(const Config &c) {
  return "w" + std::to_string(c.bits) + "_g" +
         (c.groupSize > 0 ? std::to_string(c.groupSize) : std::string("pc")) +
         (c.act ? "_act" : "") + "_" + codegen::pathName(c.path) +
         (c.ioF16 ? "_f16" : "_f32") + (c.bias ? "_bias" : "") +
         (c.epilogue.empty() ? "" : "_epi") + "_m" + std::to_string(c.m) +
         "_k" + std::to_string(c.k) + "_n" + std::to_string(c.n);
}

codegen::KernelSpec specOf(const Config &c) {
  codegen::KernelSpec s;
  s.bits = c.bits;
  s.groupSize = c.groupSize;
  s.actOrder = c.act;
  s.path = c.path;
  s.ioF16 = c.ioF16;
  s.bias = c.bias;
  s.epilogue = c.epilogue;
  s.maskK = c.k % 32 != 0;
  s.maskN = c.n % codegen::launchShape(s).tileN != 0;
  return s;
}

std::vector<Config> allConfigs() {
  std::vector<Config> out;
  for (int bits : {2, 3, 4, 8})
    for (int64_t gs : {-1, 32, 64, 128})
      for (bool act : {false, true})
        for (auto path : {codegen::KernelPath::Gemv, codegen::KernelPath::Mma}) {
          Config c{bits, gs, act, path};
          const bool gemv = path == codegen::KernelPath::Gemv;
          c.m = gemv ? (act ? 5 : 1) : 37;
          // Alternate aligned and masked K/N over the matrix.
          const bool masked = (bits + (gs > 0 ? gs / 32 : 0) + act) % 2 == 0;
          c.k = masked ? 200 : 256;
          c.n = masked ? 75 : 128;
          out.push_back(c);
        }
  // io types, bias and epilogues on both paths.
  for (auto path : {codegen::KernelPath::Gemv, codegen::KernelPath::Mma}) {
    const int64_t m = path == codegen::KernelPath::Gemv ? 8 : 70;
    out.push_back({4, 128, false, path, true, false, {}, m, 256, 96});
    out.push_back({4, 32, true, path, false, true, {"silu", "mul", "add"}, m, 200, 75});
    out.push_back({8, 64, false, path, true, true, {"relu", "add"}, m, 256, 64});
  }
  return out;
}

float roundHalf(float v) { return halfToFloat(floatToHalf(v)); }

float sigmoidRef(float v) {
  if (v >= 0.0f)
    return 1.0f / (1.0f + std::exp(-v));
  float e = std::exp(v);
  return e / (1.0f + e);
}

/// The NVRTC module with every configuration's kernel (compiled once).
struct Module {
  std::unique_ptr<KernelLibrary> library;
  Status status;
};

Module &module() {
  static Module mod = [] {
    Module m;
    std::string source = codegen::emitPrelude();
    std::set<std::string> seen;
    for (const Config &c : allConfigs()) {
      codegen::KernelSpec s = specOf(c);
      if (seen.insert(codegen::functionName(s)).second)
        source += codegen::emitKernel(s);
    }
    auto sm = deviceSm(0);
    if (!sm) {
      m.status = sm.status();
      return m;
    }
    auto cubin = compileWithNvrtc(source, *sm);
    if (!cubin) {
      m.status = cubin.status();
      return m;
    }
    auto lib = KernelLibrary::load(*cubin);
    if (!lib) {
      m.status = lib.status();
      return m;
    }
    m.library = lib.take();
    return m;
  }();
  return mod;
}

template <typename T> void *toDevice(const std::vector<T> &v) {
  void *p = nullptr;
  if (cudaMalloc(&p, std::max<size_t>(4, v.size() * sizeof(T))) != cudaSuccess)
    return nullptr;
  cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
  return p;
}

class CudaKernel : public ::testing::TestWithParam<Config> {
protected:
  void SetUp() override {
    Status st = probeDevice(0);
    if (!st)
      GTEST_SKIP() << "no usable CUDA device, the kernel is not run: "
                   << st.message();
  }
};

TEST_P(CudaKernel, MatchesCpuReference) {
  const Config c = GetParam();
  Module &mod = module();
  ASSERT_TRUE(mod.status.isOk()) << mod.status.message();
  codegen::KernelSpec spec = specOf(c);
  codegen::LaunchShape shape = codegen::launchShape(spec);
  const int64_t groups = quant::numGroups(c.k, c.groupSize);
  std::mt19937 rng(uint32_t(c.bits * 131 + c.groupSize + c.m + c.act));
  std::uniform_int_distribution<int32_t> qd(0, (1 << c.bits) - 1);
  std::uniform_real_distribution<float> sd(0.002f, 0.05f);
  std::normal_distribution<float> xd(0.0f, 1.0f);
  std::vector<int32_t> q(size_t(c.k * c.n)), z(size_t(groups * c.n));
  for (int32_t &v : q)
    v = qd(rng);
  for (int32_t &v : z)
    v = qd(rng);
  std::vector<float> scales(size_t(groups * c.n));
  std::vector<uint16_t> scales16(scales.size());
  for (size_t i = 0; i < scales.size(); ++i) {
    scales16[i] = floatToHalf(sd(rng));
    scales[i] = halfToFloat(scales16[i]);
  }
  // Act-order g_idx: row r in group pi(r) / gs for a random permutation.
  std::vector<int32_t> gIdx(size_t(c.k));
  std::vector<int64_t> perm(size_t(c.k));
  for (int64_t i = 0; i < c.k; ++i)
    perm[i] = i;
  if (c.act)
    std::shuffle(perm.begin(), perm.end(), rng);
  for (int64_t i = 0; i < c.k; ++i)
    gIdx[perm[i]] = int32_t(c.groupSize > 0 ? i / c.groupSize : 0);
  std::vector<int32_t> packed(size_t(quant::packedRows(c.k, c.bits) * c.n)),
      gpu(packed.size());
  quant::packWeights(q.data(), c.k, c.n, c.bits, packed.data());
  ASSERT_TRUE(quant::repackToGpu(packed.data(), c.k, c.n, c.bits,
                                 c.act ? gIdx.data() : nullptr, gpu.data())
                  .isOk());
  const int64_t zc = quant::packedZeroCols(c.n, c.bits);
  std::vector<int32_t> qz(size_t(groups * zc));
  for (int64_t g = 0; g < groups; ++g)
    quant::packRow(z.data() + g * c.n, c.n, c.bits, qz.data() + g * zc);
  std::vector<int32_t> order = quant::actOrder(c.act ? gIdx.data() : nullptr, c.k);
  std::vector<int32_t> cgroup;
  ASSERT_TRUE(quant::chunkGroups(c.act ? gIdx.data() : nullptr, c.k,
                                 c.groupSize, cgroup)
                  .isOk());

  // Activations as the kernel sees them.
  const bool xHalf = c.ioF16 || c.path == codegen::KernelPath::Mma;
  std::vector<float> x(size_t(c.m * c.k)), bias(size_t(c.n));
  for (float &v : x)
    v = c.ioF16 ? roundHalf(xd(rng)) : xd(rng);
  for (float &v : bias)
    v = xd(rng);
  std::vector<float> xRef = x;
  if (xHalf)
    for (float &v : xRef)
      v = roundHalf(v);
  const size_t mn = size_t(c.m * c.n);
  std::vector<float> e0(mn), e1(mn);
  for (size_t i = 0; i < mn; ++i) {
    e0[i] = c.ioF16 ? roundHalf(xd(rng)) : xd(rng);
    e1[i] = c.ioF16 ? roundHalf(xd(rng)) : xd(rng);
  }

  // CPU reference (GPTQ layout, the original g_idx), then the epilogue.
  quant::MatMulNBitsArgs a;
  a.m = c.m;
  a.k = c.k;
  a.n = c.n;
  a.bits = c.bits;
  a.groupSize = c.groupSize;
  a.groups = groups;
  a.x = xRef.data();
  a.qweight = packed.data();
  a.scales = scales.data();
  a.qzeros = qz.data();
  a.gIdx = c.act ? gIdx.data() : nullptr;
  a.bias = c.bias ? bias.data() : nullptr;
  std::vector<float> ref(mn);
  ASSERT_TRUE(quant::matMulNBits(a, ref.data()).isOk());
  std::vector<double> mag(mn, 0.0);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t r = 0; r < c.k; ++r)
      for (int64_t col = 0; col < c.n; ++col) {
        const int64_t g = gIdx[r];
        mag[i * c.n + col] += std::fabs(double(xRef[i * c.k + r]) *
                                        (q[r * c.n + col] - z[g * c.n + col]) *
                                        scales[g * c.n + col]);
      }
  int operand = 0;
  for (const std::string &s : c.epilogue)
    for (size_t i = 0; i < mn; ++i) {
      float &y = ref[i];
      if (s == "relu")
        y = y < 0.0f ? 0.0f : y;
      else if (s == "silu")
        y = y * sigmoidRef(y);
      else if (s == "add" || s == "mul") {
        const float e = (operand == 0 ? e0 : e1)[i];
        y = s == "add" ? y + e : y * e;
        if (i + 1 == mn)
          ++operand;
      }
    }

  // Device buffers.
  auto toIo = [&](const std::vector<float> &v) -> void * {
    if (!c.ioF16)
      return toDevice(v);
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      h[i] = floatToHalf(v[i]);
    return toDevice(h);
  };
  std::vector<int32_t> order32(order.begin(), order.end());
  void *dx = toIo(x), *dqw = toDevice(gpu), *ds = toDevice(scales16),
       *dqz = toDevice(qz), *dcg = toDevice(cgroup), *dperm = toDevice(order32),
       *dbias = toDevice(bias), *de0 = toIo(e0), *de1 = toIo(e1), *dout = nullptr;
  ASSERT_EQ(cudaMalloc(&dout, mn * (c.ioF16 ? 2 : 4)), cudaSuccess);
  QuantKernel k;
  auto fn = mod.library->kernel(codegen::functionName(spec));
  ASSERT_TRUE(fn.isOk()) << fn.status().message();
  auto prep = mod.library->kernel(
      prepKernelName(c.ioF16, c.path == codegen::KernelPath::Gemv));
  ASSERT_TRUE(prep.isOk()) << prep.status().message();
  k.kernel = *fn;
  k.prep = *prep;
  k.gemv = c.path == codegen::KernelPath::Gemv;
  k.ioF16 = c.ioF16;
  k.tileM = shape.tileM;
  k.tileN = shape.tileN;
  for (int i = 0; i < 3; ++i)
    k.block[i] = int(shape.block[i]);
  k.maxM = shape.maxM;
  k.maskK = spec.maskK;
  k.maskN = spec.maskN;
  QuantArgs qa;
  qa.x = dx;
  qa.perm = c.act ? static_cast<const int32_t *>(dperm) : nullptr;
  qa.qweight = dqw;
  qa.scales = ds;
  qa.qzeros = dqz;
  qa.cgroup = static_cast<const int32_t *>(dcg);
  qa.bias = c.bias ? static_cast<const float *>(dbias) : nullptr;
  qa.e0 = de0;
  qa.e1 = de1;
  qa.out = dout;
  qa.m = c.m;
  qa.n = c.n;
  qa.k = c.k;
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  Workspace ws(stream);
  Status st = launchQuant(k, qa, ws, stream);
  ASSERT_TRUE(st.isOk()) << st.message();
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  std::vector<float> got(mn);
  if (c.ioF16) {
    std::vector<uint16_t> h(mn);
    ASSERT_EQ(cudaMemcpy(h.data(), dout, mn * 2, cudaMemcpyDeviceToHost),
              cudaSuccess);
    for (size_t i = 0; i < mn; ++i)
      got[i] = halfToFloat(h[i]);
  } else {
    ASSERT_EQ(cudaMemcpy(got.data(), dout, mn * 4, cudaMemcpyDeviceToHost),
              cudaSuccess);
  }
  const double rel = c.path == codegen::KernelPath::Gemv ? 1e-4 : 3e-3;
  // The epilogue operands multiply the matmul's error; scale the bound.
  double epiScale = 1.0;
  for (const std::string &s : c.epilogue)
    if (s == "mul")
      epiScale *= 5.0;
  size_t bad = 0;
  for (size_t i = 0; i < mn && bad < 5; ++i) {
    const double tol = rel * (mag[i] + std::fabs(bias[i % c.n])) * epiScale +
                       (c.ioF16 ? std::fabs(ref[i]) * 4.9e-4 : 0.0) + 1e-6;
    if (!(std::fabs(double(got[i]) - ref[i]) <= tol)) {
      ++bad;
      ADD_FAILURE() << configName(c) << ": output " << i << " (row "
                    << i / c.n << ", column " << i % c.n << ") is " << got[i]
                    << ", the CPU gives " << ref[i] << " (tolerance " << tol
                    << ")";
    }
  }
  cudaStreamDestroy(stream);
  for (void *p : {dx, dqw, ds, dqz, dcg, dperm, dbias, de0, de1, dout})
    cudaFree(p);
}

INSTANTIATE_TEST_SUITE_P(AllConfigs, CudaKernel,
                         ::testing::ValuesIn(allConfigs()),
                         [](const ::testing::TestParamInfo<Config> &info) {
                           return configName(info.param);
                         });

// Needs NVRTC only (no GPU): the emitted source is valid for NVRTC, for the
// architectures the backend compiles for.
TEST(CudaCodegen, NvrtcCompilesTheEmittedKernels) {
  std::string source = codegen::emitPrelude();
  for (const Config &c : {Config{4, 128, true, codegen::KernelPath::Gemv, false,
                                 true, {"silu", "mul"}, 1, 200, 75},
                          Config{3, 32, false, codegen::KernelPath::Mma, true,
                                 false, {"add"}, 64, 256, 96}})
    source += codegen::emitKernel(specOf(c));
  for (int sm : {80, 90}) {
    std::string log;
    auto cubin = compileWithNvrtc(source, sm, &log);
    if (!cubin && cubin.status().message().find("cannot load NVRTC") !=
                      std::string::npos)
      GTEST_SKIP() << cubin.status().message();
    ASSERT_TRUE(cubin.isOk()) << cubin.status().message();
    EXPECT_GT(cubin->size(), 1000u);
  }
}

TEST(CudaCodegen, PrepKernelNamesAgree) {
  for (bool f16 : {false, true})
    for (auto path : {codegen::KernelPath::Gemv, codegen::KernelPath::Mma})
      EXPECT_EQ(codegen::prepKernelName(f16, path),
                prepKernelName(f16, path == codegen::KernelPath::Gemv));
}

TEST(CudaBackend, ReportsWhyThereIsNoDevice) {
  Status st = probeDevice(0);
  if (st.isOk())
    GTEST_SKIP() << "a CUDA device is present";
  EXPECT_FALSE(st.message().empty());
  auto ex = CudaExecutor::create(std::make_shared<Plan>(), "");
  ASSERT_FALSE(ex.isOk());
  EXPECT_EQ(ex.status().message(), st.message());
}

} // namespace
