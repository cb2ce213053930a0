//===- SymExpr.cpp - integer polynomials over shape symbols -----*- C++ -*-===//
//
// The algebra of SymbolicShapes.h: canonical polynomials with overflow-
// checked int64 coefficients, exact division by multivariate long division
// (verified by multiplying back), sign reasoning for sizes, and a parser for
// ONNX dim_param expressions.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Analysis/SymbolicShapes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace gptq::shapes;

//===----------------------------------------------------------------------===//
// SymbolTable
//===----------------------------------------------------------------------===//

SymbolId SymbolTable::fresh(SymbolKind kind, llvm::StringRef hint) {
  // "#" + the id keeps the name unique; fresh symbols are not looked up by
  // name, so a dim_param spelled the same is still another symbol.
  SymbolId id = names.size();
  names.push_back((hint.empty() ? std::string("?") : hint.str()) + "#" +
                  std::to_string(id));
  kinds.push_back(kind);
  dimParams.push_back(false);
  return id;
}

SymbolId SymbolTable::named(llvm::StringRef name) {
  auto it = byName.find(name);
  if (it != byName.end())
    return it->second;
  SymbolId id = names.size();
  names.push_back(name.str());
  kinds.push_back(SymbolKind::Size);
  dimParams.push_back(true);
  byName[name] = id;
  return id;
}

SymbolId SymbolTable::opaque(llvm::StringRef name, SymbolKind kind) {
  auto it = byName.find(name);
  if (it != byName.end())
    return it->second;
  SymbolId id = names.size();
  names.push_back(name.str());
  kinds.push_back(kind);
  dimParams.push_back(false);
  byName[name] = id;
  return id;
}

std::optional<SymbolId> SymbolTable::lookup(llvm::StringRef name) const {
  auto it = byName.find(name);
  if (it == byName.end())
    return std::nullopt;
  return it->second;
}

//===----------------------------------------------------------------------===//
// SymExpr basics
//===----------------------------------------------------------------------===//

namespace gptq::shapes {
/// Construction of canonical term maps with overflow and size checks.
struct SymExprBuilder {
  SymExpr::Terms terms;
  bool ok = true;

  /// terms[m] += c.
  void addTerm(const SymExpr::Monomial &m, int64_t c) {
    if (!ok || c == 0)
      return;
    if (m.size() > SymExpr::kMaxDegree) {
      ok = false;
      return;
    }
    auto [it, inserted] = terms.try_emplace(m, c);
    if (!inserted) {
      int64_t sum;
      if (llvm::AddOverflow(it->second, c, sum)) {
        ok = false;
        return;
      }
      if (sum == 0)
        terms.erase(it);
      else
        it->second = sum;
    }
    if (terms.size() > SymExpr::kMaxTerms)
      ok = false;
  }

  std::optional<SymExpr> finish() {
    if (!ok)
      return std::nullopt;
    SymExpr e;
    e.terms_ = std::move(terms);
    return e;
  }

  static const SymExpr::Terms &of(const SymExpr &e) { return e.terms_; }
};
} // namespace gptq::shapes

using Builder = gptq::shapes::SymExprBuilder;

SymExpr::SymExpr(int64_t c) {
  if (c != 0)
    terms_[{}] = c;
}

SymExpr SymExpr::symbol(SymbolId s) {
  SymExpr e;
  e.terms_[{s}] = 1;
  return e;
}

bool SymExpr::isConstant() const {
  return terms_.empty() ||
         (terms_.size() == 1 && terms_.begin()->first.empty());
}

std::optional<int64_t> SymExpr::getConstant() const {
  if (!isConstant())
    return std::nullopt;
  return constantTerm();
}

std::optional<SymbolId> SymExpr::getSymbol() const {
  if (terms_.size() != 1)
    return std::nullopt;
  const auto &[m, c] = *terms_.begin();
  if (m.size() != 1 || c != 1)
    return std::nullopt;
  return m[0];
}

int64_t SymExpr::constantTerm() const {
  auto it = terms_.find(Monomial{});
  return it == terms_.end() ? 0 : it->second;
}

/// Whether a monomial is >= 0 for every admissible assignment: each symbol
/// that is not a size occurs an even number of times.
static bool monomialNonNegative(const SymExpr::Monomial &m,
                                const SymbolTable &symbols) {
  for (size_t i = 0; i < m.size();) {
    size_t j = i;
    while (j < m.size() && m[j] == m[i])
      ++j;
    if (symbols.kind(m[i]) != SymbolKind::Size && (j - i) % 2 != 0)
      return false;
    i = j;
  }
  return true;
}

bool SymExpr::isNonNegative(const SymbolTable &symbols) const {
  for (const auto &[m, c] : terms_)
    if (c < 0 || !monomialNonNegative(m, symbols))
      return false;
  return true;
}

