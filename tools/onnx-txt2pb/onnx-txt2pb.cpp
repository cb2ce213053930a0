//===- onnx-txt2pb.cpp - ONNX fixtures from text ----------------*- C++ -*-===//
//
// Turns the text fixtures of the test suite into binary ONNX models:
//   *.onnxtxt    ONNX's textual syntax (onnx/defs/parser.h)
//   *.textproto  protobuf text format of ModelProto (every field expressible,
//                e.g. external data entries for hostile-input tests)
//
//   onnx-txt2pb in.onnxtxt -o out.onnx [--external-data weights.bin
//               [--external-threshold BYTES] [--external-align BYTES]]
//   onnx-txt2pb --truncate N in.onnx -o out.onnx   (first N bytes)
//
// --external-data moves the raw data of initializers of at least
// BYTES (default 64) into one file next to the output, as ONNX exporters do.
// This tool is test tooling: it is built with exceptions so that errors
// thrown by libonnx's parser are reported instead of terminating.
//
//===----------------------------------------------------------------------===//

#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <google/protobuf/text_format.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

static int usage() {
  std::cerr << "usage: onnx-txt2pb <in.onnxtxt|in.textproto> -o <out.onnx>\n"
               "         [--external-data FILE] [--external-threshold BYTES]\n"
               "         [--external-align BYTES] [--convert-typed-to-raw]\n"
               "       onnx-txt2pb --truncate N <in.onnx> -o <out.onnx>\n";
  return 2;
}

static bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

static std::string dirOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

/// Moves typed payloads (float_data, int64_data, ...) of a tensor into
/// raw_data, little-endian, as exporters write them.
static void typedToRaw(onnx::TensorProto &t) {
  std::string raw;
  auto append = [&](const void *p, size_t n) {
    raw.append(static_cast<const char *>(p), n);
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    for (float v : t.float_data())
      append(&v, 4);
    t.clear_float_data();
    break;
  case onnx::TensorProto::INT64:
    for (int64_t v : t.int64_data())
      append(&v, 8);
    t.clear_int64_data();
    break;
  case onnx::TensorProto::INT32:
    for (int32_t v : t.int32_data())
      append(&v, 4);
    t.clear_int32_data();
    break;
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::BOOL:
    for (int32_t v : t.int32_data()) {
      uint8_t b = (uint8_t)v;
      append(&b, 1);
    }
    t.clear_int32_data();
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    for (int32_t v : t.int32_data()) {
      uint16_t h = (uint16_t)v;
      append(&h, 2);
    }
    t.clear_int32_data();
    break;
  case onnx::TensorProto::DOUBLE:
    for (double v : t.double_data())
      append(&v, 8);
    t.clear_double_data();
    break;
  default:
    return;
  }
  if (!raw.empty())
    t.set_raw_data(raw);
}

static int run(int argc, char **argv) {
  std::string in, out, external;
  long threshold = 64, align = 1, truncate = -1;
  bool typedRaw = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "-o") {
      const char *v = next();
      if (!v)
        return usage();
      out = v;
    } else if (a == "--external-data") {
      const char *v = next();
      if (!v)
        return usage();
      external = v;
    } else if (a == "--external-threshold" || a == "--external-align" ||
               a == "--truncate") {
      const char *v = next();
      if (!v)
        return usage();
      long n = std::atol(v);
      (a == "--truncate" ? truncate
                         : a == "--external-align" ? align : threshold) = n;
    } else if (a == "--convert-typed-to-raw") {
      typedRaw = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage();
    } else {
      in = a;
    }
  }
  if (in.empty() || out.empty())
    return usage();
  std::ifstream file(in, std::ios::binary);
  if (!file) {
    std::cerr << "onnx-txt2pb: error: cannot read " << in << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << file.rdbuf();
  std::string text = ss.str();

  if (truncate >= 0) {
    std::ofstream o(out, std::ios::binary);
    o.write(text.data(), std::min<size_t>(text.size(), (size_t)truncate));
    return o ? 0 : 1;
  }

  onnx::ModelProto model;
  if (endsWith(in, ".textproto")) {
    if (!google::protobuf::TextFormat::ParseFromString(text, &model)) {
      std::cerr << "onnx-txt2pb: error: " << in << " is not a ModelProto in text format\n";
      return 1;
    }
  } else {
    auto status = onnx::OnnxParser::Parse(model, text.c_str());
    if (!status.IsOK()) {
      std::cerr << "onnx-txt2pb: error: " << in << ": " << status.ErrorMessage() << "\n";
      return 1;
    }
  }
  if (typedRaw || !external.empty())
    for (auto &t : *model.mutable_graph()->mutable_initializer())
      typedToRaw(t);

  if (!external.empty()) {
    std::string path = dirOf(out) + "/" + external;
    std::ofstream data(path, std::ios::binary);
    long offset = 0;
    for (auto &t : *model.mutable_graph()->mutable_initializer()) {
      if (!t.has_raw_data() || (long)t.raw_data().size() < threshold)
        continue;
      while (offset % align) {
        data.put('\0');
        ++offset;
      }
      data.write(t.raw_data().data(), t.raw_data().size());
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      auto *loc = t.add_external_data();
      loc->set_key("location");
      loc->set_value(external);
      auto *off = t.add_external_data();
      off->set_key("offset");
      off->set_value(std::to_string(offset));
      auto *len = t.add_external_data();
      len->set_key("length");
      len->set_value(std::to_string(t.raw_data().size()));
      offset += (long)t.raw_data().size();
      t.clear_raw_data();
    }
    if (!data) {
      std::cerr << "onnx-txt2pb: error: cannot write " << path << "\n";
      return 1;
    }
  }
  std::ofstream o(out, std::ios::binary);
  if (!model.SerializeToOstream(&o)) {
    std::cerr << "onnx-txt2pb: error: cannot write " << out << "\n";
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::cerr << "onnx-txt2pb: error: " << e.what() << "\n";
    return 1;
  }
}
