#pragma once
// The Prometheus text exposition (format 0.0.4) of the monitor's state:
// energy per domain as counters (joules), power, temperature and memory as
// gauges, and the monitor's own sampling rate and overhead. Pure: a status in,
// text out, so its exact output is unit-tested; `promtool check metrics` runs
// on it in the e2e test.
#include <optional>
#include <string>

#include "ipw/monitor/sample_hub.h"

namespace ipw::monitor {

struct ProcessFacts {
  std::optional<double> cpu_seconds;  // the daemon's user+system CPU time
  std::string version;                // "0.1.0 (git abc123)"
  // Unix time minus the hub's clock, in ns. When set, each energy counter carries the
  // Unix time of the read it is as of (exposition timestamps, ms): a scrape answered
  // late, or a sampler held up, then cannot put a value at the wrong instant, so
  // rate() is the source's power however loaded the host (docs/monitor.md).
  std::optional<std::int64_t> unix_minus_hub_ns;
};

std::string render_prometheus(const HubStatus& status, const ProcessFacts& process);

// Label value escaping of the exposition format: \ " and newline.
std::string escape_label_value(const std::string& v);

// This process's CPU time (getrusage); empty if unavailable.
std::optional<double> process_cpu_seconds();

}  // namespace ipw::monitor
