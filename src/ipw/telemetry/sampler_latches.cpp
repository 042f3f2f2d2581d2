// Sampler::sample_latches: polling coarse counters around a query's edges.
// A coarse counter (NVML: a new value every ~10 ms) read once at an edge is up
// to a whole update period stale; knowing the instant of the latches nearest the
// edge lets LatchedCounter place the counter exactly (docs/telemetry.md).
#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "ipw/telemetry/latched_counter.h"
#include "ipw/telemetry/sampler.h"

namespace ipw::telemetry {
namespace {

// Polling is worth its wait only for counters that update at least this often:
// a slower source would hold every query back for several of its periods.
constexpr std::int64_t kMaxPolledPeriodNs = 50'000'000;
// Periods of extra polling for a counter that moved without a precisely bracketed
// change (polls delayed by a loaded machine).
constexpr std::int64_t kExtraPeriods = 2;

}  // namespace

bool Sampler::polls_latches(const Slot& s) const {
  if (!s.latched || s.update_period_ns < kLatchedMinPeriodNs || s.update_period_ns > kMaxPolledPeriodNs) {
    return false;
  }
  for (int d = s.first_domain; d < s.first_domain + s.domain_count; ++d) {
    if (domains_[static_cast<std::size_t>(d)].source == EnergySource::counter) return true;
  }
  return false;
}

void Sampler::sample_latches(int latches) {
  struct Poll {
    std::size_t slot = 0;
    ReadStamp prev_stamp;
    std::vector<Reading> prev;      // the previous poll's readings
    std::vector<int> changes;       // per domain of the slot: changes bracketed precisely
    bool prev_stored = true;
    bool done = false;
  };
  std::vector<Poll> polls;
  std::int64_t step_ns = 0, budget_ns = 0, extra_ns = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!polls_latches(slots_[i])) continue;
    Poll p;
    p.slot = i;
    polls.push_back(std::move(p));
    const std::int64_t period = slots_[i].update_period_ns;
    const std::int64_t step = latch_poll_step_ns(period);
    step_ns = step_ns == 0 ? step : std::min(step_ns, step);
    budget_ns = std::max(budget_ns, (latches + 1) * period);
    extra_ns = std::max(extra_ns, kExtraPeriods * period);
  }
  if (polls.empty() || latches <= 0) {
    read_all();
    return;
  }

  const auto is_counter = [this](const Slot& s, int d) {
    return domains_[static_cast<std::size_t>(s.first_domain + d)].source == EnergySource::counter;
  };
  const auto begin = std::chrono::steady_clock::now();
  const auto deadline = begin + std::chrono::nanoseconds(budget_ns);
  const auto extended = deadline + std::chrono::nanoseconds(extra_ns);
  bool moved = false;
  for (bool first = true;; first = false) {
    bool all_done = true;
    {
      MutexLock r(read_mu_);
      for (Poll& p : polls) {
        if (p.done) continue;
        ReadStamp stamp;
        if (!fetch_slot(p.slot, stamp)) {
          p.done = true;  // the collector failed; fetch_slot recorded why
          continue;
        }
        Slot& s = slots_[p.slot];
        if (first) {
          store_slot(p.slot, stamp, s.readings);
          p.changes.assign(static_cast<std::size_t>(s.domain_count), 0);
        } else {
          bool changed = false;
          for (int d = 0; d < s.domain_count; ++d) {
            const Reading& was = p.prev[static_cast<std::size_t>(d)];
            const Reading& now = s.readings[static_cast<std::size_t>(d)];
            if (is_counter(s, d) && was.energy_j && now.energy_j && *was.energy_j != *now.energy_j) {
              // Counted only when the two reads pin the latch as LatchedCounter
              // needs it; a poll the scheduler delayed brackets it loosely.
              if (stamp.t_ns + stamp.read_ns - p.prev_stamp.t_ns <= s.update_period_ns / 8) {
                ++p.changes[static_cast<std::size_t>(d)];
              }
              changed = true;
            }
          }
          if (changed) {
            // Only the reads on either side of a change go to the trace. The
            // sampler thread may have stored a newer read meanwhile; then the
            // earlier one cannot be appended, and that read bounds the latch.
            bool older = false;
            {
              MutexLock l(mu_);
              older = p.prev_stamp.t_ns <= last_read_ns_[p.slot];
            }
            if (!p.prev_stored && !older) store_slot(p.slot, p.prev_stamp, p.prev);
            store_slot(p.slot, stamp, s.readings);
          }
          p.prev_stored = changed;
          moved = moved || changed;
          // Done once every counter domain changed precisely often enough (a
          // domain whose counter never moves keeps polling until the deadline).
          p.done = true;
          for (int d = 0; d < s.domain_count; ++d) {
            if (is_counter(s, d) && p.changes[static_cast<std::size_t>(d)] < latches) p.done = false;
          }
        }
        p.prev = s.readings;
        p.prev_stamp = stamp;
        all_done = all_done && p.done;
      }
    }
    // A counter that moves but whose changes the scheduler kept from being pinned
    // gets a few more periods; one that never moves is given up at the deadline.
    const auto now = std::chrono::steady_clock::now();
    if (all_done || now >= extended || (now >= deadline && !moved)) break;
    std::this_thread::sleep_for(std::chrono::nanoseconds(step_ns));
  }

  MutexLock r(read_mu_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!polls_latches(slots_[i])) read_slot(i);
  }
}

}  // namespace ipw::telemetry
