//===- Tokenizer.cpp - llama2.c tokenizer files (decode only) -------------===//

#include "gptq/Exec/Tokenizer.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

using namespace gptq;

rt::StatusOr<Tokenizer> Tokenizer::load(const std::string &path,
                                        int64_t vocabSize) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return rt::errorf("tokenizer '", path, "': cannot open the file");
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  size_t at = 0;
  auto readInt = [&](int32_t &v) {
    if (bytes.size() - at < 4)
      return false;
    std::memcpy(&v, bytes.data() + at, 4);
    at += 4;
    return true;
  };
  int32_t maxLen = 0;
  if (!readInt(maxLen) || maxLen <= 0 || maxLen > (1 << 16))
    return rt::errorf("tokenizer '", path,
                      "': not a llama2.c tokenizer file (bad header)");
  Tokenizer tok;
  while (at < bytes.size() && (vocabSize <= 0 || tok.size() < vocabSize)) {
    int64_t id = tok.size();
    int32_t len = 0;
    if (bytes.size() - at < 4)
      return rt::errorf("tokenizer '", path, "': token ", id,
                        " is truncated (no score)");
    at += 4; // the score: not needed to decode
    if (!readInt(len))
      return rt::errorf("tokenizer '", path, "': token ", id,
                        " is truncated (no length)");
    if (len < 0 || len > maxLen || bytes.size() - at < (size_t)len)
      return rt::errorf("tokenizer '", path, "': token ", id, " has length ",
                        len, " (max ", maxLen, ", ", bytes.size() - at,
                        " bytes left)");
    tok.pieces_.push_back(bytes.substr(at, len));
    at += len;
  }
  if (vocabSize > 0 && tok.size() < vocabSize)
    return rt::errorf("tokenizer '", path, "' holds ", tok.size(),
                      " tokens, the model's vocabulary has ", vocabSize);
  if (tok.size() == 0)
    return rt::errorf("tokenizer '", path, "' holds no tokens");
  return tok;
}

rt::StatusOr<std::string> Tokenizer::decode(const std::vector<int64_t> &ids) const {
  std::string text;
  int64_t prev = -1;
  for (int64_t id : ids) {
    if (id < 0 || id >= size())
      return rt::errorf("token id ", id, " is outside the tokenizer's ",
                        size(), " tokens");
    if (id == 1 || id == 2) { // BOS, EOS
      prev = id;
      continue;
    }
    const std::string &p = pieces_[id];
    unsigned byte = 0;
    char tail = 0;
    if (p.size() == 6 && std::sscanf(p.c_str(), "<0x%02X%c", &byte, &tail) == 2 &&
        tail == '>') {
      text.push_back((char)byte);
    } else if (prev == 1 && !p.empty() && p[0] == ' ') {
      text += p.substr(1);
    } else {
      text += p;
    }
    prev = id;
  }
  return text;
}
