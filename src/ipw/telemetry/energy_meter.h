#pragma once
// `ipw energy`: measure every domain of a --telemetry spec over one window, with
// the same sampler and attribution math a profile run uses, so what it prints
// is what a run would record. The window [t_a, t_b] starts only once every
// domain has a sample (the estimator reports nothing on its first read), and
// both edges are bracketed by samples: a read right after t_a, the sampler's
// final read after t_b.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/common/clock.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/sampler.h"

namespace ipw::telemetry {

struct DomainEnergy {
  std::string domain, device, kind;
  std::string source;               // counter | integrated | estimated (of this figure)
  std::optional<double> energy_j;   // empty: cannot be known (never 0 by default)
  std::optional<double> mean_power_w;
  std::optional<double> latest_power_w;  // the newest sample's power (live display)
  double seconds = 0;
  std::string flags;  // flags_to_string: "short_window,gap", "" when none
  int samples = 0;
  std::int64_t sample_period_ns = 0, update_period_ns = 0;
  bool summable = false;
};

// {"domain","device","source","energy_j","mean_power_w","seconds","flags",...};
// energy_j/mean_power_w are null when unknown; flags is an array of names.
nlohmann::json to_json(const DomainEnergy& e);

class EnergyMeter {
 public:
  EnergyMeter(std::vector<std::unique_ptr<Collector>> collectors, std::int64_t period_ns,
              const Clock& clock = steady_clock());
  // Starts sampling and waits (real time, at most warmup_timeout_ns) until every
  // domain has a sample; then opens the window. A domain that never reports is
  // measured anyway and comes out with unknown energy.
  void start(std::int64_t warmup_timeout_ns = 2'000'000'000);
  // Energy of every domain from the window's start to now (for --watch).
  std::vector<DomainEnergy> so_far();
  // Closes the window now, stops sampling, returns the final figures. Once.
  std::vector<DomainEnergy> finish();

  const Sampler& sampler() const { return sampler_; }
  // Collectors that failed mid-run ("name: message"), from the sampler.
  std::vector<std::string> errors() const { return sampler_.errors(); }

 private:
  std::vector<DomainEnergy> measure(std::int64_t t_b_ns) const;

  const Clock& clock_;
  Sampler sampler_;
  std::int64_t t_a_ns_ = 0;
  bool finished_ = false;
};

}  // namespace ipw::telemetry
