//===- CudaExecutor.cpp - run a plan on an NVIDIA GPU ---------------------===//
//
// Values live on the host (a Tensor), on the device (a DevTensor) or both.
// A step runs on the device when a device implementation exists for its
// kind and its operands have the dtypes it handles; the implementation may
// still decline (return Placement::Host) for shapes or attributes it does
// not handle, and the step then runs on the host with the CPU kernel, which
// also produces the error messages for invalid operands.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaExecutor.h"

#include "runtime/cuda/CudaSupport.h"
#include "runtime/cuda/DeviceKernels.h"
#include "runtime/kernels/Kernel.h"
#include "runtime/kernels/KernelUtils.h"
#include "runtime/quant/Packing.h"
#include "runtime/quant/Repack.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

namespace gptq::rt::cuda {

bool backendBuilt() { return true; }

Status probeDevice(int device, std::string *description) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess)
    return errorf("no usable CUDA device: cudaGetDeviceCount failed with ",
                  cudaErrorText(e));
  if (count == 0)
    return errorf("no CUDA device found");
  if (device < 0 || device >= count)
    return errorf("CUDA device ", device, " does not exist (", count,
                  " device(s))");
  cudaDeviceProp prop;
  e = cudaGetDeviceProperties(&prop, device);
  if (e != cudaSuccess)
    return errorf("cannot query CUDA device ", device, ": ", cudaErrorText(e));
  if (prop.major < 8)
    return errorf("CUDA device ", device, " (", prop.name, ", sm_", prop.major,
                  prop.minor,
                  ") is too old: the kernels need sm_80 or newer");
  if (description) {
    std::ostringstream os;
    os << prop.name << " (sm_" << prop.major << prop.minor << ", "
       << (prop.totalGlobalMem >> 30) << " GiB)";
    *description = os.str();
  }
  return Status::ok();
}

namespace {

using namespace kern;

struct DevBuf {
  void *ptr = nullptr;
  cudaStream_t stream = nullptr;
  ~DevBuf() {
    if (ptr)
      cudaFreeAsync(ptr, stream);
  }
};

struct DevTensor {
  std::shared_ptr<DevBuf> buf;
  DType dtype = DType::F32;
  Shape shape;
  bool defined() const { return static_cast<bool>(buf); }
  int64_t numel() const { return numElements(shape); }
  size_t nbytes() const { return size_t(numel()) * dtypeSize(dtype); }
  void *data() const { return buf ? buf->ptr : nullptr; }
  DevTensor reshaped(Shape s) const {
    DevTensor t = *this;
    t.shape = std::move(s);
    return t;
  }
};

/// A value of the plan: on the host, the device, or both.
struct Slot {
  Tensor host;
  DevTensor dev;
  bool defined() const { return host.defined() || dev.defined(); }
  DType dtype() const { return host.defined() ? host.dtype() : dev.dtype; }
  const Shape &shape() const {
    return host.defined() ? host.shape() : dev.shape;
  }
};

/// Where a step ran: Device; Host (not run yet: the CPU kernel runs it); or
/// HostDone (run on the host by the device dispatcher, outputs set).
enum class Placement { Device, Host, HostDone };

bool isF32OrF16(DType t) { return t == DType::F32 || t == DType::F16; }

std::vector<int64_t> contiguousStrides(const Shape &s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t d = int64_t(s.size()) - 2; d >= 0; --d)
    st[d] = st[d + 1] * s[d + 1];
  return st;
}

/// Iteration of `out` over operands broadcast to it, adjacent dimensions
/// merged; false when more than kMaxRank dimensions remain.
bool makeIter(const Shape &out, const std::vector<const Shape *> &ins,
              dev::Iter &it) {
  const size_t r = out.size(), n = ins.size();
  std::vector<std::vector<int64_t>> st(n, std::vector<int64_t>(r, 0));
  for (size_t k = 0; k < n; ++k) {
    const Shape &s = *ins[k];
    std::vector<int64_t> cs = contiguousStrides(s);
    size_t off = r - s.size();
    for (size_t d = 0; d < s.size(); ++d)
      st[k][d + off] = s[d] == 1 ? 0 : cs[d];
  }
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> cst(n);
  for (size_t d = 0; d < r; ++d) {
    if (out[d] == 1)
      continue;
    bool merge = !dims.empty();
    for (size_t k = 0; merge && k < n; ++k)
      merge = cst[k].back() == st[k][d] * out[d];
    if (merge) {
      dims.back() *= out[d];
      for (size_t k = 0; k < n; ++k)
        cst[k].back() = st[k][d];
    } else {
      dims.push_back(out[d]);
      for (size_t k = 0; k < n; ++k)
        cst[k].push_back(st[k][d]);
    }
  }
  if (dims.size() > size_t(dev::kMaxRank) || n > 3)
    return false;
  it = dev::Iter();
  it.rank = int(dims.size());
  it.total = numElements(out);
  for (size_t d = 0; d < dims.size(); ++d) {
    it.dims[d] = dims[d];
    for (size_t k = 0; k < n; ++k)
      it.strides[k][d] = cst[k][d];
  }
  return true;
}

bool makeCopy(const Shape &dims, const std::vector<int64_t> &src,
              int64_t srcOffset, const std::vector<int64_t> &dst,
              int64_t dstOffset, dev::CopyDesc &d) {
  if (dims.size() > size_t(dev::kMaxRank))
    return false;
  d = dev::CopyDesc();
  d.rank = int(dims.size());
  d.total = numElements(dims);
  d.srcOffset = srcOffset;
  d.dstOffset = dstOffset;
  for (size_t i = 0; i < dims.size(); ++i) {
    d.dims[i] = dims[i];
    d.src[i] = src[i];
    d.dst[i] = dst[i];
  }
  return true;
}

/// The quantized-matmul state of one gptq.launch step, built on first use.
struct QuantStep {
  bool ready = false;
  bool hasGemv = false, hasMma = false;
  QuantKernel gemv, mma;
  DevTensor scales, bias, perm, cgroup;
  int64_t k = 0, n = 0;
};

} // namespace

struct CudaExecutor::Impl {
  std::shared_ptr<const Plan> plan;
  CudaOptions options;
  cudaStream_t stream = nullptr;
  std::unique_ptr<Blas> blas;
  std::unique_ptr<KernelLibrary> library;
  std::unique_ptr<Workspace> workspace;
  std::vector<uint8_t> isConst;
  std::vector<DevTensor> constDev; // uploaded on first device use
  std::map<size_t, QuantStep> quant;
  CudaRunStats stats;
  std::map<std::string, size_t> hostKinds;
  bool reported = false;

  ~Impl() {
    quant.clear();
    constDev.clear();
    workspace.reset();
    blas.reset();
    library.reset();
    if (stream) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
  }

