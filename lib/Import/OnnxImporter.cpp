//===- OnnxImporter.cpp - ONNX model/graph/tensor import --------*- C++ -*-===//
//
// Model-level import: opset and op-support checks (every unsupported op type
// is reported, with counts), graph inputs/outputs, initializers and external
// data, and the node loop. Node converters live in OnnxOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <limits>

using namespace mlir;
using namespace gptq;
using namespace gptq::onnximport;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

static const char *onnxTypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return "FLOAT";
  case onnx::TensorProto::UINT8:
    return "UINT8";
  case onnx::TensorProto::INT8:
    return "INT8";
  case onnx::TensorProto::UINT16:
    return "UINT16";
  case onnx::TensorProto::INT16:
    return "INT16";
  case onnx::TensorProto::INT32:
    return "INT32";
  case onnx::TensorProto::INT64:
    return "INT64";
  case onnx::TensorProto::STRING:
    return "STRING";
  case onnx::TensorProto::BOOL:
    return "BOOL";
  case onnx::TensorProto::FLOAT16:
    return "FLOAT16";
  case onnx::TensorProto::DOUBLE:
    return "DOUBLE";
  case onnx::TensorProto::UINT32:
    return "UINT32";
  case onnx::TensorProto::UINT64:
    return "UINT64";
  case onnx::TensorProto::COMPLEX64:
    return "COMPLEX64";
  case onnx::TensorProto::COMPLEX128:
    return "COMPLEX128";
  case onnx::TensorProto::BFLOAT16:
    return "BFLOAT16";
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case 21:
    return "UINT4";
  case 22:
    return "INT4";
  case 23:
    return "FLOAT4E2M1";
  case 0:
    return "UNDEFINED";
  }
  return nullptr;
}

Type gptq::onnximport::onnxElementType(MLIRContext *ctx, int32_t t,
                                       std::string *name) {
  if (name) {
    const char *n = onnxTypeName(t);
    *name = n ? n : ("unknown type " + std::to_string(t));
  }
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, false);
  default:
    return {};
  }
}

/// Bytes per element in memory (bool: 1).
static size_t elementBytes(Type t) {
  if (t.isInteger(1))
    return 1;
  return t.getIntOrFloatBitWidth() / 8;
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext *ctx, StringRef modelDir, StringRef displayName,
                   const OnnxImportOptions &options)
    : ctx(ctx), b(ctx), modelDir(modelDir.str()), file(displayName.str()),
      options(options) {}

/// A resource key from a tensor name: letters, digits, '_' and '.'.
static std::string blobKey(StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || llvm::isDigit(key[0]))
    key.insert(key.begin(), 't');
  return key;
}

