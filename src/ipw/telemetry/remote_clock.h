#pragma once
// Mapping a remote monitor's clock onto ours, NTP-style. One exchange gives
//   t1 (we send) -> t2 (monitor receives) -> t3 (monitor replies) -> t4 (we receive)
//   offset = ((t2 - t1) + (t3 - t4)) / 2     (remote minus local)
//   rtt    = (t4 - t1) - (t3 - t2)
// and the true offset lies within ±rtt/2 of the estimate whatever the path
// asymmetry, so the exchange with the smallest round trip is the most precise.
// Pure: no clock, no I/O; RemoteCollector feeds it exchanges.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::telemetry {

struct SyncExchange {
  std::int64_t t1_local_ns = 0;   // request sent (our clock)
  std::int64_t t2_remote_ns = 0;  // request received (monitor clock)
  std::int64_t t3_remote_ns = 0;  // reply sent (monitor clock)
  std::int64_t t4_local_ns = 0;   // reply received (our clock)
};

struct OffsetEstimate {
  std::int64_t offset_ns = 0;       // remote clock minus local clock
  std::int64_t rtt_ns = 0;          // network round trip (monitor time excluded)
  std::int64_t uncertainty_ns = 0;  // rtt / 2: the bound on the offset's error
  std::int64_t t_local_ns = 0;      // midpoint of the exchange on our clock
};

// Throws std::invalid_argument for an impossible exchange (t4 < t1 or t3 < t2).
OffsetEstimate estimate_offset(const SyncExchange& x);

// The minimum-round-trip estimate of a set of exchanges; empty when none.
std::optional<OffsetEstimate> best_estimate(const std::vector<SyncExchange>& xs);

// One burst of exchanges, kept for the manifest.
struct SyncBurst {
  std::string phase;  // "before" | "during" | "after" | "reconnect"
  int exchanges = 0;  // successful ones
  OffsetEstimate best;
};

// The current remote->local mapping. It uses the minimum-rtt exchange among the
// most recent `window` exchanges, so a congested exchange never wins over a
// clean one while slow drift between the hosts' clocks is still followed.
class ClockMap {
 public:
  explicit ClockMap(std::size_t window = 16) : window_(window == 0 ? 1 : window) {}

  // Records a burst; false (and nothing recorded) when it holds no exchange.
  bool add_burst(const std::string& phase, const std::vector<SyncExchange>& xs);
  bool synced() const { return current_.has_value(); }
  // Throws std::logic_error before the first burst.
  const OffsetEstimate& current() const;
  std::int64_t to_local_ns(std::int64_t t_remote_ns) const { return t_remote_ns - current().offset_ns; }
  // The first kKeptFirstBursts bursts and the latest ones, kMaxKeptBursts at most.
  const std::vector<SyncBurst>& bursts() const { return bursts_; }
  std::size_t bursts_total() const { return bursts_total_; }

  static constexpr std::size_t kKeptFirstBursts = 8;
  static constexpr std::size_t kMaxKeptBursts = 64;

  // {offset_s, uncertainty_s, rtt_s, drift_s (last burst minus first), bursts: [...], bursts_total}.
  nlohmann::json to_json() const;

 private:
  std::size_t window_;
  std::deque<OffsetEstimate> recent_;
  std::optional<OffsetEstimate> current_;
  std::vector<SyncBurst> bursts_;
  std::size_t bursts_total_ = 0;
};

}  // namespace ipw::telemetry
