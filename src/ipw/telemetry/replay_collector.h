#pragma once
// The `replay` source (`--telemetry replay:FILE.csv`): plays a recorded trace in
// real time from the sampler's start, so the whole pipeline (sampler, windows,
// attribution, store) runs on a trace whose exact energy is known. Power traces
// are source `integrated`, energy traces `counter` (a cumulative counter, like RAPL).
#include <cstdint>
#include <string>
#include <vector>

#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/replay_trace.h"

namespace ipw::telemetry {

class ReplayCollector final : public Collector {
 public:
  // One domain per series: named after the `device` value, else "replay".
  ReplayCollector(ReplayTrace trace, std::string path);
  // Loads the CSV; throws ReplayFormatError naming file:line.
  static std::unique_ptr<ReplayCollector> from_file(const std::string& path);

  std::string name() const override { return "replay"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  // t = (t_ns - t0_ns) / 1e9 s into the trace.
  void start(std::int64_t t0_ns) override { t0_ns_ = t0_ns; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  nlohmann::json describe() const override;

 private:
  ReplayTrace trace_;
  std::string path_;
  std::vector<DomainInfo> domains_;
  std::int64_t t0_ns_ = 0;
};

}  // namespace ipw::telemetry
