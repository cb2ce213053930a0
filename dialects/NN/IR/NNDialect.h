//===- NNDialect.h - nn dialect declaration ---------------------*- C++ -*-===//
#ifndef GPTQ_DIALECTS_NN_IR_NNDIALECT_H
#define GPTQ_DIALECTS_NN_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/NN/IR/NNDialect.h.inc"

#endif // GPTQ_DIALECTS_NN_IR_NNDIALECT_H