FailureOr<ArrayRef<char>>
Importer::readExternal(const onnx::TensorProto &tensor, StringRef what,
                       size_t expectedBytes,
                       std::shared_ptr<llvm::MemoryBuffer> &owner) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : tensor.external_data()) {
    auto parseInt = [&](StringRef key, int64_t &out) -> LogicalResult {
      if (StringRef(kv.value()).getAsInteger(10, out) || out < 0) {
        error() << file << ": tensor '" << what << "': external data " << key
                << " '" << kv.value() << "' is not a non-negative integer";
        return failure();
      }
      return success();
    };
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" && failed(parseInt("offset", offset)))
      return failure();
    else if (kv.key() == "length" && failed(parseInt("length", length)))
      return failure();
  }
  if (location.empty()) {
    error() << file << ": tensor '" << what
            << "' has external data without a location";
    return failure();
  }
  // The data must live inside the model's folder: no absolute paths, no
  // '..', no symbolic links.
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).starts_with("~")) {
    error() << file << ": tensor '" << what << "': external data location '"
            << location << "' is an absolute path; it must be relative to the "
            << "model's folder";
    return failure();
  }
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it) {
    if (*it == "..") {
      error() << file << ": tensor '" << what << "': external data location '"
              << location << "' escapes the model's folder ('..')";
      return failure();
    }
  }
  SmallString<256> path(modelDir.empty() ? "." : modelDir);
  llvm::sys::path::append(path, location);
  llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/false);
  SmallString<256> realDir, realFile;
  if (llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, realDir) ||
      llvm::sys::fs::real_path(path, realFile)) {
    error() << file << ": tensor '" << what << "': external data file '"
            << location << "' does not exist";
    return failure();
  }
  SmallString<256> expected(realDir);
  llvm::sys::path::append(expected, location);
  llvm::sys::path::remove_dots(expected, /*remove_dot_dot=*/false);
  if (expected != realFile) {
    error() << file << ": tensor '" << what << "': external data location '"
            << location << "' goes through a symbolic link (resolves to '"
            << realFile << "'); symbolic links are rejected";
    return failure();
  }
  llvm::sys::fs::file_status st;
  if (llvm::sys::fs::status(realFile, st) ||
      st.type() != llvm::sys::fs::file_type::regular_file) {
    error() << file << ": tensor '" << what << "': external data '" << location
            << "' is not a regular file";
    return failure();
  }
  auto &buf = externalFiles[realFile];
  if (!buf) {
    auto mb = llvm::MemoryBuffer::getFile(realFile, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
    if (!mb) {
      error() << file << ": tensor '" << what << "': cannot read '" << location
              << "': " << mb.getError().message();
      return failure();
    }
    buf = std::shared_ptr<llvm::MemoryBuffer>(std::move(*mb));
  }
  uint64_t size = buf->getBufferSize();
  if (length < 0)
    length = offset <= (int64_t)size ? (int64_t)size - offset : 0;
  if ((uint64_t)offset > size || (uint64_t)length > size - (uint64_t)offset) {
    error() << file << ": tensor '" << what << "': external data at offset "
            << offset << " with length " << length << " runs past the end of '"
            << location << "' (" << size << " bytes)";
    return failure();
  }
  if ((uint64_t)length != expectedBytes) {
    error() << file << ": tensor '" << what << "': external data length "
            << length << " does not match its type (" << expectedBytes
            << " bytes expected)";
    return failure();
  }
  owner = buf;
  return ArrayRef<char>(buf->getBufferStart() + offset, length);
}

