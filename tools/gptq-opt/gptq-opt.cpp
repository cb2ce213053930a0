//===- gptq-opt.cpp - the gptq-mlir optimizer driver ------------*- C++ -*-===//
//
// mlir-opt for gptq-mlir: our dialects and passes plus the upstream ones
// (func, canonicalize, cse, ...) that pipelines over nn/gptq modules use.
// An output file named *.mlirbc is written as bytecode (as if
// --emit-bytecode were given), so that locations - which name layers and
// parameters - survive the file.
//
//===----------------------------------------------------------------------===//

#include "gptq/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

/// Whether the command line names an output file ending in .mlirbc and does
/// not ask for bytecode already.
static bool wantsBytecode(int argc, char **argv) {
  bool bytecodeOutput = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (a == "--emit-bytecode" || a == "-emit-bytecode" ||
        a.starts_with("--emit-bytecode=") || a.starts_with("-emit-bytecode="))
      return false;
    llvm::StringRef out;
    if ((a == "-o" || a == "--o") && i + 1 < argc)
      out = argv[i + 1];
    else if (a.consume_front("-o=") || a.consume_front("--o="))
      out = a;
    if (!out.empty())
      bytecodeOutput = out.ends_with(".mlirbc");
  }
  return bytecodeOutput;
}

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  gptq::registerAllDialects(registry);
  gptq::registerAllPasses();
  mlir::registerTransformsPasses(); // canonicalize, cse, symbol-dce, ...
  std::vector<char *> args(argv, argv + argc);
  static char emitBytecode[] = "--emit-bytecode";
  if (wantsBytecode(argc, argv))
    args.push_back(emitBytecode);
  args.push_back(nullptr);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain((int)args.size() - 1, args.data(),
                        "gptq-mlir optimizer driver\n", registry));
}
