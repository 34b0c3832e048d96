// Errors as values. feedwatch code throws nothing: every fallible function
// returns Status or Result<T>. Third-party exceptions (toml++, nlohmann,
// std::filesystem) are caught in the adapter that calls them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace feedwatch {

// A Status is either ok() or carries a kind and a human message that already
// names its source (file:line, or URL and HTTP status).
class [[nodiscard]] Status {
 public:
  enum class Kind {
    kOk,
    kInvalidArgument,
    kNotFound,
    kIo,
    kParse,
    kNetwork,
    kInternal,
    kUnavailable,  // stopped or refused for want of time or capacity: try later, ask for less
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string msg) { return Status(Kind::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Kind::kNotFound, std::move(msg)); }
  static Status Io(std::string msg) { return Status(Kind::kIo, std::move(msg)); }
  static Status Parse(std::string msg) { return Status(Kind::kParse, std::move(msg)); }
  static Status Network(std::string msg) { return Status(Kind::kNetwork, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Kind::kInternal, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Kind::kUnavailable, std::move(msg)); }

  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // Says, at the call site, that this error is deliberately not acted on
  // (it was logged, or losing it is harmless): the one way to drop a Status.
  void IgnoreError() const {}

 private:
  Status(Kind kind, std::string msg) : kind_(kind), message_(std::move(msg)) {}
  Kind kind_ = Kind::kOk;
  std::string message_;
};

// Result<T> holds a T or a non-ok Status. REQUIRES: value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(implicit)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace feedwatch
