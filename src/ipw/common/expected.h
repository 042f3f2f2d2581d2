#pragma once
// A small expected<T, E>: C++20 has no std::expected and Debian 12 ships no
// tl::expected package. Used at boundaries where failure is an ordinary outcome
// (a query that timed out, a sensor that is unreadable) rather than a bug.
#include <cassert>
#include <stdexcept>
#include <utility>
#include <variant>

namespace ipw {

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}

template <typename T, typename E>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Expected*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return std::get<1>(v_); }
  const E& error() const& { return std::get<1>(v_); }

 private:
  T& checked() {
    if (v_.index() != 0) throw std::logic_error("Expected: value() called on an error");
    return std::get<0>(v_);
  }
  std::variant<T, E> v_;
};

}  // namespace ipw
