//===- GPTQPlugin.cpp - gptq-mlir as an mlir-opt plugin ---------*- C++ -*-===//
//
// A shared library that an mlir-opt linked against libMLIR.so (Debian's
// /usr/lib/llvm-22/bin/mlir-opt) loads to get the nn and gptq dialects and
// all gptq-mlir passes:
//
//   mlir-opt --load-dialect-plugin=libGPTQPlugin.so \
//            --load-pass-plugin=libGPTQPlugin.so \
//            --pass-pipeline='builtin.module(nn-canonicalize,gptq-rtn{bits=4})'
//
// Either option alone is enough to run passes: the dialect plugin registers
// the passes too, and the pass plugin's passes load their dialects.
//
//===----------------------------------------------------------------------===//

#include "gptq/InitAll.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "GPTQMLIR", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            gptq::registerAllDialects(*registry);
            gptq::registerAllPasses();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "GPTQMLIRPasses", LLVM_VERSION_STRING,
          []() { gptq::registerAllPasses(); }};
}
