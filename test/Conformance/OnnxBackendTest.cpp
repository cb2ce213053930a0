//===- OnnxBackendTest.cpp - ONNX backend conformance node tests -*- C++ -*-===//
//
// Runs the ONNX backend node tests (Debian's libonnx-testdata:
// <dir>/test_*/model.onnx with test_data_set_*/input_*.pb, output_*.pb)
// through the importer, nn-canonicalize and the CPU runtime, and compares the
// outputs with ONNX's default tolerances (rtol 1e-3, atol 1e-7; exact for
// integers and bools). Tests whose ops the importer does not support, or that
// use features it reports as not supported, are skipped with the reason.
//
//   gptq-onnx-backend-test /usr/share/libonnx-testdata/data/node [filter]
//
// Prints one line per failure, the skip reasons with counts, and a summary
// "passed N, failed N, skipped N"; exits 1 if any test failed.
//
//===----------------------------------------------------------------------===//

#include "gptq/Exec/PlanBuilder.h"
#include "gptq/Import/OnnxImport.h"
#include "gptq/InitAll.h"

#include "runtime/Executor.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

using namespace mlir;
namespace rt = gptq::rt;

namespace {
enum class Outcome { Pass, Fail, Skip };
struct Result {
  Outcome outcome;
  std::string reason;
};
} // namespace

static std::vector<std::string> listDir(const std::string &dir,
                                        llvm::StringRef prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with(prefix))
      out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

/// Compares with numpy.testing.assert_allclose semantics.
static bool compare(const rt::Tensor &got, const rt::Tensor &want,
                    std::string &why) {
  if (got.dtype() != want.dtype()) {
    why = std::string("dtype ") + rt::dtypeName(got.dtype()) + " vs " +
          rt::dtypeName(want.dtype());
    return false;
  }
  if (got.shape() != want.shape()) {
    why = "shape " + rt::shapeToString(got.shape()) + " vs " +
          rt::shapeToString(want.shape());
    return false;
  }
  bool exact = !rt::isFloat(got.dtype());
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (exact) {
      if (got.getInt(i) != want.getInt(i)) {
        why = "element " + std::to_string(i) + ": " +
              std::to_string(got.getInt(i)) + " vs " +
              std::to_string(want.getInt(i));
        return false;
      }
      continue;
    }
    double g = got.getDouble(i), w = want.getDouble(i);
    if (std::isnan(g) && std::isnan(w))
      continue;
    if (std::isinf(g) || std::isinf(w)) {
      if (g != w) {
        why = "element " + std::to_string(i) + ": " + std::to_string(g) +
              " vs " + std::to_string(w);
        return false;
      }
      continue;
    }
    if (!(std::fabs(g - w) <= 1e-7 + 1e-3 * std::fabs(w))) {
      why = "element " + std::to_string(i) + ": " + std::to_string(g) +
            " vs " + std::to_string(w);
      return false;
    }
  }
  return true;
}

