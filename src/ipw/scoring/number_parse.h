#pragma once
// Finding numbers the way a maths answer writes them: -12, 3.5, .5, 1,234,567,
// 1{,}234, 2.5e-3, 6.02 × 10^{23}, 3/4, \frac{3}{4}, 2\frac{1}{2}, 50%, 1.5 million,
// with units or currency around them. Pure functions.
#include <optional>
#include <string_view>
#include <vector>

namespace ipw::scoring {

struct NumberMatch {
  std::size_t begin = 0;  // span in the text it was found in
  std::size_t end = 0;
  double value = 0;
  bool percent = false;   // "50%", "50 percent"
  double multiplier = 1;  // "1.5 million" -> 1e6
  bool integer = false;   // written as a plain integer: no decimals, fraction, exponent, % or multiplier

  // Every value the text could mean: the number itself, its percent as a
  // fraction (50% -> 0.5), and with its multiplier word applied.
  std::vector<double> readings() const;
};

// All numbers, left to right. Digits glued to a preceding letter (x2, CO2),
// exponents (x^2), and numbers inside \sqrt or next to π are not numbers of
// the answer and are skipped.
std::vector<NumberMatch> find_numbers(std::string_view text);

// The one number a reference answer states; nullopt when it has none, or
// several that disagree ("3 or 4").
std::optional<NumberMatch> parse_reference_number(std::string_view text);

}  // namespace ipw::scoring
