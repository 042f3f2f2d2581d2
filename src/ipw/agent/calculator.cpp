#include "ipw/agent/calculator.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace ipw::agent {
namespace {

// Recursive descent over   sum := product (('+'|'-') product)*
//                          product := unary (('*'|'/') unary)*
//                          unary := '-' unary | '+' unary | power
//                          power := atom ('^' unary)?
//                          atom := number | '(' sum ')'
// so -2^2 is -(2^2) and 2^-1 is 0.5, as in mathematics (and Python).
// Errors are thrown as the message and caught once, at the top.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  double whole() {
    const double v = sum();
    skip();
    if (i_ < s_.size()) fail(fmt::format("unexpected '{}'", s_[i_]));
    return v;
  }

 private:
  static constexpr int kMaxDepth = 200;  // a bound on nesting: "((((…" cannot exhaust the stack

  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::string(i_ < s_.size() ? fmt::format("{} at {}", what, i_ + 1) : what + " at the end");
  }
  double sum() {
    double v = product();
    while (true) {
      if (eat('+')) {
        v += product();
      } else if (eat('-')) {
        v -= product();
      } else {
        return v;
      }
    }
  }
  double product() {
    double v = unary();
    while (true) {
      if (eat('*')) {
        v *= unary();
      } else if (eat('/')) {
        const double d = unary();
        if (d == 0) fail("division by zero");
        v /= d;
      } else {
        return v;
      }
    }
  }
  double power() {
    const double base = atom();
    if (!eat('^')) return base;
    return std::pow(base, unary());
  }
  double unary() {
    if (++depth_ > kMaxDepth) fail("expression nested too deeply");
    double v;
    if (eat('-')) {
      v = -unary();
    } else if (eat('+')) {
      v = unary();
    } else {
      v = power();
    }
    --depth_;
    return v;
  }
  double atom() {
    if (eat('(')) {
      const double v = sum();
      if (!eat(')')) fail("expected ')'");
      return v;
    }
    skip();
    const std::size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' || s_[i_] == ',')) ++i_;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E') && i_ > start) {  // exponent: 1.5e3
      std::size_t j = i_ + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
      if (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) {
        i_ = j;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      }
    }
    if (i_ == start) fail(i_ < s_.size() ? fmt::format("unexpected '{}'", s_[i_]) : std::string("expected a number"));
    std::string text;
    for (char c : s_.substr(start, i_ - start)) {
      if (c != ',') text.push_back(c);  // thousands separators: 1,000
    }
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) {
      i_ = start;
      fail(fmt::format("bad number '{}'", text));
    }
    return v;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Expected<double, std::string> calculate(std::string_view expression) {
  try {
    const double v = Parser(expression).whole();
    if (!std::isfinite(v)) return unexpected(std::string("the result is not a finite number"));
    return v;
  } catch (const std::string& e) {
    return unexpected(e);
  }
}

}  // namespace ipw::agent
