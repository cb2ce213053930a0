//===- LanguageModelInputs.cpp - feeding a language model's inputs --------===//

#include "gptq/Exec/LanguageModelInputs.h"

#include "runtime/Npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

using namespace gptq;
namespace rt = gptq::rt;

const char *gptq::lmInputRoleName(LMInputRole role) {
  switch (role) {
  case LMInputRole::Tokens:
    return "tokens";
  case LMInputRole::AttentionMask:
    return "ones";
  case LMInputRole::PositionIds:
    return "positions";
  case LMInputRole::TokenTypeIds:
    return "zeros";
  case LMInputRole::CachePosition:
    return "cache positions";
  case LMInputRole::LogitsToKeep:
    return "0: all logits";
  case LMInputRole::UseCacheBranch:
    return "past > 0";
  case LMInputRole::Past:
    return "past";
  case LMInputRole::Override:
    return "--input";
  }
  return "?";
}

static std::string lower(std::string s) {
  for (char &c : s)
    c = (char)std::tolower((unsigned char)c);
  return s;
}

static std::vector<std::string> splitTokens(const std::string &s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '.' || c == '_' || c == '/' || c == ':') {
      if (!cur.empty())
        out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty())
    out.push_back(cur);
  return out;
}

bool gptq::parseCacheName(const std::string &name, const std::string &prefix,
                          int &layer, std::string &kind) {
  std::vector<std::string> t = splitTokens(lower(name));
  if (t.empty() || t[0] != prefix)
    return false;
  size_t i = 1;
  // "past_key_values" / "present_key_values" / "past_key_value": the
  // collection's name, not the kind.
  if (i + 1 < t.size() && t[i] == "key" &&
      (t[i + 1] == "values" || t[i + 1] == "value") &&
      // "past_key_value_3" is the collection; "past_key_value" alone is not.
      i + 2 < t.size())
    i += 2;
  layer = -1;
  bool key = false, value = false;
  for (; i < t.size(); ++i) {
    const std::string &tok = t[i];
    if (!tok.empty() && std::all_of(tok.begin(), tok.end(), ::isdigit)) {
      if (layer >= 0 || tok.size() > 6)
        return false;
      layer = std::stoi(tok);
    } else if (tok == "key" || tok == "keys") {
      key = true;
    } else if (tok == "value" || tok == "values") {
      value = true;
    } else if (tok == "cache" || tok == "kv" || tok == "self" ||
               tok == "decoder") {
      // key_cache / value_cache (DynamicCache), "self" / "decoder" of
      // decoder-only names.
    } else {
      return false; // "encoder", "cross", ... are not decoder caches
    }
  }
  if (layer < 0)
    return false;
  kind = key && value ? "key_value" : key ? "key" : value ? "value" : "kv";
  return true;
}

rt::StatusOr<rt::NamedTensors>
gptq::readInputOverrides(const std::vector<std::string> &specs) {
  rt::NamedTensors out;
  for (const std::string &spec : specs) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return rt::errorf("--input '", spec, "' is not NAME=file.npy");
    std::string name = spec.substr(0, eq);
    if (out.count(name))
      return rt::errorf("--input '", name, "' is given twice");
    auto t = rt::readNpy(spec.substr(eq + 1));
    if (!t)
      return t.status();
    out[name] = t.take();
  }
  return out;
}

static std::string specText(const rt::IOSpec &s) {
  std::string out = std::string(rt::dtypeName(s.dtype)) + "[";
  for (size_t i = 0; i < s.shape.size(); ++i) {
    if (i)
      out += ", ";
    if (s.shape[i] >= 0)
      out += std::to_string(s.shape[i]);
    else if (i < s.dimNames.size() && !s.dimNames[i].empty())
      out += s.dimNames[i];
    else
      out += "?";
  }
  return out + "]";
}

static std::string dimName(const rt::IOSpec &s, size_t i) {
  return i < s.dimNames.size() ? lower(s.dimNames[i]) : std::string();
}

