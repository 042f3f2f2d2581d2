#include "ipw/telemetry/replay_trace.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

// A cell without surrounding whitespace and quotes.
std::string cell(std::string_view s) {
  std::string out = trim(s);
  if (out.size() >= 2 && out.front() == '"' && out.back() == '"') out = out.substr(1, out.size() - 2);
  return out;
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    out.push_back(cell(line.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

}  // namespace

ReplayTrace parse_replay_csv(const std::string& text, const std::string& file_name) {
  auto fail = [&](int line_no, const std::string& what) -> ReplayFormatError {
    return ReplayFormatError(file_name + ":" + std::to_string(line_no) + ": " + what);
  };
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  int t_col = -1, value_col = -1, device_col = -1;
  std::size_t columns = 0;
  ReplayTrace trace;
  std::map<std::string, std::size_t> series_of;  // device -> index in trace.series

  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    const std::string stripped = cell(line);
    if (stripped.empty() || stripped.front() == '#') continue;
    const auto fields = split_fields(line);

    if (columns == 0) {  // header
      columns = fields.size();
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string& name = fields[i];
        int* slot = nullptr;
        if (name == "t_s") {
          slot = &t_col;
        } else if (name == "power_w" || name == "energy_j") {
          if (value_col >= 0) throw fail(line_no, "give either power_w or energy_j, not both");
          trace.quantity = name == "power_w" ? ReplayQuantity::power_w : ReplayQuantity::energy_j;
          slot = &value_col;
        } else if (name == "device") {
          slot = &device_col;
        } else {
          throw fail(line_no, "unknown column \"" + name +
                                  "\" (expected t_s, power_w or energy_j, optional device)");
        }
        if (*slot >= 0) throw fail(line_no, "duplicate column \"" + name + "\"");
        *slot = static_cast<int>(i);
      }
      if (t_col < 0) throw fail(line_no, "header has no t_s column");
      if (value_col < 0) throw fail(line_no, "header has neither power_w nor energy_j");
      continue;
    }

    if (fields.size() != columns) {
      throw fail(line_no, "expected " + std::to_string(columns) + " fields, found " +
                              std::to_string(fields.size()));
    }
    const auto t = parse_number(fields[static_cast<std::size_t>(t_col)]);
    if (!t) throw fail(line_no, "t_s \"" + fields[static_cast<std::size_t>(t_col)] + "\" is not a number");
    const std::string& raw_value = fields[static_cast<std::size_t>(value_col)];
    const auto v = parse_number(raw_value);
    if (!v) throw fail(line_no, "value \"" + raw_value + "\" is not a number");
    if (trace.quantity == ReplayQuantity::power_w && *v < 0) {
      throw fail(line_no, "negative power " + raw_value);
    }
    std::string device = device_col >= 0 ? fields[static_cast<std::size_t>(device_col)] : "";
    if (device_col >= 0 && device.empty()) throw fail(line_no, "empty device");

    auto [it, inserted] = series_of.try_emplace(device, trace.series.size());
    if (inserted) trace.series.push_back({device, {}, {}});
    ReplaySeries& s = trace.series[it->second];
    if (!s.t_s.empty() && *t < s.t_s.back()) {
      throw fail(line_no, "t_s goes backwards (" + fields[static_cast<std::size_t>(t_col)] +
                              " after " + std::to_string(s.t_s.back()) + ")");
    }
    s.t_s.push_back(*t);
    s.value.push_back(*v);
  }
  if (columns == 0) throw ReplayFormatError(file_name + ": empty trace (no header)");
  if (trace.series.empty()) throw ReplayFormatError(file_name + ": no data rows");
  return trace;
}

ReplayTrace load_replay_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReplayFormatError(path + ": cannot open replay trace");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_replay_csv(ss.str(), path);
}

double replay_value_at(const ReplaySeries& s, double t_s) {
  if (t_s <= s.t_s.front()) return s.value.front();
  if (t_s >= s.t_s.back()) return s.value.back();
  // First row strictly after t; the row before it is at or before t.
  const auto hi = static_cast<std::size_t>(
      std::upper_bound(s.t_s.begin(), s.t_s.end(), t_s) - s.t_s.begin());
  const std::size_t lo = hi - 1;
  const double f = (t_s - s.t_s[lo]) / (s.t_s[hi] - s.t_s[lo]);
  return s.value[lo] + (s.value[hi] - s.value[lo]) * f;
}

}  // namespace ipw::telemetry
