#include "ipw/scoring/number_parse.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "ipw/scoring/text_cleanup.h"

namespace ipw::scoring {
namespace {

constexpr std::string_view kMinus = "\xE2\x88\x92";       // U+2212
constexpr std::string_view kTimes = "\xC3\x97";           // ×
constexpr std::string_view kMiddleDot = "\xC2\xB7";       // ·
constexpr std::string_view kThinSpace = "\xE2\x80\x89";   // U+2009
constexpr std::string_view kNarrowNbsp = "\xE2\x80\xAF";  // U+202F
constexpr std::string_view kSqrt = "\xE2\x88\x9A";        // √
constexpr std::string_view kPi = "\xCF\x80";              // π

bool at(std::string_view t, std::size_t i, std::string_view s) {
  return t.size() >= i + s.size() && t.compare(i, s.size(), s) == 0;
}

bool at_ci(std::string_view t, std::size_t i, std::string_view s) {
  if (t.size() < i + s.size()) return false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    char c = t[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != s[k]) return false;
  }
  return true;
}

std::size_t skip_hspace(std::string_view t, std::size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '~')) ++i;
  return i;
}

std::size_t digits_end(std::string_view t, std::size_t i) {
  while (i < t.size() && is_ascii_digit(t[i])) ++i;
  return i;
}

// A thousands separator at i; returns its length (0 if none).
std::size_t separator_len(std::string_view t, std::size_t i) {
  if (at(t, i, ",")) return 1;
  if (at(t, i, "{,}")) return 3;
  if (at(t, i, "\\,")) return 2;
  if (at(t, i, kThinSpace)) return kThinSpace.size();
  if (at(t, i, kNarrowNbsp)) return kNarrowNbsp.size();
  return 0;
}

// The sign just before position i, if it is a sign (not a subtraction): returns
// where the sign starts, or i when there is none.
std::size_t sign_start(std::string_view t, std::size_t i) {
  std::size_t s = i;
  if (i >= 1 && t[i - 1] == '-')
    s = i - 1;
  else if (i >= kMinus.size() && t.compare(i - kMinus.size(), kMinus.size(), kMinus) == 0)
    s = i - kMinus.size();
  if (s == i) return i;
  if (s > 0) {
    const char before = t[s - 1];
    if (is_ascii_alnum(before) || before == ')' || before == '}' || before == ']') return i;  // "5-3", "x-3"
  }
  return s;
}

struct Plain {
  std::size_t end = 0;
  double value = 0;
  bool integer = true;  // no decimal point, no exponent
  bool ok = false;
};

// Digits with optional thousands separators, decimals and exponent, starting at i
// (a digit, or '.' followed by a digit). No sign.
Plain parse_unsigned(std::string_view t, std::size_t i) {
  Plain p;
  std::string clean;
  std::size_t j = i;
  if (t[j] != '.') {
    std::size_t e = digits_end(t, j);
    clean.append(t.substr(j, e - j));
    const std::size_t first_group = e - j;
    j = e;
    if (first_group <= 3) {
      while (true) {
        const std::size_t sep = separator_len(t, j);
        if (sep == 0) break;
        const std::size_t g = j + sep;
        const std::size_t ge = digits_end(t, g);
        if (ge - g != 3) break;
        clean.append(t.substr(g, 3));
        j = ge;
      }
    }
  }
  if (j + 1 < t.size() && t[j] == '.' && is_ascii_digit(t[j + 1])) {
    const std::size_t e = digits_end(t, j + 1);
    clean.append(t.substr(j, e - j));
    j = e;
    p.integer = false;
  }
  if (j + 1 < t.size() && (t[j] == 'e' || t[j] == 'E')) {
    std::size_t k = j + 1;
    if (k < t.size() && (t[k] == '+' || t[k] == '-')) ++k;
    const std::size_t e = digits_end(t, k);
    if (e > k && (e >= t.size() || !is_ascii_alpha(t[e]))) {
      clean.append("e").append(t.substr(j + 1, e - j - 1));
      j = e;
      p.integer = false;
    }
  }
  if (clean.empty() || clean == ".") return p;
  p.value = std::strtod(clean.c_str(), nullptr);
  p.end = j;
  p.ok = std::isfinite(p.value);
  return p;
}

// End of a {…} group starting at i (t[i] == '{'), or npos if unbalanced.
std::size_t brace_end(std::string_view t, std::size_t i) {
  int depth = 0;
  for (std::size_t j = i; j < t.size(); ++j) {
    if (t[j] == '{') ++depth;
    if (t[j] == '}' && --depth == 0) return j + 1;
  }
  return std::string_view::npos;
}

