//===- KernelUtils.h - helpers shared by the CPU kernels --------*- C++ -*-===//
//
// Internal to runtime/kernels: error helpers that name the step, operand
// checks, output allocation, dtype dispatch, the broadcasting iterator, and
// the f16/bf16 adapter (compute in f32, round back).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_KERNELS_KERNELUTILS_H
#define GPTQ_RUNTIME_KERNELS_KERNELUTILS_H

#include "runtime/core/Convert.h"
#include "runtime/core/Parallel.h"
#include "runtime/kernels/Kernel.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace gptq::rt::kern {

/// An error prefixed by "step '<name>' (<op>): ".
template <typename... A> Status fail(const KernelArgs &a, A &&...args) {
  return errorf(stepPrefix(a.step), std::forward<A>(args)...);
}

/// Checks the operand count (minIn..maxIn, the first minIn present) and
/// that the step has `numOut` outputs.
/// numOut = kAnyCount accepts any number of outputs.
constexpr size_t kAnyCount = ~size_t(0);
Status checkArity(const KernelArgs &a, size_t minIn, size_t maxIn,
                  size_t numOut = 1);

/// Operand i, or null when absent / beyond the operand list.
inline const Tensor *operand(const KernelArgs &a, size_t i) {
  return i < a.inputs.size() ? a.inputs[i] : nullptr;
}

/// Normalizes `axis` into [0, rank) (negative counts from the end).
Status normalizeAxis(const KernelArgs &a, int64_t axis, int64_t rank,
                     int64_t &out, const char *what = "axis");
/// Normalizes a list of axes; rejects repeats.
Status normalizeAxes(const KernelArgs &a, const std::vector<int64_t> &axes,
                     int64_t rank, std::vector<int64_t> &out);

/// Allocates output i (checking for absurd sizes) and returns it.
Status allocOutput(const KernelArgs &a, size_t i, DType dtype, Shape shape,
                   Tensor *&out);
/// Sets output i to `t` (which may share storage with an operand).
inline void setOutput(const KernelArgs &a, size_t i, Tensor t) {
  a.outputs[i] = std::move(t);
}

/// Reads an integer tensor (any integer dtype) as int64 values.
Status readInts(const KernelArgs &a, const Tensor &t, const char *what,
                std::vector<int64_t> &out);
/// Reads a 1-D (or scalar) i64/i32 shape operand with non-negative sizes.
Status readShape(const KernelArgs &a, const Tensor &t, const char *what,
                 Shape &out);

/// Fails with "expects a numeric tensor" when `t` is a bool tensor.
Status checkNumeric(const KernelArgs &a, const Tensor &t);

/// numpy broadcast of two shapes; false if incompatible.
bool broadcastShapes(const Shape &a, const Shape &b, Shape &out);

/// Row-major element strides of `shape`.
std::vector<int64_t> stridesOf(const Shape &shape);
/// The number of elements of dimensions [begin, end) of `shape`.
int64_t productOf(const Shape &shape, size_t begin, size_t end);

/// ONNX Slice on one axis of size `dim`: clamps `start`/`end` (negative
/// counting from the end) for the direction of `step` (non-zero) and returns
/// the first index in `begin` and the number of elements in `len`.
void sliceRange(int64_t dim, int64_t start, int64_t end, int64_t step,
                int64_t &begin, int64_t &len);
std::string shapesList(const std::vector<const Tensor *> &ts);

/// Calls f(TypeTag<T>{}) for the numeric dtypes computed natively (f32, f64
/// and all integers); returns false for others (f16, bf16, bool).
template <typename F> bool visitNative(DType t, F &&f) {
  switch (t) {
  case DType::F32: f(TypeTag<float>{}); return true;
  case DType::F64: f(TypeTag<double>{}); return true;
  case DType::I8: f(TypeTag<int8_t>{}); return true;
  case DType::I16: f(TypeTag<int16_t>{}); return true;
  case DType::I32: f(TypeTag<int32_t>{}); return true;
  case DType::I64: f(TypeTag<int64_t>{}); return true;
  case DType::U8: f(TypeTag<uint8_t>{}); return true;
  case DType::U16: f(TypeTag<uint16_t>{}); return true;
  case DType::U32: f(TypeTag<uint32_t>{}); return true;
  case DType::U64: f(TypeTag<uint64_t>{}); return true;
  default: return false;
  }
}

/// Calls f(TypeTag<T>{}) for f32 and f64; false for other dtypes.
template <typename F> bool visitFloat(DType t, F &&f) {
  switch (t) {
  case DType::F32: f(TypeTag<float>{}); return true;
  case DType::F64: f(TypeTag<double>{}); return true;
  default: return false;
  }
}

/// Unsigned integers of each element size, for data movement.
template <typename F> void visitBySize(size_t size, F &&f) {
  switch (size) {
  case 1: f(TypeTag<uint8_t>{}); break;
  case 2: f(TypeTag<uint16_t>{}); break;
  case 4: f(TypeTag<uint32_t>{}); break;
  default: f(TypeTag<uint64_t>{}); break;
  }
}

inline bool isHalf(DType t) { return t == DType::F16 || t == DType::BF16; }