FailureOr<ElementsAttr> Importer::importTensor(onnx::TensorProto &tensor,
                                               StringRef what) {
  std::string typeName;
  Type elem = onnxElementType(ctx, tensor.data_type(), &typeName);
  if (!elem) {
    error() << file << ": tensor '" << what << "' has data type " << typeName
            << ", which is not supported";
    return failure();
  }
  if (tensor.has_segment()) {
    error() << file << ": tensor '" << what
            << "' is segmented, which is not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  uint64_t numel = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error() << file << ": tensor '" << what << "' has negative dimension "
              << d;
      return failure();
    }
    if (d != 0 && numel > (uint64_t(1) << 40) / (uint64_t)d) {
      error() << file << ": tensor '" << what << "' is too large";
      return failure();
    }
    numel *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elem);
  size_t esize = elementBytes(elem);
  size_t nbytes = numel * esize;

  // Gather the bytes (little-endian, one byte per bool).
  std::vector<char> owned;
  ArrayRef<char> bytes;
  std::shared_ptr<llvm::MemoryBuffer> mapped;
  auto countMismatch = [&](const char *field, int64_t n) {
    error() << file << ": tensor '" << what << "' has " << n << " values in "
            << field << ", expected " << numel << " for shape ["
            << llvm::join(
                   llvm::map_range(shape,
                                   [](int64_t d) { return std::to_string(d); }),
                   ", ")
            << "]";
    return failure();
  };
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto ext = readExternal(tensor, what, nbytes, mapped);
    if (failed(ext))
      return failure();
    bytes = *ext;
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != nbytes) {
      error() << file << ": tensor '" << what << "' has "
              << tensor.raw_data().size() << " bytes of raw data, expected "
              << nbytes << " for " << typeName << " x " << numel;
      return failure();
    }
    bytes = ArrayRef<char>(tensor.raw_data().data(), nbytes);
  } else {
    owned.resize(nbytes);
    auto put = [&](size_t i, uint64_t bits) {
      std::memcpy(owned.data() + i * esize, &bits, esize); // little-endian
    };
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      if ((uint64_t)tensor.float_data_size() != numel)
        return countMismatch("float_data", tensor.float_data_size());
      std::memcpy(owned.data(), tensor.float_data().data(), nbytes);
      break;
    case onnx::TensorProto::DOUBLE:
      if ((uint64_t)tensor.double_data_size() != numel)
        return countMismatch("double_data", tensor.double_data_size());
      std::memcpy(owned.data(), tensor.double_data().data(), nbytes);
      break;
    case onnx::TensorProto::INT64:
      if ((uint64_t)tensor.int64_data_size() != numel)
        return countMismatch("int64_data", tensor.int64_data_size());
      std::memcpy(owned.data(), tensor.int64_data().data(), nbytes);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      if ((uint64_t)tensor.uint64_data_size() != numel)
        return countMismatch("uint64_data", tensor.uint64_data_size());
      for (size_t i = 0; i < numel; ++i)
        put(i, tensor.uint64_data(i));
      break;
    default: // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16
      if ((uint64_t)tensor.int32_data_size() != numel)
        return countMismatch("int32_data", tensor.int32_data_size());
      for (size_t i = 0; i < numel; ++i)
        put(i, (uint64_t)(uint32_t)tensor.int32_data(i));
      break;
    }
    bytes = owned;
  }

  if (elem.isInteger(1)) {
    for (char c : bytes)
      if (c != 0 && c != 1) {
        error() << file << ": tensor '" << what
                << "' has a bool value other than 0 or 1";
        return failure();
      }
  }

  // Memory-mapped external data is referenced in place when suitably
  // aligned (unless small or a splat: those become dense attributes).
  size_t align = std::max<size_t>(esize, 1);
  if (mapped && reinterpret_cast<uintptr_t>(bytes.data()) % align == 0 &&
      (int64_t)numel > options.denseElementLimit) {
    bool splat = true;
    for (size_t i = esize; splat && i < nbytes; i += esize)
      splat = std::memcmp(bytes.data(), bytes.data() + i, esize) == 0;
    if (!splat) {
      AsmResourceBlob blob(
          bytes, align,
          [keep = mapped](void *, size_t, size_t) mutable { keep.reset(); },
          /*dataIsMutable=*/false);
      return cast<ElementsAttr>(
          DenseResourceElementsAttr::get(type, blobKey(what), std::move(blob)));
    }
  }
  ElementsAttr attr = makeElements(type, bytes, what);
  if (tensor.has_raw_data())
    tensor.clear_raw_data(); // release the proto's copy right away
  return attr;
}

ElementsAttr Importer::makeElements(RankedTensorType type, ArrayRef<char> bytes,
                                    StringRef name) {
  Type elem = type.getElementType();
  size_t esize = elementBytes(elem);
  int64_t numel = type.getNumElements();
  bool splat = numel > 0;
  for (size_t i = esize; splat && i < bytes.size(); i += esize)
    splat = std::memcmp(bytes.data(), bytes.data() + i, esize) == 0;
  if (numel <= options.denseElementLimit || splat) {
    if (elem.isInteger(1)) {
      SmallVector<bool> vals;
      for (int64_t i = 0; i < (splat ? 1 : numel); ++i)
        vals.push_back(bytes[i] != 0);
      return splat ? DenseElementsAttr::get(type, vals[0])
                   : DenseElementsAttr::get(type, vals);
    }
    return DenseElementsAttr::getFromRawBuffer(
        type, splat ? bytes.take_front(esize) : bytes);
  }
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      bytes, std::max<size_t>(esize, 1));
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobKey(name), std::move(blob)));
}

static bool isDefaultDomain(StringRef d) { return d.empty() || d == "ai.onnx"; }

