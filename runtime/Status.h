//===- Status.h - error values of the runtime -------------------*- C++ -*-===//
//
// The runtime is built without exceptions: fallible calls return Status (or
// StatusOr<T>) whose message names the thing at fault (op, tensor, file).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_STATUS_H
#define GPTQ_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace gptq::rt {

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.message_ = std::move(message);
    s.failed_ = true;
    return s;
  }
  bool isOk() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string &message() const { return message_; }
  /// Prefixes the message with context ("while running 'x': ...").
  Status &prefix(const std::string &context) {
    if (failed_)
      message_ = context + message_;
    return *this;
  }

private:
  std::string message_;
  bool failed_ = false;
};

/// Builds an error message from streamable parts.
template <typename... Args> Status errorf(Args &&...args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return Status::error(os.str());
}

template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)) {}
  StatusOr(Status status) : status_(std::move(status)) {
    assert(!status_.isOk() && "StatusOr needs a value or an error");
  }
  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T take() { return std::move(*value_); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace gptq::rt

/// Returns early from the enclosing function with the error of `expr`.
#define GPTQ_RT_TRY(expr)                                                      \
  do {                                                                         \
    ::gptq::rt::Status _st = (expr);                                           \
    if (!_st.isOk())                                                           \
      return _st;                                                              \
  } while (0)

#endif // GPTQ_RUNTIME_STATUS_H
