//===- Plan.h - what the executor runs --------------------------*- C++ -*-===//
//
// A plan is a list of steps over numbered values. Values are graph inputs,
// constants, or step outputs. Each step names a kernel (OpKind), its input and
// output values, the attributes of the IR op it came from, and which values
// die after it (so that tensors are freed after their last use).
//
// Attributes keep the IR names: axis, axes, perm, keepdims, sizes, alpha,
// beta, trans_a, trans_b, allowzero, start, end, approximate, min, max,
// upper, k, exclusive, reverse, reduction, interleaved, num_heads,
// rotary_embedding_dim, scale, epsilon, detect_positive, detect_negative,
// fmod, batch_dims, select_last_index; bools are stored as 0/1 integers.
// Special cases:
//   nn.cast             target type = outputDTypes[0]
//   nn.constant_of_shape fill value in "value" (double) and "value_int"
//                       (int64, exact for integer types); dtype = outputDTypes[0]
//   nn.clip             "min"/"max" present only when the IR op has them
//   nn.shape            "end" present only when the IR op has it
//   gptq.*              bits, group_size, sym, desc_act, layout ("gptq" or
//                       "gpu"); optional operands (g_idx, bias) are -1 in
//                       `inputs` when absent
//   gptq.fused_matmul_nbits, gptq.launch
//                       "epilogue": the steps joined by commas ("silu,mul");
//                       the epilogue operands follow bias in `inputs`
//   gptq.launch         per kernel path P ("gemv", "mma"): "P.function",
//                       "P.tile" [m, n, k], "P.block" [x, y, z], "P.smem",
//                       "P.max_m" (-1: any M), "P.mask_k", "P.mask_n"
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_PLAN_H
#define GPTQ_RUNTIME_PLAN_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace gptq::rt {

enum class OpKind : uint16_t {
#define GPTQ_RT_OP(kind, name) kind,
#include "runtime/Ops.def"
};

/// "nn.add" for OpKind::Add.
const char *opKindName(OpKind kind);
/// The kind for an IR op name, or false.
bool opKindFromName(const std::string &name, OpKind &kind);

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>>;

/// The attributes of one step, by name.
class Attrs {
public:
  void set(const std::string &name, AttrValue value) { items_[name] = std::move(value); }
  bool has(const std::string &name) const { return items_.count(name) != 0; }
  int64_t getInt(const std::string &name, int64_t def) const;
  double getFloat(const std::string &name, double def) const;
  std::string getString(const std::string &name, const std::string &def) const;
  /// Empty when absent.
  std::vector<int64_t> getInts(const std::string &name) const;
  const std::map<std::string, AttrValue> &items() const { return items_; }

private:
  std::map<std::string, AttrValue> items_;
};

struct Step {
  OpKind kind;
  std::string name;            ///< node name (from the IR location), for messages and hooks
  std::vector<int> inputs;     ///< value ids; -1 for an absent optional operand
  std::vector<int> outputs;    ///< value ids
  std::vector<DType> outputDTypes; ///< element type of each output, from the IR
  Attrs attrs;
  std::vector<int> release;    ///< values not used after this step
};

/// A graph input or output: its name and what the IR says of it (-1 for a
/// dynamic dimension; dimNames[i] is the ONNX dim_param or "").
struct IOSpec {
  std::string name;
  int value = -1;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<std::string> dimNames;
};

struct Plan {
  int numValues = 0;
  std::vector<IOSpec> inputs;
  std::vector<IOSpec> outputs;
  /// Constant values (weights and other constants of the IR), by value id.
  std::map<int, Tensor> constants;
  /// Optional names of constants (e.g. ONNX initializer names), by value id.
  std::map<int, std::string> constantNames;
  std::vector<Step> steps;

  /// Fills every step's `release` list: a step releases the non-constant
  /// values whose last use it is (a value never used dies right after the
  /// step that defines it); graph outputs are never released.
  void computeReleases();

  /// Checks value ids, kinds and liveness lists for consistency.
  Status validate() const;
};

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_PLAN_H