/// The axes of a past input; an empty string, or why it cannot be filled.
static std::string pastAxes(LMInput &in) {
  const rt::IOSpec &s = in.spec;
  int rank = (int)s.shape.size();
  if (!rt::isFloat(s.dtype))
    return "a past cache must be a float tensor";
  if (rank < 3)
    return "a past cache has rank 3 to 5";
  int past = -1, batch = -1;
  for (int d = 0; d < rank; ++d) {
    std::string n = dimName(s, d);
    if (n.find('*') != std::string::npos || n.find('+') != std::string::npos)
      return "dimension " + std::to_string(d) + " '" + s.dimNames[d] +
             "' is not a plain batch or sequence dimension";
    if (past < 0 && (n.find("past") != std::string::npos ||
                     n.find("seq") != std::string::npos))
      past = d;
    else if (batch < 0 && n.find("batch") != std::string::npos)
      batch = d;
  }
  bool stacked = in.kind == "kv";
  if (past < 0) {
    if (rank == 3)
      return "the past sequence axis of a rank-3 cache must be named "
             "(e.g. 'past_sequence_length')";
    past = rank - 2;
  }
  if (batch < 0)
    batch = stacked ? 1 : 0;
  if (batch == past)
    return "the batch and past sequence axes coincide";
  // Known even when the rest cannot be filled (a given past is indexed by
  // its batch axis).
  in.pastAxis = past;
  in.batchAxis = batch;
  for (int d = 0; d < rank; ++d)
    if (d != past && d != batch && s.shape[d] < 0)
      return "dimension " + std::to_string(d) +
             (dimName(s, d).empty() ? std::string()
                                    : " '" + s.dimNames[d] + "'") +
             " has no static size (the head count and size come from the IR)";
  if (s.shape[past] > 0)
    return "the past sequence axis " + std::to_string(past) +
           " has the static size " + std::to_string(s.shape[past]) +
           "; a zero-length past cannot be fed";
  return "";
}

static bool isIntegerOrBool(rt::DType t) {
  return rt::isInteger(t) || t == rt::DType::Bool;
}

