#include "ipw/report/arrival_trace.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ipw::report {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    cell.erase(0, cell.find_first_not_of(" \t\"\r"));
    cell.erase(cell.find_last_not_of(" \t\"\r") + 1);
    out.push_back(cell);
  }
  return out;
}

bool parse_double(const std::string& s, double& v) {
  try {
    std::size_t used = 0;
    v = std::stod(s, &used);
    return used == s.size() && std::isfinite(v);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<double> parse_arrival_trace(const std::string& csv_text) {
  std::istringstream in(csv_text);
  std::string line;
  std::size_t column = 0, line_no = 0;
  bool header_checked = false;
  std::vector<double> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto cells = split(line);
    if (!header_checked) {
      header_checked = true;
      double v = 0;
      if (!cells.empty() && !parse_double(cells[0], v)) {  // a header row
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (cells[i] == "arrival_s" || cells[i] == "t_s") {
            column = i;
            break;
          }
        }
        continue;
      }
    }
    double v = 0;
    if (column >= cells.size() || !parse_double(cells[column], v)) {
      throw std::invalid_argument(fmt::format("arrival trace line {}: not a number of seconds", line_no));
    }
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("the arrival trace has no arrivals");
  std::sort(out.begin(), out.end());
  const double t0 = out.front();
  for (double& t : out) t -= t0;
  return out;
}

}  // namespace ipw::report
