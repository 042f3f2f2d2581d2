#pragma once
// A query's stored energy figures (docs/attribution.md): the energies are its
// shares of the spans it was in flight in (run/energy_shares.h: alone, the whole
// window [t_send, t_last_byte], split at the first token into prefill and decode);
// their provenance — source, flags, sample count, peak power, temperature,
// memory — is that of each domain's own window. Energy between queries belongs to
// no query (it is the stage's unattributed energy).
#include <cstdint>
#include <functional>
#include <vector>

#include "ipw/run/energy_shares.h"
#include "ipw/run/query_record.h"
#include "ipw/telemetry/energy_window.h"

namespace ipw::run {

// Energy of one domain over [t0_ns, t1_ns] on the monotonic clock.
using WindowFn = std::function<telemetry::WindowEnergy(int domain, std::int64_t t0_ns, std::int64_t t1_ns)>;

// Fills q's energy fields. share holds one entry per selected domain (in the order
// of `selected`, the indices of the domains). A domain with unknown energy makes
// the total unknown: a partial sum would understate energy and flatter IPJ. The
// prefill/decode split is set only when a first token arrived inside the window;
// net of idle only when every domain has it.
void fill_energy(const WindowFn& window, const std::vector<int>& selected, const QueryShare& share,
                 std::int64_t t_start_abs, std::int64_t t_first_abs, std::int64_t t_end_abs, QueryRecord& q);

}  // namespace ipw::run