rt::StatusOr<LanguageModelInputs>
LanguageModelInputs::analyze(const std::vector<rt::IOSpec> &inputs,
                             const std::vector<rt::IOSpec> &outputs,
                             const std::set<std::string> &overridden) {
  LanguageModelInputs lm;
  lm.outputs_ = outputs;
  // Problems: input names, their type and why; inputs with the same type
  // and reason are named together ("'a', 'b' (f32[...]): why").
  struct Problem {
    std::string names, type, why;
  };
  std::vector<Problem> problems;
  bool quiet = false; // the input at hand is given: no checks
  auto problem = [&](const rt::IOSpec &s, const std::string &why) {
    if (quiet)
      return;
    std::string type = specText(s);
    for (Problem &p : problems)
      if (!p.names.empty() && p.type == type && p.why == why) {
        p.names += ", '" + s.name + "'";
        return;
      }
    problems.push_back({"'" + s.name + "'", type, why});
  };
  std::vector<bool> assigned(inputs.size(), false);
  lm.inputs_.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    lm.inputs_[i].spec = inputs[i];

  // Roles by name.
  for (size_t i = 0; i < inputs.size(); ++i) {
    LMInput &in = lm.inputs_[i];
    const rt::IOSpec &s = in.spec;
    // An input given with --input keeps the role its name has (the mask
    // given decides the positions), without the checks on how it is filled.
    in.given = overridden.count(s.name) != 0;
    quiet = in.given;
    if (in.given)
      assigned[i] = true;
    std::string n = lower(s.name);
    size_t rank = s.shape.size();
    auto integer2D = [&]() { return rank == 2 && isIntegerOrBool(s.dtype); };
    int layer;
    std::string kind;
    if (n == "input_ids") {
      if (in.given) {
        quiet = false;
        problem(s, "the token ids come from the token file or prompt, not "
                   "from --input");
      }
      if (!(rank == 2 && rt::isInteger(s.dtype)))
        problem(s, "token ids must be an integer [batch, seq] tensor");
      in.role = LMInputRole::Tokens;
    } else if (n == "attention_mask" || n == "attn_mask") {
      if (rank != 2 || !(isIntegerOrBool(s.dtype) || rt::isFloat(s.dtype)))
        problem(s, "an attention mask is filled as [batch, past + seq]");
      in.role = LMInputRole::AttentionMask;
    } else if (n == "position_ids") {
      if (!integer2D() || s.dtype == rt::DType::Bool)
        problem(s, "position ids are filled as an integer [batch, seq]");
      in.role = LMInputRole::PositionIds;
    } else if (n == "token_type_ids") {
      if (!integer2D() || s.dtype == rt::DType::Bool)
        problem(s, "token type ids are filled as an integer [batch, seq]");
      in.role = LMInputRole::TokenTypeIds;
    } else if (n == "cache_position") {
      if (rank != 1 || !rt::isInteger(s.dtype))
        problem(s, "cache positions are filled as an integer [seq]");
      in.role = LMInputRole::CachePosition;
    } else if (n == "logits_to_keep" || n == "num_logits_to_keep") {
      if (!rt::isInteger(s.dtype) || rank > 1 || (rank == 1 && s.shape[0] > 1))
        problem(s, "logits_to_keep is filled as an integer scalar");
      in.role = LMInputRole::LogitsToKeep;
    } else if (n == "use_cache_branch") {
      if (rank > 1 || (rank == 1 && s.shape[0] > 1))
        problem(s, "use_cache_branch is filled as a scalar or [1]");
      in.role = LMInputRole::UseCacheBranch;
    } else if (parseCacheName(s.name, "past", layer, kind)) {
      in.role = LMInputRole::Past;
      in.layer = layer;
      in.kind = kind;
      std::string why = pastAxes(in);
      if (!why.empty())
        problem(s, why);
    } else {
      if (in.given)
        in.role = LMInputRole::Override;
      continue;
    }
    assigned[i] = true;
  }
  quiet = false;
  // The token input when none is named input_ids: the only integer
  // [batch, seq] input left.
  if (!lm.find(LMInputRole::Tokens)) {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (!assigned[i] && inputs[i].shape.size() == 2 &&
          rt::isInteger(inputs[i].dtype))
        candidates.push_back(i);
    if (candidates.size() == 1) {
      lm.inputs_[candidates[0]].role = LMInputRole::Tokens;
      assigned[candidates[0]] = true;
    } else {
      problems.push_back(
          {"", "",
           candidates.empty()
               ? std::string("no token input: expected 'input_ids' or one "
                             "integer [batch, seq] input")
               : std::string("no token input: several integer [batch, seq] "
                             "inputs and none is named 'input_ids'")});
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!assigned[i])
      problem(inputs[i], "no language-model input has this name or shape");

  // The logits.
  bool found = false;
  for (size_t o = 0; o < outputs.size() && !found; ++o)
    if (outputs[o].name == "logits") {
      lm.logits_ = o;
      found = true;
    }
  for (size_t o = 0; o < outputs.size() && !found; ++o)
    if (rt::isFloat(outputs[o].dtype) && outputs[o].shape.size() == 3) {
      lm.logits_ = o;
      found = true;
    }
  if (!found)
    problems.push_back({"", "",
                        "no logits output: expected an output named "
                        "'logits' or a float [batch, seq, vocab] output"});
  else if (!rt::isFloat(outputs[lm.logits_].dtype) ||
           outputs[lm.logits_].shape.size() != 3)
    problems.push_back({"", "",
                        "the logits output '" + outputs[lm.logits_].name +
                            "' is " + specText(outputs[lm.logits_]) +
                            ", expected float [batch, seq, vocab]"});

  // Presents for the pasts.
  std::map<std::pair<int, std::string>, int> presents;
  for (size_t o = 0; o < outputs.size(); ++o) {
    int layer;
    std::string kind;
    if (parseCacheName(outputs[o].name, "present", layer, kind))
      presents[{layer, kind}] = (int)o;
  }
  for (LMInput &in : lm.inputs_)
    if (in.role == LMInputRole::Past) {
      auto it = presents.find({in.layer, in.kind});
      in.present = it == presents.end() ? -1 : it->second;
    }

  if (!problems.empty()) {
    std::string msg = "the model's inputs cannot be filled for a language "
                      "model: ";
    for (size_t i = 0; i < problems.size(); ++i) {
      const Problem &p = problems[i];
      msg += i ? "; " : "";
      msg += p.names.empty() ? p.why : p.names + " (" + p.type + "): " + p.why;
    }
    msg += " (give such inputs with --input NAME=file.npy)";
    return rt::Status::error(msg);
  }
  return lm;
}

const LMInput *LanguageModelInputs::find(LMInputRole role) const {
  for (const LMInput &in : inputs_)
    if (in.role == role)
      return &in;
  return nullptr;
}

int64_t LanguageModelInputs::vocab() const {
  const rt::Shape &s = outputs_[logits_].shape;
  return s.size() == 3 ? s[2] : -1;
}

int64_t LanguageModelInputs::staticBatch() const {
  const LMInput *t = find(LMInputRole::Tokens);
  return t && t->spec.shape.size() == 2 ? t->spec.shape[0] : -1;
}

int64_t LanguageModelInputs::staticSeq() const {
  const LMInput *t = find(LMInputRole::Tokens);
  return t && t->spec.shape.size() == 2 ? t->spec.shape[1] : -1;
}

bool LanguageModelInputs::hasPast() const {
  return find(LMInputRole::Past) != nullptr;
}

bool LanguageModelInputs::canDecodeIncrementally() const {
  if (!hasPast())
    return false;
  for (const LMInput &in : inputs_)
    if (in.role == LMInputRole::Past && in.present < 0)
      return false;
  return true;
}

std::string LanguageModelInputs::describe() const {
  std::string s;
  for (const LMInput &in : inputs_)
    s += (s.empty() ? "" : ", ") + in.spec.name + " (" +
         (in.given ? "--input" : lmInputRoleName(in.role)) + ")";
  return s;
}

rt::StatusOr<rt::NamedTensors>
LanguageModelInputs::pastFromPresents(const rt::NamedTensors &outputs) const {
  rt::NamedTensors past;
  for (const LMInput &in : inputs_) {
    if (in.role != LMInputRole::Past)
      continue;
    if (in.present < 0)
      return rt::errorf("past input '", in.spec.name,
                        "' has no matching present output");
    const std::string &name = outputs_[in.present].name;
    auto it = outputs.find(name);
    if (it == outputs.end())
      return rt::errorf("the model returned no '", name, "'");
    past[in.spec.name] = it->second;
  }
  return past;
}

/// Rows [row0, row0 + batch) of an override indexed by sequence, its single
/// row repeated, or the tensor as it is.
static rt::StatusOr<rt::Tensor> overrideRows(const std::string &name,
                                             const rt::Tensor &t, int64_t row0,
                                             int64_t batch, bool batchFirst) {
  if (!batchFirst || t.rank() == 0)
    return t;
  int64_t rows = t.dim(0);
  if (rows == batch && row0 == 0)
    return t;
  int64_t rowElems = rows ? t.numel() / rows : 0;
  size_t esize = rt::dtypeSize(t.dtype());
  rt::Shape shape = t.shape();
  shape[0] = batch;
  if (rows >= row0 + batch) {
    rt::Tensor out = rt::Tensor::empty(t.dtype(), shape);
    std::memcpy(out.raw(),
                static_cast<const char *>(t.raw()) + row0 * rowElems * esize,
                (size_t)(batch * rowElems) * esize);
    return out;
  }
  if (rows == 1) {
    rt::Tensor out = rt::Tensor::empty(t.dtype(), shape);
    for (int64_t r = 0; r < batch; ++r)
      std::memcpy(static_cast<char *>(out.raw()) + r * rowElems * esize,
                  t.raw(), rowElems * esize);
    return out;
  }
  return rt::errorf("--input '", name, "' has ", rows,
                    " rows; the data needs rows ", row0, " to ",
                    row0 + batch - 1,
                    " (give one row per sequence, or one "
                    "row for all)");
}

rt::StatusOr<rt::NamedTensors>
LanguageModelInputs::feeds(const Request &r, const rt::NamedTensors &overrides,
                           std::vector<int64_t> *maskOut) const {
  const int64_t b = r.batch, seq = r.seq;
  rt::NamedTensors out;
  // Overrides first: the mask and the past they give decide the rest.
  for (const LMInput &in : inputs_) {
    auto it = overrides.find(in.spec.name);
    if (it == overrides.end())
      continue;
    bool batchFirst = !in.spec.shape.empty() && in.spec.shape[0] < 0 &&
                      in.role != LMInputRole::CachePosition;
    if (in.role == LMInputRole::Past)
      batchFirst = in.batchAxis == 0 && in.pastAxis > 0;
    auto t = overrideRows(in.spec.name, it->second, r.row0, b, batchFirst);
    if (!t)
      return t.status();
    out[in.spec.name] = t.take();
  }
  // The past length: from the request, or from overridden pasts.
  int64_t pastLen = r.pastLen;
  bool pastGiven = r.past != nullptr || r.pastLen != 0;
  for (const LMInput &in : inputs_) {
    if (in.role != LMInputRole::Past)
      continue;
    auto it = out.find(in.spec.name);
    if (it == out.end() || in.pastAxis < 0 || it->second.rank() <= in.pastAxis)
      continue;
    int64_t len = it->second.dim(in.pastAxis);
    if (!pastGiven) {
      pastLen = len;
      pastGiven = true;
    } else if (len != pastLen) {
      return rt::errorf("past input '", in.spec.name, "' holds ", len,
                        " positions, expected ", pastLen);
    }
  }
  const int64_t total = pastLen + seq;

  // The attention mask (0/1), given or all ones.
  std::vector<int64_t> mask(b * total, 1);
  if (const LMInput *m = find(LMInputRole::AttentionMask);
      m && out.count(m->spec.name)) {
    const rt::Tensor &t = out[m->spec.name];
    if (t.rank() != 2 || t.dim(0) != b || t.dim(1) != total)
      return rt::errorf("--input '", m->spec.name, "' has shape ",
                        rt::shapeToString(t.shape()), "; expected [", b, ", ",
                        total, "] (batch, past + sequence)");
    for (int64_t i = 0; i < b * total; ++i)
      mask[i] = t.getDouble(i) != 0 ? 1 : 0;
  }

  for (const LMInput &in : inputs_) {
    const std::string &name = in.spec.name;
    if (out.count(name))
      continue;
    rt::DType dt = in.spec.dtype;
    switch (in.role) {
    case LMInputRole::Tokens: {
      rt::Tensor t = rt::Tensor::empty(dt, {b, seq});
      for (int64_t i = 0; i < b * seq; ++i)
        t.setInt(i, r.ids[i]);
      out[name] = t;
      break;
    }
    case LMInputRole::AttentionMask: {
      rt::Tensor t = rt::Tensor::empty(dt, {b, total});
      for (int64_t i = 0; i < b * total; ++i)
        t.setDouble(i, (double)mask[i]);
      out[name] = t;
      break;
    }
    case LMInputRole::PositionIds: {
      // transformers: position_ids = mask.cumsum(-1) - 1, set to 1 where the
      // mask is 0; the last `seq` columns. An export with a batch of 1 for
      // the positions takes one row shared by all (no padding then).
      int64_t rows = in.spec.shape[0] == 1 ? 1 : b;
      if (rows < b && std::count(mask.begin(), mask.end(), 0) != 0)
        return rt::errorf("'", name, "' has a batch of 1: the rows cannot "
                          "be padded differently");
      rt::Tensor t = rt::Tensor::empty(dt, {rows, seq});
      for (int64_t row = 0; row < rows; ++row) {
        int64_t run = 0;
        for (int64_t j = 0; j < total; ++j) {
          int64_t m = mask[row * total + j];
          run += m;
          int64_t pos = m ? run - 1 : 1;
          if (j >= pastLen)
            t.setInt(row * seq + (j - pastLen), pos);
        }
      }
      out[name] = t;
      break;
    }
    case LMInputRole::TokenTypeIds:
      out[name] = rt::Tensor::zeros(dt, {b, seq});
      break;
    case LMInputRole::CachePosition: {
      rt::Tensor t = rt::Tensor::empty(dt, {seq});
      for (int64_t i = 0; i < seq; ++i)
        t.setInt(i, pastLen + i);
      out[name] = t;
      break;
    }
    case LMInputRole::LogitsToKeep:
      out[name] = rt::Tensor::zeros(dt, in.spec.shape.empty() ? rt::Shape{}
                                                              : rt::Shape{1});
      break;
    case LMInputRole::UseCacheBranch: {
      rt::Tensor t = rt::Tensor::empty(
          dt, in.spec.shape.empty() ? rt::Shape{} : rt::Shape{1});
      t.setInt(0, pastLen > 0 ? 1 : 0);
      out[name] = t;
      break;
    }
    case LMInputRole::Past: {
      if (r.past) {
        auto it = r.past->find(name);
        if (it == r.past->end())
          return rt::errorf("no past value for '", name, "'");
        out[name] = it->second;
        break;
      }
      if (pastLen != 0)
        return rt::errorf("past input '", name,
                          "' is not given, but other "
                          "past inputs hold ",
                          pastLen, " positions");
      rt::Shape shape = in.spec.shape;
      shape[in.batchAxis] = b;
      shape[in.pastAxis] = 0;
      out[name] = rt::Tensor::zeros(dt, shape);
      break;
    }
    case LMInputRole::Override:
      return rt::errorf("input '", name, "' must be given with --input");
    }
  }
  if (maskOut)
    *maskOut = std::move(mask);
  return out;
}