/// The values of a node's "pkg.torch.onnx.name_scopes" metadata entries.
/// NodeProto.metadata_props (field 9, IR version 10) is newer than the ONNX
/// headers we build with, so it is read from the unknown fields.
static std::vector<std::string> nodeNameScopes(const onnx::NodeProto &node) {
  std::vector<std::string> out;
  const auto &unknown = node.GetReflection()->GetUnknownFields(node);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto &f = unknown.field(i);
    if (f.number() != 9 ||
        f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      continue;
    onnx::StringStringEntryProto entry;
    if (entry.ParseFromString(f.length_delimited()) &&
        entry.key() == "pkg.torch.onnx.name_scopes")
      out.push_back(entry.value());
  }
  return out;
}

/// The PyTorch module of a node from the dynamo exporter's
/// "pkg.torch.onnx.name_scopes" metadata, a Python list of module paths from
/// the root to the op ("['', 'model', 'model.layers.0', ...,
/// 'model.layers.0.self_attn.q_proj', 'linear']"): its next-to-last entry.
static std::string torchModuleOfNameScopes(StringRef list) {
  list = list.trim();
  if (!list.consume_front("[") || !list.consume_back("]"))
    return "";
  SmallVector<StringRef> items;
  list.split(items, ',');
  if (items.size() < 2)
    return "";
  StringRef m = items[items.size() - 2].trim();
  if (m.size() < 2 || (m.front() != '\'' && m.front() != '"') ||
      m.back() != m.front())
    return "";
  return m.drop_front().drop_back().str();
}

