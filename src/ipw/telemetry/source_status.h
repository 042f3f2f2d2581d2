#pragma once
// What `ipw doctor` prints for one energy source: is the hardware there, can we
// read it, and if not, why and how to fix it. Every hardware collector has a
// probe function returning one of these; a probe never throws and never guesses.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ipw::telemetry {

struct SourceStatus {
  std::string source;      // registry name: "rapl", "nvml", "amd", "jetson", "powermetrics"
  bool found = false;      // the hardware/driver/library exists on this machine
  bool readable = false;   // we can read its counters or power right now
  std::string reason;      // when !found or !readable: what exactly failed (path, errno, NVML code)
  std::string how_to_fix;  // a concrete next step for the user; empty when nothing to do
  std::vector<std::string> domains;   // domains it would report ("gpu0", "cpu-package0", …)
  std::int64_t update_period_ns = 0;  // measured update period; 0 = not measured / unknown
};

// "reason (fix: how_to_fix)", for error messages when a requested source is unusable.
inline std::string describe_failure(const SourceStatus& s) {
  std::string out = s.reason.empty() ? (s.found ? "not readable" : "not found") : s.reason;
  if (!s.how_to_fix.empty()) out += " (fix: " + s.how_to_fix + ")";
  return out;
}

inline nlohmann::json to_json(const SourceStatus& s) {
  return {{"source", s.source},
          {"found", s.found},
          {"readable", s.readable},
          {"reason", s.reason},
          {"how_to_fix", s.how_to_fix},
          {"domains", s.domains},
          {"update_period_s", static_cast<double>(s.update_period_ns) * 1e-9}};
}

}  // namespace ipw::telemetry
