//===- main.cpp - a compiler that embeds gptq-mlir ------------------------===//
//
// Registers gptq-mlir's dialects and passes, parses an nn module, runs
// nn-canonicalize and gptq-rtn through a PassManager, prints the result and
// the plugin path the package exports.
//
//===----------------------------------------------------------------------===//

#include "gptq/InitAll.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

static const char *kModule = R"mlir(
func.func @main(%x: tensor<4x64xf32>) -> tensor<?x32xf32> {
  %w = nn.constant dense<0.5> : tensor<64x32xf32>
  %s = nn.constant dense<[-1, 64]> : tensor<2xi64>
  %r = nn.reshape %x, %s : (tensor<4x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  %y = nn.matmul %r, %w : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
)mlir";

int main() {
  mlir::DialectRegistry registry;
  gptq::registerAllDialects(registry);
  gptq::registerAllPasses();
  mlir::MLIRContext context(registry);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  // Passes of the module pass manager (no "builtin.module(...)" anchor).
  if (mlir::failed(mlir::parsePassPipeline(
          "nn-canonicalize,gptq-rtn{bits=4 group-size=32 include=* quiet=true}",
          pm)))
    return 2;
  if (mlir::failed(pm.run(*module)))
    return 3;
  module->print(llvm::outs());
  llvm::outs() << "\nplugin: " << GPTQ_PLUGIN_PATH << "\n";
  return 0;
}