LogicalResult Importer::checkOpsetsAndOps(const onnx::ModelProto &model) {
  // IR version 11 (ONNX 1.18) only adds the FLOAT4E2M1 element type, which
  // is refused where it occurs; the fields IR 10 added (NodeProto.overload,
  // metadata_props) are unknown to the linked ONNX 1.12 protobuf, which
  // keeps them as unknown fields. IR 3 introduced opset_import; IR 3 requires
  // every initializer to be listed among the graph inputs too (such inputs
  // are constants here, as in onnxruntime), IR 4 added bfloat16, IR 5
  // quantization annotations (ignored), IR 6 sparse initializers (refused
  // below) and IR 7 training information (ignored).
  if (model.ir_version() < kMinOnnxIrVersion ||
      model.ir_version() > kMaxOnnxIrVersion) {
    error() << file << ": ONNX IR version " << model.ir_version()
            << " is not supported (" << kMinOnnxIrVersion << " through "
            << kMaxOnnxIrVersion << ")";
    return failure();
  }
  for (const auto &op : model.opset_import()) {
    std::string domain = isDefaultDomain(op.domain()) ? "" : op.domain();
    opsets[domain] = op.version();
  }
  auto it = opsets.find("");
  if (it == opsets.end()) {
    error() << file << ": the model imports no default-domain (ai.onnx) opset";
    return failure();
  }
  // Opsets 22 and 23 changed no supported op's meaning (they add element
  // types: bfloat16 for Cos/Sin/Round/Dropout, float4e2m1 for Cast, Reshape,
  // Shape, Flatten, ...); ops new in 23 are converted where supported. Each
  // operator's version at the model's opset is checked per node below
  // (OnnxOpsets.cpp).
  if (it->second < kMinDefaultOpset || it->second > kMaxDefaultOpset) {
    error() << file << ": default-domain opset " << it->second
            << " is not supported (" << kMinDefaultOpset << " through "
            << kMaxDefaultOpset << ")";
    return failure();
  }
  if (auto ms = opsets.find("com.microsoft");
      ms != opsets.end() && ms->second != 1) {
    error() << file << ": com.microsoft opset " << ms->second
            << " is not supported (1)";
    return failure();
  }

  // Every node's domain must be imported and every op type supported; list
  // all unsupported types at once.
  struct Unsupported {
    int64_t count = 0;
    std::string firstNode;
  };
  std::map<std::string, Unsupported> unsupported;
  // Operators converted in general whose version at this opset is not
  // (they do not exist yet, or only in an older form).
  std::map<std::string, Unsupported> wrongVersion;
  for (const auto &node : model.graph().node()) {
    std::string domain = isDefaultDomain(node.domain()) ? "" : node.domain();
    std::string nodeName = node.name().empty()
                               ? (node.output_size() ? node.output(0) : "")
                               : node.name();
    if (!opsets.count(domain)) {
      error() << file << ": node '" << nodeName << "' (" << node.op_type()
              << ") uses domain '" << domain
              << "', which the model does not import";
      return failure();
    }
    const llvm::StringMap<ConvertFn> *table = nullptr;
    if (domain.empty())
      table = &defaultDomainConverters();
    else if (domain == "com.microsoft")
      table = &microsoftDomainConverters();
    if (!table || !table->count(node.op_type())) {
      std::string key =
          domain.empty() ? node.op_type() : domain + "::" + node.op_type();
      auto &u = unsupported[key];
      if (u.count++ == 0)
        u.firstNode = nodeName;
      continue;
    }
    if (domain.empty()) {
      const OnnxOpVersions *versions = onnxOpVersions(node.op_type());
      int64_t opset = opsets[""];
      if (versions && versions->schemaAt(opset) < versions->oldestConverted) {
        auto &u = wrongVersion[node.op_type()];
        if (u.count++ == 0)
          u.firstNode = nodeName;
      }
    }
  }
  if (!unsupported.empty()) {
    auto diag = error();
    diag << file << ": " << unsupported.size() << " unsupported operator type"
         << (unsupported.size() > 1 ? "s" : "") << " (opset " << opsets[""]
         << "): ";
    bool first = true;
    for (auto &[key, u] : unsupported) {
      diag << (first ? "" : ", ") << key << " (" << u.count << " node"
           << (u.count > 1 ? "s" : "") << ", first '" << u.firstNode << "')";
      first = false;
    }
    return failure();
  }
  if (!wrongVersion.empty()) {
    int64_t opset = opsets[""];
    auto diag = error();
    diag << file << ": " << wrongVersion.size() << " operator type"
         << (wrongVersion.size() > 1 ? "s are" : " is")
         << " not supported at default-domain opset " << opset << ": ";
    bool first = true;
    for (auto &[op, u] : wrongVersion) {
      const OnnxOpVersions *versions = onnxOpVersions(op);
      int64_t at = versions->schemaAt(opset);
      diag << (first ? "" : ", ") << op << " (";
      if (at == 0)
        diag << "defined from opset " << versions->sinceVersions.front();
      else
        diag << "version " << at << "; versions " << versions->oldestConverted
             << " and later are supported";
      diag << "; " << u.count << " node" << (u.count > 1 ? "s" : "")
           << ", first '" << u.firstNode << "')";
      first = false;
    }
    return failure();
  }
  return success();
}

