//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// Every op infers its result types from its operands (and from the values of
// constant operands where ONNX computes a shape from data). Declared result
// types may be more or less static than the inferred ones, as long as they are
// compatible: same element type, same rank, no two static sizes that differ.
//
//===----------------------------------------------------------------------===//

#ifndef GPTQ_DIALECTS_NN_IR_NNOPS_TD
#define GPTQ_DIALECTS_NN_IR_NNOPS_TD

include "dialects/NN/IR/NNDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints and shared traits
//===----------------------------------------------------------------------===//

defvar NN_Tensor = AnyRankedTensor;
def NN_ShapeTensor : RankedTensorOf<[I64], [HasAnyRankOfPred<[1]>], "1-D tensor of i64">;

// Result type inference from the op adaptor, with the relaxed compatibility
// rule described above.
def NN_InferType : InferTypeOpAdaptorBase<[{
  static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r) {
    return ::gptq::nn::areCompatibleReturnTypes(l, r);
  }
}]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_Op<"constant", [ConstantLike, Pure, NN_InferType]> {
  let summary = "A constant tensor (weights, initializers, ONNX Constant)";
  let description = [{
    Weights imported from ONNX initializers are `dense_resource` blobs so
    that they are not copied into uniqued attributes.

    ```mlir
    %w = nn.constant dense_resource<w0> : tensor<64x64xf32>
    %s = nn.constant dense<[1, 2]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def NN_ConstantOfShapeOp : NN_Op<"constant_of_shape", [Pure, NN_InferType]> {
  let summary = "A tensor of the given shape filled with one value";
  let arguments = (ins NN_ShapeTensor:$shape, TypedAttrInterface:$value);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$shape attr-dict `:` type($shape) `->` type($output)";
  let hasFolder = 1;
}

def NN_RangeOp : NN_Op<"range", [Pure, NN_InferType]> {
  let summary = "1-D sequence start, start+delta, ... below limit (ONNX Range)";
  let arguments = (ins NN_Tensor:$start, NN_Tensor:$limit, NN_Tensor:$delta);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, NN_InferType])> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::gptq::nn::inferUnaryType(getOperationName(), location,
                                         adaptor.getInput().getType(), inferred);
    }
  }];
}

def NN_NegOp : NN_UnaryOp<"neg"> { let summary = "-x"; let hasFolder = 1; }
def NN_AbsOp : NN_UnaryOp<"abs"> { let summary = "|x|"; let hasFolder = 1; }
def NN_SqrtOp : NN_UnaryOp<"sqrt"> { let summary = "Square root"; }
def NN_ReciprocalOp : NN_UnaryOp<"reciprocal"> { let summary = "1 / x"; }
def NN_ExpOp : NN_UnaryOp<"exp"> { let summary = "e^x"; }
def NN_LogOp : NN_UnaryOp<"log"> { let summary = "Natural logarithm"; }
def NN_TanhOp : NN_UnaryOp<"tanh"> { let summary = "Hyperbolic tangent"; }
def NN_ErfOp : NN_UnaryOp<"erf"> { let summary = "Gauss error function"; }
def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> { let summary = "1 / (1 + e^-x)"; }
def NN_ReluOp : NN_UnaryOp<"relu"> { let summary = "max(x, 0)"; }
def NN_CosOp : NN_UnaryOp<"cos"> { let summary = "Cosine"; }
def NN_SinOp : NN_UnaryOp<"sin"> { let summary = "Sine"; }
def NN_FloorOp : NN_UnaryOp<"floor"> { let summary = "Round toward -inf"; }
def NN_CeilOp : NN_UnaryOp<"ceil"> { let summary = "Round toward +inf"; }
def NN_NotOp : NN_UnaryOp<"not"> {
  let summary = "Logical not of an i1 tensor";
  let hasFolder = 1;
}

def NN_GeluOp : NN_Op<"gelu", [Pure, NN_InferType]> {
  let summary = "Gaussian error linear unit (exact or tanh approximation)";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_ClipOp : NN_Op<"clip", [Pure, NN_InferType]> {
  let summary = "Clamp to [min, max] (either bound optional)";
  let arguments = (ins NN_Tensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_CastOp : NN_Op<"cast", [Pure, NN_InferType]> {
  let summary = "Convert the element type (ONNX Cast / CastLike)";
  let description = [{
    Float to integer conversion truncates toward zero; float to bool and
    integer to bool compare with zero.
    ```mlir
    %1 = nn.cast %0 : tensor<2x3xf32> to f16
    ```
  }];
  let arguments = (ins NN_Tensor:$input, TypeAttr:$to);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` $to";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with broadcasting
//===----------------------------------------------------------------------===//

// Kinds of operand typing for broadcast ops, passed to the shared inference.
class NN_BroadcastOp<string mnemonic, string kind, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, NN_InferType])> {
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::gptq::nn::inferBroadcastType(
          getOperationName(), location, ::gptq::nn::BroadcastKind::}] # kind # [{,
          adaptor.getLhs().getType(), adaptor.getRhs().getType(), inferred);
    }
  }];
}