  // -- memory ---------------------------------------------------------------
  StatusOr<DevTensor> alloc(DType dtype, const Shape &shape) {
    DevTensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.buf = std::make_shared<DevBuf>();
    t.buf->stream = stream;
    size_t bytes = std::max<size_t>(t.nbytes(), 4);
    GPTQ_CUDA_TRY(cudaMallocAsync(&t.buf->ptr, bytes, stream),
                  "allocating " + std::to_string(bytes) + " bytes on the GPU");
    return t;
  }

  StatusOr<DevTensor> upload(const Tensor &h) {
    auto d = alloc(h.dtype(), h.shape());
    if (!d)
      return d.status();
    if (h.nbytes())
      GPTQ_CUDA_TRY(cudaMemcpyAsync(d->data(), h.raw(), h.nbytes(),
                                    cudaMemcpyHostToDevice, stream),
                    "copying a tensor to the GPU");
    // Pageable memory: the copy is staged before cudaMemcpyAsync returns,
    // but wait so that `h` may die right after.
    GPTQ_CUDA_TRY(cudaStreamSynchronize(stream), "copying a tensor to the GPU");
    ++stats.uploads;
    return d.take();
  }

  StatusOr<Tensor> download(const DevTensor &d) {
    Tensor h = Tensor::empty(d.dtype, d.shape);
    if (!h.defined() && d.numel() > 0)
      return errorf("cannot allocate ", d.nbytes(), " host bytes");
    if (d.nbytes())
      GPTQ_CUDA_TRY(cudaMemcpyAsync(h.raw(), d.data(), d.nbytes(),
                                    cudaMemcpyDeviceToHost, stream),
                    "copying a tensor from the GPU");
    GPTQ_CUDA_TRY(cudaStreamSynchronize(stream),
                  "waiting for the GPU (a kernel failed)");
    ++stats.downloads;
    return h;
  }

  Status ensureDev(int v, Slot &s) {
    if (s.dev.defined())
      return Status::ok();
    if (isConst[v] && constDev[v].defined()) {
      s.dev = constDev[v];
      return Status::ok();
    }
    auto d = upload(s.host);
    if (!d)
      return d.status();
    s.dev = d.take();
    if (isConst[v])
      constDev[v] = s.dev;
    return Status::ok();
  }

  Status ensureHost(Slot &s) {
    if (s.host.defined())
      return Status::ok();
    auto h = download(s.dev);
    if (!h)
      return h.status();
    s.host = h.take();
    return Status::ok();
  }

  // -- steps ----------------------------------------------------------------
  struct Ctx {
    const Step &step;
    size_t index;
    std::vector<Slot *> in;  // null for absent operands
    std::vector<int> ids;
    std::vector<Slot> out;
    std::string prefix() const { return stepPrefix(step); }
  };

  Status dev(Ctx &c, size_t i) { return ensureDev(c.ids[i], *c.in[i]); }
  Status host(Ctx &c, size_t i) { return ensureHost(*c.in[i]); }

  /// KernelArgs over host tensors for CPU helpers (shape logic, fallback).
  Status runHost(Ctx &c) {
    std::vector<const Tensor *> ins(c.in.size(), nullptr);
    for (size_t i = 0; i < c.in.size(); ++i) {
      if (!c.in[i])
        continue;
      GPTQ_RT_TRY(ensureHost(*c.in[i]));
      ins[i] = &c.in[i]->host;
    }
    std::vector<Tensor> outs(c.step.outputs.size());
    KernelArgs args{c.step, ins, outs};
    GPTQ_RT_TRY(kernelFor(c.step.kind)(args));
    c.out.assign(outs.size(), Slot());
    for (size_t o = 0; o < outs.size(); ++o)
      c.out[o].host = std::move(outs[o]);
    return Status::ok();
  }

  /// Runs a metadata-only CPU kernel (reshape, squeeze, unsqueeze) with a
  /// data-less stand-in for operand 0 to get the output shape.
  StatusOr<Shape> viewShape(Ctx &c) {
    Slot &x = *c.in[0];
    static char sentinel;
    Tensor proxy = Tensor::wrap(x.dtype(), x.shape(), &sentinel, nullptr);
    std::vector<const Tensor *> ins(c.in.size(), nullptr);
    ins[0] = &proxy;
    for (size_t i = 1; i < c.in.size(); ++i) {
      if (!c.in[i])
        continue;
      GPTQ_RT_TRY(ensureHost(*c.in[i]));
      ins[i] = &c.in[i]->host;
    }
    std::vector<Tensor> outs(1);
    KernelArgs args{c.step, ins, outs};
    GPTQ_RT_TRY(kernelFor(c.step.kind)(args));
    if (!outs[0].defined())
      return errorf(c.prefix(), "produced no output");
    return outs[0].shape();
  }

  /// nn.shape / nn.size of a tensor that is only on the device: the CPU
  /// kernel reads the shape of a data-less stand-in (no download).
  StatusOr<Placement> shapeOnly(Ctx &c) {
    Slot &x = *c.in[0];
    static char sentinel;
    Tensor proxy = Tensor::wrap(x.dtype(), x.shape(), &sentinel, nullptr);
    std::vector<const Tensor *> ins = {&proxy};
    std::vector<Tensor> outs(1);
    KernelArgs args{c.step, ins, outs};
    GPTQ_RT_TRY(kernelFor(c.step.kind)(args));
    c.out.assign(1, Slot());
    c.out[0].host = outs[0];
    return Placement::HostDone;
  }

