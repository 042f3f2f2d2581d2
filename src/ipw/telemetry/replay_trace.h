#pragma once
// A recorded (or synthetic) power or energy trace, for `--telemetry replay:FILE.csv`.
// Format (docs/telemetry.md): header `t_s,power_w` or `t_s,energy_j`, optional
// `device` column giving one series per distinct device. Values are linear
// between rows and held before the first and after the last row. Parsing is
// pure so tests feed strings; every error names file:line.
#include <stdexcept>
#include <string>
#include <vector>

namespace ipw::telemetry {

struct ReplayFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class ReplayQuantity { power_w, energy_j };

struct ReplaySeries {
  std::string device;        // the `device` value, or "" without that column
  std::vector<double> t_s;   // non-decreasing; equal times make a step
  std::vector<double> value; // W or J, per the trace's quantity
};

struct ReplayTrace {
  ReplayQuantity quantity = ReplayQuantity::power_w;
  std::vector<ReplaySeries> series;  // in order of the devices' first appearance
};

// `file_name` only labels errors ("trace.csv:7: …").
ReplayTrace parse_replay_csv(const std::string& text, const std::string& file_name);
// Reads and parses; ReplayFormatError also for an unreadable file.
ReplayTrace load_replay_csv(const std::string& path);

// Linear between rows; the first/last value is held outside the rows.
double replay_value_at(const ReplaySeries& s, double t_s);

}  // namespace ipw::telemetry