std::string SymExpr::str(const SymbolTable &symbols) const {
  if (terms_.empty())
    return "0";
  std::string s;
  llvm::raw_string_ostream os(s);
  bool first = true;
  auto emit = [&](const Monomial &m, int64_t c) {
    // Uses unsigned magnitudes so that INT64_MIN prints.
    uint64_t mag = c < 0 ? 0 - (uint64_t)c : (uint64_t)c;
    if (first)
      os << (c < 0 ? "-" : "");
    else
      os << (c < 0 ? " - " : " + ");
    first = false;
    if (m.empty()) {
      os << mag;
      return;
    }
    if (mag != 1)
      os << mag << "*";
    llvm::interleave(
        m, os, [&](SymbolId id) { os << symbols.name(id); }, "*");
  };
  // Highest degree first, the constant last.
  std::vector<std::pair<Monomial, int64_t>> sorted(terms_.begin(),
                                                   terms_.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto &a, const auto &b) {
                     return a.first.size() > b.first.size();
                   });
  for (const auto &[m, c] : sorted)
    emit(m, c);
  return s;
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

std::optional<SymExpr> gptq::shapes::add(const SymExpr &a, const SymExpr &b) {
  Builder out;
  for (const auto &[m, c] : Builder::of(a))
    out.addTerm(m, c);
  for (const auto &[m, c] : Builder::of(b))
    out.addTerm(m, c);
  return out.finish();
}

std::optional<SymExpr> gptq::shapes::neg(const SymExpr &a) {
  Builder out;
  for (const auto &[m, c] : Builder::of(a)) {
    if (c == INT64_MIN)
      return std::nullopt;
    out.addTerm(m, -c);
  }
  return out.finish();
}

std::optional<SymExpr> gptq::shapes::sub(const SymExpr &a, const SymExpr &b) {
  auto nb = neg(b);
  if (!nb)
    return std::nullopt;
  return add(a, *nb);
}

static SymExpr::Monomial mulMonomials(const SymExpr::Monomial &x,
                                      const SymExpr::Monomial &y) {
  SymExpr::Monomial m;
  m.reserve(x.size() + y.size());
  std::merge(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(m));
  return m;
}

std::optional<SymExpr> gptq::shapes::mul(const SymExpr &a, const SymExpr &b) {
  Builder out;
  for (const auto &[ma, ca] : Builder::of(a))
    for (const auto &[mb, cb] : Builder::of(b)) {
      int64_t c;
      if (llvm::MulOverflow(ca, cb, c))
        return std::nullopt;
      out.addTerm(mulMonomials(ma, mb), c);
      if (!out.ok)
        return std::nullopt;
    }
  return out.finish();
}

/// The leading term of a non-zero polynomial in a graded order (degree,
/// then the monomial map's order): multiplicative enough for long
/// division, whose result is verified anyway.
static std::pair<SymExpr::Monomial, int64_t> leading(const SymExpr::Terms &t) {
  auto best = t.begin();
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it->first.size() > best->first.size() ||
        (it->first.size() == best->first.size() && best->first < it->first))
      best = it;
  return *best;
}

/// x / y for monomials when y divides x (as multisets).
static std::optional<SymExpr::Monomial>
divMonomial(const SymExpr::Monomial &x, const SymExpr::Monomial &y) {
  SymExpr::Monomial out;
  size_t j = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (j < y.size() && x[i] == y[j])
      ++j;
    else
      out.push_back(x[i]);
  }
  if (j != y.size())
    return std::nullopt;
  return out;
}

std::optional<SymExpr> gptq::shapes::divExact(const SymExpr &a,
                                              const SymExpr &b) {
  const auto &bt = Builder::of(b);
  if (bt.empty())
    return std::nullopt; // division by zero
  auto [bm, bc] = leading(bt);
  SymExpr rem = a;
  Builder q;
  for (int iter = 0; !Builder::of(rem).empty(); ++iter) {
    if (iter > 4 * (int)SymExpr::kMaxTerms)
      return std::nullopt;
    auto [rm, rc] = leading(Builder::of(rem));
    auto m = divMonomial(rm, bm);
    if (!m || rc % bc != 0)
      return std::nullopt;
    SymExpr t;
    {
      Builder tb;
      tb.addTerm(*m, rc / bc);
      auto te = tb.finish();
      if (!te)
        return std::nullopt;
      t = *te;
    }
    q.addTerm(*m, rc / bc);
    auto tb = mul(t, b);
    if (!tb)
      return std::nullopt;
    auto r = sub(rem, *tb);
    if (!r)
      return std::nullopt;
    rem = *r;
  }
  auto quotient = q.finish();
  if (!quotient)
    return std::nullopt;
  auto back = mul(*quotient, b);
  if (!back || *back != a)
    return std::nullopt;
  return quotient;
}