FailureOr<RankedTensorType>
Importer::valueInfoType(const onnx::ValueInfoProto &vi, bool isInput,
                        SmallVectorImpl<std::string> &dimNames) {
  const char *kind = isInput ? "input" : "output";
  if (!vi.type().has_tensor_type()) {
    error() << file << ": graph " << kind << " '" << vi.name()
            << "' is not a tensor (sequences, maps and optionals are not "
               "supported)";
    return failure();
  }
  const auto &tt = vi.type().tensor_type();
  std::string typeName;
  Type elem = onnxElementType(ctx, tt.elem_type(), &typeName);
  if (!elem) {
    error() << file << ": graph " << kind << " '" << vi.name()
            << "' has element type " << typeName << ", which is not supported";
    return failure();
  }
  if (!tt.has_shape()) {
    if (!isInput)
      return RankedTensorType(); // unknown: take the producer's type
    error() << file << ": graph input '" << vi.name()
            << "' has no shape (rank unknown); pin it with --input-shape";
    return failure();
  }
  SmallVector<int64_t> shape;
  for (const auto &d : tt.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      shape.push_back(d.dim_value());
      dimNames.push_back("");
    } else {
      shape.push_back(ShapedType::kDynamic);
      dimNames.push_back(d.has_dim_param() ? d.dim_param() : "");
    }
  }
  if (isInput) {
    auto pin = options.inputShapes.find(vi.name());
    if (pin != options.inputShapes.end()) {
      const auto &p = pin->second;
      if (p.size() != shape.size()) {
        error() << file << ": --input-shape for '" << vi.name() << "' has rank "
                << p.size() << " but the input has rank " << shape.size();
        return failure();
      }
      for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] < 0)
          continue;
        if (!ShapedType::isDynamic(shape[i]) && shape[i] != p[i]) {
          error() << file << ": --input-shape for '" << vi.name()
                  << "' sets dimension " << i << " to " << p[i]
                  << " but the model fixes it to " << shape[i];
          return failure();
        }
        shape[i] = p[i];
        // A pinned dim is no longer the dim_param: the exported model has
        // the pinned size (and so has every output dim named after it).
        if (!dimNames[i].empty()) {
          pinnedDimNames.insert(dimNames[i]);
          dimNames[i].clear();
        }
      }
    }
  } else if (!pinnedDimNames.empty()) {
    for (std::string &name : dimNames) {
      // "past_sequence_length + sequence_length" mentions "sequence_length".
      SmallVector<StringRef> words;
      StringRef(name).split(words, " ", -1, /*KeepEmpty=*/false);
      for (StringRef w : words)
        if (pinnedDimNames.contains(w.trim("()*+-")))
          name.clear();
    }
  }
  return RankedTensorType::get(shape, elem);
}

