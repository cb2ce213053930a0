//===- Npy.cpp - numpy .npy files -------------------------------*- C++ -*-===//
//
// NPY format: "\x93NUMPY", major and minor version bytes, the header length
// (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), then the header: a
// Python dict literal with the keys 'descr', 'fortran_order' and 'shape',
// padded with spaces and ended by a newline. The raw data follows.
//
//===----------------------------------------------------------------------===//

#include "runtime/Npy.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unistd.h>

namespace gptq::rt {
namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/// Parser of the header dict literal.
class HeaderParser {
public:
  HeaderParser(const std::string &text, const std::string &what)
      : s_(text), what_(what) {}

  Status parse(std::string &descr, bool &fortran, Shape &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail("expected '{' at the start of the header");
    for (;;) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      GPTQ_RT_TRY(parseString(key));
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after key '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          return fail("'descr' is not a simple dtype string (structured "
                      "dtypes are not supported)");
        GPTQ_RT_TRY(parseString(descr));
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (word("True"))
          fortran = true;
        else if (word("False"))
          fortran = false;
        else
          return fail("'fortran_order' must be True or False");
        haveFortran = true;
      } else if (key == "shape") {
        GPTQ_RT_TRY(parseShape(shape));
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return fail("expected ',' or '}'");
    }
    skipSpace();
    if (pos_ != s_.size())
      return fail("unexpected text after the dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return fail(std::string("missing key '") +
                  (!haveDescr ? "descr" : !haveFortran ? "fortran_order"
                                                       : "shape") +
                  "'");
    return Status::ok();
  }

private:
  Status fail(const std::string &msg) const {
    return errorf(what_, ": malformed .npy header (", msg, " at offset ",
                  pos_, " of the header)");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c)
      return false;
    ++pos_;
    return true;
  }
  bool word(const char *w) {
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0)
      return false;
    pos_ += n;
    return true;
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  Status parseString(std::string &out) {
    char q = peek();
    if (q != '\'' && q != '"')
      return fail("expected a quoted string");
    ++pos_;
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\')
        return fail("escapes in strings are not supported");
      ++pos_;
    }
    if (pos_ >= s_.size())
      return fail("unterminated string");
    out = s_.substr(start, pos_ - start);
    ++pos_;
    return Status::ok();
  }
  Status parseShape(Shape &shape) {
    char close;
    if (eat('('))
      close = ')';
    else if (eat('['))
      close = ']';
    else
      return fail("'shape' must be a tuple");
    shape.clear();
    for (;;) {
      skipSpace();
      if (eat(close))
        return Status::ok();
      if (peek() < '0' || peek() > '9')
        return fail("'shape' must hold non-negative integers");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        int d = peek() - '0';
        if (v > (std::numeric_limits<int64_t>::max() - d) / 10)
          return fail("a dimension of 'shape' is too large");
        v = v * 10 + d;
        ++pos_;
      }
      eat('L'); // Python 2 long literal
      shape.push_back(v);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat(close))
        return Status::ok();
      return fail("expected ',' or the end of 'shape'");
    }
  }

  const std::string &s_;
  const std::string &what_;
  size_t pos_ = 0;
};

bool isLittleEndianHost() {
  const uint16_t one = 1;
  unsigned char c;
  std::memcpy(&c, &one, 1);
  return c == 1;
}

/// Maps a descr such as '<f4' to a dtype; `swap` when the data is big-endian
/// (and wider than one byte).
Status dtypeFromDescr(const std::string &descr, const std::string &what,
                      DType &dtype, bool &bigEndian) {
  auto bad = [&](const std::string &why) {
    return errorf(what, ": unsupported .npy dtype '", descr, "' (", why, ")");
  };
  if (descr.size() < 2)
    return bad("too short");
  char order = descr[0];
  std::string code = descr.substr(1);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return bad("unknown byte order");
  if (code == "?")
    code = "b1";
  struct Entry {
    const char *code;
    DType dtype;
  };
  static const Entry table[] = {
      {"f2", DType::F16}, {"f4", DType::F32}, {"f8", DType::F64},
      {"i1", DType::I8},  {"i2", DType::I16}, {"i4", DType::I32},
      {"i8", DType::I64}, {"u1", DType::U8},  {"u2", DType::U16},
      {"u4", DType::U32}, {"u8", DType::U64}, {"b1", DType::Bool},
  };
  for (const Entry &e : table) {
    if (code != e.code)
      continue;
    dtype = e.dtype;
    size_t size = dtypeSize(dtype);
    if (order == '|' && size != 1)
      return bad("'|' byte order on a multi-byte type");
    bigEndian = order == '>' || (order == '=' && !isLittleEndianHost());
    return Status::ok();
  }
  if (code == "O")
    return bad("object arrays cannot be read");
  if (code == "V2")
    return bad("raw 2-byte voids such as bfloat16 are not supported");
  return bad("supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1");
}

const char *descrOf(DType t) {
  switch (t) {
  case DType::F16: return "<f2";
  case DType::F32: return "<f4";
  case DType::F64: return "<f8";
  case DType::I8: return "|i1";
  case DType::I16: return "<i2";
  case DType::I32: return "<i4";
  case DType::I64: return "<i8";
  case DType::U8: return "|u1";
  case DType::U16: return "<u2";
  case DType::U32: return "<u4";
  case DType::U64: return "<u8";
  case DType::Bool: return "|b1";
  case DType::BF16: return nullptr;
  }
  return nullptr;
}

void byteSwap(unsigned char *p, size_t n, size_t size) {
  for (size_t i = 0; i < n; ++i, p += size)
    for (size_t a = 0, b = size - 1; a < b; ++a, --b)
      std::swap(p[a], p[b]);
}

} // namespace

