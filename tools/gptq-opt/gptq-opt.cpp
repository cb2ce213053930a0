//===- gptq-opt.cpp - the gptq-mlir optimizer driver ------------*- C++ -*-===//
//
// mlir-opt for gptq-mlir: our dialects and passes plus the upstream ones
// (func, canonicalize, cse, ...) that pipelines over nn/gptq modules use.
//
//===----------------------------------------------------------------------===//

#include "gptq/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  gptq::registerAllDialects(registry);
  gptq::registerAllPasses();
  mlir::registerTransformsPasses(); // canonicalize, cse, symbol-dce, ...
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "gptq-mlir optimizer driver\n", registry));
}
