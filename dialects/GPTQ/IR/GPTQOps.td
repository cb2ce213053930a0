//===- GPTQOps.td - gptq dialect ---------------------------*- tablegen -*-===//
//
// Quantized linear algebra: integer weights packed per the GPTQ checkpoint
// convention (runtime/quant/Packing.h), computed with float activations.
//
//===----------------------------------------------------------------------===//

#ifndef GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_TD
#define GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def GPTQ_Dialect : Dialect {
  let name = "gptq";
  let cppNamespace = "::gptq::quant";
  let summary = "Quantized-weight linear algebra (GPTQ layout)";
  let description = [{
    Ops whose weights are low-bit integers packed as in GPTQ checkpoints:
    `qweight` is i32 `[ceil(K * bits / 32), N]`, each column of K values a
    little-endian bit stream (value k occupies bits k*bits .. k*bits+bits-1
    of the column; 3-bit values cross word boundaries); `qzeros` is i32
    `[groups, ceil(N * bits / 32)]` packed the same way along N and holds the
    zero points themselves (v2: no "zero - 1" offset; the v1 convention is
    produced only when exporting checkpoints); `scales` is `[groups, N]`;
    `g_idx` (i32 `[K]`) maps each input row to its group and is present for
    act-order models. Dequantization: `w[k, n] = (q[k, n] - z[g, n]) * s[g, n]`
    with `g = g_idx[k]` (or `k / group_size` without `g_idx`).
  }];
  let useDefaultAttributePrinterParser = 1;
}

class GPTQ_Op<string mnemonic, list<Trait> traits = []>
    : Op<GPTQ_Dialect, mnemonic, traits>;

def GPTQ_QuantAttr : AttrDef<GPTQ_Dialect, "Quant"> {
  let mnemonic = "quant";
  let summary = "Quantization parameters of a packed weight";
  let description = [{
    `bits` is 2, 3, 4 or 8; `group_size` is -1 (one group per output
    channel) or the number of input rows sharing a scale and zero; `sym`
    says the zero point is fixed at 2^(bits-1); `desc_act` says the weight
    was quantized in act-order and `g_idx` maps rows to groups.
    ```mlir
    #gptq.quant<bits = 4, group_size = 128, sym = true, desc_act = false>
    ```
  }];
  let parameters = (ins "int64_t":$bits, "int64_t":$group_size, "bool":$sym,
                        "bool":$desc_act);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of groups for K input rows.
    int64_t getNumGroups(int64_t k) const;
    /// Rows of int32 words holding K packed values per column.
    int64_t getPackedRows(int64_t k) const;
    /// Columns of int32 words holding N packed zero points per group.
    int64_t getPackedZeroCols(int64_t n) const;
  }];
}

