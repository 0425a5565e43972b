// Result<T>: a value, or the reason why there is none.
//
// Refusals that a user or a device can cause travel as values of this type;
// the caller decides what they become (an HTTP status, an exit code, a log
// line). Broken invariants and startup errors throw instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace autowg {

template <class E>
struct Failure {
  E error;
};

inline Failure<std::string> fail(std::string message) { return {std::move(message)}; }

template <class T, class E = std::string>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Failure<E> failure) : v_(std::in_place_index<1>, std::move(failure.error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace autowg
