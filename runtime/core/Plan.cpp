//===- Plan.cpp - what the executor runs ------------------------*- C++ -*-===//

#include "runtime/Plan.h"

#include <cstring>
#include <set>

namespace gptq::rt {

static const char *const kOpNames[] = {
#define GPTQ_RT_OP(kind, name) name,
#include "runtime/Ops.def"
};
static constexpr size_t kNumOps = sizeof(kOpNames) / sizeof(kOpNames[0]);

const char *opKindName(OpKind kind) {
  size_t i = (size_t)kind;
  return i < kNumOps ? kOpNames[i] : "<unknown op>";
}

bool opKindFromName(const std::string &name, OpKind &kind) {
  for (size_t i = 0; i < kNumOps; ++i) {
    if (name == kOpNames[i]) {
      kind = (OpKind)i;
      return true;
    }
  }
  return false;
}

int64_t Attrs::getInt(const std::string &name, int64_t def) const {
  auto it = items_.find(name);
  if (it == items_.end())
    return def;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return *i;
  if (auto *d = std::get_if<double>(&it->second))
    return (int64_t)*d;
  return def;
}

double Attrs::getFloat(const std::string &name, double def) const {
  auto it = items_.find(name);
  if (it == items_.end())
    return def;
  if (auto *d = std::get_if<double>(&it->second))
    return *d;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return (double)*i;
  return def;
}

std::string Attrs::getString(const std::string &name,
                             const std::string &def) const {
  auto it = items_.find(name);
  if (it == items_.end())
    return def;
  if (auto *s = std::get_if<std::string>(&it->second))
    return *s;
  return def;
}

std::vector<int64_t> Attrs::getInts(const std::string &name) const {
  auto it = items_.find(name);
  if (it == items_.end())
    return {};
  if (auto *v = std::get_if<std::vector<int64_t>>(&it->second))
    return *v;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return {*i};
  return {};
}

namespace {
/// Names a value in messages: "value 7 (constant 'w0')".
std::string valueName(const Plan &p, int v) {
  std::string s = "value " + std::to_string(v);
  auto c = p.constantNames.find(v);
  if (c != p.constantNames.end())
    return s + " (constant '" + c->second + "')";
  for (const IOSpec &in : p.inputs)
    if (in.value == v)
      return s + " (input '" + in.name + "')";
  return s;
}

std::string stepLabel(const Step &s, size_t i) {
  return "step " + std::to_string(i) + " '" + s.name + "' (" +
         opKindName(s.kind) + ")";
}
} // namespace

void Plan::computeReleases() {
  std::vector<int> lastUse(numValues, -1), definer(numValues, -1);
  for (size_t s = 0; s < steps.size(); ++s) {
    steps[s].release.clear();
    for (int in : steps[s].inputs)
      if (in >= 0)
        lastUse[in] = (int)s;
    for (int out : steps[s].outputs)
      definer[out] = (int)s;
  }
  std::vector<bool> keep(numValues, false);
  for (const IOSpec &o : outputs)
    keep[o.value] = true;
  for (const auto &[id, t] : constants)
    keep[id] = true;
  for (int v = 0; v < numValues; ++v) {
    if (keep[v])
      continue;
    if (lastUse[v] >= 0)
      steps[lastUse[v]].release.push_back(v);
    else if (definer[v] >= 0)
      steps[definer[v]].release.push_back(v);
  }
}

Status Plan::validate() const {
  if (numValues < 0)
    return errorf("plan: numValues is negative (", numValues, ")");
  auto inRange = [&](int v) { return v >= 0 && v < numValues; };
  // State of each value: 0 undefined, 1 live, 2 released.
  enum : uint8_t { Undefined, Live, Released };
  std::vector<uint8_t> state(numValues, Undefined);
  std::vector<bool> isConst(numValues, false);

  std::set<std::string> names;
  for (const IOSpec &in : inputs) {
    if (!inRange(in.value))
      return errorf("plan: input '", in.name, "' has value id ", in.value,
                    " outside [0, ", numValues, ")");
    if (!names.insert(in.name).second)
      return errorf("plan: two inputs are named '", in.name, "'");
    if (state[in.value] != Undefined)
      return errorf("plan: input '", in.name, "' reuses ",
                    valueName(*this, in.value));
    if (!in.dimNames.empty() && in.dimNames.size() != in.shape.size())
      return errorf("plan: input '", in.name, "' has ", in.dimNames.size(),
                    " dimension names for rank ", in.shape.size());
    for (int64_t d : in.shape)
      if (d < -1)
        return errorf("plan: input '", in.name, "' has invalid size ", d,
                      " in its shape ", shapeToString(in.shape));
    state[in.value] = Live;
  }
  for (const auto &[id, t] : constants) {
    if (!inRange(id))
      return errorf("plan: constant id ", id, " is outside [0, ", numValues,
                    ")");
    if (state[id] != Undefined)
      return errorf("plan: constant ", valueName(*this, id),
                    " is also a graph input");
    if (!t.defined())
      return errorf("plan: constant ", valueName(*this, id),
                    " has no data");
    state[id] = Live;
    isConst[id] = true;
  }
  for (const auto &[id, name] : constantNames)
    if (!constants.count(id))
      return errorf("plan: constant name '", name, "' is given to value ", id,
                    ", which is not a constant");

  for (size_t i = 0; i < steps.size(); ++i) {
    const Step &s = steps[i];
    if ((size_t)s.kind >= kNumOps)
      return errorf("plan: step ", i, " '", s.name, "' has unknown kind ",
                    (int)s.kind);
    for (size_t j = 0; j < s.inputs.size(); ++j) {
      int v = s.inputs[j];
      if (v == -1)
        continue;
      if (!inRange(v))
        return errorf("plan: ", stepLabel(s, i), " operand ", j,
                      " has value id ", v, " outside [0, ", numValues, ")");
      if (state[v] == Undefined)
        return errorf("plan: ", stepLabel(s, i), " operand ", j, " uses ",
                      valueName(*this, v), " before it is defined");
      if (state[v] == Released)
        return errorf("plan: ", stepLabel(s, i), " operand ", j, " uses ",
                      valueName(*this, v), " after it was released");
    }
    if (s.outputDTypes.size() != s.outputs.size())
      return errorf("plan: ", stepLabel(s, i), " has ", s.outputs.size(),
                    " outputs but ", s.outputDTypes.size(), " output types");
    for (int v : s.outputs) {
      if (!inRange(v))
        return errorf("plan: ", stepLabel(s, i), " defines value id ", v,
                      " outside [0, ", numValues, ")");
      if (state[v] != Undefined)
        return errorf("plan: ", stepLabel(s, i), " redefines ",
                      valueName(*this, v));
      state[v] = Live;
    }
    for (int v : s.release) {
      if (!inRange(v))
        return errorf("plan: ", stepLabel(s, i), " releases value id ", v,
                      " outside [0, ", numValues, ")");
      if (isConst[v])
        return errorf("plan: ", stepLabel(s, i), " releases ",
                      valueName(*this, v), ", but constants are never freed");
      if (state[v] == Undefined)
        return errorf("plan: ", stepLabel(s, i), " releases ",
                      valueName(*this, v), ", which is not defined yet");
      if (state[v] == Released)
        return errorf("plan: ", stepLabel(s, i), " releases ",
                      valueName(*this, v), " twice");
      state[v] = Released;
    }
  }

  std::set<std::string> outNames;
  for (const IOSpec &out : outputs) {
    if (!inRange(out.value))
      return errorf("plan: output '", out.name, "' has value id ", out.value,
                    " outside [0, ", numValues, ")");
    if (!outNames.insert(out.name).second)
      return errorf("plan: two outputs are named '", out.name, "'");
    if (state[out.value] == Undefined)
      return errorf("plan: output '", out.name, "' is ",
                    valueName(*this, out.value), ", which nothing defines");
    if (state[out.value] == Released)
      return errorf("plan: output '", out.name, "' is ",
                    valueName(*this, out.value),
                    ", which a step releases");
  }
  return Status::ok();
}

} // namespace gptq::rt
