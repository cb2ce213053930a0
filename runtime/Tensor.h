//===- Tensor.h - dense row-major tensors -----------------------*- C++ -*-===//
#ifndef GPTQ_RUNTIME_TENSOR_H
#define GPTQ_RUNTIME_TENSOR_H

#include "runtime/DType.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gptq::rt {

using Shape = std::vector<int64_t>;

int64_t numElements(const Shape &shape);
std::string shapeToString(const Shape &shape); ///< "[2, 3, 4]"

/// Large tensor buffers are kept for reuse after their tensors die (fresh
/// pages are slow to fault in); this returns the cached ones to the system.
void trimTensorCache();
/// Bytes currently held by that cache.
size_t tensorCacheBytes();

/// A dense, contiguous, row-major tensor. Copies share the buffer (like a
/// shared_ptr); use clone() for a deep copy. Buffers are 64-byte aligned when
/// allocated here; wrapped external memory keeps an owner alive.
class Tensor {
public:
  Tensor() = default;
  /// Uninitialized storage for `shape` elements of `dtype`.
  static Tensor empty(DType dtype, Shape shape);
  /// Zero-filled storage.
  static Tensor zeros(DType dtype, Shape shape);
  /// Wraps memory owned elsewhere; `owner` is kept alive as long as any copy
  /// of the tensor lives (may be null for memory that outlives the tensor).
  static Tensor wrap(DType dtype, Shape shape, void *data,
                     std::shared_ptr<void> owner);
  /// A scalar (rank 0) tensor.
  template <typename T> static Tensor scalar(DType dtype, T value);

  bool defined() const { return static_cast<bool>(buffer_); }
  DType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t rank() const { return (int64_t)shape_.size(); }
  int64_t dim(int64_t i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return numElements(shape_); }
  size_t nbytes() const { return (size_t)numel() * dtypeSize(dtype_); }

  void *raw() { return data_; }
  const void *raw() const { return data_; }
  template <typename T> T *data() { return static_cast<T *>(data_); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(data_);
  }

  /// Same buffer, another shape with the same element count.
  Tensor reshaped(Shape shape) const;
  /// Deep copy into freshly allocated storage.
  Tensor clone() const;
  /// Element i converted to double / int64 (slow; for tests and small data).
  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  void setDouble(int64_t i, double v);
  void setInt(int64_t i, int64_t v);

  std::string describe() const; ///< "f32[2, 3]"

  /// A weak reference to the storage (expired once every tensor sharing it
  /// is gone; always expired for wrapped memory without an owner).
  std::weak_ptr<void> weakBuffer() const { return buffer_; }

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  void *data_ = nullptr;
  std::shared_ptr<void> buffer_;
};

template <typename T> Tensor Tensor::scalar(DType dtype, T value) {
  Tensor t = empty(dtype, {});
  t.setDouble(0, (double)value);
  return t;
}

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_TENSOR_H
