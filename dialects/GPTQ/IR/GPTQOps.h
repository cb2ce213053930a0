//===- GPTQOps.h - gptq dialect ---------------------------------*- C++ -*-===//
#ifndef GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_H
#define GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/GPTQ/IR/GPTQDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/GPTQ/IR/GPTQAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/GPTQ/IR/GPTQOps.h.inc"

#endif // GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_H