  StatusOr<Placement> elementwise(Ctx &c) {
    const OpKind kind = c.step.kind;
    Slot &a = *c.in[0], &b = *c.in[1];
    const DType t = a.dtype();
    const bool half = t == DType::F16;
    Shape shape;
    if (!broadcastShapes(a.shape(), b.shape(), shape))
      return Placement::Host;
    if (kind == OpKind::Pow && b.dtype() != t) {
      // A scalar exponent of another type (e.g. f64 2.0 or i64 2).
      if (!isFloat(b.dtype()) && !isInteger(b.dtype()))
        return Placement::Host;
    } else if (b.dtype() != t) {
      return Placement::Host;
    }
    if (kind == OpKind::Pow && b.shape().size() <= a.shape().size() &&
        numElements(b.shape()) == 1 && shape == a.shape()) {
      GPTQ_RT_TRY(host(c, 1));
      const float e = float(b.host.getDouble(0));
      GPTQ_RT_TRY(dev(c, 0));
      auto out = alloc(t, shape);
      if (!out)
        return out.status();
      GPTQ_CUDA_TRY(dev::powScalar(half, a.dev.data(), e, out->data(),
                                   out->numel(), stream),
                    c.prefix());
      c.out.assign(1, Slot());
      c.out[0].dev = out.take();
      return Placement::Device;
    }
    if (b.dtype() != t)
      return Placement::Host;
    dev::Iter it;
    if (!makeIter(shape, {&a.shape(), &b.shape()}, it))
      return Placement::Host;
    dev::Binary op;
    switch (kind) {
    case OpKind::Add: op = dev::Binary::Add; break;
    case OpKind::Sub: op = dev::Binary::Sub; break;
    case OpKind::Mul: op = dev::Binary::Mul; break;
    case OpKind::Div: op = dev::Binary::Div; break;
    case OpKind::Pow: op = dev::Binary::Pow; break;
    case OpKind::Min: op = dev::Binary::Min; break;
    default: op = dev::Binary::Max; break;
    }
    GPTQ_RT_TRY(dev(c, 0));
    GPTQ_RT_TRY(dev(c, 1));
    auto out = alloc(t, shape);
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::binary(op, half, a.dev.data(), b.dev.data(),
                              out->data(), it, stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> unaryOp(Ctx &c) {
    Slot &x = *c.in[0];
    dev::Unary op;
    switch (c.step.kind) {
    case OpKind::Neg: op = dev::Unary::Neg; break;
    case OpKind::Abs: op = dev::Unary::Abs; break;
    case OpKind::Sqrt: op = dev::Unary::Sqrt; break;
    case OpKind::Reciprocal: op = dev::Unary::Reciprocal; break;
    case OpKind::Exp: op = dev::Unary::Exp; break;
    case OpKind::Log: op = dev::Unary::Log; break;
    case OpKind::Tanh: op = dev::Unary::Tanh; break;
    case OpKind::Erf: op = dev::Unary::Erf; break;
    case OpKind::Sigmoid: op = dev::Unary::Sigmoid; break;
    case OpKind::Relu: op = dev::Unary::Relu; break;
    case OpKind::Cos: op = dev::Unary::Cos; break;
    case OpKind::Sin: op = dev::Unary::Sin; break;
    case OpKind::Floor: op = dev::Unary::Floor; break;
    case OpKind::Ceil: op = dev::Unary::Ceil; break;
    default: return Placement::Host;
    }
    GPTQ_RT_TRY(dev(c, 0));
    auto out = alloc(x.dtype(), x.shape());
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::unary(op, x.dtype() == DType::F16, x.dev.data(),
                             out->data(), out->numel(), stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> whereOp(Ctx &c) {
    Slot &cond = *c.in[0], &x = *c.in[1], &y = *c.in[2];
    if (cond.dtype() != DType::Bool || x.dtype() != y.dtype())
      return Placement::Host;
    Shape xy, shape;
    if (!broadcastShapes(x.shape(), y.shape(), xy) ||
        !broadcastShapes(cond.shape(), xy, shape))
      return Placement::Host;
    dev::Iter it;
    if (!makeIter(shape, {&cond.shape(), &x.shape(), &y.shape()}, it))
      return Placement::Host;
    for (size_t i = 0; i < 3; ++i)
      GPTQ_RT_TRY(dev(c, i));
    auto out = alloc(x.dtype(), shape);
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::where(static_cast<const uint8_t *>(cond.dev.data()),
                             x.dev.data(), y.dev.data(), out->data(),
                             int(dtypeSize(x.dtype())), it, stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> castOp(Ctx &c) {
    Slot &x = *c.in[0];
    const DType to = c.step.outputDTypes[0];
    if (!isF32OrF16(x.dtype()) || !isF32OrF16(to))
      return Placement::Host;
    GPTQ_RT_TRY(dev(c, 0));
    c.out.assign(1, Slot());
    if (to == x.dtype()) {
      c.out[0].dev = x.dev;
      return Placement::Device;
    }
    auto out = alloc(to, x.shape());
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::convert(x.dtype() == DType::F16, x.dev.data(),
                               out->data(), out->numel(), stream),
                  c.prefix());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> viewOp(Ctx &c) {
    auto shape = viewShape(c);
    if (!shape)
      return shape.status();
    GPTQ_RT_TRY(dev(c, 0));
    c.out.assign(1, Slot());
    c.out[0].dev = c.in[0]->dev.reshaped(*shape);
    return Placement::Device;
  }

  /// Copies `src` viewed with (dims, strides, offset) into a new tensor.
  StatusOr<DevTensor> copyView(const DevTensor &src, const Shape &dims,
                               const std::vector<int64_t> &strides,
                               int64_t offset, const std::string &what) {
    auto out = alloc(src.dtype, dims);
    if (!out)
      return out.status();
    dev::CopyDesc d;
    if (!makeCopy(dims, strides, offset, contiguousStrides(dims), 0, d))
      return errorf(what, "rank above ", dev::kMaxRank);
    GPTQ_CUDA_TRY(dev::copyStrided(int(dtypeSize(src.dtype)), src.data(),
                                   out->data(), d, stream),
                  what);
    return out.take();
  }

  StatusOr<Placement> transposeOp(Ctx &c) {
    Slot &x = *c.in[0];
    const int64_t r = int64_t(x.shape().size());
    std::vector<int64_t> perm = c.step.attrs.getInts("perm");
    if (perm.empty() && !c.step.attrs.has("perm"))
      for (int64_t i = r - 1; i >= 0; --i)
        perm.push_back(i);
    if (int64_t(perm.size()) != r || r > dev::kMaxRank)
      return Placement::Host;
    std::vector<bool> seen(r, false);
    for (int64_t p : perm) {
      if (p < 0 || p >= r || seen[p])
        return Placement::Host;
      seen[p] = true;
    }
    Shape shape(r);
    std::vector<int64_t> in = contiguousStrides(x.shape()), strides(r);
    for (int64_t i = 0; i < r; ++i) {
      shape[i] = x.shape()[perm[i]];
      strides[i] = in[perm[i]];
    }
    GPTQ_RT_TRY(dev(c, 0));
    auto out = copyView(x.dev, shape, strides, 0, c.prefix());
    if (!out)
      return out.status();
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  /// The step's "axis" attribute (default `def`) normalized into [0, rank);
  /// false when out of range (the host kernel then reports it).
  static bool stepAxis(const Ctx &c, int64_t def, int64_t rank, int64_t &axis) {
    axis = c.step.attrs.getInt("axis", def);
    if (axis < -rank || axis >= rank)
      return false;
    if (axis < 0)
      axis += rank;
    return true;
  }

  StatusOr<Placement> gatherOp(Ctx &c) {
    Slot &x = *c.in[0], &idx = *c.in[1];
    if (!isInteger(idx.dtype()) || x.shape().empty())
      return Placement::Host;
    const int64_t r = int64_t(x.shape().size());
    int64_t axis;
    if (!stepAxis(c, 0, r, axis))
      return Placement::Host;
    GPTQ_RT_TRY(host(c, 1));
    const int64_t dim = x.shape()[axis];
    Tensor ids = Tensor::empty(DType::I64, idx.shape());
    for (int64_t i = 0; i < ids.numel(); ++i) {
      int64_t v = idx.host.getInt(i);
      if (v < -dim || v >= dim)
        return Placement::Host; // the CPU kernel reports it
      ids.data<int64_t>()[i] = v < 0 ? v + dim : v;
    }
    Shape shape(x.shape().begin(), x.shape().begin() + axis);
    shape.insert(shape.end(), idx.shape().begin(), idx.shape().end());
    shape.insert(shape.end(), x.shape().begin() + axis + 1, x.shape().end());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape()[d];
    for (int64_t d = axis + 1; d < r; ++d)
      inner *= x.shape()[d];
    GPTQ_RT_TRY(dev(c, 0));
    auto dids = upload(ids);
    if (!dids)
      return dids.status();
    auto out = alloc(x.dtype(), shape);
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::gather(int(dtypeSize(x.dtype())), x.dev.data(),
                              static_cast<const int64_t *>(dids->data()),
                              outer, dim, ids.numel(), inner, out->data(),
                              stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> concatOp(Ctx &c) {
    Slot &first = *c.in[0];
    const int64_t r = int64_t(first.shape().size());
    int64_t axis;
    if (r < 1 || r > dev::kMaxRank || !stepAxis(c, 0, r, axis))
      return Placement::Host;
    Shape shape = first.shape();
    shape[axis] = 0;
    for (Slot *s : c.in) {
      if (!s || s->dtype() != first.dtype() ||
          int64_t(s->shape().size()) != r)
        return Placement::Host;
      for (int64_t d = 0; d < r; ++d)
        if (d != axis && s->shape()[d] != first.shape()[d])
          return Placement::Host;
      shape[axis] += s->shape()[axis];
    }
    auto out = alloc(first.dtype(), shape);
    if (!out)
      return out.status();
    std::vector<int64_t> ost = contiguousStrides(shape);
    int64_t offset = 0;
    for (size_t i = 0; i < c.in.size(); ++i) {
      GPTQ_RT_TRY(dev(c, i));
      const DevTensor &t = c.in[i]->dev;
      dev::CopyDesc d;
      makeCopy(t.shape, contiguousStrides(t.shape), 0, ost,
               offset * ost[axis], d);
      GPTQ_CUDA_TRY(dev::copyStrided(int(dtypeSize(t.dtype)), t.data(),
                                     out->data(), d, stream),
                    c.prefix());
      offset += t.shape[axis];
    }
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> splitOp(Ctx &c) {
    Slot &x = *c.in[0];
    const int64_t r = int64_t(x.shape().size());
    int64_t axis;
    if (r < 1 || r > dev::kMaxRank || !stepAxis(c, 0, r, axis))
      return Placement::Host;
    const size_t nOut = c.step.outputs.size();
    const int64_t dim = x.shape()[axis];
    std::vector<int64_t> sizes = c.step.attrs.getInts("sizes");
    if (sizes.empty() && nOut > 0) {
      const int64_t part = (dim + int64_t(nOut) - 1) / int64_t(nOut);
      for (size_t i = 0; i < nOut; ++i)
        sizes.push_back(
            std::max<int64_t>(0, std::min(part, dim - part * int64_t(i))));
    }
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0)
        return Placement::Host;
      total += s;
    }
    if (sizes.size() != nOut || total != dim)
      return Placement::Host;
    GPTQ_RT_TRY(dev(c, 0));
    std::vector<int64_t> in = contiguousStrides(x.shape());
    c.out.assign(nOut, Slot());
    int64_t offset = 0;
    for (size_t i = 0; i < nOut; ++i) {
      Shape shape = x.shape();
      shape[axis] = sizes[i];
      auto out = copyView(x.dev, shape, in, offset * in[axis], c.prefix());
      if (!out)
        return out.status();
      c.out[i].dev = out.take();
      offset += sizes[i];
    }
    return Placement::Device;
  }

  StatusOr<Placement> sliceOp(Ctx &c) {
    Slot &x = *c.in[0];
    for (size_t i = 1; i < c.in.size(); ++i)
      if (c.in[i])
        GPTQ_RT_TRY(host(c, i));
    auto ints = [&](size_t i, std::vector<int64_t> &v) {
      v.clear();
      for (int64_t j = 0; j < c.in[i]->host.numel(); ++j)
        v.push_back(c.in[i]->host.getInt(j));
    };
    if (c.in.size() < 3 || !c.in[1] || !c.in[2] ||
        !isInteger(c.in[1]->dtype()) || !isInteger(c.in[2]->dtype()))
      return Placement::Host;
    std::vector<int64_t> starts, ends, axes, steps;
    ints(1, starts);
    ints(2, ends);
    if (c.in.size() > 3 && c.in[3])
      ints(3, axes);
    else
      for (size_t i = 0; i < starts.size(); ++i)
        axes.push_back(int64_t(i));
    if (c.in.size() > 4 && c.in[4])
      ints(4, steps);
    else
      steps.assign(starts.size(), 1);
    const int64_t r = int64_t(x.shape().size());
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size() || r > dev::kMaxRank)
      return Placement::Host;
    std::vector<int64_t> begin(r, 0), step(r, 1);
    std::vector<bool> seen(r, false);
    Shape shape = x.shape();
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t ax = axes[i] < 0 ? axes[i] + r : axes[i];
      if (ax < 0 || ax >= r || seen[ax] || steps[i] == 0)
        return Placement::Host;
      seen[ax] = true;
      const int64_t dim = x.shape()[ax], st = steps[i];
      int64_t s, len;
      sliceRange(dim, starts[i], ends[i], st, s, len);
      begin[ax] = s;
      step[ax] = st;
      shape[ax] = len;
    }
    std::vector<int64_t> in = contiguousStrides(x.shape()), strides(r);
    int64_t base = 0;
    for (int64_t d = 0; d < r; ++d) {
      base += begin[d] * in[d];
      strides[d] = step[d] * in[d];
    }
    GPTQ_RT_TRY(dev(c, 0));
    auto out = copyView(x.dev, shape, strides, base, c.prefix());
    if (!out)
      return out.status();
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> expandOp(Ctx &c) {
    Slot &x = *c.in[0], &s = *c.in[1];
    GPTQ_RT_TRY(host(c, 1));
    if (!isInteger(s.dtype()) || s.host.rank() > 1)
      return Placement::Host;
    Shape target, shape;
    for (int64_t i = 0; i < s.host.numel(); ++i) {
      int64_t v = s.host.getInt(i);
      if (v < 0)
        return Placement::Host;
      target.push_back(v);
    }
    if (!broadcastShapes(x.shape(), target, shape) ||
        shape.size() > size_t(dev::kMaxRank))
      return Placement::Host;
    GPTQ_RT_TRY(dev(c, 0));
    c.out.assign(1, Slot());
    if (shape == x.shape()) {
      c.out[0].dev = x.dev;
      return Placement::Device;
    }
    std::vector<int64_t> in = contiguousStrides(x.shape());
    std::vector<int64_t> strides(shape.size(), 0);
    const size_t off = shape.size() - x.shape().size();
    for (size_t d = 0; d < x.shape().size(); ++d)
      strides[d + off] = x.shape()[d] == 1 ? 0 : in[d];
    auto out = copyView(x.dev, shape, strides, 0, c.prefix());
    if (!out)
      return out.status();
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> softmaxOp(Ctx &c) {
    Slot &x = *c.in[0];
    const int64_t r = int64_t(x.shape().size());
    int64_t axis;
    if (r < 1 || !stepAxis(c, -1, r, axis))
      return Placement::Host;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape()[d];
    for (int64_t d = axis + 1; d < r; ++d)
      inner *= x.shape()[d];
    GPTQ_RT_TRY(dev(c, 0));
    auto out = alloc(x.dtype(), x.shape());
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::softmax(x.dtype() == DType::F16, x.dev.data(),
                               out->data(), outer, x.shape()[axis], inner,
                               stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> reduceOp(Ctx &c) {
    Slot &x = *c.in[0];
    const int64_t r = int64_t(x.shape().size());
    std::vector<int64_t> axes = c.step.attrs.getInts("axes");
    std::vector<bool> red(r, axes.empty());
    for (int64_t a : axes) {
      int64_t ax = a < 0 ? a + r : a;
      if (ax < 0 || ax >= r || red[ax])
        return Placement::Host;
      red[ax] = true;
    }
    // Device only for one contiguous run of reduced dimensions.
    int64_t lo = -1, hi = -1;
    for (int64_t d = 0; d < r; ++d)
      if (red[d]) {
        if (lo < 0)
          lo = d;
        else if (hi != d - 1)
          return Placement::Host;
        hi = d;
      }
    if (lo < 0)
      return Placement::Host;
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < r; ++d)
      (d < lo ? outer : d > hi ? inner : len) *= x.shape()[d];
    if (len == 0 && (c.step.kind == OpKind::ReduceMax ||
                     c.step.kind == OpKind::ReduceMin))
      return Placement::Host;
    const bool keep = c.step.attrs.getInt("keepdims", 1) != 0;
    Shape shape;
    for (int64_t d = 0; d < r; ++d) {
      if (!red[d])
        shape.push_back(x.shape()[d]);
      else if (keep)
        shape.push_back(1);
    }
    dev::Reduce op = c.step.kind == OpKind::ReduceSum    ? dev::Reduce::Sum
                     : c.step.kind == OpKind::ReduceMean ? dev::Reduce::Mean
                     : c.step.kind == OpKind::ReduceMax  ? dev::Reduce::Max
                                                         : dev::Reduce::Min;
    GPTQ_RT_TRY(dev(c, 0));
    auto out = alloc(x.dtype(), shape);
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::reduce(op, x.dtype() == DType::F16, x.dev.data(),
                              out->data(), outer, len, inner, stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> normOp(Ctx &c) {
    const bool rms = c.step.kind == OpKind::RMSNorm;
    Slot &x = *c.in[0], &scale = *c.in[1];
    Slot *bias = !rms && c.in.size() > 2 ? c.in[2] : nullptr;
    const int64_t r = int64_t(x.shape().size());
    int64_t axis;
    if (r < 1 || !stepAxis(c, -1, r, axis))
      return Placement::Host;
    int64_t n = 1;
    for (int64_t d = axis; d < r; ++d)
      n *= x.shape()[d];
    // Scale and bias must already hold the n normalized elements.
    if (scale.dtype() != x.dtype() || numElements(scale.shape()) != n ||
        (bias && (bias->dtype() != x.dtype() ||
                  numElements(bias->shape()) != n)))
      return Placement::Host;
    const int64_t rows = n ? numElements(x.shape()) / n : 0;
    for (size_t i = 0; i < c.in.size(); ++i)
      if (c.in[i])
        GPTQ_RT_TRY(dev(c, i));
    auto out = alloc(x.dtype(), x.shape());
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::norm(rms, x.dtype() == DType::F16, x.dev.data(),
                            scale.dev.data(), bias ? bias->dev.data() : nullptr,
                            out->data(), rows, n,
                            float(c.step.attrs.getFloat("epsilon", 1e-5)),
                            stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  StatusOr<Placement> triluOp(Ctx &c) {
    Slot &x = *c.in[0];
    if (x.shape().size() < 2)
      return Placement::Host;
    const int64_t rows = x.shape()[x.shape().size() - 2],
                  cols = x.shape().back();
    const int64_t mats =
        rows * cols != 0 ? numElements(x.shape()) / (rows * cols) : 0;
    GPTQ_RT_TRY(dev(c, 0));
    auto out = alloc(x.dtype(), x.shape());
    if (!out)
      return out.status();
    GPTQ_CUDA_TRY(dev::trilu(int(dtypeSize(x.dtype())), x.dev.data(),
                             out->data(), mats, rows, cols,
                             c.step.attrs.getInt("upper", 1) != 0,
                             c.step.attrs.getInt("k", 0), stream),
                  c.prefix());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  /// numpy matmul with rank >= 2 operands of one float dtype, on cuBLAS.
  StatusOr<Placement> matmulOp(Ctx &c) {
    Slot &a = *c.in[0], &b = *c.in[1];
    const Shape &sa = a.shape(), &sb = b.shape();
    if (a.dtype() != b.dtype() || sa.size() < 2 || sb.size() < 2)
      return Placement::Host;
    const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
    if (sb[sb.size() - 2] != k)
      return Placement::Host;
    Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2), batch;
    if (!broadcastShapes(ba, bb, batch) || batch.size() + 2 > size_t(dev::kMaxRank))
      return Placement::Host;
    GPTQ_RT_TRY(dev(c, 0));
    GPTQ_RT_TRY(dev(c, 1));
    const int64_t nb = numElements(batch);
    // An operand whose batch is the full batch is used in place, one with a
    // single matrix is broadcast with stride 0, others are expanded first.
    auto operand = [&](const DevTensor &t, const Shape &tb, int64_t rows,
                       int64_t cols, int64_t &stride) -> StatusOr<DevTensor> {
      if (numElements(tb) == 1) {
        stride = 0;
        return t;
      }
      stride = rows * cols;
      if (tb.size() == batch.size() && tb == batch)
        return t;
      Shape full = batch;
      full.push_back(rows);
      full.push_back(cols);
      Shape ts = tb;
      ts.push_back(rows);
      ts.push_back(cols);
      std::vector<int64_t> in = contiguousStrides(ts);
      std::vector<int64_t> strides(full.size(), 0);
      const size_t off = full.size() - ts.size();
      for (size_t d = 0; d < ts.size(); ++d)
        strides[d + off] = ts[d] == 1 ? 0 : in[d];
      return copyView(t, full, strides, 0, c.prefix());
    };
    int64_t strideA = 0, strideB = 0;
    auto da = operand(a.dev, ba, m, k, strideA);
    if (!da)
      return da.status();
    auto db = operand(b.dev, bb, k, n, strideB);
    if (!db)
      return db.status();
    Shape shape = batch;
    shape.push_back(m);
    shape.push_back(n);
    auto out = alloc(a.dtype(), shape);
    if (!out)
      return out.status();
    if (k == 0) {
      GPTQ_CUDA_TRY(cudaMemsetAsync(out->data(), 0, out->nbytes(), stream),
                    c.prefix());
    } else {
      Status st = blas->gemm(a.dtype() == DType::F16, false, false, m, n, k,
                             1.0f, da->data(), k, strideA, db->data(), n,
                             strideB, 0.0f, out->data(), n, m * n, nb);
      if (!st)
        return st.prefix(c.prefix());
    }
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  /// nn.gemm: alpha op(A) op(B) + C (beta 1; others on the host).
  StatusOr<Placement> gemmOp(Ctx &c) {
    Slot &a = *c.in[0], &b = *c.in[1];
    Slot *cc = c.in.size() > 2 ? c.in[2] : nullptr;
    const double beta = c.step.attrs.getFloat("beta", 1.0);
    if (a.dtype() != b.dtype() || a.shape().size() != 2 ||
        b.shape().size() != 2 || (cc && (beta != 1.0 || cc->dtype() != a.dtype())))
      return Placement::Host;
    const bool ta = c.step.attrs.getInt("trans_a", 0) != 0;
    const bool tb = c.step.attrs.getInt("trans_b", 0) != 0;
    const int64_t m = ta ? a.shape()[1] : a.shape()[0];
    const int64_t k = ta ? a.shape()[0] : a.shape()[1];
    const int64_t kb = tb ? b.shape()[1] : b.shape()[0];
    const int64_t n = tb ? b.shape()[0] : b.shape()[1];
    Shape shape = {m, n}, bc;
    if (kb != k || (cc && !broadcastShapes(cc->shape(), shape, bc)) ||
        (cc && bc != shape))
      return Placement::Host;
    GPTQ_RT_TRY(dev(c, 0));
    GPTQ_RT_TRY(dev(c, 1));
    auto out = alloc(a.dtype(), shape);
    if (!out)
      return out.status();
    const bool half = a.dtype() == DType::F16;
    if (k == 0) {
      GPTQ_CUDA_TRY(cudaMemsetAsync(out->data(), 0, out->nbytes(), stream),
                    c.prefix());
    } else {
      Status st = blas->gemm(half, ta, tb, m, n, k,
                             float(c.step.attrs.getFloat("alpha", 1.0)),
                             a.dev.data(), a.shape()[1], 0, b.dev.data(),
                             b.shape()[1], 0, 0.0f, out->data(), n, 0, 1);
      if (!st)
        return st.prefix(c.prefix());
    }
    if (cc) {
      GPTQ_RT_TRY(dev(c, 2));
      dev::Iter it;
      makeIter(shape, {&shape, &cc->shape()}, it);
      GPTQ_CUDA_TRY(dev::binary(dev::Binary::Add, half, out->data(),
                                cc->dev.data(), out->data(), it, stream),
                    c.prefix());
    }
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  /// Weights, scales, act-order tables and kernels of a launch step.
  StatusOr<QuantStep *> quantState(Ctx &c) {
    QuantStep &q = quant[c.index];
    if (q.ready)
      return &q;
    const Step &s = c.step;
    for (int i = 1; i <= 5; ++i)
      if (c.ids[i] >= 0 && !isConst[c.ids[i]])
        return errorf(c.prefix(), "operand ", i,
                      " must be a constant of the plan on the GPU");
    if (s.attrs.getString("layout", "gptq") != "gpu")
      return errorf(c.prefix(), "the weight is not in the \"gpu\" layout");
    const int bits = int(s.attrs.getInt("bits", 0));
    const int64_t gs = s.attrs.getInt("group_size", -1);
    const Tensor &qw = c.in[1]->host, &sc = c.in[2]->host;
    q.n = qw.dim(1);
    q.k = s.attrs.has("in_features") ? s.attrs.getInt("in_features", 0)
                                     : c.in[0]->shape().back();
    if (qw.dim(0) != quant::packedRows(q.k, bits))
      return errorf(c.prefix(), "qweight ", qw.describe(),
                    " does not match K = ", q.k, " at ", bits, " bits");
    GPTQ_RT_TRY(ensureDev(c.ids[1], *c.in[1]));
    GPTQ_RT_TRY(ensureDev(c.ids[3], *c.in[3]));
    // Scales as fp16, bias as fp32.
    Tensor s16 = sc.dtype() == DType::F16 ? sc : castTensor(sc, DType::F16);
    auto ds = upload(s16);
    if (!ds)
      return ds.status();
    q.scales = ds.take();
    if (c.in[5]) {
      Tensor b32 = c.in[5]->host.dtype() == DType::F32
                       ? c.in[5]->host
                       : castTensor(c.in[5]->host, DType::F32);
      auto db = upload(b32);
      if (!db)
        return db.status();
      q.bias = db.take();
    }
    if (c.in[4]) {
      const Tensor &g = c.in[4]->host;
      std::vector<int32_t> order = quant::actOrder(g.data<int32_t>(), q.k);
      std::vector<int32_t> groups;
      Status st = quant::chunkGroups(g.data<int32_t>(), q.k, gs, groups);
      if (!st)
        return errorf(c.prefix(), st.message());
      Tensor perm = Tensor::empty(DType::I32, {q.k});
      std::memcpy(perm.raw(), order.data(), order.size() * 4);
      Tensor cg = Tensor::empty(DType::I32, {int64_t(groups.size())});
      std::memcpy(cg.raw(), groups.data(), groups.size() * 4);
      auto dp = upload(perm);
      if (!dp)
        return dp.status();
      q.perm = dp.take();
      auto dg = upload(cg);
      if (!dg)
        return dg.status();
      q.cgroup = dg.take();
    }
    const bool ioF16 = c.in[0]->dtype() == DType::F16;
    for (const char *path : {"gemv", "mma"}) {
      std::string p = std::string(path) + ".";
      if (!s.attrs.has(p + "function"))
        continue;
      QuantKernel k;
      k.gemv = std::string(path) == "gemv";
      k.ioF16 = ioF16;
      auto fn = library ? library->kernel(s.attrs.getString(p + "function", ""))
                        : StatusOr<const void *>(errorf("no kernel source"));
      if (!fn)
        return errorf(c.prefix(), fn.status().message());
      auto prep = library->kernel(prepKernelName(ioF16, k.gemv));
      if (!prep)
        return errorf(c.prefix(), prep.status().message());
      k.kernel = *fn;
      k.prep = *prep;
      std::vector<int64_t> tile = s.attrs.getInts(p + "tile");
      std::vector<int64_t> block = s.attrs.getInts(p + "block");
      if (tile.size() != 3 || block.size() != 3)
        return errorf(c.prefix(), "missing launch configuration of ", path);
      k.tileM = tile[0];
      k.tileN = tile[1];
      for (int i = 0; i < 3; ++i)
        k.block[i] = int(block[i]);
      k.maxM = s.attrs.getInt(p + "max_m", -1);
      k.maskK = s.attrs.getInt(p + "mask_k", 1) != 0;
      k.maskN = s.attrs.getInt(p + "mask_n", 1) != 0;
      (k.gemv ? q.gemv : q.mma) = k;
      (k.gemv ? q.hasGemv : q.hasMma) = true;
    }
    if (!q.hasGemv && !q.hasMma)
      return errorf(c.prefix(), "has no kernel");
    q.ready = true;
    return &q;
  }

  StatusOr<Placement> launchOp(Ctx &c) {
    if (!library || c.in.size() < 6 || !c.in[0] || !c.in[1] || !c.in[2] ||
        !c.in[3] || !isF32OrF16(c.in[0]->dtype()))
      return Placement::Host;
    for (int i = 1; i <= 5; ++i)
      if (c.in[i])
        GPTQ_RT_TRY(host(c, i)); // constants: already on the host
    auto qs = quantState(c);
    if (!qs)
      return qs.status();
    QuantStep &q = **qs;
    Slot &x = *c.in[0];
    if (x.shape().empty() || x.shape().back() != q.k)
      return errorf(c.prefix(), "input ", shapeToString(x.shape()),
                    " does not end in K = ", q.k);
    const int64_t m = q.k ? numElements(x.shape()) / q.k : 0;
    Shape shape = x.shape();
    shape.back() = q.n;
    const QuantKernel *k = nullptr;
    if (q.hasGemv && m <= q.gemv.maxM)
      k = &q.gemv;
    else if (q.hasMma)
      k = &q.mma;
    if (!k)
      return errorf(c.prefix(), "no kernel for M = ", m,
                    " (the gemv kernel takes M <= ", q.gemv.maxM, ")");
    GPTQ_RT_TRY(dev(c, 0));
    std::vector<const void *> epi;
    for (size_t i = 6; i < c.in.size(); ++i) {
      Slot &e = *c.in[i];
      if (e.dtype() != x.dtype() || e.shape() != shape)
        return errorf(c.prefix(), "epilogue operand ", i - 6, " is ",
                      dtypeName(e.dtype()), shapeToString(e.shape()),
                      ", expected ", dtypeName(x.dtype()),
                      shapeToString(shape));
      GPTQ_RT_TRY(dev(c, i));
      epi.push_back(e.dev.data());
    }
    auto out = alloc(x.dtype(), shape);
    if (!out)
      return out.status();
    QuantArgs a;
    a.x = x.dev.data();
    a.perm = static_cast<const int32_t *>(q.perm.data());
    a.qweight = c.in[1]->dev.data();
    a.scales = q.scales.data();
    a.qzeros = c.in[3]->dev.data();
    a.cgroup = static_cast<const int32_t *>(q.cgroup.data());
    a.bias = static_cast<const float *>(q.bias.data());
    a.e0 = epi.size() > 0 ? epi[0] : nullptr;
    a.e1 = epi.size() > 1 ? epi[1] : nullptr;
    a.out = out->data();
    a.m = m;
    a.n = q.n;
    a.k = q.k;
    Status st = launchQuant(*k, a, *workspace, stream);
    if (!st)
      return errorf(c.prefix(), st.message());
    c.out.assign(1, Slot());
    c.out[0].dev = out.take();
    return Placement::Device;
  }

  /// The device implementation of a step, or Host.
  StatusOr<Placement> onDevice(Ctx &c) {
    const OpKind kind = c.step.kind;
    if (c.in.empty() || !c.in[0])
      return Placement::Host;
    const DType t0 = c.in[0]->dtype();
    switch (kind) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Pow:
    case OpKind::Min:
    case OpKind::Max:
      if (c.in.size() != 2 || !c.in[1] || !isF32OrF16(t0))
        return Placement::Host;
      return elementwise(c);
    case OpKind::Neg:
    case OpKind::Abs:
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Exp:
    case OpKind::Log:
    case OpKind::Tanh:
    case OpKind::Erf:
    case OpKind::Sigmoid:
    case OpKind::Relu:
    case OpKind::Cos:
    case OpKind::Sin:
    case OpKind::Floor:
    case OpKind::Ceil:
      if (c.in.size() != 1 || !isF32OrF16(t0))
        return Placement::Host;
      return unaryOp(c);
    case OpKind::Where:
      if (c.in.size() != 3 || !c.in[1] || !c.in[2] ||
          !isF32OrF16(c.in[1]->dtype()))
        return Placement::Host;
      return whereOp(c);
    case OpKind::Cast:
      return castOp(c);
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
      // Views: float data on the device; other data where it already is
      // (integer shape tensors stay on the host).
      if (!isF32OrF16(t0) && c.in[0]->host.defined())
        return Placement::Host;
      return viewOp(c);
    case OpKind::Transpose:
      return isF32OrF16(t0) ? transposeOp(c) : Placement::Host;
    case OpKind::Gather:
      return isF32OrF16(t0) && c.in.size() == 2 && c.in[1] ? gatherOp(c)
                                                           : Placement::Host;
    case OpKind::Concat:
      return isF32OrF16(t0) ? concatOp(c) : Placement::Host;
    case OpKind::Split:
      return isF32OrF16(t0) && c.in.size() == 1 ? splitOp(c) : Placement::Host;
    case OpKind::Slice:
      return isF32OrF16(t0) ? sliceOp(c) : Placement::Host;
    case OpKind::Expand:
      return isF32OrF16(t0) && c.in.size() == 2 && c.in[1] ? expandOp(c)
                                                           : Placement::Host;
    case OpKind::Softmax:
      return isF32OrF16(t0) ? softmaxOp(c) : Placement::Host;
    case OpKind::ReduceSum:
    case OpKind::ReduceMean:
    case OpKind::ReduceMax:
    case OpKind::ReduceMin:
      return isF32OrF16(t0) && c.in.size() == 1 ? reduceOp(c) : Placement::Host;
    case OpKind::RMSNorm:
    case OpKind::LayerNorm:
      return isF32OrF16(t0) && c.in.size() >= 2 && c.in[1] ? normOp(c)
                                                           : Placement::Host;
    case OpKind::Trilu:
      return isF32OrF16(t0) && c.in.size() == 1 ? triluOp(c) : Placement::Host;
    case OpKind::MatMul:
      return isF32OrF16(t0) && c.in.size() == 2 && c.in[1] ? matmulOp(c)
                                                           : Placement::Host;
    case OpKind::Gemm:
      return isF32OrF16(t0) && c.in.size() >= 2 && c.in[1] ? gemmOp(c)
                                                           : Placement::Host;
    case OpKind::Launch:
      return launchOp(c);
    case OpKind::ShapeOf:
    case OpKind::Size:
      if (c.in.size() != 1 || c.in[0]->host.defined())
        return Placement::Host;
      return shapeOnly(c);
    default:
      return Placement::Host;
    }
  }
};

CudaExecutor::CudaExecutor() : impl_(std::make_unique<Impl>()) {}
CudaExecutor::~CudaExecutor() = default;

const Plan &CudaExecutor::plan() const { return *impl_->plan; }
const CudaRunStats &CudaExecutor::lastRunStats() const { return impl_->stats; }

StatusOr<std::unique_ptr<CudaExecutor>>
CudaExecutor::create(std::shared_ptr<const Plan> plan,
                     const std::string &kernelSource,
                     const CudaOptions &options) {
  if (!plan)
    return errorf("CUDA executor: no plan");
  GPTQ_RT_TRY(plan->validate());
  std::string description;
  GPTQ_RT_TRY(probeDevice(options.device, &description));
  std::unique_ptr<CudaExecutor> ex(new CudaExecutor());
  Impl &im = *ex->impl_;
  im.plan = plan;
  im.options = options;
  GPTQ_CUDA_TRY(cudaSetDevice(options.device), "selecting the CUDA device");
  GPTQ_CUDA_TRY(cudaStreamCreateWithFlags(&im.stream, cudaStreamNonBlocking),
                "creating a CUDA stream");
  // Keep freed memory in the stream-ordered pool between runs.
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, options.device) == cudaSuccess) {
    uint64_t threshold = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold);
  }
  auto blas = Blas::create(im.stream);
  if (!blas)
    return blas.status();
  im.blas = blas.take();
  im.workspace = std::make_unique<Workspace>(im.stream);
  if (!kernelSource.empty()) {
    auto sm = deviceSm(options.device);
    if (!sm)
      return sm.status();
    auto cubin = compileWithNvrtc(kernelSource, *sm);
    if (!cubin)
      return cubin.status();
    auto lib = KernelLibrary::load(*cubin);
    if (!lib)
      return lib.status();
    im.library = lib.take();
  }
  im.isConst.assign(plan->numValues, 0);
  im.constDev.assign(plan->numValues, DevTensor());
  for (const auto &[id, t] : plan->constants)
    im.isConst[id] = 1;
  if (options.verbose)
    fprintf(stderr, "gptq-run: CUDA device %d: %s\n", options.device,
            description.c_str());
  return ex;
}

Status CudaExecutor::run(const NamedTensors &inputs, NamedTensors &outputs) {
  Impl &im = *impl_;
  const Plan &plan = *im.plan;
  im.stats = CudaRunStats();
  im.hostKinds.clear();
  std::vector<Slot> values(plan.numValues);
  for (const auto &[id, t] : plan.constants)
    values[id].host = t;
  // Inputs: the same checks as the CPU executor.
  for (const auto &[name, t] : inputs) {
    bool known = false;
    for (const IOSpec &in : plan.inputs)
      known = known || in.name == name;
    if (!known)
      return errorf("unknown input '", name, "'");
  }
  for (const IOSpec &in : plan.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end())
      return errorf("missing input '", in.name, "'");
    const Tensor &t = it->second;
    if (!t.defined() || t.dtype() != in.dtype ||
        t.rank() != int64_t(in.shape.size()))
      return errorf("input '", in.name, "' is ",
                    t.defined() ? t.describe() : std::string("undefined"),
                    ", expected ", dtypeName(in.dtype), " of rank ",
                    in.shape.size());
    for (size_t d = 0; d < in.shape.size(); ++d)
      if (in.shape[d] >= 0 && t.shape()[d] != in.shape[d])
        return errorf("input '", in.name, "' has size ", t.shape()[d],
                      " in dimension ", d, ", expected ", in.shape[d]);
    values[in.value].host = t;
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step &step = plan.steps[i];
    Impl::Ctx c{step, i, {}, step.inputs, {}};
    for (size_t j = 0; j < step.inputs.size(); ++j) {
      int v = step.inputs[j];
      if (v < 0) {
        c.in.push_back(nullptr);
        continue;
      }
      if (!values[v].defined())
        return errorf(stepPrefix(step), "operand ", j, " (value ", v,
                      ") has no value");
      c.in.push_back(&values[v]);
    }
    auto placed = im.onDevice(c);
    if (!placed)
      return placed.status();
    if (*placed != Placement::Device) {
      if (*placed == Placement::Host)
        GPTQ_RT_TRY(im.runHost(c));
      ++im.stats.hostSteps;
      ++im.hostKinds[opKindName(step.kind)];
    } else {
      ++im.stats.deviceSteps;
    }
    if (c.out.size() != step.outputs.size())
      return errorf(stepPrefix(step), "produced ", c.out.size(),
                    " outputs, expected ", step.outputs.size());
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      if (!c.out[o].defined())
        return errorf(stepPrefix(step), "produced no output ", o);
      if (c.out[o].dtype() != step.outputDTypes[o])
        return errorf(stepPrefix(step), "output ", o, " is ",
                      dtypeName(c.out[o].dtype()), " but the plan expects ",
                      dtypeName(step.outputDTypes[o]));
      values[step.outputs[o]] = std::move(c.out[o]);
    }
    for (int v : step.release)
      if (!im.isConst[v])
        values[v] = Slot();
  }
  for (const IOSpec &out : plan.outputs) {
    Slot &s = values[out.value];
    if (!s.defined())
      return errorf("output '", out.name, "' has no value");
    GPTQ_RT_TRY(im.ensureHost(s));
    outputs[out.name] = s.host;
  }
  GPTQ_CUDA_TRY(cudaStreamSynchronize(im.stream), "finishing the GPU work");
  for (const auto &[kind, n] : im.hostKinds)
    im.stats.hostKinds.push_back(kind + " x" + std::to_string(n));
  if (im.options.verbose && !im.reported) {
    im.reported = true;
    fprintf(stderr,
            "gptq-run: %zu steps on the GPU, %zu on the host, %zu uploads, "
            "%zu downloads\n",
            im.stats.deviceSteps, im.stats.hostSteps, im.stats.uploads,
            im.stats.downloads);
    for (const std::string &k : im.stats.hostKinds)
      fprintf(stderr, "gptq-run:   on the host: %s\n", k.c_str());
  }
  return Status::ok();
}

} // namespace gptq::rt::cuda