def NN_AddOp : NN_BroadcastOp<"add", "Arith", [Commutative]> {
  let summary = "lhs + rhs";
  let hasFolder = 1;
}
def NN_SubOp : NN_BroadcastOp<"sub", "Arith"> {
  let summary = "lhs - rhs";
  let hasFolder = 1;
}
def NN_MulOp : NN_BroadcastOp<"mul", "Arith", [Commutative]> {
  let summary = "lhs * rhs";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def NN_DivOp : NN_BroadcastOp<"div", "Arith"> {
  let summary = "lhs / rhs (integer division truncates toward zero)";
  let hasFolder = 1;
}
def NN_PowOp : NN_BroadcastOp<"pow", "Pow"> {
  let summary = "lhs ^ rhs (the exponent may have another numeric type)";
}
def NN_MinOp : NN_BroadcastOp<"min", "Arith", [Commutative]> {
  let summary = "Elementwise minimum (NaN propagates)";
  let hasFolder = 1;
}
def NN_MaxOp : NN_BroadcastOp<"max", "Arith", [Commutative]> {
  let summary = "Elementwise maximum (NaN propagates)";
  let hasFolder = 1;
}
def NN_AndOp : NN_BroadcastOp<"and", "Logical", [Commutative]> {
  let summary = "Logical and of i1 tensors";
  let hasFolder = 1;
}
def NN_OrOp : NN_BroadcastOp<"or", "Logical", [Commutative]> {
  let summary = "Logical or of i1 tensors";
  let hasFolder = 1;
}
def NN_XorOp : NN_BroadcastOp<"xor", "Logical", [Commutative]> {
  let summary = "Logical exclusive or of i1 tensors";
  let hasFolder = 1;
}
def NN_EqualOp : NN_BroadcastOp<"equal", "Compare", [Commutative]> {
  let summary = "lhs == rhs, an i1 tensor";
  let hasFolder = 1;
}
def NN_LessOp : NN_BroadcastOp<"less", "Compare"> { let summary = "lhs < rhs"; let hasFolder = 1; }
def NN_LessEqualOp : NN_BroadcastOp<"less_equal", "Compare"> { let summary = "lhs <= rhs"; let hasFolder = 1; }
def NN_GreaterOp : NN_BroadcastOp<"greater", "Compare"> { let summary = "lhs > rhs"; let hasFolder = 1; }
def NN_GreaterEqualOp : NN_BroadcastOp<"greater_equal", "Compare"> { let summary = "lhs >= rhs"; let hasFolder = 1; }

def NN_WhereOp : NN_Op<"where", [Pure, NN_InferType]> {
  let summary = "condition ? lhs : rhs, broadcast over all three";
  let arguments = (ins NN_Tensor:$condition, NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_MatMulOp : NN_Op<"matmul", [Pure, NN_InferType]> {
  let summary = "Matrix product with numpy semantics (ONNX MatMul)";
  let description = [{
    1-D operands are promoted to matrices (and the inserted dimension
    dropped from the result); leading batch dimensions broadcast.
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def NN_GemmOp : NN_Op<"gemm", [Pure, NN_InferType]> {
  let summary = "alpha * op(a) * op(b) + beta * c (ONNX Gemm)";
  let arguments = (ins NN_Tensor:$a, NN_Tensor:$b, Optional<NN_Tensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0f">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_Op<"reshape", [Pure, NN_InferType]> {
  let summary = "Reshape to the sizes in a 1-D i64 tensor (0 copies, -1 infers)";
  let arguments = (ins NN_Tensor:$input, NN_ShapeTensor:$shape,
                       DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_TransposeOp : NN_Op<"transpose", [Pure, NN_InferType]> {
  let summary = "Permute dimensions: output dim i is input dim perm[i]";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` `perm` `=` $perm attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def NN_GatherOp : NN_Op<"gather", [Pure, NN_InferType]> {
  let summary = "Take slices of data along axis at the given indices (ONNX Gather)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_ConcatOp : NN_Op<"concat", [Pure, NN_InferType]> {
  let summary = "Concatenate tensors along axis";
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure, NN_InferType]> {
  let summary = "Strided slice (ONNX Slice); starts/ends are clamped";
  let arguments = (ins NN_Tensor:$input, NN_ShapeTensor:$starts,
                       NN_ShapeTensor:$ends, NN_ShapeTensor:$axes,
                       NN_ShapeTensor:$steps);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $starts `,` $ends `,` $axes `,` $steps attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_SplitOp : NN_Op<"split", [Pure, NN_InferType]> {
  let summary = "Split along axis into pieces of the given sizes";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "0">:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<NN_Tensor>:$outputs);
  let assemblyFormat = "$input `,` `sizes` `=` $sizes attr-dict `:` type($input) `->` type($outputs)";
  let hasFolder = 1;
}

def NN_SqueezeOp : NN_Op<"squeeze", [Pure, NN_InferType]> {
  let summary = "Remove size-1 dimensions (all of them when axes is empty)";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` `axes` `=` $axes attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def NN_UnsqueezeOp : NN_Op<"unsqueeze", [Pure, NN_InferType]> {
  let summary = "Insert size-1 dimensions at axes (of the output)";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` `axes` `=` $axes attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def NN_ExpandOp : NN_Op<"expand", [Pure, NN_InferType]> {
  let summary = "Broadcast input against a shape (ONNX Expand)";
  let arguments = (ins NN_Tensor:$input, NN_ShapeTensor:$shape);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_ShapeOp : NN_Op<"shape", [Pure, NN_InferType]> {
  let summary = "The input's sizes (dims start..end) as a 1-D i64 tensor";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs NN_ShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def NN_SizeOp : NN_Op<"size", [Pure, NN_InferType]> {
  let summary = "Number of elements as a 0-D i64 tensor";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs 0DTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic> : NN_Op<mnemonic, [Pure, NN_InferType]> {
  let description = [{
    Reduces over `axes` (all dimensions when empty); `keepdims` keeps
    reduced dimensions with size 1.
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` `axes` `=` $axes attr-dict `:` type($input) `->` type($output)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      if (!adaptor.getAxesAttr())
        return ::mlir::emitOptionalError(location, "'", getOperationName(),
                                         "' op requires attribute 'axes'");
      return ::gptq::nn::inferReduceType(getOperationName(), location,
                                          adaptor.getInput().getType(),
                                          adaptor.getAxes(),
                                          !adaptor.getKeepdimsAttr() ||
                                              adaptor.getKeepdimsAttr().getValue(),
                                          inferred);
    }
  }];
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum"> { let summary = "Sum over axes"; let hasFolder = 1; }
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean"> { let summary = "Mean over axes"; }
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max"> { let summary = "Maximum over axes"; let hasFolder = 1; }
def NN_ReduceMinOp : NN_ReduceOp<"reduce_min"> { let summary = "Minimum over axes"; let hasFolder = 1; }

def NN_SoftmaxOp : NN_Op<"softmax", [Pure, NN_InferType]> {
  let summary = "Softmax along one axis (ONNX opset >= 13 semantics)";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_LayerNormOp : NN_Op<"layer_norm", [Pure, NN_InferType]> {
  let summary = "Layer normalization over dims axis.. (ONNX LayerNormalization)";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$scale, Optional<NN_Tensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

def NN_RMSNormOp : NN_Op<"rms_norm", [Pure, NN_InferType]> {
  let summary = "x / sqrt(mean(x^2 over dims axis..) + epsilon) * scale";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $scale attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Miscellaneous
//===----------------------------------------------------------------------===//

def NN_TriluOp : NN_Op<"trilu", [Pure, NN_InferType]> {
  let summary = "Keep the upper (or lower) triangle of the last two dims, offset k";
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<BoolAttr, "true">:$upper,
                       DefaultValuedAttr<I64Attr, "0">:$k);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def NN_CumSumOp : NN_Op<"cumsum", [Pure, NN_InferType]> {
  let summary = "Cumulative sum along axis (optionally exclusive and/or reversed)";
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def NN_ScatterNDOp : NN_Op<"scatter_nd", [Pure, NN_InferType]> {
  let summary = "Copy of data with slices at indices replaced/combined by updates";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices, NN_Tensor:$updates,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
}

def NN_RotaryEmbeddingOp : NN_Op<"rotary_embedding", [Pure, NN_InferType]> {
  let summary = "Rotary position embedding (com.microsoft RotaryEmbedding)";
  let description = [{
    `input` is [batch, seq, hidden] (hidden = num_heads * head) or
    [batch, heads, seq, head]; `position_ids` is [batch, seq] (or a 1-element
    offset); the caches are [max_pos, rotary_dim / 2]. Rotates the first
    `rotary_embedding_dim` (0 = whole head) features of every head, pairing
    adjacent features when `interleaved` and the two halves otherwise.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$position_ids,
                       NN_Tensor:$cos_cache, NN_Tensor:$sin_cache,
                       DefaultValuedAttr<BoolAttr, "false">:$interleaved,
                       DefaultValuedAttr<I64Attr, "0">:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim,
                       DefaultValuedAttr<F32Attr, "1.0f">:$scale);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $position_ids `,` $cos_cache `,` $sin_cache attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Predicates, rounding, integer arithmetic and indexing (ONNX IsNaN, IsInf,
// Sign, Round, Mod, Bitwise*, GatherND, GatherElements, ScatterElements,
// Tile, ArgMax/ArgMin, ReduceProd/L2/LogSumExp)
//===----------------------------------------------------------------------===//

def NN_IsNaNOp : NN_Op<"is_nan", [Pure, NN_InferType]> {
  let summary = "x != x, an i1 tensor (ONNX IsNaN)";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def NN_IsInfOp : NN_Op<"is_inf", [Pure, NN_InferType]> {
  let summary = "x is +inf (detect_positive) or -inf (detect_negative), i1";
  let arguments = (ins NN_Tensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$detect_positive,
                       DefaultValuedAttr<BoolAttr, "true">:$detect_negative);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def NN_SignOp : NN_UnaryOp<"sign"> {
  let summary = "-1, 0 or 1 by the sign of x (NaN stays NaN)";
  let hasFolder = 1;
}
def NN_RoundOp : NN_UnaryOp<"round"> {
  let summary = "Round to the nearest integer, halves to even";
  let hasFolder = 1;
}
def NN_BitwiseNotOp : NN_UnaryOp<"bitwise_not"> {
  let summary = "~x of an integer tensor";
  let hasFolder = 1;
}

def NN_ModOp : NN_Op<"mod", [Pure, NN_InferType]> {
  let summary = "Remainder, broadcast (ONNX Mod)";
  let description = [{
    With `fmod = false` (integers only) the result has the sign of the
    divisor, as Python's `%`; with `fmod = true` it has the sign of the
    dividend, as C's `fmod` (floating-point operands require it).
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_BitwiseAndOp : NN_BroadcastOp<"bitwise_and", "Bitwise", [Commutative]> {
  let summary = "lhs & rhs of integer tensors";
  let hasFolder = 1;
}
def NN_BitwiseOrOp : NN_BroadcastOp<"bitwise_or", "Bitwise", [Commutative]> {
  let summary = "lhs | rhs of integer tensors";
  let hasFolder = 1;
}
def NN_BitwiseXorOp : NN_BroadcastOp<"bitwise_xor", "Bitwise", [Commutative]> {
  let summary = "lhs ^ rhs of integer tensors";
  let hasFolder = 1;
}

def NN_GatherNDOp : NN_Op<"gather_nd", [Pure, NN_InferType]> {
  let summary = "Slices of data at index tuples (ONNX GatherND)";
  let description = [{
    The last dimension of `indices` (k) indexes dimensions
    batch_dims..batch_dims+k of `data`; the first `batch_dims` dimensions of
    both are batch dimensions. The result has shape
    indices.shape[:-1] + data.shape[batch_dims + k:].
  }];
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_GatherElementsOp : NN_Op<"gather_elements", [Pure, NN_InferType]> {
  let summary = "out[..i..] = data[..indices[..i..]..] along axis (torch.gather)";
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_ScatterElementsOp : NN_Op<"scatter_elements", [Pure, NN_InferType]> {
  let summary = "Copy of data with out[..indices[..i..]..] = updates[..i..] along axis";
  let description = [{
    `reduction` combines an update with the value already there: none
    (replace, later updates win), add, mul, max or min.
  }];
  let arguments = (ins NN_Tensor:$data, NN_Tensor:$indices, NN_Tensor:$updates,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def NN_TileOp : NN_Op<"tile", [Pure, NN_InferType]> {
  let summary = "Repeat the input repeats[i] times along dimension i";
  let arguments = (ins NN_Tensor:$input, NN_ShapeTensor:$repeats);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input `,` $repeats attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

class NN_ArgOp<string mnemonic> : NN_Op<mnemonic, [Pure, NN_InferType]> {
  let description = [{
    i64 index of the extreme element along `axis` (the first one, or the
    last with `select_last_index`); NaN counts as the extreme. `keepdims`
    keeps the reduced dimension with size 1.
  }];
  let arguments = (ins NN_Tensor:$input, DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::gptq::nn::inferArgType(
          getOperationName(), location, adaptor.getInput().getType(),
          adaptor.getAxisAttr() ? adaptor.getAxisAttr().getInt() : 0,
          !adaptor.getKeepdimsAttr() || adaptor.getKeepdimsAttr().getValue(),
          inferred);
    }
  }];
}

def NN_ArgMaxOp : NN_ArgOp<"arg_max"> { let summary = "Index of the maximum along axis"; }
def NN_ArgMinOp : NN_ArgOp<"arg_min"> { let summary = "Index of the minimum along axis"; }

def NN_ReduceProdOp : NN_ReduceOp<"reduce_prod"> {
  let summary = "Product over axes";
  let hasFolder = 1;
}
def NN_ReduceL2Op : NN_ReduceOp<"reduce_l2"> {
  let summary = "sqrt(sum(x^2)) over axes (floating point)";
}
def NN_ReduceLogSumExpOp : NN_ReduceOp<"reduce_log_sum_exp"> {
  let summary = "log(sum(exp(x))) over axes (floating point)";
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def NN_AttentionOp : NN_Op<"attention", [Pure, NN_InferType]> {
  let summary = "Scaled dot-product attention with grouped-query heads";
  let description = [{
    `query` is [B, Hq, S, D], `key` [B, Hkv, T, D] and `value` [B, Hkv, T, Dv]
    with Hq a multiple of Hkv: query head h reads key/value head
    h / (Hq / Hkv) (grouped-query attention without repeating K and V). The
    result is [B, Hq, S, Dv]:

      scores = scale * Q K^T                      (scale defaults to 1/sqrt(D))
      scores = softcap * tanh(scores / softcap)   (when softcap > 0)
      scores += mask (float) | scores = mask ? scores : -inf (i1)
      scores[s, t] = -inf for t > s + (T - S)     (is_causal: bottom-right)
      output = softmax(scores) V

    `mask` broadcasts to [B, Hq, S, T]; a float mask has the element type of
    `query`. A row whose every score is masked (its maximum is -inf or the
    lowest finite f32) gives a zero output row, as onnxruntime's Attention
    does. Computed in f32 for f16/bf16 operands.

    ```mlir
    %o = nn.attention %q, %k, %v, %m {is_causal = true}
        : (tensor<1x8x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>,
           tensor<1x1x4x4xi1>) -> tensor<1x8x4x16xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$query, NN_Tensor:$key, NN_Tensor:$value,
                       Optional<NN_Tensor>:$mask,
                       DefaultValuedAttr<BoolAttr, "false">:$is_causal,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$query `,` $key `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)";
}

#endif // GPTQ_DIALECTS_NN_IR_NNOPS_TD
