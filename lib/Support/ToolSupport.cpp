//===- ToolSupport.cpp - shared plumbing of the command-line tools ------===//

#include "gptq/Support/ToolSupport.h"

#include "gptq/Import/OnnxImport.h"
#include "passes/Passes.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <map>

using namespace mlir;

/// "file: node 'x'" or "file:line:col" for a location, "" if unknown.
static std::string describeLocation(Location loc) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (auto file = dyn_cast<FileLineColLoc>(name.getChildLoc()))
      os << file.getFilename().getValue() << ": ";
    os << "node '" << name.getName().getValue() << "'";
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine())
      os << ":" << file.getLine() << ":" << file.getColumn();
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (!fused.getLocations().empty())
      return describeLocation(fused.getLocations().front());
  } else if (auto callsite = dyn_cast<CallSiteLoc>(loc)) {
    return describeLocation(callsite.getCallee());
  }
  return out;
}

gptq::ToolDiagnostics::ToolDiagnostics(MLIRContext *context, StringRef tool)
    : context(context), tool(tool.str()) {
  // Errors name the op and layer; the whole op in generic form is noise.
  context->printOpOnDiagnostic(false);
  id = context->getDiagEngine().registerHandler([this](Diagnostic &diag) {
    const char *kind = "note";
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      kind = "error";
      ++errors;
      break;
    case DiagnosticSeverity::Warning:
      kind = "warning";
      break;
    case DiagnosticSeverity::Remark:
      kind = "remark";
      break;
    case DiagnosticSeverity::Note:
      break;
    }
    std::string where = describeLocation(diag.getLocation());
    llvm::errs() << this->tool << ": " << kind << ": ";
    if (!where.empty())
      llvm::errs() << where << ": ";
    llvm::errs() << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes()) {
      std::string w = describeLocation(note.getLocation());
      llvm::errs() << "  note: " << (w.empty() ? "" : w + ": ") << note.str()
                   << "\n";
    }
    return success();
  });
}

gptq::ToolDiagnostics::~ToolDiagnostics() {
  context->getDiagEngine().eraseHandler(id);
}

void gptq::printOpCounts(ModuleOp module, StringRef label,
                         llvm::raw_ostream &os) {
  std::map<std::string, int64_t> counts;
  int64_t total = 0;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      return;
    ++counts[op->getName().getStringRef().str()];
    ++total;
  });
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (auto &[name, n] : counts)
    sorted.push_back({-n, name});
  std::sort(sorted.begin(), sorted.end());
  os << label << ": " << total << " ops (";
  for (size_t i = 0; i < sorted.size(); ++i)
    os << (i ? ", " : "") << -sorted[i].first << " " << sorted[i].second;
  os << ")\n";
}

LogicalResult gptq::writeFileAtomically(
    MLIRContext *context, StringRef path,
    const std::function<LogicalResult(llvm::raw_ostream &)> &write) {
  if (path == "-") {
    if (failed(write(llvm::outs())))
      return failure();
    llvm::outs().flush();
    return success();
  }
  bool ok = true;
  llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) -> llvm::Error {
    ok = succeeded(write(os));
    if (!ok)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "nothing written");
    return llvm::Error::success();
  });
  if (err) {
    std::string msg = llvm::toString(std::move(err));
    if (ok)
      emitError(UnknownLoc::get(context))
          << "cannot write '" << path << "': " << msg;
    return failure();
  }
  return success();
}

LogicalResult gptq::writeModule(ModuleOp module, StringRef path,
                                bool bytecode) {
  bytecode |= path.ends_with(".mlirbc");
  return writeFileAtomically(
      module.getContext(), path, [&](llvm::raw_ostream &os) -> LogicalResult {
        if (bytecode)
          return writeBytecodeToFile(module, os);
        module.print(os);
        return success();
      });
}

OwningOpRef<ModuleOp> gptq::loadModel(MLIRContext *context, StringRef path,
                                      ArrayRef<std::string> inputShapes,
                                      bool canonicalize) {
  if (path.ends_with(".onnx")) {
    OnnxImportOptions options;
    for (const std::string &spec : inputShapes) {
      std::string error;
      if (!parseInputShapes(spec, options.inputShapes, error)) {
        emitError(UnknownLoc::get(context)) << error;
        return {};
      }
    }
    OwningOpRef<ModuleOp> module = importOnnxFile(context, path, options);
    if (!module || !canonicalize)
      return module;
    PassManager pm(context);
    pm.addPass(createNNCanonicalize());
    if (failed(pm.run(*module)))
      return {};
    return module;
  }
  if (!inputShapes.empty()) {
    emitError(UnknownLoc::get(context))
        << "--input-shape applies to ONNX models only, not '" << path << "'";
    return {};
  }
  if (!llvm::sys::fs::exists(path)) {
    emitError(UnknownLoc::get(context)) << path << ": no such file";
    return {};
  }
  ParserConfig config(context);
  return parseSourceFile<ModuleOp>(path, config);
}
