//===- Tokenizer.h - llama2.c tokenizer files (decode only) -----*- C++ -*-===//
//
// Reads the tokenizer format of llama2.c (e.g. models/stories260k/tok512.bin:
// int32 max token length, then per token a float score, an int32 byte
// length and the bytes) and turns token ids back into text, so that tools
// can show what a model generated.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_EXEC_TOKENIZER_H
#define GPTQ_EXEC_TOKENIZER_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gptq {

class Tokenizer {
public:
  /// Reads `path`; `vocabSize` is the number of tokens in the file (the
  /// format does not record it; 0: read tokens until the end of the file).
  static rt::StatusOr<Tokenizer> load(const std::string &path,
                                      int64_t vocabSize = 0);

  int64_t size() const { return (int64_t)pieces_.size(); }

  /// Text of `ids`: BOS (1) and EOS (2) are dropped, the space after BOS is
  /// stripped, byte tokens "<0xHH>" become that byte. Fails on an id
  /// outside the vocabulary.
  rt::StatusOr<std::string> decode(const std::vector<int64_t> &ids) const;

private:
  std::vector<std::string> pieces_;
};

} // namespace gptq

#endif // GPTQ_EXEC_TOKENIZER_H
