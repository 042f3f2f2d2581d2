#pragma once
// Arrival traces for `ipw route --arrival-trace`: a CSV whose column
// `arrival_s` (or `t_s`, or else the first column) holds arrival instants in
// seconds. Pure: the caller reads the file.
#include <string>
#include <vector>

namespace ipw::report {

// Sorted arrival instants, shifted so the first is 0. Throws std::invalid_argument
// naming the line for a value that is not a finite number.
std::vector<double> parse_arrival_trace(const std::string& csv_text);

}  // namespace ipw::report