static Result runTest(const std::string &dir) {
  std::string modelPath = dir + "/model.onnx";
  auto buf = llvm::MemoryBuffer::getFile(modelPath);
  if (!buf)
    return {Outcome::Skip, "no model.onnx"};
  onnx::ModelProto model;
  if (!model.ParseFromArray((*buf)->getBufferStart(),
                            (int)(*buf)->getBufferSize()))
    return {Outcome::Fail, "model.onnx does not parse"};
  for (const auto &op : model.opset_import())
    if ((op.domain().empty() || op.domain() == "ai.onnx") &&
        (op.version() < 13 || op.version() > 21))
      return {Outcome::Skip, "opset " + std::to_string(op.version()) +
                                 " (13 through 21 are supported)"};
  for (const auto &node : model.graph().node())
    if (!gptq::isSupportedOnnxOp(node.domain(), node.op_type()))
      return {Outcome::Skip, "unsupported op " + node.op_type()};
  for (const auto &vi : model.graph().input())
    if (!vi.type().has_tensor_type())
      return {Outcome::Skip, "non-tensor input"};

  DialectRegistry registry;
  gptq::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += d.str() + "; ";
    return success();
  });
  auto module = gptq::importOnnxFile(&context, modelPath);
  if (!module) {
    // Features the importer reports as unsupported are skips; anything else
    // is a failure.
    if (diagnostics.find("not supported") != std::string::npos)
      return {Outcome::Skip, diagnostics.substr(diagnostics.find("): ") == std::string::npos
                                                    ? 0
                                                    : diagnostics.find("): ") + 3)};
    return {Outcome::Fail, "import: " + diagnostics};
  }
  PassManager pm(&context);
  pm.addPass(gptq::createNNCanonicalize());
  if (failed(pm.run(*module)))
    return {Outcome::Fail, "nn-canonicalize: " + diagnostics};
  auto plan = gptq::buildPlan(*module);
  if (failed(plan))
    return {Outcome::Fail, "plan: " + diagnostics};
  rt::Executor executor(*plan);

  auto sets = listDir(dir, "test_data_set_");
  if (sets.empty())
    return {Outcome::Skip, "no test data"};
  for (const std::string &set : sets) {
    rt::NamedTensors feeds, outputs;
    auto inputs = listDir(set, "input_");
    // input_<i>.pb binds to the i-th non-initializer graph input.
    std::vector<std::string> names;
    for (const auto &in : (*plan)->inputs)
      names.push_back(in.name);
    std::sort(inputs.begin(), inputs.end(), [](const std::string &a, const std::string &b) {
      return std::stoi(llvm::sys::path::stem(a).drop_front(6).str()) <
             std::stoi(llvm::sys::path::stem(b).drop_front(6).str());
    });
    if (inputs.size() != names.size())
      return {Outcome::Fail, "test data has " + std::to_string(inputs.size()) +
                                 " inputs, the graph " + std::to_string(names.size())};
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto attr = gptq::importOnnxTensorFile(&context, inputs[i]);
      if (failed(attr)) {
        if (diagnostics.find("not supported") != std::string::npos)
          return {Outcome::Skip, "input: " + diagnostics};
        return {Outcome::Fail, "input: " + diagnostics};
      }
      auto t = gptq::tensorFromAttr(*attr);
      if (failed(t))
        return {Outcome::Skip, "input of a type the runtime cannot hold"};
      feeds[names[i]] = t->clone();
    }
    if (auto st = executor.run(feeds, outputs); !st)
      return {Outcome::Fail, "run: " + st.message()};
    auto expected = listDir(set, "output_");
    std::sort(expected.begin(), expected.end(), [](const std::string &a, const std::string &b) {
      return std::stoi(llvm::sys::path::stem(a).drop_front(7).str()) <
             std::stoi(llvm::sys::path::stem(b).drop_front(7).str());
    });
    if (expected.size() != (*plan)->outputs.size())
      return {Outcome::Fail, "test data has " + std::to_string(expected.size()) +
                                 " outputs, the graph " +
                                 std::to_string((*plan)->outputs.size())};
    for (size_t i = 0; i < expected.size(); ++i) {
      auto attr = gptq::importOnnxTensorFile(&context, expected[i]);
      if (failed(attr))
        return {Outcome::Fail, "expected output: " + diagnostics};
      auto want = gptq::tensorFromAttr(*attr);
      if (failed(want))
        return {Outcome::Skip, "output of a type the runtime cannot hold"};
      std::string why;
      if (!compare(outputs[(*plan)->outputs[i].name], *want, why))
        return {Outcome::Fail, llvm::sys::path::filename(set).str() + " output " +
                                   std::to_string(i) + ": " + why};
    }
  }
  return {Outcome::Pass, ""};
}

int main(int argc, char **argv) {
  if (argc < 2) {
    llvm::errs() << "usage: gptq-onnx-backend-test <node-test-dir> [name-filter]\n";
    return 2;
  }
  std::string filter = argc > 2 ? argv[2] : "";
  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skipReasons;
  for (const std::string &dir : listDir(argv[1], "test_")) {
    std::string name = llvm::sys::path::filename(dir).str();
    if (!filter.empty() && name.find(filter) == std::string::npos)
      continue;
    Result r = runTest(dir);
    switch (r.outcome) {
    case Outcome::Pass:
      ++passed;
      break;
    case Outcome::Fail:
      ++failed;
      llvm::outs() << "FAIL " << name << ": " << r.reason << "\n";
      break;
    case Outcome::Skip:
      ++skipped;
      ++skipReasons[r.reason];
      break;
    }
  }
  llvm::outs() << "skip reasons:\n";
  for (auto &[reason, n] : skipReasons)
    llvm::outs() << "  " << n << "  " << reason << "\n";
  llvm::outs() << "ONNX backend node tests: passed " << passed << ", failed "
               << failed << ", skipped " << skipped << "\n";
  return failed ? 1 : 0;
}
