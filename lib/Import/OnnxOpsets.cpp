//===- OnnxOpsets.cpp - default-domain operator versions --------*- C++ -*-===//
//
// For every default-domain operator the importer converts: the opsets at
// which ONNX changed its schema (ONNX's Changelog.md / schema registry, up to
// opset 23) and the oldest version whose meaning the converters implement.
// A model's opset selects one version per operator (the newest since_version
// not above it); a node whose operator does not exist yet at the model's
// opset, or exists only in an older form, is refused before any conversion
// with the node, the opset and the version named.
//
// What the older versions in force at opsets 7-12 change, and how the
// converters (OnnxOps.cpp, OnnxIndexOps.cpp) take it:
//  - axes/split as attributes: Squeeze, Unsqueeze, ReduceSum (< 13), the
//    other reductions (< 18), Split's `split` (< 13); inputs from then on.
//  - Softmax/LogSoftmax/Hardmax < 13 coerce the input to 2-D at `axis`
//    (default 1) and normalize over everything from `axis` on.
//  - Clip 6 (opsets 6-10): bounds as float attributes min/max; inputs from 11.
//  - Slice 1 (opsets 1-9): starts/ends/axes as attributes, no steps.
//  - Dropout 7/10 (opsets 7-11): `ratio` attribute, no training_mode input;
//    Dropout 12+: ratio/training_mode inputs. Inference: identity.
//  - Versions that only widen the types or allow negative axes/indices
//    (Add 7, Equal 7/11, Gather 1, Concat 4, Gemm 7/9 (C required), Max/Min
//    6/8 (6 without broadcasting), Pow 7, Flatten 1/9, ArgMax 1/11, Split 2,
//    GatherND 11 (no batch_dims), Cast 6/9, ...) mean what the newest does
//    on the models they accept: converted by the same code.
//  - Older versions (legacy `broadcast`/`consumed_inputs` attributes of
//    Add/Sub/Mul/Div/Pow/And/Or/Xor/unary ops 1-6, Gemm 1/6, Dropout 1/6's
//    is_test, Reshape 1's shape attribute, Cast 1's string `to`, Clip 1,
//    Split 1, Concat 1) are not converted; they are in force only below
//    opset 7, which onnxruntime does not run either, so at opsets 7-23 an
//    operator of this table is refused only where it does not exist yet.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include <algorithm>

using namespace gptq;

int64_t OnnxOpVersions::schemaAt(int64_t opset) const {
  int64_t found = 0;
  for (int64_t v : sinceVersions)
    if (v <= opset)
      found = v;
  return found;
}

namespace {
struct Entry {
  const char *op;
  std::vector<int64_t> since;
  int64_t oldest;
};
} // namespace

