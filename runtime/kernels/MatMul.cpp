//===- MatMul.cpp - matmul (numpy semantics) and gemm -----------*- C++ -*-===//
//
// f32 and f64 go to OpenBLAS without copying operands: a 2-D right operand
// times a batched left operand is one GEMM with M = (batch * rows); other
// batch layouts loop one GEMM per output matrix with broadcast strides.
// Integer matmuls use a plain loop (wrap-around arithmetic); f16/bf16 are
// computed in f32. BLAS runs single-threaded (the executor sets it so) inside
// the runtime's parallel loops: a batch of GEMMs is spread over the threads
// matrix by matrix, one large GEMM is cut into blocks of rows. Batched GEMMs
// with a short K (attention scores) skip BLAS: a plain vectorized loop writes
// each output once.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Kernels.h"
#include "runtime/kernels/KernelUtils.h"

#include <cblas.h>
#include <climits>

namespace gptq::rt::kern {
namespace {

/// C[M,N] = alpha * op(A) * op(B) + beta * C (row-major). Returns false
/// for element types BLAS does not handle.
template <typename T>
void blasGemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha,
              const T *a, int64_t lda, const T *b, int64_t ldb, T beta, T *c,
              int64_t ldc) {
  CBLAS_TRANSPOSE opA = ta ? CblasTrans : CblasNoTrans;
  CBLAS_TRANSPOSE opB = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same<T, float>::value) {
    if (m == 1 && !ta) {
      // A row vector: y = op(B)^T x, a GEMV.
      cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans,
                  tb ? (int)n : (int)k, tb ? (int)k : (int)n, alpha, b,
                  (int)ldb, a, 1, beta, c, 1);
      return;
    }
    cblas_sgemm(CblasRowMajor, opA, opB, (int)m, (int)n, (int)k, alpha, a,
                (int)lda, b, (int)ldb, beta, c, (int)ldc);
  } else {
    if (m == 1 && !ta) {
      cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans,
                  tb ? (int)n : (int)k, tb ? (int)k : (int)n, alpha, b,
                  (int)ldb, a, 1, beta, c, 1);
      return;
    }
    cblas_dgemm(CblasRowMajor, opA, opB, (int)m, (int)n, (int)k, alpha, a,
                (int)lda, b, (int)ldb, beta, c, (int)ldc);
  }
}

/// Integer C[M,N] = A[M,K] B[K,N] (row-major, plain strides), wrapping.
template <typename T>
void intGemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T *a,
             int64_t lda, const T *b, int64_t ldb, T *c, int64_t ldc,
             std::vector<uint64_t> &acc) {
  acc.resize(n);
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc.begin(), acc.end(), 0);
    for (int64_t p = 0; p < k; ++p) {
      uint64_t av = (uint64_t)(int64_t)(ta ? a[p * lda + i] : a[i * lda + p]);
      if (tb) {
        for (int64_t j = 0; j < n; ++j)
          acc[j] += av * (uint64_t)(int64_t)b[j * ldb + p];
      } else {
        const T *brow = b + p * ldb;
        for (int64_t j = 0; j < n; ++j)
          acc[j] += av * (uint64_t)(int64_t)brow[j];
      }
    }
    for (int64_t j = 0; j < n; ++j)
      c[i * ldc + j] = (T)acc[j];
  }
}

/// C[M,N] = A[M,K] B[K,N] in f32 for a short K (attention scores: K = head
/// size): each row of C is written once, accumulated along N in L1, where
/// BLAS would zero C and pack B first. Compiled for AVX2 + FMA (and
/// dispatched at run time) so that the loop over N uses 8-wide FMAs.
#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
#endif
void shortKGemmF32(int64_t m, int64_t n, int64_t k, const float *__restrict a,
                   const float *__restrict b, float *__restrict c) {
  for (int64_t i = 0; i < m; ++i) {
    float *__restrict ci = c + i * n;
    const float *ai = a + i * k;
    const float a0 = ai[0];
    for (int64_t j = 0; j < n; ++j)
      ci[j] = a0 * b[j];
    for (int64_t p = 1; p < k; ++p) {
      const float ap = ai[p];
      const float *__restrict bp = b + p * n;
      for (int64_t j = 0; j < n; ++j)
        ci[j] += ap * bp[j];
    }
  }
}

bool cpuHasAvx2Fma() {
#if defined(__x86_64__)
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

/// Largest K for shortKGemmF32.
constexpr int64_t kShortK = 16;

Status checkBlasRange(const KernelArgs &a, int64_t m, int64_t n, int64_t k) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    return fail(a, "matrix dimensions M = ", m, ", N = ", n, ", K = ", k,
                " exceed the BLAS integer range");
  return Status::ok();
}

