//===- Tensor.cpp - dense row-major tensors ---------------------*- C++ -*-===//

#include "runtime/Tensor.h"
#include "runtime/core/Convert.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unistd.h>

namespace gptq::rt {

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeToString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

static constexpr size_t kAlign = 64;

namespace {

/// Reuses large freed buffers. Fresh large allocations come from mmap and
/// pay a page fault per 4 KiB page on first touch, which costs more than
/// the elementwise kernels themselves; the executor frees and reallocates
/// same-sized intermediates step after step, so keeping them warm pays.
/// Sizes are rounded up to classes of at most 12.5% waste.
class BufferCache {
public:
  static constexpr size_t kMinBytes = 256 << 10;

  static size_t roundSize(size_t bytes) {
    if (bytes < kMinBytes)
      return (bytes + kAlign - 1) / kAlign * kAlign;
    int top = 63 - __builtin_clzll(bytes);
    size_t step = size_t(1) << (top - 3);
    return (bytes + step - 1) / step * step;
  }

  void *get(size_t rounded) {
    if (rounded >= kMinBytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        void *p = it->second.back();
        it->second.pop_back();
        cached_ -= rounded;
        return p;
      }
    }
    return std::aligned_alloc(kAlign, rounded);
  }

  void put(void *p, size_t rounded) {
    if (rounded >= kMinBytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + rounded <= limit()) {
        free_[rounded].push_back(p);
        cached_ += rounded;
        return;
      }
    }
    std::free(p);
  }

  void trim() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &[size, list] : free_)
      for (void *p : list)
        std::free(p);
    free_.clear();
    cached_ = 0;
  }

  size_t cachedBytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

private:
  /// At most 1/8 of the physical memory, and 4 GiB.
  static size_t limit() {
    static const size_t l = [] {
      long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
      size_t phys = pages > 0 && size > 0 ? (size_t)pages * (size_t)size
                                          : (size_t(8) << 30);
      return std::min(phys / 8, size_t(4) << 30);
    }();
    return l;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void *>> free_;
  size_t cached_ = 0;
};

BufferCache &bufferCache() {
  static BufferCache *c = new BufferCache(); // outlives static tensors
  return *c;
}

} // namespace

void trimTensorCache() { bufferCache().trim(); }
size_t tensorCacheBytes() { return bufferCache().cachedBytes(); }

Tensor Tensor::empty(DType dtype, Shape shape) {
  Tensor t;
  int64_t n = numElements(shape);
  for (int64_t d : shape)
    if (d < 0)
      return t; // not a shape: undefined tensor
  size_t bytes = (size_t)n * dtypeSize(dtype);
  if (n != 0 && bytes / (size_t)n != dtypeSize(dtype))
    return t; // overflow
  // aligned_alloc wants a multiple of the alignment; never allocate 0 bytes
  // so that empty tensors are still defined.
  if (bytes > (size_t(1) << 62))
    return t;
  size_t rounded = BufferCache::roundSize(bytes == 0 ? 1 : bytes);
  void *p = bufferCache().get(rounded);
  if (!p)
    return t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = p;
  t.buffer_ = std::shared_ptr<void>(
      p, [rounded](void *q) { bufferCache().put(q, rounded); });
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor t = empty(dtype, std::move(shape));
  if (t.defined())
    std::memset(t.data_, 0, t.nbytes());
  return t;
}

Tensor Tensor::wrap(DType dtype, Shape shape, void *data,
                    std::shared_ptr<void> owner) {
  if (!data) // nothing to point at: give it storage of its own
    return numElements(shape) == 0 ? empty(dtype, std::move(shape)) : Tensor();
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  // Without an owner, alias an empty control block: the tensor is defined
  // (non-null pointer) but owns nothing.
  t.buffer_ = owner ? std::shared_ptr<void>(std::move(owner), data)
                    : std::shared_ptr<void>(std::shared_ptr<void>(), data);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (!defined() || numElements(shape) != numel())
    return Tensor();
  for (int64_t d : shape)
    if (d < 0)
      return Tensor();
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (!defined())
    return Tensor();
  Tensor t = empty(dtype_, shape_);
  if (t.defined() && nbytes())
    std::memcpy(t.data_, data_, nbytes());
  return t;
}

double Tensor::getDouble(int64_t i) const {
  if (!defined() || i < 0 || i >= numel())
    return 0;
  return visitDType(dtype_, [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    return (double)loadElem(static_cast<const T *>(data_)[i]);
  });
}

int64_t Tensor::getInt(int64_t i) const {
  if (!defined() || i < 0 || i >= numel())
    return 0;
  return visitDType(dtype_, [&](auto tag) -> int64_t {
    using T = typename decltype(tag)::type;
    return storeElem<int64_t>(loadElem(static_cast<const T *>(data_)[i]));
  });
}

void Tensor::setDouble(int64_t i, double v) {
  if (!defined() || i < 0 || i >= numel())
    return;
  visitDType(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    static_cast<T *>(data_)[i] = storeElem<T>(v);
  });
}

void Tensor::setInt(int64_t i, int64_t v) {
  if (!defined() || i < 0 || i >= numel())
    return;
  visitDType(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    static_cast<T *>(data_)[i] = storeElem<T>(v);
  });
}

std::string Tensor::describe() const {
  if (!defined())
    return "<undefined>";
  return std::string(dtypeName(dtype_)) + shapeToString(shape_);
}

} // namespace gptq::rt