// "-3", " 4.5 " — the whole string one signed plain number.
std::optional<double> whole_signed(std::string_view s) {
  std::size_t i = skip_hspace(s, 0);
  double sign = 1;
  if (at(s, i, "-")) {
    sign = -1;
    i = skip_hspace(s, i + 1);
  } else if (at(s, i, kMinus)) {
    sign = -1;
    i = skip_hspace(s, i + kMinus.size());
  }
  if (i >= s.size() || !(is_ascii_digit(s[i]) || s[i] == '.')) return std::nullopt;
  Plain p = parse_unsigned(s, i);
  if (!p.ok || skip_hspace(s, p.end) != s.size()) return std::nullopt;
  return sign * p.value;
}

// One argument of \frac: {…} or a single character (\frac12).
bool frac_arg(std::string_view t, std::size_t& i, std::optional<double>& value) {
  i = skip_hspace(t, i);
  if (i >= t.size()) return false;
  if (t[i] == '{') {
    const std::size_t e = brace_end(t, i);
    if (e == std::string_view::npos) return false;
    value = whole_signed(t.substr(i + 1, e - i - 2));
    i = e;
    return true;
  }
  value = is_ascii_digit(t[i]) ? std::optional<double>(t[i] - '0') : std::nullopt;
  ++i;
  return true;
}

std::size_t frac_command_len(std::string_view t, std::size_t i) {
  for (std::string_view cmd : {"\\frac", "\\dfrac", "\\tfrac"}) {
    if (at(t, i, cmd) && !(i + cmd.size() < t.size() && is_ascii_alpha(t[i + cmd.size()]))) return cmd.size();
  }
  return 0;
}

// \frac{a}{b} at i. `end` is set past the fraction even when it is not numeric,
// so its digits are not read as separate numbers.
std::optional<double> parse_frac(std::string_view t, std::size_t i, std::size_t& end) {
  std::size_t j = i + frac_command_len(t, i);
  std::optional<double> num, den;
  if (!frac_arg(t, j, num) || !frac_arg(t, j, den)) {
    end = j;
    return std::nullopt;
  }
  end = j;
  if (!num || !den || *den == 0) return std::nullopt;
  return *num / *den;
}

// Suffixes: "× 10^{3}", "/4", "%", "million" … applied to a parsed number.
void apply_suffixes(std::string_view t, NumberMatch& m, const Plain& p) {
  std::size_t j = m.end;
  // Scientific notation written out.
  {
    std::size_t k = skip_hspace(t, j);
    std::size_t op = 0;
    for (std::string_view s : {kTimes, std::string_view("\\times"), std::string_view("\\cdot"), kMiddleDot,
                               std::string_view("x"), std::string_view("*")}) {
      if (at(t, k, s)) {
        op = s.size();
        break;
      }
    }
    if (op) {
      std::size_t q = skip_hspace(t, k + op);
      if (at(t, q, "10^")) {
        std::size_t r = q + 3;
        const bool braced = at(t, r, "{");
        if (braced) ++r;
        double sign = 1;
        if (at(t, r, "-")) {
          sign = -1;
          ++r;
        } else if (at(t, r, kMinus)) {
          sign = -1;
          r += kMinus.size();
        }
        const std::size_t e = digits_end(t, r);
        if (e > r && (!braced || at(t, e, "}"))) {
          m.value *= std::pow(10.0, sign * std::strtod(std::string(t.substr(r, e - r)).c_str(), nullptr));
          j = braced ? e + 1 : e;
        }
      }
    }
  }
  // A fraction a/b (not a date a/b/c).
  if (p.integer && j == m.end) {
    std::size_t k = skip_hspace(t, j);
    if (at(t, k, "/")) {
      std::size_t d = skip_hspace(t, k + 1);
      if (d < t.size() && is_ascii_digit(t[d])) {
        Plain den = parse_unsigned(t, d);
        const bool date = den.ok && at(t, den.end, "/") && den.end + 1 < t.size() && is_ascii_digit(t[den.end + 1]);
        if (den.ok && den.value != 0 && !date) {
          m.value /= den.value;
          j = den.end;
        }
      }
    }
  }
  std::size_t k = skip_hspace(t, j);
  if (at(t, k, "%") || at(t, k, "\\%")) {
    m.percent = true;
    j = k + (t[k] == '%' ? 1 : 2);
  } else if (at_ci(t, k, "percent")) {
    m.percent = true;
    j = k + 7;
  } else {
    for (auto [word, mult] : {std::pair<std::string_view, double>{"thousand", 1e3},
                              {"million", 1e6},
                              {"billion", 1e9},
                              {"trillion", 1e12}}) {
      if (at_ci(t, k, word) && !(k + word.size() < t.size() && is_ascii_alpha(t[k + word.size()]))) {
        m.multiplier = mult;
        j = k + word.size();
        break;
      }
    }
  }
  m.end = j;
}