std::optional<SymExpr> gptq::shapes::divTrunc(const SymExpr &a,
                                              const SymExpr &b,
                                              const SymbolTable &symbols) {
  auto ca = a.getConstant(), cb = b.getConstant();
  if (cb && *cb == 0)
    return std::nullopt;
  if (ca && cb) {
    if (*ca == INT64_MIN && *cb == -1)
      return std::nullopt;
    return SymExpr(*ca / *cb); // C++ truncates toward zero, as ONNX does
  }
  if (auto q = divExact(a, b))
    return q;
  if (cb && *cb > 0) {
    // a = c*q + r with 0 <= r < c and q >= 0: trunc(a / c) = q.
    int64_t r = a.constantTerm() % *cb;
    if (r < 0)
      r += *cb;
    auto rest = sub(a, SymExpr(r));
    if (!rest)
      return std::nullopt;
    auto q = divExact(*rest, b);
    if (q && q->isNonNegative(symbols))
      return q;
  }
  return std::nullopt;
}

std::optional<int> gptq::shapes::compare(const SymExpr &a, const SymExpr &b,
                                         const SymbolTable &symbols) {
  auto d = sub(a, b);
  if (!d)
    return std::nullopt;
  if (auto c = d->getConstant())
    return *c < 0 ? -1 : (*c > 0 ? 1 : 0);
  if (d->isNonNegative(symbols) && d->constantTerm() > 0)
    return 1;
  auto nd = neg(*d);
  if (nd && nd->isNonNegative(symbols) && nd->constantTerm() > 0)
    return -1;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// dim_param parsing
//===----------------------------------------------------------------------===//

namespace {
/// expr := term (('+' | '-') term)*; term := factor ('*' factor)*;
/// factor := integer | identifier | '(' expr ')'.
class DimParamParser {
public:
  DimParamParser(llvm::StringRef text, SymbolTable &symbols)
      : s(text), symbols(symbols) {}

  std::optional<SymExpr> parse() {
    auto e = expr();
    skipSpace();
    if (!e || !s.empty())
      return std::nullopt;
    return e;
  }

private:
  void skipSpace() { s = s.ltrim(); }
  bool eat(char c) {
    skipSpace();
    if (s.empty() || s.front() != c)
      return false;
    s = s.drop_front();
    return true;
  }
  std::optional<SymExpr> expr() {
    auto e = term();
    while (e) {
      if (eat('+')) {
        auto t = term();
        e = t ? add(*e, *t) : std::nullopt;
      } else if (eat('-')) {
        auto t = term();
        e = t ? sub(*e, *t) : std::nullopt;
      } else {
        break;
      }
    }
    return e;
  }
  std::optional<SymExpr> term() {
    auto e = factor();
    while (e && eat('*')) {
      auto f = factor();
      e = f ? mul(*e, *f) : std::nullopt;
    }
    return e;
  }
  std::optional<SymExpr> factor() {
    skipSpace();
    if (s.empty())
      return std::nullopt;
    if (eat('(')) {
      auto e = expr();
      if (!e || !eat(')'))
        return std::nullopt;
      return e;
    }
    if (llvm::isDigit(s.front())) {
      size_t n = 0;
      while (n < s.size() && llvm::isDigit(s[n]))
        ++n;
      uint64_t v;
      if (s.take_front(n).getAsInteger(10, v) || v > (uint64_t)INT64_MAX)
        return std::nullopt;
      s = s.drop_front(n);
      return SymExpr((int64_t)v);
    }
    if (llvm::isAlpha(s.front()) || s.front() == '_') {
      size_t n = 0;
      while (n < s.size() &&
             (llvm::isAlnum(s[n]) || s[n] == '_' || s[n] == '.'))
        ++n;
      SymbolId id = symbols.named(s.take_front(n));
      s = s.drop_front(n);
      return SymExpr::symbol(id);
    }
    return std::nullopt;
  }

  llvm::StringRef s;
  SymbolTable &symbols;
};
} // namespace

SymExpr gptq::shapes::parseDimParam(llvm::StringRef text,
                                    SymbolTable &symbols) {
  llvm::StringRef t = text.trim();
  // A plain name (the common case) or anything unparsable is one symbol.
  bool plain = !t.empty() && llvm::all_of(t, [](char c) {
    return llvm::isAlnum(c) || c == '_' || c == '.';
  });
  if (!plain) {
    SymbolTable scratch = symbols;
    DimParamParser p(t, scratch);
    if (auto e = p.parse()) {
      // Non-negative expressions of names only (a size); commit the names.
      if (e->isNonNegative(scratch) && !e->isConstant()) {
        symbols = std::move(scratch);
        return *e;
      }
    }
  }
  return SymExpr::symbol(symbols.named(text));
}
