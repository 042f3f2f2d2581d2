#include "ipw/telemetry/remote_clock.h"

#include <algorithm>
#include <stdexcept>

#include "ipw/common/clock.h"

namespace ipw::telemetry {
namespace {

nlohmann::json estimate_json(const OffsetEstimate& e) {
  return {{"offset_s", ns_to_s(e.offset_ns)},
          {"uncertainty_s", ns_to_s(e.uncertainty_ns)},
          {"rtt_s", ns_to_s(e.rtt_ns)}};
}

}  // namespace

OffsetEstimate estimate_offset(const SyncExchange& x) {
  if (x.t4_local_ns < x.t1_local_ns || x.t3_remote_ns < x.t2_remote_ns) {
    throw std::invalid_argument("clock sync: exchange timestamps out of order");
  }
  OffsetEstimate e;
  // Halve each difference before adding so that clocks far apart (different
  // epochs) cannot overflow 64 bits.
  e.offset_ns = (x.t2_remote_ns - x.t1_local_ns) / 2 + (x.t3_remote_ns - x.t4_local_ns) / 2;
  // The monitor's own processing time is not network delay; a monitor that
  // claims more processing time than the whole exchange took is clamped to 0.
  e.rtt_ns = std::max<std::int64_t>(0, (x.t4_local_ns - x.t1_local_ns) - (x.t3_remote_ns - x.t2_remote_ns));
  e.uncertainty_ns = e.rtt_ns / 2;
  e.t_local_ns = x.t1_local_ns + (x.t4_local_ns - x.t1_local_ns) / 2;
  return e;
}

std::optional<OffsetEstimate> best_estimate(const std::vector<SyncExchange>& xs) {
  std::optional<OffsetEstimate> best;
  for (const SyncExchange& x : xs) {
    const OffsetEstimate e = estimate_offset(x);
    if (!best || e.rtt_ns < best->rtt_ns) best = e;
  }
  return best;
}

bool ClockMap::add_burst(const std::string& phase, const std::vector<SyncExchange>& xs) {
  const auto best = best_estimate(xs);
  if (!best) return false;
  for (const SyncExchange& x : xs) {
    recent_.push_back(estimate_offset(x));
    if (recent_.size() > window_) recent_.pop_front();
  }
  current_ = *std::min_element(recent_.begin(), recent_.end(),
                               [](const OffsetEstimate& a, const OffsetEstimate& b) {
                                 // Ties go to the newer exchange (it tracks drift).
                                 return a.rtt_ns < b.rtt_ns ||
                                        (a.rtt_ns == b.rtt_ns && a.t_local_ns > b.t_local_ns);
                               });
  bursts_.push_back({phase, static_cast<int>(xs.size()), *best});
  ++bursts_total_;
  // A long run syncs every few seconds: keep the first bursts and the latest
  // ones, so the manifest stays small and still shows the start and the end.
  if (bursts_.size() > kMaxKeptBursts) bursts_.erase(bursts_.begin() + kKeptFirstBursts);
  return true;
}

const OffsetEstimate& ClockMap::current() const {
  if (!current_) throw std::logic_error("ClockMap: no clock sync yet");
  return *current_;
}

nlohmann::json ClockMap::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (current_) j = estimate_json(*current_);
  if (bursts_.size() >= 2) {
    j["drift_s"] = ns_to_s(bursts_.back().best.offset_ns - bursts_.front().best.offset_ns);
  }
  nlohmann::json list = nlohmann::json::array();
  for (const SyncBurst& b : bursts_) {
    nlohmann::json e = estimate_json(b.best);
    e["phase"] = b.phase;
    e["exchanges"] = b.exchanges;
    list.push_back(e);
  }
  j["bursts"] = list;
  j["bursts_total"] = bursts_total_;
  return j;
}

}  // namespace ipw::telemetry
