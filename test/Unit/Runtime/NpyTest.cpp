//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
//
// Exact comparisons throughout (bytes and values).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"

#include "runtime/Npy.h"

#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace gptq::rt;
using namespace gptq::rt::test;

namespace {

class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gptq-npy-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string &f : listDir())
      std::remove((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string path(const std::string &name) const { return dir_ + "/" + name; }
  std::vector<std::string> listDir() const {
    std::vector<std::string> names;
    if (DIR *d = opendir(dir_.c_str())) {
      while (dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
          names.push_back(e->d_name);
      closedir(d);
    }
    return names;
  }
  static std::string readAll(const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static void writeAll(const std::string &p, const std::string &bytes) {
    std::ofstream f(p, std::ios::binary);
    f.write(bytes.data(), (std::streamsize)bytes.size());
  }

  std::string dir_;
};

/// Builds an .npy image: version, header dict (padded), raw data.
std::string npyBytes(int major, const std::string &dict,
                     const std::string &data) {
  std::string head = "\x93NUMPY";
  head += char(major);
  head += char(0);
  size_t pre = major == 1 ? 10 : 12;
  size_t total = pre + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t len = padded - pre;
  for (size_t i = 0; i < pre - 8; ++i)
    head += char((len >> (8 * i)) & 0xff);
  head += dict;
  head.append(padded - total, ' ');
  head += '\n';
  return head + data;
}

template <typename T> std::string rawBytes(const std::vector<T> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

TEST_F(NpyTest, RoundTripEveryDType) {
  for (DType t : allDTypes()) {
    Tensor x = random(t, {3, 5}, 3, -50, 50);
    std::string p = path(std::string("x_") + dtypeName(t) + ".npy");
    Status st = writeNpy(p, x);
    if (t == DType::BF16) {
      ASSERT_FALSE(st.isOk());
      EXPECT_NE(st.message().find(p), std::string::npos) << st.message();
      EXPECT_NE(st.message().find("bf16"), std::string::npos) << st.message();
      continue;
    }
    ASSERT_TRUE(st.isOk()) << st.message();
    std::string bytes = readAll(p);
    EXPECT_EQ(bytes.size() % 64, x.nbytes() % 64) << "data is 64-aligned";
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    auto y = readNpy(p);
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_EQ(y->dtype(), t);
    EXPECT_EQ(y->shape(), x.shape());
    EXPECT_EQ(std::memcmp(y->raw(), x.raw(), x.nbytes()), 0) << dtypeName(t);
  }
}

TEST_F(NpyTest, ScalarsVectorsAndEmpty) {
  for (Shape s : {Shape{}, Shape{4}, Shape{0}, Shape{2, 0, 3}, Shape{1, 1, 1, 1, 2}}) {
    Tensor x = random(DType::F32, s, 5);
    std::string p = path("s.npy");
    ASSERT_TRUE(writeNpy(p, x).isOk());
    auto y = readNpy(p);
    ASSERT_TRUE(y.isOk()) << y.status().message();
    EXPECT_EQ(y->shape(), s);
    EXPECT_EQ(values(*y), values(x));
  }
  // The header is numpy's own spelling.
  ASSERT_TRUE(writeNpy(path("v.npy"), f32({3}, {1, 2, 3})).isOk());
  std::string bytes = readAll(path("v.npy"));
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"),
            std::string::npos);
  ASSERT_TRUE(writeNpy(path("m.npy"), f32({2, 1}, {1, 2})).isOk());
  EXPECT_NE(readAll(path("m.npy")).find("'shape': (2, 1)"), std::string::npos);
}

TEST_F(NpyTest, WriteIsAtomicAndOverwrites) {
  std::string p = path("w.npy");
  ASSERT_TRUE(writeNpy(p, f32({2}, {1, 2})).isOk());
  ASSERT_TRUE(writeNpy(p, i64({3}, {7, 8, 9})).isOk());
  auto y = readNpy(p);
  ASSERT_TRUE(y.isOk());
  EXPECT_EQ(ints(*y), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(listDir(), std::vector<std::string>{"w.npy"}); // no temp left
  Status st = writeNpy(path("missing/dir/x.npy"), f32({1}, {1}));
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("missing/dir/x.npy"), std::string::npos);
  EXPECT_FALSE(writeNpy(p, Tensor()).isOk());
}

TEST_F(NpyTest, VersionsAndByteOrders) {
  std::vector<float> v = {1.5f, -2.0f, 3.25f, 4.0f, 5.0f, 6.0f};
  for (int major : {1, 2, 3}) {
    std::string bytes = npyBytes(
        major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        rawBytes(v));
    auto t = parseNpy(bytes.data(), bytes.size(), "mem");
    ASSERT_TRUE(t.isOk()) << t.status().message();
    EXPECT_EQ(t->shape(), (Shape{2, 3}));
    EXPECT_EQ(values(*t), (std::vector<double>(v.begin(), v.end())));
  }
  // Big-endian int32 and float64, odd spacing, double quotes, Python 2 longs.
  std::string be;
  for (int32_t x : {1, -2, 0x01020304}) {
    uint32_t u = (uint32_t)x;
    for (int s = 24; s >= 0; s -= 8)
      be += char((u >> s) & 0xff);
  }
  std::string bytes = npyBytes(
      1, "{\"shape\":(3L,),\"fortran_order\" : False,'descr':'>i4'}", be);
  auto t = parseNpy(bytes.data(), bytes.size(), "be");
  ASSERT_TRUE(t.isOk()) << t.status().message();
  EXPECT_EQ(t->dtype(), DType::I32);
  EXPECT_EQ(ints(*t), (std::vector<int64_t>{1, -2, 0x01020304}));
  double d = -0.125;
  uint64_t du;
  std::memcpy(&du, &d, 8);
  std::string be8;
  for (int s = 56; s >= 0; s -= 8)
    be8 += char((du >> s) & 0xff);
  bytes = npyBytes(2, "{'descr': '>f8', 'fortran_order': False, 'shape': ()}", be8);
  t = parseNpy(bytes.data(), bytes.size(), "be8");
  ASSERT_TRUE(t.isOk()) << t.status().message();
  EXPECT_EQ(t->rank(), 0);
  EXPECT_EQ(t->getDouble(0), -0.125);
  // Bools: '|b1' and bytes other than 0/1 are normalized.
  bytes = npyBytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                   std::string("\x00\x01\x05", 3));
  t = parseNpy(bytes.data(), bytes.size(), "b");
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->dtype(), DType::Bool);
  EXPECT_EQ(ints(*t), (std::vector<int64_t>{0, 1, 1}));
  // Every supported code.
  struct Code {
    const char *descr;
    DType dtype;
  } codes[] = {{"<f2", DType::F16}, {"<f4", DType::F32}, {"<f8", DType::F64},
               {"|i1", DType::I8},  {"<i2", DType::I16}, {"<i4", DType::I32},
               {"<i8", DType::I64}, {"|u1", DType::U8},  {"<u2", DType::U16},
               {"<u4", DType::U32}, {"<u8", DType::U64}, {"|b1", DType::Bool}};
  for (const Code &c : codes) {
    std::string dict = std::string("{'descr': '") + c.descr +
                       "', 'fortran_order': False, 'shape': (2,), }";
    std::string data(2 * dtypeSize(c.dtype), '\0');
    bytes = npyBytes(1, dict, data);
    t = parseNpy(bytes.data(), bytes.size(), c.descr);
    ASSERT_TRUE(t.isOk()) << c.descr << ": " << t.status().message();
    EXPECT_EQ(t->dtype(), c.dtype);
  }
}

/// Expects parse failure with a message containing `what` and `needle`.
void expectBad(const std::string &bytes, const std::string &needle) {
  auto t = parseNpy(bytes.data(), bytes.size(), "bad.npy");
  ASSERT_FALSE(t.isOk()) << "accepted: " << needle;
  EXPECT_NE(t.status().message().find("bad.npy"), std::string::npos)
      << t.status().message();
  EXPECT_NE(t.status().message().find(needle), std::string::npos)
      << t.status().message();
}

TEST_F(NpyTest, MalformedFiles) {
  std::vector<float> v = {1, 2, 3, 4};
  std::string ok = npyBytes(
      1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", rawBytes(v));
  ASSERT_TRUE(parseNpy(ok.data(), ok.size(), "ok").isOk());
  expectBad("", "bad magic");
  expectBad("\x93NUMPX\x01\x00\x10\x00", "bad magic");
  expectBad("PK\x03\x04 not numpy at all", "bad magic");
  expectBad(ok.substr(0, 40), "header is truncated");
  expectBad(ok.substr(0, 8), "bad magic"); // shorter than the preamble
  expectBad(ok.substr(0, ok.size() - 1), "data is truncated");
  expectBad(ok + "xx", "unexpected bytes");
  std::string v9 = ok;
  v9[6] = 9;
  expectBad(v9, "version 9");
  expectBad(npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                     rawBytes(v)),
            "fortran_order");
  expectBad(npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
                     std::string(8, '\0')),
            "object");
  expectBad(npyBytes(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                     std::string(8, '\0')),
            "<c8");
  expectBad(npyBytes(1, "{'descr': '|V2', 'fortran_order': False, 'shape': (1,), }",
                     std::string(2, '\0')),
            "bfloat16");
  expectBad(npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                     std::string(4, '\0')),
            "structured");
  expectBad(npyBytes(1, "{'descr': '<f4', 'shape': (4,), }", rawBytes(v)),
            "fortran_order");
  expectBad(npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}",
                     rawBytes(v)),
            "unexpected key");
  expectBad(npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }",
                     rawBytes(v)),
            "shape");
  expectBad(npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,) ",
                     rawBytes(v)),
            "malformed");
  expectBad(npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                        "(4294967296, 4294967296), }",
                     rawBytes(v)),
            "too large");
}

TEST_F(NpyTest, ReadErrorsNameTheFile) {
  auto t = readNpy(path("nope.npy"));
  ASSERT_FALSE(t.isOk());
  EXPECT_NE(t.status().message().find("nope.npy"), std::string::npos);
  writeAll(path("short.npy"), "\x93NUMPY");
  t = readNpy(path("short.npy"));
  ASSERT_FALSE(t.isOk());
  EXPECT_NE(t.status().message().find("short.npy"), std::string::npos);
}

} // namespace
