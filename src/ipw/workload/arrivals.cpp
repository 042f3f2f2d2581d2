#include "ipw/workload/arrivals.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/number.h"
#include "ipw/common/usage_error.h"

namespace ipw::workload {
namespace {

std::vector<std::string> cells(const std::string& line) {
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

}  // namespace

ArrivalProcess parse_arrival_process(std::string_view spec) {
  if (spec == "poisson") return {ArrivalProcess::Kind::poisson, 1.0};
  if (spec == "constant") return {ArrivalProcess::Kind::constant, 0.0};
  if (spec.substr(0, 6) == "gamma:") {
    const auto cv = parse_finite(std::string(spec.substr(6)));
    if (cv && *cv > 0) return {ArrivalProcess::Kind::gamma, *cv};
  }
  throw UsageError(fmt::format(
      "--arrival '{}': expected poisson, constant or gamma:CV (CV > 0, the gaps' coefficient of variation)", spec));
}

std::string to_string(const ArrivalProcess& p) {
  switch (p.kind) {
    case ArrivalProcess::Kind::poisson: return "poisson";
    case ArrivalProcess::Kind::constant: return "constant";
    case ArrivalProcess::Kind::gamma: return fmt::format("gamma:{}", p.cv);
  }
  return "poisson";
}

std::vector<double> arrival_offsets(const ArrivalProcess& p, double rate_per_s, std::size_t count,
                                    std::uint64_t seed) {
  if (!(rate_per_s > 0)) throw UsageError("arrival rate must be > 0 requests/s");
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> exponential(rate_per_s);
  // Gamma with shape k and scale θ: mean kθ = 1/rate, CV 1/√k.
  const double shape = p.kind == ArrivalProcess::Kind::gamma ? 1.0 / (p.cv * p.cv) : 1.0;
  std::gamma_distribution<double> gamma(shape, 1.0 / (rate_per_s * shape));
  std::vector<double> out;
  out.reserve(count);
  double t = 0;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(t);
    switch (p.kind) {
      case ArrivalProcess::Kind::poisson: t += exponential(rng); break;
      case ArrivalProcess::Kind::gamma: t += gamma(rng); break;
      case ArrivalProcess::Kind::constant: t += 1.0 / rate_per_s; break;
    }
  }
  // The drawn gaps are scaled so their mean is exactly 1/rate: 300 Poisson gaps
  // drawn as they come average within ±10 % of it only most of the time, and a
  // load test at "20 requests/s" should run at 20. Scaling keeps the process's
  // shape (its CV, which a sample of that size still only estimates).
  if (count > 1 && out.back() > 0) {
    const double scale = static_cast<double>(count - 1) / rate_per_s / out.back();
    for (double& x : out) x *= scale;
  }
  return out;
}

std::vector<TraceArrival> parse_arrival_trace_csv(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::size_t line_no = 0;
  std::optional<std::size_t> t_col, in_col, out_col;
  std::vector<TraceArrival> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto row = cells(line);
    if (!t_col) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i] == "t_s") t_col = i;
        if (row[i] == "input_tokens") in_col = i;
        if (row[i] == "output_tokens") out_col = i;
      }
      if (!t_col) {
        throw UsageError(fmt::format(
            "{}:{}: no t_s column in the header (an arrival trace has t_s, seconds from the start, and "
            "optionally input_tokens and output_tokens)", name, line_no));
      }
      continue;
    }
    auto cell = [&](std::size_t col) { return col < row.size() ? row[col] : std::string(); };
    TraceArrival a;
    const auto t = parse_finite(cell(*t_col));
    if (!t || *t < 0) {
      throw UsageError(fmt::format("{}:{}: t_s '{}' is not a non-negative number of seconds", name,
                                              line_no, cell(*t_col)));
    }
    if (!out.empty() && *t < out.back().t_s) {
      throw UsageError(fmt::format("{}:{}: t_s {} is before the previous arrival ({}); a trace's "
                                              "arrivals must be in time order", name, line_no, *t, out.back().t_s));
    }
    a.t_s = *t;
    for (auto [col, field, label] : {std::tuple{in_col, &a.input_tokens, "input_tokens"},
                                     std::tuple{out_col, &a.output_tokens, "output_tokens"}}) {
      if (!col || cell(*col).empty()) continue;
      const auto v = parse_finite(cell(*col));
      if (!v || *v < 0 || *v != std::floor(*v) || *v > 1e9) {
        throw UsageError(fmt::format("{}:{}: {} '{}' is not a whole number of tokens", name, line_no,
                                                label, cell(*col)));
      }
      *field = static_cast<int>(*v);
    }
    out.push_back(a);
  }
  if (!t_col) throw UsageError(fmt::format("{}: empty arrival trace (expected a t_s column)", name));
  if (out.empty()) throw UsageError(fmt::format("{}: the arrival trace has no arrivals", name));
  return out;
}

std::vector<double> parse_arrival_instants(const std::string& csv_text) {
  std::istringstream in(csv_text);
  std::string line;
  std::size_t column = 0, line_no = 0;
  bool header_checked = false;
  std::vector<double> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto row = cells(line);
    if (!header_checked) {
      header_checked = true;
      if (!row.empty() && !parse_finite(row[0])) {  // a header row
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (row[i] == "arrival_s" || row[i] == "t_s") {
            column = i;
            break;
          }
        }
        continue;
      }
    }
    const auto v = column < row.size() ? parse_finite(row[column]) : std::nullopt;
    if (!v) throw UsageError(fmt::format("arrival trace line {}: not a number of seconds", line_no));
    out.push_back(*v);
  }
  if (out.empty()) throw UsageError("the arrival trace has no arrivals");
  std::sort(out.begin(), out.end());
  const double t0 = out.front();
  for (double& t : out) t -= t0;
  return out;
}

std::vector<TraceArrival> read_arrival_trace(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(fmt::format("--arrival-trace {}: cannot read the file", path));
  std::ostringstream text;
  text << f.rdbuf();
  return parse_arrival_trace_csv(text.str(), path);
}

}  // namespace ipw::workload