def GPTQ_MatMulNBitsOp : GPTQ_Op<"matmul_nbits",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "input x dequantize(weight) (+ bias), weight packed low-bit";
  let description = [{
    Computes `input[..., K] x W[K, N] (+ bias[N])` where `W` is dequantized
    from `qweight`, `scales`, `qzeros` (and `g_idx`) as described in the
    dialect documentation. The result has the input's element type.

    K, the number of input features (rows of the dequantized weight), is
    the optional `in_features` attribute, else the input's static last
    dimension, else the length of `g_idx`. The packed operands alone bound K
    only up to rounding (`qweight` has ceil(K * bits / 32) rows, `scales`
    ceil(K / group_size) groups), so an op whose input has a dynamic last
    dimension (a model imported with dynamic shapes) must carry
    `in_features` unless it has `g_idx`; the quantization passes and the
    importer always set it. When the input's last dimension is static it
    must equal K; the runtime checks the actual last dimension of every
    input against K.

    The optional `layout` attribute says how `qweight` is stored: `"gptq"`
    (the default: the checkpoint convention) or `"gpu"` (rewritten by
    `gptq-repack` for the CUDA kernels; see runtime/quant/Repack.h). The
    shapes of the operands are the same in both layouts.

    ```mlir
    %y = gptq.matmul_nbits %x, %qw, %s, %qz
           {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
           : (tensor<1x8x64xf32>, tensor<8x32xi32>, tensor<2x32xf16>, tensor<2x4xi32>)
           -> tensor<1x8x32xf32>
    ```
  }];
  let arguments = (ins
    RankedTensorOf<[F16, BF16, F32]>:$input,
    2DTensorOf<[I32]>:$qweight,
    2DTensorOf<[F16, BF16, F32]>:$scales,
    2DTensorOf<[I32]>:$qzeros,
    Optional<1DTensorOf<[I32]>>:$g_idx,
    Optional<1DTensorOf<[F16, BF16, F32]>>:$bias,
    GPTQ_QuantAttr:$quant,
    OptionalAttr<StrAttr>:$layout,
    OptionalAttr<I64Attr>:$in_features);
  let results = (outs RankedTensorOf<[F16, BF16, F32]>:$output);
  let assemblyFormat = [{
    $input `,` $qweight `,` $scales `,` $qzeros
    (`g_idx` `(` $g_idx^ `)`)? (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    // Without a layout attribute (the "gptq" layout) nor in_features.
    OpBuilder<(ins "::mlir::Type":$output, "::mlir::Value":$input,
      "::mlir::Value":$qweight, "::mlir::Value":$scales,
      "::mlir::Value":$qzeros, "::mlir::Value":$g_idx, "::mlir::Value":$bias,
      "QuantAttr":$quant), [{
      build($_builder, $_state, output, input, qweight, scales, qzeros, g_idx,
            bias, quant, ::mlir::StringAttr(), ::mlir::IntegerAttr());
    }]>,
    // The "gptq" layout with K carried as in_features (what quantizers and
    // the importer build: K is the weight's, whatever the input's type says).
    OpBuilder<(ins "::mlir::Type":$output, "::mlir::Value":$input,
      "::mlir::Value":$qweight, "::mlir::Value":$scales,
      "::mlir::Value":$qzeros, "::mlir::Value":$g_idx, "::mlir::Value":$bias,
      "QuantAttr":$quant, "int64_t":$in_features), [{
      build($_builder, $_state, output, input, qweight, scales, qzeros, g_idx,
            bias, quant, ::mlir::StringAttr(),
            $_builder.getI64IntegerAttr(in_features));
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getK();
    int64_t getN();
    /// "gptq" (the default when the attribute is absent) or "gpu".
    llvm::StringRef getLayoutName() {
      return getLayout() ? *getLayout() : llvm::StringRef("gptq");
    }
  }];
}

def GPTQ_DequantizeOp : GPTQ_Op<"dequantize", [Pure]> {
  let summary = "Unpack a low-bit weight to a float [K, N] tensor";
  let arguments = (ins
    2DTensorOf<[I32]>:$qweight,
    2DTensorOf<[F16, BF16, F32]>:$scales,
    2DTensorOf<[I32]>:$qzeros,
    Optional<1DTensorOf<[I32]>>:$g_idx,
    GPTQ_QuantAttr:$quant);
  let results = (outs 2DTensorOf<[F16, BF16, F32]>:$output);
  let assemblyFormat = [{
    $qweight `,` $scales `,` $qzeros (`g_idx` `(` $g_idx^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def GPTQ_FusedMatMulNBitsOp : GPTQ_Op<"fused_matmul_nbits",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "matmul_nbits followed by an elementwise epilogue";
  let description = [{
    `gptq.matmul_nbits` (same operands, attributes, K rule and
    dequantization) whose
    result `y` then goes through the `epilogue` steps in order:

    | step   | computes                                   |
    |--------|--------------------------------------------|
    | `relu` | `y = max(y, 0)`                            |
    | `silu` | `y = y * sigmoid(y)`                       |
    | `add`  | `y = y + e` (the next epilogue operand)    |
    | `mul`  | `y = y * e` (the next epilogue operand)    |

    Epilogue operands have exactly the result's type (no broadcasting); at
    run time their shape must equal the result's. Built by
    `gptq-fuse-epilogue`, e.g. SwiGLU `silu(x W1) * (x W3)` and a residual
    add:

    ```mlir
    %y = gptq.fused_matmul_nbits %x, %qw, %s, %qz epilogue ["silu", "mul"] (%h3)
           {quant = #gptq.quant<bits = 4, group_size = 32, sym = true, desc_act = false>}
           : (tensor<?x64xf32>, tensor<8x172xi32>, tensor<2x172xf16>, tensor<2x22xi32>,
              tensor<?x172xf32>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins
    RankedTensorOf<[F16, BF16, F32]>:$input,
    2DTensorOf<[I32]>:$qweight,
    2DTensorOf<[F16, BF16, F32]>:$scales,
    2DTensorOf<[I32]>:$qzeros,
    Optional<1DTensorOf<[I32]>>:$g_idx,
    Optional<1DTensorOf<[F16, BF16, F32]>>:$bias,
    Variadic<RankedTensorOf<[F16, BF16, F32]>>:$epilogue_operands,
    GPTQ_QuantAttr:$quant,
    OptionalAttr<StrAttr>:$layout,
    StrArrayAttr:$epilogue,
    OptionalAttr<I64Attr>:$in_features);
  let results = (outs RankedTensorOf<[F16, BF16, F32]>:$output);
  let assemblyFormat = [{
    $input `,` $qweight `,` $scales `,` $qzeros
    (`g_idx` `(` $g_idx^ `)`)? (`bias` `(` $bias^ `)`)?
    `epilogue` $epilogue (`(` $epilogue_operands^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getK();
    int64_t getN();
    llvm::StringRef getLayoutName() {
      return getLayout() ? *getLayout() : llvm::StringRef("gptq");
    }
  }];
}

def GPTQ_CudaKernelOp : GPTQ_Op<"cuda_kernel",
    [Symbol, HasParent<"mlir::ModuleOp">]> {
  let summary = "A CUDA kernel launch configuration outlined from one op";
  let description = [{
    Made by `gptq-lower-to-cuda`: the launch configuration of one quantized
    matmul on one path. `function` names the `__global__` that
    `gptq-translate --emit-cuda` prints for this specialization (kernels with
    equal specializations share it). Specialization: `quant` (bits, group
    size), `act_order` (rows permuted by `g_idx`, groups looked up per
    32-row chunk), `path` (`"gemv"`: one thread per column, warps split K,
    for M <= `max_m`; `"mma"`: `mma.sync.m16n8k16` tensor cores), `io_type`
    (element type of activations, epilogue operands and result), `bias`,
    `epilogue`, `mask_k` / `mask_n` (K or N not a multiple of the tile).
    Launch: `block` threads, `smem` bytes of shared memory, `grid` =
    [ceil(N / tile_n), ceil(M / tile_m), 1] with -1 where M is dynamic.
    `tile` is [tile_m, tile_n, tile_k].

    ```mlir
    gptq.cuda_kernel @layers_0_w1__gemv {function = "gptq_fused_matmul_nbits_w4_g32_gemv_f32_silu_mul_mn", ...}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    StrAttr:$function,
    GPTQ_QuantAttr:$quant,
    BoolAttr:$act_order,
    StrAttr:$path,
    TypeAttr:$io_type,
    BoolAttr:$bias,
    StrArrayAttr:$epilogue,
    I64Attr:$k,
    I64Attr:$n,
    I64Attr:$max_m,
    DenseI64ArrayAttr:$tile,
    DenseI64ArrayAttr:$block,
    DenseI64ArrayAttr:$grid,
    I64Attr:$smem,
    BoolAttr:$mask_k,
    BoolAttr:$mask_n);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

def GPTQ_LaunchOp : GPTQ_Op<"launch",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Run a quantized matmul with outlined CUDA kernels";
  let description = [{
    Computes what `gptq.fused_matmul_nbits` with the same operands and
    attributes computes (an empty `epilogue` is a plain `matmul_nbits`),
    with the `gptq.cuda_kernel`s named by `kernels`: with two kernels, the
    first (path `"gemv"`) runs when M (the product of the input's leading
    dimensions) is at most its `max_m` and the second (path `"mma"`)
    otherwise. The weight must be in the `"gpu"` layout. The CPU runtime
    executes the op with its own kernels.

    ```mlir
    %y = gptq.launch [@l0__gemv, @l0__mma] %x, %qw, %s, %qz epilogue [] {...}
    ```
  }];
  let arguments = (ins
    SymbolRefArrayAttr:$kernels,
    RankedTensorOf<[F16, BF16, F32]>:$input,
    2DTensorOf<[I32]>:$qweight,
    2DTensorOf<[F16, BF16, F32]>:$scales,
    2DTensorOf<[I32]>:$qzeros,
    Optional<1DTensorOf<[I32]>>:$g_idx,
    Optional<1DTensorOf<[F16, BF16, F32]>>:$bias,
    Variadic<RankedTensorOf<[F16, BF16, F32]>>:$epilogue_operands,
    GPTQ_QuantAttr:$quant,
    StrAttr:$layout,
    StrArrayAttr:$epilogue,
    OptionalAttr<I64Attr>:$in_features);
  let results = (outs RankedTensorOf<[F16, BF16, F32]>:$output);
  let assemblyFormat = [{
    $kernels $input `,` $qweight `,` $scales `,` $qzeros
    (`g_idx` `(` $g_idx^ `)`)? (`bias` `(` $bias^ `)`)?
    `epilogue` $epilogue (`(` $epilogue_operands^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getK();
    int64_t getN();
  }];
}

#endif // GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_TD
