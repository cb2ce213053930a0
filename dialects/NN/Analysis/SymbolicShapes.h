//===- SymbolicShapes.h - symbolic shape reasoning over nn graphs -*- C++
//-*-===//
//
// Dynamic dimensions as symbols, shapes and shape-tensor values as integer
// polynomials over them, propagated through a function of nn ops.
//
// Exporters compute shapes at run time: `x.reshape(bsz, q_len, -1)` becomes
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, `x.view(-1, x.size(-1))`
// a Gather of the last dimension, `chunk(2, -1)` a Split or Slices whose
// sizes come from (dim + 1) / 2. With dynamic graph inputs none of these is
// a constant, yet most of what they compute is: the -1 of reshape(bsz,
// q_len, -1) is (bsz * q_len * heads * head_dim) / (bsz * q_len) =
// heads * head_dim. This analysis proves such facts.
//
// The algebra (SymExpr): polynomials with int64 coefficients over symbols.
// A symbol is an unknown integer: a *size* (a dynamic dimension: known to be
// >= 0) or a *value* (an element of a shape tensor computed from data, of
// unknown sign). Graph input dimensions are sizes named by their ONNX
// dim_param (`nn.dim_names`; equal names are one symbol, and a dim_param that
// is an expression such as "past_sequence_length + sequence_length" is
// parsed into one); every other unknown gets a fresh symbol. Sums, products,
// exact division, and truncating division by a constant where provable are
// closed-form; a result the algebra cannot express is a fresh symbol, never
// a guess. Canonical forms make structural equality semantic equality.
//
// The analysis (ShapeAnalysis): one forward pass over a function body in
// program order. Every ranked tensor value gets one SymExpr per dimension
// (ValueFacts::dims); every small integer tensor of rank <= 1 (shape
// tensors: what nn.shape / gather / concat / arithmetic produce) also gets
// one SymExpr per element (ValueFacts::elements). Transfer functions cover
// the nn ops exporters use for shapes and data movement (see
// SymbolicShapes.cpp); other ops (gptq, ops of other dialects, nn ops
// without a transfer function) get the facts their declared result types
// state (static sizes) and fresh symbols elsewhere. A declared static size
// always wins over a derived one.
//
// Assumptions, the ones ONNX's and onnxruntime's shape inference make:
// dynamic dimensions are >= 0; Slice bounds that are symbolic are used
// exactly only when provably within the dimension; a symbolic entry of a
// Reshape target that is provably >= 0 is a size (the 0-means-copy rule is
// taken to apply only to a literal 0).
//
// Users: nn-canonicalize refines result types to every dimension proven
// static and replaces shape tensors whose elements are all proven constant
// (and comparisons that are decided) by nn.constant; the ONNX importer asks
// for the value of operands ONNX takes as data but nn as attributes (Split's
// sizes computed by torch's chunk).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_DIALECTS_NN_ANALYSIS_SYMBOLICSHAPES_H
#define GPTQ_DIALECTS_NN_ANALYSIS_SYMBOLICSHAPES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gptq::shapes {

using SymbolId = uint32_t;

enum class SymbolKind : uint8_t {
  Size,  ///< a dimension size: an integer >= 0
  Value, ///< an integer of unknown sign (data-dependent shape element)
};

/// The symbols of one analysis: names (for printing and for dim_params) and
/// kinds.
class SymbolTable {
public:
  /// A new symbol, distinct from every other, printed as `hint` (or "?")
  /// followed by "#" and a number.
  SymbolId fresh(SymbolKind kind, llvm::StringRef hint = "");
  /// The size symbol named `name` (a dim_param): the same symbol for every
  /// use of the name.
  SymbolId named(llvm::StringRef name);
  /// The symbol for an operation the algebra does not express (e.g.
  /// "(seq + 1)/2"): the same symbol for the same name, so that equal
  /// computations stay equal.
  SymbolId opaque(llvm::StringRef name, SymbolKind kind);
  /// The symbol named `name` if there is one.
  std::optional<SymbolId> lookup(llvm::StringRef name) const;
  /// Whether `s` is a dim_param's symbol (made by named()).
  bool isDimParam(SymbolId s) const { return dimParams[s]; }

  llvm::StringRef name(SymbolId s) const { return names[s]; }
  SymbolKind kind(SymbolId s) const { return kinds[s]; }
  size_t size() const { return names.size(); }

private:
  std::vector<std::string> names;
  std::vector<SymbolKind> kinds;
  std::vector<bool> dimParams;
  llvm::StringMap<SymbolId> byName;
};

/// An integer polynomial over symbols in canonical form: a map from
/// monomials (sorted symbol lists; repeats are powers) to non-zero
/// coefficients. Value semantics; equality is structural, which for this
/// canonical form is equality as polynomials.
class SymExpr {
public:
  using Monomial = llvm::SmallVector<SymbolId, 2>;
  using Terms = std::map<Monomial, int64_t>;

  /// Bounds that keep expressions small (anything larger is "unknown").
  static constexpr size_t kMaxTerms = 32;
  static constexpr size_t kMaxDegree = 8;

  SymExpr() = default; ///< 0
  SymExpr(int64_t c);  ///< a constant (implicit: SymExpr e = 4;)
  static SymExpr symbol(SymbolId s);