/// Converts every element to `to` (the Cast rule of Convert.h); undefined
/// if the result cannot be allocated.
Tensor castTensor(const Tensor &t, DType to);
/// Converts f16/bf16 <-> f32 tensors (same shape).
Tensor halfToF32(const Tensor &t);
Tensor f32ToHalf(const Tensor &t, DType half);

/// Runs `impl` with every f16/bf16 operand converted to f32; f32 outputs
/// are rounded back to the dtype of operand 0 when operand 0 is f16/bf16.
/// Without f16/bf16 operands this just calls impl.
Status withF32(const KernelArgs &a, KernelFn impl);

/// Elementwise iteration over a broadcast: the output is contiguous; each
/// operand has a stride per (collapsed) output dimension, 0 where it is
/// broadcast. Innermost strides are always 0 or 1.
struct Broadcast {
  int numOperands = 0;
  std::vector<int64_t> dims;                 // collapsed output dims
  std::vector<std::vector<int64_t>> strides; // [operand][dim]
  int64_t total = 0;                         // output elements
  int64_t inner() const { return dims.empty() ? 1 : dims.back(); }
  bool innerContiguous(int op) const {
    return !dims.empty() && strides[op].back() != 0;
  }

  /// Plans the iteration of operands of `shapes` over `out`; every operand
  /// shape must broadcast to `out` (checked by the caller).
  void init(const Shape &out, const std::vector<const Shape *> &shapes);

  /// Calls fn(offsets, outOffset, len) for consecutive runs of the output
  /// elements [begin, end) that lie in one innermost row; offsets[k] is the
  /// element offset of operand k at the start of the run.
  template <typename Fn>
  void forRuns(int64_t begin, int64_t end, Fn &&fn) const {
    if (begin >= end)
      return;
    int nd = (int)dims.size();
    int64_t off[8];
    std::vector<int64_t> bigOff;
    int64_t *offs = off;
    if (numOperands > 8) {
      bigOff.resize(numOperands);
      offs = bigOff.data();
    }
    if (nd == 0) { // scalar output
      for (int k = 0; k < numOperands; ++k)
        offs[k] = 0;
      fn(offs, 0, 1);
      return;
    }
    int64_t in = dims[nd - 1];
    int64_t row = begin / in, col = begin % in;
    // Index of `row` over dims[0..nd-1).
    std::vector<int64_t> idx(nd > 1 ? nd - 1 : 0);
    {
      int64_t r = row;
      for (int d = nd - 2; d >= 0; --d) {
        idx[d] = r % dims[d];
        r /= dims[d];
      }
    }
    for (int k = 0; k < numOperands; ++k) {
      int64_t o = 0;
      for (int d = 0; d + 1 < nd; ++d)
        o += idx[d] * strides[k][d];
      offs[k] = o + col * strides[k][nd - 1];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t len = std::min(in - col, end - pos);
      fn(static_cast<const int64_t *>(offs), pos, len);
      pos += len;
      if (pos >= end)
        break;
      // Next row: undo the column advance, then step the odometer.
      for (int k = 0; k < numOperands; ++k)
        offs[k] -= col * strides[k][nd - 1];
      col = 0;
      for (int d = nd - 2; d >= 0; --d) {
        ++idx[d];
        for (int k = 0; k < numOperands; ++k)
          offs[k] += strides[k][d];
        if (idx[d] < dims[d])
          break;
        for (int k = 0; k < numOperands; ++k)
          offs[k] -= strides[k][d] * dims[d];
        idx[d] = 0;
      }
    }
  }
};

/// Elements per parallel chunk for cheap elementwise work.
constexpr int64_t kElementwiseGrain = 1 << 15;

/// A reduction of `x` as a reduce step asks for it (attributes "axes", none
/// meaning all, and "keepdims"): the reduced dimensions and the result shape.
Status reductionShape(const KernelArgs &a, const Tensor &x,
                      std::vector<bool> &reduced, Shape &shape);

/// The dimensions of a reduction collapsed into alternating groups of kept
/// and reduced ones (dimensions of size 1 dropped), and the iteration that
/// sends every input element to its output element.
struct ReduceGroups {
  std::vector<int64_t> dims;
  std::vector<bool> isRed;

  ReduceGroups(const Shape &shape, const std::vector<bool> &reduced);
  /// Whether the innermost group is reduced: then every element of a run of
  /// `iterator()` goes to the run's output element.
  bool innerReduced() const { return !dims.empty() && isRed.back(); }
  /// Row-major runs over the `total` input elements (Broadcast::forRuns):
  /// offs[0] is the output element of the run's first input element, and
  /// the following ones go to the next output elements unless
  /// innerReduced().
  Broadcast iterator(int64_t total) const;
};

/// The broadcast iteration split over the thread pool.
template <typename Fn>
void parallelRuns(const Broadcast &b, int64_t grain, Fn &&fn) {
  parallelFor(b.total, grain,
              [&](int64_t begin, int64_t end) { b.forRuns(begin, end, fn); });
}

} // namespace gptq::rt::kern

#endif // GPTQ_RUNTIME_KERNELS_KERNELUTILS_H