Status matmulImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  Shape as = x.shape(), bs = y.shape();
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    as.insert(as.begin(), 1);
  if (bVec)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back();
  int64_t kb = bs[bs.size() - 2], n = bs.back();
  if (k != kb)
    return fail(a, "contracting dimensions differ: lhs ",
                shapeToString(x.shape()), " has K = ", k, ", rhs ",
                shapeToString(y.shape()), " has K = ", kb);
  Shape batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  Shape batch;
  if (!broadcastShapes(batchA, batchB, batch))
    return fail(a, "batch dimensions are not broadcastable: ",
                shapeToString(x.shape()), " vs ", shapeToString(y.shape()));
  Shape outShape = batch;
  if (!aVec)
    outShape.push_back(m);
  if (!bVec)
    outShape.push_back(n);
  GPTQ_RT_TRY(checkBlasRange(a, m, n, k));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), outShape, out));
  int64_t nb = numElements(batch);
  if (out->numel() == 0)
    return Status::ok();
  if (k == 0) {
    std::memset(out->raw(), 0, out->nbytes());
    return Status::ok();
  }
  int64_t nbA = numElements(batchA), nbB = numElements(batchB);

  Status st;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pa = x.data<T>(), *pb = y.data<T>();
    T *pc = out->data<T>();
    std::vector<uint64_t> acc;
    auto gemm = [&](int64_t rows, const T *A, const T *B, T *C) {
      if constexpr (std::is_floating_point<T>::value)
        blasGemm<T>(false, false, rows, n, k, T(1), A, k, B, n, T(0), C, n);
      else
        intGemm<T>(false, false, rows, n, k, A, k, B, n, C, n, acc);
    };
    if (nbB == 1) {
      // One GEMM: the batch of A is contiguous rows, cut into row blocks.
      int64_t rows = nbA * m;
      if (rows > INT_MAX) {
        st = fail(a, "M = ", rows, " exceeds the BLAS integer range");
        return;
      }
      if (rows == 1 || !std::is_floating_point<T>::value) {
        gemm(rows, pa, pb, pc);
        return;
      }
      int64_t grain = std::max<int64_t>(8, (int64_t(1) << 17) / std::max<int64_t>(1, n * k));
      parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
        gemm(r1 - r0, pa + r0 * k, pb, pc + r0 * n);
      });
      return;
    }
    // One GEMM per output matrix; broadcast batch dims have stride 0.
    Broadcast bc;
    bc.init(batch, {&batchA, &batchB});
    auto runs = [&](int64_t b0, int64_t b1) {
      std::vector<uint64_t> acc;
      bc.forRuns(b0, b1, [&](const int64_t *offs, int64_t o, int64_t len) {
        int64_t sa = bc.innerContiguous(0) ? 1 : 0;
        int64_t sb = bc.innerContiguous(1) ? 1 : 0;
        for (int64_t i = 0; i < len; ++i) {
          const T *A = pa + (offs[0] + i * sa) * m * k;
          const T *B = pb + (offs[1] + i * sb) * k * n;
          T *C = pc + (o + i) * m * n;
          if constexpr (std::is_floating_point<T>::value) {
            if (std::is_same<T, float>::value && k <= kShortK && n >= 16 &&
                cpuHasAvx2Fma())
              shortKGemmF32(m, n, k, reinterpret_cast<const float *>(A),
                            reinterpret_cast<const float *>(B),
                            reinterpret_cast<float *>(C));
            else
              blasGemm<T>(false, false, m, n, k, T(1), A, k, B, n, T(0), C, n);
          } else
            intGemm<T>(false, false, m, n, k, A, k, B, n, C, n, acc);
        }
      });
    };
    if constexpr (std::is_floating_point<T>::value)
      parallelFor(nb, std::max<int64_t>(1, (int64_t(1) << 17) / std::max<int64_t>(1, m * n * k)), runs);
    else
      runs(0, nb);
  });
  return st;
}

} // namespace

Status kernelMatMul(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 2));
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  if (x.dtype() != y.dtype())
    return fail(a, "operand dtypes differ: ", x.describe(), " vs ",
                y.describe());
  if (x.dtype() == DType::Bool)
    return fail(a, "expects numeric operands, got ", x.describe());
  if (x.rank() < 1 || y.rank() < 1)
    return fail(a, "operands must have rank >= 1, got ", x.describe(),
                " and ", y.describe());
  return withF32(a, matmulImpl);
}