OwningOpRef<ModuleOp> Importer::importModel(onnx::ModelProto &model) {
  if (failed(checkOpsetsAndOps(model)))
    return {};
  onnx::GraphProto &graph = *model.mutable_graph();
  if (graph.sparse_initializer_size()) {
    error() << file << ": sparse initializers are not supported";
    return {};
  }

  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());

  for (const auto &node : graph.node())
    for (const auto &in : node.input())
      consumed.insert(in);
  for (const auto &out : graph.output())
    consumed.insert(out.name());

  // Graph inputs (those that are not initializers) become arguments.
  llvm::StringSet<> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());
  std::vector<const onnx::ValueInfoProto *> inputs;
  SmallVector<Type> argTypes;
  SmallVector<SmallVector<std::string>> argDims;
  std::set<std::string> inputNames;
  for (const auto &vi : graph.input()) {
    if (initNames.contains(vi.name()))
      continue;
    SmallVector<std::string> dims;
    auto type = valueInfoType(vi, /*isInput=*/true, dims);
    if (failed(type))
      return {};
    inputs.push_back(&vi);
    inputNames.insert(vi.name());
    argTypes.push_back(*type);
    argDims.push_back(dims);
  }
  for (const auto &[name, shape] : options.inputShapes) {
    if (!inputNames.count(name)) {
      auto diag = error();
      diag << file << ": --input-shape names '" << name
           << "', which is not a graph input (inputs:";
      for (const auto &n : inputNames)
        diag << " '" << n << "'";
      diag << ")";
      return {};
    }
  }

  auto fn = func::FuncOp::create(b, fileLoc, options.functionName,
                                 b.getFunctionType(argTypes, {}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  for (auto [i, vi] : llvm::enumerate(inputs)) {
    values[vi->name()] = body->getArgument(i);
    fn.setArgAttr(i, nn::NNDialect::kNameAttr, b.getStringAttr(vi->name()));
    if (llvm::any_of(argDims[i],
                     [](const std::string &s) { return !s.empty(); }))
      fn.setArgAttr(i, nn::NNDialect::kDimNamesAttr,
                    b.getStrArrayAttr(SmallVector<StringRef>(
                        argDims[i].begin(), argDims[i].end())));
  }

  // Initializers.
  for (auto &init : *graph.mutable_initializer()) {
    if (init.name().empty()) {
      error() << file << ": an initializer has no name";
      return {};
    }
    auto attr = importTensor(init, init.name());
    if (failed(attr))
      return {};
    Location loc = NameLoc::get(b.getStringAttr(init.name()), fileLoc);
    values[init.name()] = nn::ConstantOp::create(b, loc, *attr);
  }

  // Nodes, in the (topological) order of the graph.
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    std::string domain = isDefaultDomain(node.domain()) ? "" : node.domain();
    const auto &table = domain.empty() ? defaultDomainConverters()
                                       : microsoftDomainConverters();
    std::string nodeName = node.name().empty()
                               ? (node.output_size() ? node.output(0) : "")
                               : node.name();
    Location loc = NameLoc::get(b.getStringAttr(nodeName),
                                FileLineColLoc::get(ctx, file, index + 1, 0));
    // torch.onnx's dynamo exporter names nodes "node_linear_3" and records
    // the PyTorch module in metadata; keep it for passes/ParameterNames.h.
    for (const std::string &scopes : nodeNameScopes(node)) {
      std::string module = torchModuleOfNameScopes(scopes);
      if (!module.empty())
        loc = NameLoc::get(
            b.getStringAttr(nodeName),
            NameLoc::get(b.getStringAttr("torch.module:" + module),
                         FileLineColLoc::get(ctx, file, index + 1, 0)));
    }
    NodeContext nc(*this, node,
                   domain.empty() ? StringRef("ai.onnx") : StringRef(domain),
                   opsets[domain], loc);
    for (int i = 0; i < node.input_size(); ++i) {
      if (!node.input(i).empty() && !values.count(node.input(i))) {
        nc.error() << "input " << i << " '" << node.input(i)
                   << "' is not defined by a graph input, an initializer or an "
                      "earlier node";
        return {};
      }
    }
    for (const auto &a : node.attribute()) {
      if (a.type() == onnx::AttributeProto::GRAPH ||
          a.type() == onnx::AttributeProto::GRAPHS) {
        nc.error() << "subgraph attributes are not supported";
        return {};
      }
    }
    if (failed(table.lookup(node.op_type())(nc)))
      return {};
    for (int i = 0; i < node.output_size(); ++i) {
      if (!node.output(i).empty() && !values.count(node.output(i)) &&
          nc.outputUsed(i)) {
        nc.error() << "output " << i << " '" << node.output(i)
                   << "' is not supported by this importer";
        return {};
      }
    }
  }

  // Graph outputs.
  SmallVector<Value> results;
  SmallVector<SmallVector<std::string>> resultDims;
  for (const auto &vi : graph.output()) {
    auto it = values.find(vi.name());
    if (it == values.end()) {
      error() << file << ": graph output '" << vi.name()
              << "' is not produced by any node";
      return {};
    }
    SmallVector<std::string> dims;
    auto declared = valueInfoType(vi, /*isInput=*/false, dims);
    if (failed(declared))
      return {};
    Value v = it->second;
    auto actual = cast<RankedTensorType>(v.getType());
    if (*declared && (declared->getElementType() != actual.getElementType() ||
                      declared->getRank() != actual.getRank() ||
                      failed(verifyCompatibleShape(declared->getShape(),
                                                   actual.getShape())))) {
      error() << file << ": graph output '" << vi.name() << "' is declared as "
              << *declared << " but computed as " << actual;
      return {};
    }
    results.push_back(v);
    resultDims.push_back(dims);
  }
  func::ReturnOp::create(b, fileLoc, results);
  fn.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, vi] : llvm::enumerate(graph.output())) {
    fn.setResultAttr(i, nn::NNDialect::kNameAttr, b.getStringAttr(vi.name()));
    if (llvm::any_of(resultDims[i],
                     [](const std::string &s) { return !s.empty(); }))
      fn.setResultAttr(i, nn::NNDialect::kDimNamesAttr,
                       b.getStrArrayAttr(SmallVector<StringRef>(
                           resultDims[i].begin(), resultDims[i].end())));
  }
  if (failed(verify(*module))) {
    error() << file << ": the imported module does not verify";
    return {};
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

static void loadDialects(MLIRContext *ctx) {
  ctx->getOrLoadDialect<nn::NNDialect>();
  ctx->getOrLoadDialect<quant::GPTQDialect>();
  ctx->getOrLoadDialect<func::FuncDialect>();
}

OwningOpRef<ModuleOp> gptq::importOnnxBytes(MLIRContext *ctx, StringRef bytes,
                                            StringRef modelDir,
                                            StringRef displayName,
                                            const OnnxImportOptions &options) {
  loadDialects(ctx);
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      (int)std::min<size_t>(bytes.size(),
                            (size_t)std::numeric_limits<int>::max()));
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (bytes.size() > (size_t)std::numeric_limits<int>::max() ||
      !model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    emitError(UnknownLoc::get(ctx))
        << displayName
        << ": not a valid ONNX model (the protobuf does not parse; truncated "
           "or not an ONNX file?)";
    return {};
  }
  if (!model.has_graph()) {
    emitError(UnknownLoc::get(ctx))
        << displayName << ": the model has no graph";
    return {};
  }
  onnximport::Importer importer(ctx, modelDir, displayName, options);
  return importer.importModel(model);
}