  bool isConstant() const;
  std::optional<int64_t> getConstant() const;
  bool isConstant(int64_t c) const { return getConstant() == c; }
  /// The symbol s if the expression is exactly 1 * s.
  std::optional<SymbolId> getSymbol() const;
  /// The coefficient of the empty monomial.
  int64_t constantTerm() const;
  const Terms &terms() const { return terms_; }

  /// Provably >= 0 given that size symbols are >= 0: every term has a
  /// positive coefficient and only size symbols (or even powers), and the
  /// constant term is >= 0.
  bool isNonNegative(const SymbolTable &symbols) const;

  bool operator==(const SymExpr &o) const { return terms_ == o.terms_; }
  bool operator!=(const SymExpr &o) const { return terms_ != o.terms_; }

  /// "batch*seq + 3", "2*n", "-past", "7".
  std::string str(const SymbolTable &symbols) const;

private:
  friend struct SymExprBuilder;
  Terms terms_;
};

/// Arithmetic; std::nullopt when the result would overflow int64 or exceed
/// SymExpr's size bounds.
std::optional<SymExpr> add(const SymExpr &a, const SymExpr &b);
std::optional<SymExpr> sub(const SymExpr &a, const SymExpr &b);
std::optional<SymExpr> mul(const SymExpr &a, const SymExpr &b);
std::optional<SymExpr> neg(const SymExpr &a);
/// The q with q * b == a exactly (integer coefficients), if there is one.
std::optional<SymExpr> divExact(const SymExpr &a, const SymExpr &b);
/// ONNX integer Div (truncation toward zero) where it is decided: two
/// constants, an exact quotient, or a constant divisor c > 0 of a = c*q + r
/// with q provably >= 0 and a constant 0 <= r < c (which gives q).
std::optional<SymExpr> divTrunc(const SymExpr &a, const SymExpr &b,
                                const SymbolTable &symbols);
/// The sign of a - b where it is decided (-1, 0, 1): equal expressions, a
/// constant difference, or a difference that is provably >= 0 (<= 0) with a
/// positive (negative) constant term.
std::optional<int> compare(const SymExpr &a, const SymExpr &b,
                           const SymbolTable &symbols);
/// Parses an ONNX dim_param: an identifier (any other text is one opaque
/// name too), or an expression of identifiers and integers with + - * and
/// parentheses ("past_sequence_length + sequence_length", "2*n"), whose
/// identifiers become named size symbols.
SymExpr parseDimParam(llvm::StringRef text, SymbolTable &symbols);

/// What the analysis knows about one value.
struct ValueFacts {
  /// One expression per dimension (ranked tensors).
  llvm::SmallVector<SymExpr, 4> dims;
  /// One expression per element, for integer (and i1) tensors of rank <= 1
  /// with a static size of at most ShapeAnalysis::kMaxElements.
  std::optional<llvm::SmallVector<SymExpr, 4>> elements;
};

/// Forward symbolic shape propagation (see the file comment). The analysis
/// does not modify the IR; facts stay valid until it changes. Pointers to
/// facts stay valid for the analysis's lifetime (later analyze() calls
/// included).
class ShapeAnalysis {
public:
  static constexpr int64_t kMaxElements = 64;

  /// Computes nothing yet: analyze() computes facts on demand.
  ShapeAnalysis() = default;
  /// Analyzes every value of `fn`'s body, in program order.
  explicit ShapeAnalysis(mlir::func::FuncOp fn);

  /// The facts of `v`, computed (with those of everything `v` depends on)
  /// if not known yet: the importer's way to ask about one value of a
  /// function under construction. Null for values that are not ranked
  /// tensors.
  const ValueFacts *analyze(mlir::Value v);
  /// Facts already computed (null for values not analyzed, e.g. unranked
  /// ones).
  const ValueFacts *lookup(mlir::Value v) const;
  /// The value's type with every dimension proven constant made static (the
  /// declared type where nothing more is known).
  mlir::Type refinedType(mlir::Value v) const;
  /// The elements of a tracked integer value if every one is a constant.
  std::optional<llvm::SmallVector<int64_t>>
  constantElements(mlir::Value v) const;

  /// "[batch, seq, 32]" / "[batch*seq, -1]" (elements) for tests and
  /// debugging; "<unknown>" for values without facts.
  std::string describeDims(mlir::Value v) const;
  std::string describeElements(mlir::Value v) const;

  const SymbolTable &symbols() const { return syms; }

  /// dim_params whose size the function's ops force: an op that requires two
  /// sizes to be equal (off-axis sizes of nn.concat, the contraction of
  /// nn.matmul, nn.attention's head size and key/value lengths) where one is
  /// a dim_param and the other a constant. A model run with another size
  /// fails at that op, so the size is a fact (onnxruntime-genai declares the
  /// head size of its caches as `kv_cache_dim`: its attention fixes it).
  const std::map<std::string, int64_t> &boundDimParams() const {
    return bindings;
  }

private:
  friend class ShapeTransfer;
  SymbolTable syms;
  /// Boxed so that pointers handed out stay valid as the map grows.
  llvm::DenseMap<mlir::Value, std::unique_ptr<ValueFacts>> facts;
  std::map<std::string, int64_t> bindings;
};

} // namespace gptq::shapes

#endif // GPTQ_DIALECTS_NN_ANALYSIS_SYMBOLICSHAPES_H