// Is the number at [b, e) part of a larger expression that is not a plain value?
bool part_of_expression(std::string_view t, std::size_t b, std::size_t e) {
  if (b > 0) {
    const char before = t[b - 1];
    if (is_ascii_alpha(before) || before == '_' || before == '^') return true;         // x2, a_1, x^2
    if (before == '{' && b >= 2 && (t[b - 2] == '^' || t[b - 2] == '_')) return true;  // x^{2}
    if (b >= kSqrt.size() && t.compare(b - kSqrt.size(), kSqrt.size(), kSqrt) == 0) return true;
  }
  const std::size_t k = skip_hspace(t, e);
  return at(t, k, "\\sqrt") || at(t, k, kSqrt) || at(t, k, "\\pi") || at(t, k, kPi);
}

}  // namespace

std::vector<double> NumberMatch::readings() const {
  std::vector<double> r = {value};
  if (percent) r.push_back(value / 100.0);
  if (multiplier != 1) r.push_back(value * multiplier);
  return r;
}

std::vector<NumberMatch> find_numbers(std::string_view t) {
  std::vector<NumberMatch> out;
  std::size_t i = 0;
  while (i < t.size()) {
    if (frac_command_len(t, i)) {
      std::size_t end = i;
      const std::optional<double> v = parse_frac(t, i, end);
      if (v) {
        const std::size_t s = sign_start(t, i);
        NumberMatch m{s, end, s < i ? -*v : *v, false, 1};
        apply_suffixes(t, m, Plain{end, m.value, false, true});
        out.push_back(m);
      }
      i = std::max(end, i + 1);
      continue;
    }
    if (at(t, i, "\\sqrt")) {  // a surd is not a plain number: skip it whole
      std::size_t j = i + 5;
      if (at(t, j, "[")) j = t.find(']', j) == std::string_view::npos ? j : t.find(']', j) + 1;
      const std::size_t e = at(t, j, "{") ? brace_end(t, j) : j + 1;
      i = e == std::string_view::npos ? t.size() : e;
      continue;
    }
    const bool starts = is_ascii_digit(t[i]) || (t[i] == '.' && i + 1 < t.size() && is_ascii_digit(t[i + 1]) &&
                                                 (i == 0 || !is_ascii_digit(t[i - 1])));
    if (!starts) {
      ++i;
      continue;
    }
    Plain p = parse_unsigned(t, i);
    if (!p.ok) {
      ++i;
      continue;
    }
    const std::size_t s = sign_start(t, i);
    NumberMatch m{s, p.end, s < i ? -p.value : p.value, false, 1};
    if (p.integer && frac_command_len(t, p.end)) {  // mixed number 2\frac{1}{2}
      std::size_t end = p.end;
      if (auto f = parse_frac(t, p.end, end)) {
        m.value += (m.value < 0 || s < i ? -*f : *f);
        m.end = end;
      }
    } else if (at(t, i, "10^") && p.end == i + 2) {  // 10^6, 10^{-3}
      std::size_t r = i + 3;
      const bool braced = at(t, r, "{");
      if (braced) ++r;
      double sign = 1;
      if (at(t, r, "-")) {
        sign = -1;
        ++r;
      }
      const std::size_t e = digits_end(t, r);
      if (e > r && (!braced || at(t, e, "}"))) {
        m.value =
            (s < i ? -1 : 1) * std::pow(10.0, sign * std::strtod(std::string(t.substr(r, e - r)).c_str(), nullptr));
        m.end = braced ? e + 1 : e;
      }
    }
    if (m.end == p.end) {
      apply_suffixes(t, m, p);
      m.integer = p.integer && m.end == p.end;
    }
    if (!part_of_expression(t, i, p.end)) out.push_back(m);
    i = std::max(m.end, i + 1);
  }
  return out;
}

std::optional<NumberMatch> parse_reference_number(std::string_view text) {
  const std::vector<NumberMatch> nums = find_numbers(blank_latex_wrappers(text));
  if (nums.empty()) return std::nullopt;
  for (const NumberMatch& n : nums) {
    if (n.value != nums.front().value) return std::nullopt;
  }
  return nums.front();
}

}  // namespace ipw::scoring
