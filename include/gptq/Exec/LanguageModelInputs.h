//===- LanguageModelInputs.h - a language model's inputs --------*- C++ -*-===//
//
// Calibration, perplexity and generation run a model on token ids only; the
// other graph inputs of a decoder export are filled here, recognised by the
// names and shapes that optimum, transformers' exporters, torch.onnx and
// onnxruntime-genai write:
//
//   input_ids (or the only integer [batch, seq] input)   the token ids
//   attention_mask [batch, past + seq]        ones; zeros where a row is
//                                             padded (an --input override)
//   position_ids [batch, seq]                 past + i, or with padding as
//                                             transformers computes them:
//                                             cumsum(mask) - 1, 1 on pads
//   token_type_ids [batch, seq]               zeros
//   cache_position [seq]                      past + i
//   logits_to_keep, num_logits_to_keep        0 (all positions)
//   use_cache_branch                          past > 0 (optimum's merged
//                                             decoders)
//   past key/value inputs                     the previous step's present
//                                             outputs, or zero-length
//
// Past inputs are recognised by their names: past_key_values.N.key/.value
// (optimum, genai), past_key_values.N.key_value (gpt_bigcode),
// past_key_values.N / past.N / past_N (key and value stacked on a leading
// axis of 2), past_key_N / past_value_N, past_key_values_key_cache_N /
// ..._value_cache_N (torch.onnx dynamo's flattening of DynamicCache); the
// matching outputs start with "present" instead. The past sequence axis is
// the dimension whose name contains "past" or "seq", else axis rank-2
// ([batch, heads, past, head_dim] and [2, batch, heads, past, head_dim]);
// the batch axis is named "batch..." or is axis 0 (1 when stacked); every
// other dimension must be static in the IR (the head counts and sizes).
//
// The logits are the output named "logits", else the first float
// [batch, seq, vocab] output. Any input can be given instead (--input
// NAME=file.npy): an override whose first dimension holds at least as many
// rows as the data is indexed by sequence, one with a single row is
// repeated, any other is fed as it is. An input neither rule nor override
// fills is an error that names each such input, before any work.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_EXEC_LANGUAGEMODELINPUTS_H
#define GPTQ_EXEC_LANGUAGEMODELINPUTS_H

#include "runtime/Executor.h"
#include "runtime/Plan.h"

#include <set>
#include <string>
#include <vector>

namespace gptq {

enum class LMInputRole {
  Tokens,
  AttentionMask,
  PositionIds,
  TokenTypeIds,
  CachePosition,
  LogitsToKeep,
  UseCacheBranch,
  Past,     ///< a past key, value or stacked key+value
  Override, ///< given with --input, no role of its own
};

const char *lmInputRoleName(LMInputRole role);

/// One graph input and how it is filled.
struct LMInput {
  rt::IOSpec spec;
  LMInputRole role = LMInputRole::Override;
  bool given = false; ///< fed from --input (role: what its name says)
  // Past inputs: the layer, "key", "value", "key_value" or "kv" (stacked),
  // the axes, and the matching present output (-1 if none).
  int layer = -1;
  std::string kind;
  int batchAxis = 0, pastAxis = -1;
  int present = -1;
};

/// Parses a past/present cache name ("past_key_values.3.value" -> layer 3,
/// kind "value"); `prefix` is "past" or "present". False if the name is not
/// one of the conventions above.
bool parseCacheName(const std::string &name, const std::string &prefix,
                    int &layer, std::string &kind);

/// Parses NAME=file.npy specs and reads the files.
rt::StatusOr<rt::NamedTensors>
readInputOverrides(const std::vector<std::string> &specs);

class LanguageModelInputs {
public:
  /// Recognises the inputs and the logits output of a plan's signature.
  /// Inputs named in `overridden` are fed as given. Fails naming every
  /// input that cannot be filled, and when there is no logits output.
  static rt::StatusOr<LanguageModelInputs>
  analyze(const std::vector<rt::IOSpec> &inputs,
          const std::vector<rt::IOSpec> &outputs,
          const std::set<std::string> &overridden = {});

  /// One forward pass: `batch` rows of `seq` token ids (rows `row0`... of
  /// the data, for overrides indexed by sequence) after `pastLen` cached
  /// positions held in `past` (by input name; zero-length pasts are made
  /// when `past` is null).
  struct Request {
    const int64_t *ids = nullptr;
    int64_t batch = 1, seq = 0;
    int64_t row0 = 0;
    int64_t pastLen = 0;
    const rt::NamedTensors *past = nullptr;
  };
  /// The feeds of every input; `overrides` are the --input tensors (in the
  /// plan's dtypes). `maskOut`, if given, receives the [batch, past + seq]
  /// attention mask used (as 0/1 int64), from the attention_mask feed.
  rt::StatusOr<rt::NamedTensors>
  feeds(const Request &request, const rt::NamedTensors &overrides,
        std::vector<int64_t> *maskOut = nullptr) const;

  const std::vector<LMInput> &inputs() const { return inputs_; }
  const LMInput *find(LMInputRole role) const;
  const rt::IOSpec &logits() const { return outputs_[logits_]; }
  /// The vocabulary size from the IR, -1 if dynamic.
  int64_t vocab() const;
  /// The static batch size of the token input, -1 if dynamic.
  int64_t staticBatch() const;
  /// The static sequence length of the token input, -1 if dynamic.
  int64_t staticSeq() const;
  bool hasPast() const;
  /// Every past input has a present output to take its next value from.
  bool canDecodeIncrementally() const;
  /// The past feeds of the next step from a step's outputs.
  rt::StatusOr<rt::NamedTensors>
  pastFromPresents(const rt::NamedTensors &outputs) const;
  /// "input_ids (tokens), attention_mask (ones), ..." for messages.
  std::string describe() const;

private:
  std::vector<LMInput> inputs_;
  std::vector<rt::IOSpec> outputs_;
  size_t logits_ = 0;
};

} // namespace gptq

#endif // GPTQ_EXEC_LANGUAGEMODELINPUTS_H
