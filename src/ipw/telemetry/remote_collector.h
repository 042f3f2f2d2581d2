#pragma once
// The `remote` source (`--telemetry remote:HOST:PORT`): samples streamed from
// `ipw monitor` on another host, mapped onto the local monotonic clock so that
// attribution works exactly as for local sensors.
//
// - Clock: NTP-style bursts before the run (constructor), every few seconds
//   during it, after each reconnect and after it (stop()); the minimum-rtt
//   estimate maps monitor stamps to local time. Offset, uncertainty and every
//   burst go into describe(), hence the run manifest.
// - read(t) returns each domain's value AT t, interpolated between the two
//   remote samples that bracket t (waiting briefly for the later one to
//   arrive), wrap-aware for counters. It never extrapolates and never invents
//   a zero: when t is not bracketed the domain reports nothing, so the local
//   trace shows a gap and the affected queries carry the `gap` flag.
// - Losing the monitor: reads report nothing at once, a thread reconnects with
//   backoff (re-syncing the clock first); hardware counters keep counting on
//   the monitor, so energy across the outage is still right, just flagged.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/remote_clock.h"
#include "ipw/telemetry/remote_transport.h"
#include "ipw/common/thread_annotations.h"

namespace ipw::telemetry {

struct RemoteOptions {
  std::string endpoint;  // HOST:PORT
  std::string token;     // bearer token ("" = none); from IPW_MONITOR_TOKEN, never the command line
  std::int64_t interval_ns = 10'000'000;   // asked of the monitor
  int before_exchanges = 8;                // clock-sync burst sizes
  int during_exchanges = 4;
  std::int64_t sync_every_ns = 5'000'000'000;
  std::int64_t reconnect_min_ns = 100'000'000;  // backoff doubles up to the max
  std::int64_t reconnect_max_ns = 500'000'000;
  // How long past one sampling period read() waits for the sample that brackets t.
  std::int64_t read_slack_ns = 100'000'000;
  std::int64_t keep_ns = 30'000'000'000;  // remote samples kept for interpolation
  // Name each domain "HOST:PORT/name": set when a run reads several monitors, whose
  // domains would otherwise clash (two hosts' gpu0).
  bool qualify_domains = false;
};

// "HOST:PORT" or "HOST:PORT?interval_ms=N" (IPv6 as "[::1]:PORT"); the token
// comes from the environment variable IPW_MONITOR_TOKEN. Throws ipw::UsageError.
RemoteOptions remote_options_from_spec(const std::string& arg);

class RemoteCollector final : public Collector {
 public:
  // Describes the monitor and takes the "before" clock-sync burst; throws
  // std::runtime_error naming the endpoint when the monitor cannot be reached.
  RemoteCollector(std::unique_ptr<RemoteTransport> transport, RemoteOptions options,
                  const Clock& clock = steady_clock());
  ~RemoteCollector() override;
  RemoteCollector(const RemoteCollector&) = delete;
  RemoteCollector& operator=(const RemoteCollector&) = delete;

  std::string name() const override { return "remote"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void start(std::int64_t t0_ns) override;  // opens the stream and the sync thread
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  void stop() override;  // ends the stream, takes the "after" burst; idempotent
  // Twice the monitor's effective period for the slowest domain (see the .cpp).
  std::int64_t update_period_ns() const override { return period_ns_; }
  nlohmann::json describe() const override;
  std::vector<std::size_t> summable_domains() const override { return summable_; }

  // Diagnostics (tests, logs).
  bool streaming() const;
  int reconnects() const;
  OffsetEstimate offset() const;

 private:
  struct Point {
    std::int64_t t_local_ns;
    Reading reading;
    std::uint64_t segment;  // connection number: never interpolate across an outage
  };
  struct Outage {
    std::int64_t from_ns, to_ns;  // local clock; to_ns = 0 while it lasts
    std::string reason;
  };

  bool sync_burst(const std::string& phase, int exchanges) IPW_EXCLUDES(mu_);
  void stream_loop();
  void sync_loop();
  void on_batch(RemoteBatch&& b) IPW_EXCLUDES(mu_);
  bool bracketed(std::int64_t t_ns) const IPW_REQUIRES(mu_);
  std::optional<Reading> value_at(std::size_t d, std::int64_t t_ns) const IPW_REQUIRES(mu_);
  bool wait_stop(std::int64_t ns) IPW_EXCLUDES(mu_);  // true when stopping

  std::unique_ptr<RemoteTransport> transport_;
  const RemoteOptions options_;
  const Clock& clock_;
  RemoteDescription remote_;
  std::vector<DomainInfo> domains_;
  std::vector<std::size_t> summable_;
  std::int64_t period_ns_ = 0;

  mutable Mutex mu_;
  mutable std::condition_variable cv_;  // new samples, state changes, stop
  ClockMap clock_map_ IPW_GUARDED_BY(mu_);
  std::vector<std::deque<Point>> series_ IPW_GUARDED_BY(mu_);  // per domain, time order
  std::uint64_t segment_ IPW_GUARDED_BY(mu_) = 0;
  bool streaming_ IPW_GUARDED_BY(mu_) = false;  // samples arriving on the current segment
  bool stopping_ IPW_GUARDED_BY(mu_) = false;
  std::int64_t t0_ns_ IPW_GUARDED_BY(mu_) = 0;
  std::vector<Outage> outages_ IPW_GUARDED_BY(mu_);
  std::uint64_t batches_ IPW_GUARDED_BY(mu_) = 0;
  std::uint64_t misses_ IPW_GUARDED_BY(mu_) = 0;  // reads whose t no sample bracketed in time
  std::uint64_t sequence_gaps_ IPW_GUARDED_BY(mu_) = 0;  // batches the monitor skipped
  std::uint64_t last_sequence_ IPW_GUARDED_BY(mu_) = 0;
  int reconnects_ IPW_GUARDED_BY(mu_) = 0;
  std::int64_t stream_interval_ns_ IPW_GUARDED_BY(mu_) = 0;

  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::thread stream_thread_, sync_thread_;
};

// The registry's factory: options from the spec, transport from the installed
// factory. Throws std::runtime_error when this binary has no transport.
std::unique_ptr<Collector> make_remote_collector(const std::string& arg, bool qualify_domains = false);

}  // namespace ipw::telemetry
