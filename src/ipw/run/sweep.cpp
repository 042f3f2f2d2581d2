#include "ipw/run/sweep.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/number.h"
#include "ipw/common/usage_error.h"

namespace ipw::run {

Sweep parse_sweep(const std::string& spec) {
  const auto bad = [&](const std::string& why) {
    return UsageError(fmt::format(
        "--sweep '{}': {} (expected concurrency=N,N,… with whole numbers >= 1, or rate=R,R,… with rates > 0 "
        "requests/s, e.g. --sweep concurrency=1,2,4,8)",
        spec, why));
  };
  const auto eq = spec.find('=');
  if (eq == std::string::npos) throw bad("no '='");
  Sweep s;
  s.key = spec.substr(0, eq);
  if (s.key != "concurrency" && s.key != "rate") throw bad(fmt::format("unknown key '{}'", s.key));
  std::istringstream in(spec.substr(eq + 1));
  std::string cell;
  while (std::getline(in, cell, ',')) {
    const auto v = parse_finite(cell);
    if (!v) throw bad(fmt::format("'{}' is not a number", cell));
    if (s.key == "concurrency" && (*v < 1 || *v != std::floor(*v))) {
      throw bad(fmt::format("concurrency {} is not a whole number >= 1", cell));
    }
    if (s.key == "rate" && *v <= 0) throw bad(fmt::format("rate {} is not > 0", cell));
    s.values.push_back(*v);
  }
  if (s.values.empty()) throw bad("no values");
  return s;
}

std::vector<ProfileConfig> stage_configs(const ProfileConfig& cfg) {
  if (cfg.sweep.empty()) return {cfg};
  const Sweep s = parse_sweep(cfg.sweep);
  if (s.key == "concurrency" && (cfg.rate > 0 || !cfg.arrival_trace.empty())) {
    throw UsageError("--sweep concurrency=… runs closed loops; drop --rate/--arrival-trace "
                                "(or sweep the open loop with --sweep rate=…)");
  }
  if (s.key == "concurrency" && cfg.concurrency != 1) {
    throw UsageError("--sweep concurrency=… sets each stage's --concurrency; give one of them");
  }
  if (s.key == "rate" && (cfg.rate > 0 || !cfg.arrival_trace.empty())) {
    throw UsageError("--sweep rate=… sets each stage's --rate; drop --rate/--arrival-trace");
  }
  std::vector<ProfileConfig> out;
  for (double v : s.values) {
    ProfileConfig c = cfg;
    c.sweep.clear();
    if (s.key == "concurrency") {
      c.concurrency = static_cast<int>(v);
    } else {
      c.rate = v;
    }
    out.push_back(std::move(c));
  }
  return out;
}

int engine_slots(const ProfileConfig& cfg) {
  int slots = 1;
  for (const ProfileConfig& c : stage_configs(cfg)) {
    const bool open = c.rate > 0 || !c.arrival_trace.empty();
    slots = std::max(slots, !open                 ? c.concurrency
                            : c.max_concurrency > 0 ? c.max_concurrency
                                                    : std::max(4, static_cast<int>(c.rate * 4)));
  }
  return slots;
}

}  // namespace ipw::run