OwningOpRef<ModuleOp> gptq::importOnnxFile(MLIRContext *ctx, StringRef path,
                                           const OnnxImportOptions &options) {
  loadDialects(ctx);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(UnknownLoc::get(ctx))
        << path << ": cannot read: " << buf.getError().message();
    return {};
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxBytes(ctx, (*buf)->getBuffer(), dir, path, options);
}

bool gptq::isSupportedOnnxOp(StringRef domain, StringRef opType) {
  if (isDefaultDomain(domain))
    return defaultDomainConverters().count(opType);
  if (domain == "com.microsoft")
    return microsoftDomainConverters().count(opType);
  return false;
}

FailureOr<ElementsAttr> gptq::importOnnxTensorFile(MLIRContext *ctx,
                                                   StringRef path) {
  loadDialects(ctx);
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(UnknownLoc::get(ctx))
        << path << ": cannot read: " << buf.getError().message();
    return failure();
  }
  onnx::TensorProto tensor;
  if (!tensor.ParseFromArray((*buf)->getBufferStart(),
                             (int)(*buf)->getBufferSize())) {
    emitError(UnknownLoc::get(ctx)) << path << ": not a TensorProto";
    return failure();
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  OnnxImportOptions options;
  options.denseElementLimit = std::numeric_limits<int64_t>::max();
  onnximport::Importer importer(
      ctx, dir.empty() ? StringRef(".") : StringRef(dir), path, options);
  return importer.importTensor(tensor, tensor.name().empty() ? "tensor"
                                                             : tensor.name());
}

bool gptq::parseInputShapes(StringRef spec,
                            std::map<std::string, std::vector<int64_t>> &shapes,
                            std::string &error) {
  SmallVector<StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  if (items.empty()) {
    error = "empty --input-shape";
    return false;
  }
  for (StringRef item : items) {
    size_t eq = item.rfind('=');
    if (eq == StringRef::npos || eq == 0) {
      error = ("--input-shape '" + item +
               "' is not NAME=DIMS (e.g. input_ids=1x256)")
                  .str();
      return false;
    }
    StringRef name = item.take_front(eq), dims = item.drop_front(eq + 1);
    std::vector<int64_t> shape;
    if (!dims.empty() && dims != "scalar") {
      SmallVector<StringRef> parts;
      dims.split(parts, 'x');
      for (StringRef p : parts) {
        int64_t d;
        if (p == "?" || p == "-1") {
          shape.push_back(-1);
        } else if (p.getAsInteger(10, d) || d < 0) {
          error = ("--input-shape '" + item + "': '" + p +
                   "' is not a dimension (a non-negative integer or ?)")
                      .str();
          return false;
        } else {
          shape.push_back(d);
        }
      }
    }
    shapes[name.str()] = shape;
  }
  return true;
}
