#pragma once
// Per-query energy attribution for sequential runs (DESIGN.md §4): a query owns
// [t_send, t_last_byte]; t_first_token splits it into prefill and decode. Energy
// between queries belongs to no query (it is the run's overhead).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ipw/run/query_record.h"
#include "ipw/telemetry/energy_window.h"

namespace ipw::run {

// Energy of one domain over [t0_ns, t1_ns] on the monotonic clock.
using WindowFn = std::function<telemetry::WindowEnergy(int domain, std::int64_t t0_ns, std::int64_t t1_ns)>;

// Fills q's energy fields from the selected domains. t_*_abs are monotonic
// instants; idle_power_w[d] is domain d's idle baseline (W). Without a
// baseline for every selected domain (--idle-seconds 0) the net-of-idle energy
// is unknown, never the gross figure.
// A domain with unknown energy makes the total unknown: a partial sum would
// understate energy and flatter IPJ.
void attribute(const WindowFn& window, const std::vector<int>& selected,
               const std::vector<std::optional<double>>& idle_power_w, std::int64_t t_start_abs,
               std::int64_t t_first_abs, std::int64_t t_end_abs, QueryRecord& q);

}  // namespace ipw::run
