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


// Options shared by gptq-quantize and gptq-rtn (names as in quantize_config).
defvar QuantCommonOptions = [
  Option<"bits", "bits", "int64_t", /*default=*/"4",
         "Bits per weight: 2, 3, 4 or 8">,
  Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
         "Input rows per scale/zero group; -1 for one group per output channel">,
  Option<"sym", "sym", "bool", /*default=*/"true",
         "Symmetric quantization (zero point fixed at 2^(bits-1))">,
  Option<"mse", "mse", "bool", /*default=*/"false",
         "Grid-search the clipping range of each group (minimizes |w - q|^2.4)">,
  ListOption<"include", "include", "std::string",
             "Quantize only linear layers whose name matches one of these glob patterns">,
  ListOption<"exclude", "exclude", "std::string",
             "Never quantize layers matching these glob patterns (the layer producing "
             "the graph's final output, i.e. lm_head, is excluded unless included explicitly)">,
  Option<"reportFile", "report", "std::string", /*default=*/"\"\"",
         "Write a JSON report of every quantized layer to this file">,
  Option<"quiet", "quiet", "bool", /*default=*/"false",
         "No progress lines or final table on stderr">,
];

def GPTQQuantize : Pass<"gptq-quantize", "mlir::ModuleOp"> {
  let summary = "Quantize linear layers with GPTQ on calibration data";
  let description = [{
    Rewrites every eligible linear op (nn.matmul / nn.gemm whose weight is a
    constant 2-D float tensor) into gptq.matmul_nbits. The module's @main is
    lowered to the CPU runtime and the calibration token windows are swept
    through it once, step by step: before each selected linear op the inputs
    of all calibration lanes are accumulated into H = 2/n sum x x^T, the
    weight is quantized with GPTQ (lazy batches, optional act-order, static
    groups, MSE clipping; damping raised on Cholesky failure, RTN as the last
    resort), and - with true-sequential - later ops see the quantized weight.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect", "::gptq::quant::GPTQDialect"];
  let options = !listconcat(QuantCommonOptions, [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Token ids (.npy, [n, seqlen] rows or a flat stream)">,
    Option<"nsamples", "nsamples", "int64_t", /*default=*/"128",
           "Calibration sequences">,
    Option<"seqlen", "seqlen", "int64_t", /*default=*/"0",
           "Tokens per sequence (0: the rows of a 2-D file, else 2048)">,
    Option<"descAct", "desc-act", "bool", /*default=*/"false",
           "Act-order: quantize input rows by descending Hessian diagonal">,
    Option<"staticGroups", "static-groups", "bool", /*default=*/"false",
           "Compute group parameters from the original weights up front">,
    Option<"dampPercent", "damp-percent", "double", /*default=*/"0.01",
           "Damping added to diag(H), as a fraction of its mean">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Lazy-batch block size">,
    Option<"trueSequential", "true-sequential", "bool", /*default=*/"true",
           "Calibrate each layer on the outputs of the already-quantized layers before it">,
    Option<"seed", "seed", "int64_t", /*default=*/"0",
           "Seed for drawing windows from a flat calibration stream">,
    Option<"batch", "batch", "int64_t", /*default=*/"16",
           "Calibration sequences per runtime lane">,
    ListOption<"inputs", "input", "std::string",
               "Graph inputs given instead of filled: NAME=file.npy (a first "
               "dimension of one row per calibration sequence is indexed by "
               "sequence, a single row repeated)">,
    Option<"halfCompute", "half-compute", "std::string", /*default=*/"\"f32\"",
           "f16/bf16 models: f32 (convert once), f32-per-use or native">,
  ]);
}

def GPTQRtn : Pass<"gptq-rtn", "mlir::ModuleOp"> {
  let summary = "Quantize linear layers by round-to-nearest (the baseline)";
  let description = [{
    Same layer selection, grouping and packing as gptq-quantize, with each
    weight rounded to the nearest grid point and no calibration.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect", "::gptq::quant::GPTQDialect"];
  let options = QuantCommonOptions;
}

def GPTQMergeLora : Pass<"gptq-merge-lora", "mlir::ModuleOp"> {
  let summary = "Fold constant low-rank adapter (LoRA) branches into base weights";
  let description = [{
    Merge-then-quantize: rewrites `y = x W + ((x A) B) * s` into `y = x W'`
    with `W' = W + A B s`, for the forms torch.onnx produces for a PEFT LoRA
    linear layer:
      - base `nn.matmul(x, W)` or `nn.gemm(x, W, C?)` (any trans_b and
        alpha), optionally followed by a constant bias `nn.add`;
      - branch `nn.matmul`/`nn.gemm` (no C) on constant `A` [K, r] and
        `B` [r, N] (either may be a constant seen through a 2-D
        `nn.transpose`), in either order of the final `nn.add`;
      - the scale as an `nn.mul` by a constant before A (scalar or [K]),
        between A and B (scalar or [r]) and/or after B (scalar or [N]);
        dropout and identity nodes vanish at import.
    A branch is folded only when A, B and the scales are constants, every
    intermediate value of the branch has exactly one user, the base result
    has no user but the `nn.add`, and both read the same input `x`; other
    graphs are left unchanged. The merged weight and the base op keep their
    names without PEFT's `base_layer` level (`layers.0.q_proj.base_layer.weight`
    becomes `layers.0.q_proj.weight`), as `merge_and_unload` names them, so
    quantized layers and checkpoint tensors carry the merged model's names.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect"];
  let statistics = [
    Statistic<"numMerged", "merged", "LoRA branches folded into base weights">,
  ];
}

def GPTQRepack : Pass<"gptq-repack", "mlir::ModuleOp"> {
  let summary = "Rewrite quantized weights into the layout of the CUDA kernels";
  let description = [{
    Rewrites the qweight constant of every gptq.matmul_nbits and
    gptq.fused_matmul_nbits in the "gptq" layout into the "gpu" layout of
    runtime/quant/Repack.h (act-order rows sorted by g_idx, words grouped per
    32-row chunk and column, values interleaved inside each word so that one
    lop3 makes two fp16 values) and records `layout = "gpu"` on the op, so
    that the written module carries it. Shapes do not change; scales, zeros
    and g_idx are kept. The CPU runtime executes both layouts (it converts a
    "gpu" weight back per call, which costs time, not accuracy). A weight
    constant shared with other ops is copied first. Fails, naming the op,
    when qweight (or g_idx) is not a constant.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect", "::gptq::quant::GPTQDialect"];
}

def GPTQFuseEpilogue : Pass<"gptq-fuse-epilogue", "mlir::ModuleOp"> {
  let summary = "Fold elementwise epilogues into quantized matmuls";
  let description = [{
    Folds into the quantized matmul that produces their operand, to a fixed
    point: `nn.add` of a constant [N] vector (the bias operand, when the op
    has none and no epilogue yet); `x * sigmoid(x)` (SiLU: nn.sigmoid and
    nn.mul both reading the matmul's result, and nothing else); `nn.relu`;
    `nn.mul` / `nn.add` with another tensor of exactly the result's type
    (SwiGLU's `* (x W3)`, residual adds), at most two per op. The result is
    a gptq.fused_matmul_nbits with an `epilogue` attribute (see GPTQOps.td),
    created at the position of the last folded op. Only results with no
    other users are folded.
  }];
  let dependentDialects = ["::gptq::nn::NNDialect", "::gptq::quant::GPTQDialect"];
}

def GPTQLowerToCuda : Pass<"gptq-lower-to-cuda", "mlir::ModuleOp"> {
  let summary = "Outline quantized matmuls into CUDA kernel launches";
  let description = [{
    Replaces every gptq.matmul_nbits / gptq.fused_matmul_nbits (weights in
    the "gpu" layout: run gptq-repack first) by a gptq.launch of one or two
    gptq.cuda_kernel ops added at the top of the module, each carrying its
    launch configuration and specialization (bits, group size, act-order,
    gemv or mma path, io type, bias, epilogue, K/N masking; see GPTQOps.td).
    The gemv path is chosen for M <= `gemv-max-m`, the tensor-core path for
    larger M; where M (the product of the input's leading dimensions) is
    dynamic both are outlined and the runtime picks one per call.
    `gptq-translate --emit-cuda` prints the kernels. Refuses, naming the op,
    what the kernels cannot compute: bf16 activations, group sizes that are
    not -1 or multiples of 32, act-order whose 32-row chunks span two groups,
    more than two epilogue operands.
  }];
  let dependentDialects = ["::gptq::quant::GPTQDialect"];
  let options = [
    Option<"gemvMaxM", "gemv-max-m", "int64_t", /*default=*/"8",
           "Largest M for the gemv path (1 to 8); larger M use tensor cores">,
  ];
}

#endif // GPTQ_PASSES_TD
