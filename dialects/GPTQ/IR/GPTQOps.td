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
    GPTQ_QuantAttr:$quant);
  let results = (outs RankedTensorOf<[F16, BF16, F32]>:$output);
  let assemblyFormat = [{
    $input `,` $qweight `,` $scales `,` $qzeros
    (`g_idx` `(` $g_idx^ `)`)? (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getK();
    int64_t getN();
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

#endif // GPTQ_DIALECTS_GPTQ_IR_GPTQOPS_TD