StatusOr<Tensor> parseNpy(const void *data, size_t size,
                          const std::string &what) {
  const auto *p = static_cast<const unsigned char *>(data);
  if (size < 10 || std::memcmp(p, kMagic, 6) != 0)
    return errorf(what, ": not a .npy file (bad magic; expected "
                        "\"\\x93NUMPY\")");
  unsigned major = p[6], minor = p[7];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = size_t(p[8]) | size_t(p[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return errorf(what, ": .npy file is truncated in its preamble");
    headerLen = size_t(p[8]) | size_t(p[9]) << 8 | size_t(p[10]) << 16 |
                size_t(p[11]) << 24;
    offset = 12;
  } else {
    return errorf(what, ": unsupported .npy format version ", major, ".",
                  minor, " (supported: 1.0, 2.0, 3.0)");
  }
  if (headerLen > size - offset)
    return errorf(what, ": .npy header is truncated (it claims ", headerLen,
                  " bytes, the file has ", size - offset, " after the "
                  "preamble)");
  std::string header(reinterpret_cast<const char *>(p + offset), headerLen);
  if (major < 3)
    for (unsigned char c : header)
      if (c >= 0x80)
        return errorf(what, ": .npy header of a version ", major,
                      ".0 file is not ASCII");
  std::string descr;
  bool fortran = false;
  Shape shape;
  HeaderParser parser(header, what);
  GPTQ_RT_TRY(parser.parse(descr, fortran, shape));
  DType dtype;
  bool bigEndian = false;
  GPTQ_RT_TRY(dtypeFromDescr(descr, what, dtype, bigEndian));

  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return errorf(what, ": shape ", shapeToString(shape), " is too large");
    n *= d;
  }
  size_t esize = dtypeSize(dtype);
  if ((uint64_t)n > std::numeric_limits<uint64_t>::max() / esize)
    return errorf(what, ": shape ", shapeToString(shape), " is too large");
  uint64_t bytes = (uint64_t)n * esize;
  size_t available = size - offset - headerLen;
  if (fortran)
    return errorf(what, ": fortran_order=True arrays are not supported "
                        "(save a C-contiguous array)");
  if (bytes > available)
    return errorf(what, ": .npy data is truncated: shape ",
                  shapeToString(shape), " of ", descr, " needs ", bytes,
                  " bytes, the file has ", available);
  if (bytes < available)
    return errorf(what, ": .npy file has ", available - bytes,
                  " unexpected bytes after the data of shape ",
                  shapeToString(shape));
  Tensor t = Tensor::empty(dtype, shape);
  if (!t.defined())
    return errorf(what, ": cannot allocate ", bytes, " bytes for ",
                  dtypeName(dtype), shapeToString(shape));
  if (bytes)
    std::memcpy(t.raw(), p + offset + headerLen, bytes);
  if (bigEndian == isLittleEndianHost() && esize > 1)
    byteSwap(static_cast<unsigned char *>(t.raw()), (size_t)n, esize);
  if (dtype == DType::Bool) {
    auto *b = t.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      b[i] = b[i] != 0;
  }
  return t;
}

StatusOr<Tensor> readNpy(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return errorf(path, ": cannot open: ", std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f)) > 0)
    bytes.append(buf, got);
  bool readError = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (readError)
    return errorf(path, ": read error: ", std::strerror(err));
  return parseNpy(bytes.data(), bytes.size(), path);
}

Status writeNpy(const std::string &path, const Tensor &tensor) {
  if (!tensor.defined())
    return errorf(path, ": cannot write an undefined tensor");
  const char *descr = descrOf(tensor.dtype());
  if (!descr)
    return errorf(path, ": .npy has no ", dtypeName(tensor.dtype()),
                  " dtype; cast the tensor first");
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    dict += std::to_string(tensor.shape()[i]);
    dict += tensor.shape().size() == 1 ? "," : i + 1 < tensor.shape().size() ? ", " : "";
  }
  dict += "), }";
  // Pad so that the data starts at a multiple of 64 bytes.
  size_t pre = 10;
  unsigned char major = 1;
  size_t total = pre + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  if (padded - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = pre + dict.size() + 1;
    padded = (total + 63) / 64 * 64;
  }
  std::string head(reinterpret_cast<const char *>(kMagic), 6);
  head += char(major);
  head += char(0);
  size_t headerLen = padded - pre;
  for (size_t i = 0; i < pre - 8; ++i)
    head += char((headerLen >> (8 * i)) & 0xff);
  head += dict;
  head.append(padded - total, ' ');
  head += '\n';

  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." +
                    std::to_string(counter++);
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    return errorf(path, ": cannot create temporary file '", tmp,
                  "': ", std::strerror(errno));
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  size_t nbytes = tensor.nbytes();
  if (ok && nbytes) {
    if (isLittleEndianHost()) {
      ok = std::fwrite(tensor.raw(), 1, nbytes, f) == nbytes;
    } else {
      std::string swapped(static_cast<const char *>(tensor.raw()), nbytes);
      byteSwap(reinterpret_cast<unsigned char *>(&swapped[0]),
               (size_t)tensor.numel(), dtypeSize(tensor.dtype()));
      ok = std::fwrite(swapped.data(), 1, nbytes, f) == nbytes;
    }
  }
  int err = errno;
  if (std::fflush(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && fsync(fileno(f)) != 0) {
    ok = false;
    err = errno;
  }
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    return errorf(path, ": write failed: ", std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    return errorf(path, ": cannot move the temporary file into place: ",
                  std::strerror(err));
  }
  return Status::ok();
}

} // namespace gptq::rt