static const llvm::StringMap<OnnxOpVersions> &versionTable() {
  static const llvm::StringMap<OnnxOpVersions> table = [] {
    // {op, since_versions, oldest converted}
    const Entry entries[] = {
        {"Abs", {1, 6, 13}, 6},
        {"Add", {1, 6, 7, 13, 14}, 7},
        {"And", {1, 7}, 7},
        {"ArgMax", {1, 11, 12, 13}, 1},
        {"ArgMin", {1, 11, 12, 13}, 1},
        {"BitwiseAnd", {18}, 18},
        {"BitwiseNot", {18}, 18},
        {"BitwiseOr", {18}, 18},
        {"BitwiseXor", {18}, 18},
        {"Cast", {1, 6, 9, 13, 19, 21, 23}, 6},
        {"CastLike", {15, 19, 21, 23}, 15},
        {"Ceil", {1, 6, 13}, 6},
        {"Clip", {1, 6, 11, 12, 13}, 6},
        {"Concat", {1, 4, 11, 13}, 4},
        {"Constant", {1, 9, 11, 12, 13, 19, 21, 23}, 1},
        {"ConstantOfShape", {9, 20, 21, 23}, 9},
        {"Cos", {7, 22}, 7},
        {"CumSum", {11, 14}, 11},
        {"Div", {1, 6, 7, 13, 14}, 7},
        {"Dropout", {1, 6, 7, 10, 12, 13, 22}, 7},
        {"Equal", {1, 7, 11, 13, 19}, 7},
        {"Erf", {9, 13}, 9},
        {"Exp", {1, 6, 13}, 6},
        {"Expand", {8, 13}, 8},
        {"Flatten", {1, 9, 11, 13, 21, 23}, 1},
        {"Floor", {1, 6, 13}, 6},
        {"Gather", {1, 11, 13}, 1},
        {"GatherElements", {11, 13}, 11},
        {"GatherND", {11, 12, 13}, 11},
        {"Gelu", {20}, 20},
        {"Gemm", {1, 6, 7, 9, 11, 13}, 7},
        {"Greater", {1, 7, 9, 13}, 7},
        {"GreaterOrEqual", {12, 16}, 12},
        {"Hardmax", {1, 11, 13}, 1},
        {"Identity", {1, 13, 14, 16, 19, 21, 23}, 1},
        {"IsInf", {10, 20}, 10},
        {"IsNaN", {9, 13, 20}, 9},
        {"LayerNormalization", {17}, 17},
        {"Less", {1, 7, 9, 13}, 7},
        {"LessOrEqual", {12, 16}, 12},
        {"Log", {1, 6, 13}, 6},
        {"LogSoftmax", {1, 11, 13}, 1},
        {"MatMul", {1, 9, 13}, 1},
        {"Max", {1, 6, 8, 12, 13}, 6},
        {"Min", {1, 6, 8, 12, 13}, 6},
        {"Mod", {10, 13}, 10},
        {"Mul", {1, 6, 7, 13, 14}, 7},
        {"Neg", {1, 6, 13}, 6},
        {"Not", {1}, 1},
        {"Or", {1, 7}, 7},
        {"Pow", {1, 7, 12, 13, 15}, 7},
        {"Range", {11}, 11},
        {"Reciprocal", {1, 6, 13}, 6},
        {"ReduceL2", {1, 11, 13, 18}, 1},
        {"ReduceLogSumExp", {1, 11, 13, 18}, 1},
        {"ReduceMax", {1, 11, 12, 13, 18, 20}, 1},
        {"ReduceMean", {1, 11, 13, 18}, 1},
        {"ReduceMin", {1, 11, 12, 13, 18, 20}, 1},
        {"ReduceProd", {1, 11, 13, 18}, 1},
        {"ReduceSum", {1, 11, 13}, 1},
        {"Relu", {1, 6, 13, 14}, 6},
        {"Reshape", {1, 5, 13, 14, 19, 21, 23}, 5},
        {"Round", {11, 22}, 11},
        {"ScatterElements", {11, 13, 16, 18}, 11},
        {"ScatterND", {11, 13, 16, 18}, 11},
        {"Shape", {1, 13, 15, 19, 21, 23}, 1},
        {"Sigmoid", {1, 6, 13}, 6},
        {"Sign", {9, 13}, 9},
        {"Sin", {7, 22}, 7},
        {"Size", {1, 13, 19, 21, 23}, 1},
        {"Slice", {1, 10, 11, 13}, 1},
        {"Softmax", {1, 11, 13}, 1},
        {"Split", {1, 2, 11, 13, 18}, 2},
        {"Sqrt", {1, 6, 13}, 6},
        {"Squeeze", {1, 11, 13, 21, 23}, 1},
        {"Sub", {1, 6, 7, 13, 14}, 7},
        {"Tanh", {1, 6, 13}, 6},
        {"Tile", {1, 6, 13}, 6},
        {"Transpose", {1, 13, 21, 23}, 1},
        {"Trilu", {14}, 14},
        {"Unsqueeze", {1, 11, 13, 21, 23}, 1},
        {"Where", {9, 16}, 9},
        {"Xor", {1, 7}, 7},
        // Opset-23 operators converted by OnnxAttentionOps.cpp (branch attn).
        {"Attention", {23}, 23},
        {"RMSNormalization", {23}, 23},
        {"RotaryEmbedding", {23}, 23},
    };
    llvm::StringMap<OnnxOpVersions> t;
    for (const Entry &e : entries)
      t[e.op] = OnnxOpVersions{e.since, e.oldest};
    return t;
  }();
  return table;
}

const OnnxOpVersions *gptq::onnxOpVersions(llvm::StringRef opType) {
  const auto &t = versionTable();
  auto it = t.find(opType);
  return it == t.end() ? nullptr : &it->second;
}

std::vector<std::string> gptq::supportedDefaultDomainOps() {
  std::vector<std::string> ops;
  for (const auto &kv : onnximport::defaultDomainConverters())
    ops.push_back(kv.getKey().str());
  std::sort(ops.begin(), ops.end());
  return ops;
}
