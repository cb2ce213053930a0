//===- Passes.td - gptq-mlir passes ------------------------*- tablegen -*-===//
//
// Every pass of the project is declared here; each has one .cpp file in this
// folder (or in Conversion/ for lowerings) and lit tests under test/.
//
//===----------------------------------------------------------------------===//

#ifndef GPTQ_PASSES_TD
#define GPTQ_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNCanonicalize : Pass<"nn-canonicalize", "mlir::ModuleOp"> {
  let summary = "Refine shapes and fold constant shape arithmetic in nn graphs";
  let description = [{
    Iterates to a fixed point: (1) shape refinement: every op's result type
    is re-inferred from its operands and made more static where possible,
    function signatures follow; (2) folding and canonicalization of nn ops,
    which turns Shape/Gather/Unsqueeze/Concat/ConstantOfShape/Equal/Where/
    Expand chains into constants once shapes are known; (3) dead code
    elimination. With static input shapes, exported models shrink to their
    real compute.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect", "::mlir::func::FuncDialect"];
  let options = [
    Option<"maxIterations", "max-iterations", "int64_t", /*default=*/"32",
           "Upper bound on refine/fold rounds">,
  ];
}

#endif // GPTQ_PASSES_TD
