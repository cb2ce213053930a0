//===- NNDialect.td - The nn tensor graph dialect ----------*- tablegen -*-===//
//
// The dialect that ONNX models are imported into: value semantics on builtin
// ranked tensors (dynamic dimensions allowed), one op per ONNX operator family.
//
//===----------------------------------------------------------------------===//

#ifndef GPTQ_DIALECTS_NN_IR_NNDIALECT_TD
#define GPTQ_DIALECTS_NN_IR_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::gptq::nn";
  let summary = "Tensor graph dialect for imported neural networks";
  let description = [{
    The `nn` dialect holds inference graphs as imported from ONNX. Every op
    works on builtin ranked tensors with value semantics; dimensions may be
    dynamic (`?`). Broadcasting follows ONNX's multidirectional (numpy)
    rules. Ops infer their result types from their operands; a declared
    result type may be more or less static than the inferred one, as long as
    the two are compatible, so that shape refinement can proceed op by op.

    Graph inputs and outputs are the arguments and results of `func.func`;
    their ONNX names travel as the `nn.name` argument/result attribute and
    the names of dynamic dimensions as `nn.dim_names`.
  }];
  let hasConstantMaterializer = 1;
  // Attributes stay in the attribute dictionary: ops whose assembly omits the
  // result type infer it while parsing, before properties are populated.
  let usePropertiesForAttributes = 0;
  let extraClassDeclaration = [{
    /// Argument/result attribute carrying the ONNX graph input/output name.
    static constexpr ::llvm::StringLiteral kNameAttr = "nn.name";
    /// Argument/result attribute carrying ONNX dim_param names ("" = none).
    static constexpr ::llvm::StringLiteral kDimNamesAttr = "nn.dim_names";
  }];
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // GPTQ_DIALECTS_NN_IR_NNDIALECT_TD