namespace {

Status gemmImpl(const KernelArgs &a) {
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  const Tensor *c = operand(a, 2);
  bool ta = a.step.attrs.getInt("trans_a", 0) != 0;
  bool tb = a.step.attrs.getInt("trans_b", 0) != 0;
  double alpha = a.step.attrs.getFloat("alpha", 1.0);
  double beta = a.step.attrs.getFloat("beta", 1.0);
  int64_t m = ta ? x.dim(1) : x.dim(0), k = ta ? x.dim(0) : x.dim(1);
  int64_t kb = tb ? y.dim(1) : y.dim(0), n = tb ? y.dim(0) : y.dim(1);
  if (k != kb)
    return fail(a, "contracting dimensions differ: a ",
                shapeToString(x.shape()), (ta ? " (transposed)" : ""),
                " has K = ", k, ", b ", shapeToString(y.shape()),
                (tb ? " (transposed)" : ""), " has K = ", kb);
  Shape outShape{m, n};
  if (c) {
    bool ok = c->rank() <= 2;
    for (int64_t i = 0; ok && i < c->rank(); ++i) {
      int64_t d = c->dim(c->rank() - 1 - i), o = outShape[1 - i];
      ok = d == o || d == 1;
    }
    if (!ok)
      return fail(a, "c of shape ", shapeToString(c->shape()),
                  " does not broadcast to ", shapeToString(outShape));
  }
  GPTQ_RT_TRY(checkBlasRange(a, m, n, k));
  Tensor *out;
  GPTQ_RT_TRY(allocOutput(a, 0, x.dtype(), outShape, out));
  if (out->numel() == 0)
    return Status::ok();
  bool useC = c && beta != 0.0;
  visitNative(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *po = out->data<T>();
    if (useC) { // out = broadcast(c), scaled below
      Broadcast bc;
      bc.init(outShape, {&c->shape()});
      const T *pc = c->data<T>();
      bc.forRuns(0, bc.total, [&](const int64_t *offs, int64_t o, int64_t len) {
        if (bc.innerContiguous(0))
          std::memcpy(po + o, pc + offs[0], len * sizeof(T));
        else
          std::fill(po + o, po + o + len, pc[offs[0]]);
      });
    }
    if constexpr (std::is_floating_point<T>::value) {
      if (k == 0) {
        for (int64_t i = 0; i < m * n; ++i)
          po[i] = useC ? T(beta) * po[i] : T(0);
        return;
      }
      // Blocks of rows of op(A) (columns of A when transposed).
      const T *px = x.data<T>();
      const int64_t lda = x.dim(1);
      int64_t grain = std::max<int64_t>(8, (int64_t(1) << 17) / std::max<int64_t>(1, n * k));
      parallelFor(m, m == 1 ? m : grain, [&](int64_t r0, int64_t r1) {
        blasGemm<T>(ta, tb, r1 - r0, n, k, T(alpha),
                    ta ? px + r0 : px + r0 * lda, lda, y.data<T>(), y.dim(1),
                    useC ? T(beta) : T(0), po + r0 * n, n);
      });
    } else {
      std::vector<T> prod(m * n);
      std::vector<uint64_t> acc;
      intGemm<T>(ta, tb, m, n, k, x.data<T>(), x.dim(1), y.data<T>(),
                 y.dim(1), prod.data(), n, acc);
      for (int64_t i = 0; i < m * n; ++i) {
        double v = alpha * (double)prod[i];
        if (useC)
          v += beta * (double)po[i];
        po[i] = (alpha == 1.0 && (!useC || beta == 1.0))
                    ? T((uint64_t)prod[i] + (useC ? (uint64_t)po[i] : 0))
                    : storeElem<T>(v);
      }
    }
  });
  return Status::ok();
}

} // namespace

Status kernelGemm(const KernelArgs &a) {
  GPTQ_RT_TRY(checkArity(a, 2, 3));
  const Tensor &x = *a.inputs[0], &y = *a.inputs[1];
  const Tensor *c = operand(a, 2);
  if (x.rank() != 2 || y.rank() != 2)
    return fail(a, "a and b must be 2-D, got ", x.describe(), " and ",
                y.describe());
  if (x.dtype() != y.dtype() || (c && c->dtype() != x.dtype()))
    return fail(a, "operand dtypes differ: ", x.describe(), ", ",
                y.describe(), c ? ", " + c->describe() : std::string());
  if (x.dtype() == DType::Bool)
    return fail(a, "expects numeric operands, got ", x.describe());
  return withF32(a, gemmImpl);
}

} // namespace gptq::rt::kern
