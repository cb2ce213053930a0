//===- ImportFuzzer.cpp - libFuzzer target for the ONNX importer -*- C++ -*-===//
//
// Feeds arbitrary bytes to the importer as a serialized ModelProto, and runs
// nn-canonicalize (folders see hostile constants) on whatever imports. Any
// crash, sanitizer report or verifier failure after a successful import is a
// bug; diagnostics are the expected outcome for malformed input.
//
//===----------------------------------------------------------------------===//

#include "gptq/Import/OnnxImport.h"
#include "gptq/InitAll.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  gptq::registerAllDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  // External data resolves inside a scratch folder that holds nothing.
  static const char *dir = [] {
    static char path[] = "/tmp/gptq-import-fuzz-XXXXXX";
    return mkdtemp(path) ? path : "/nonexistent";
  }();
  gptq::OnnxImportOptions options;
  auto module = gptq::importOnnxBytes(
      &context, llvm::StringRef((const char *)data, size), dir, "fuzz.onnx",
      options);
  if (!module)
    return 0;
  if (mlir::failed(mlir::verify(*module))) {
    std::fprintf(stderr, "imported module does not verify\n");
    std::abort();
  }
  mlir::PassManager pm(&context);
  pm.addPass(gptq::createNNCanonicalize());
  (void)pm.run(*module); // may fail with diagnostics; must not crash
  return 0;
}
