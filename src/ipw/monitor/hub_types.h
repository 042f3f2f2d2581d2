#pragma once
// What the monitor's sampling hub hands to its clients: the fixed list of
// domains, and one batch per read of one source.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ipw/telemetry/collector.h"

namespace ipw::monitor {

struct HubDomain {
  telemetry::DomainInfo info;
  std::int64_t update_period_ns = 0;  // the source's own; 0 = unknown
  bool summable = true;
  std::string collector;  // registry name of its source
};

// One read of one source. Domains with nothing measured are absent (never 0).
struct HubBatch {
  std::int64_t t_ns = 0;       // the monitor's clock: steady clock (+ --clock-offset-s test hook)
  std::int64_t t_unix_ns = 0;  // wall clock of the same read (the reference stream's timestamp)
  std::uint64_t sequence = 0;  // hub-wide, consecutive
  std::vector<std::pair<int, telemetry::Reading>> readings;  // domain index -> reading
};

}  // namespace ipw::monitor
