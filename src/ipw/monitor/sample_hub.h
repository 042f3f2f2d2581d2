#pragma once
// The monitor's sampling engine. One thread reads every source at the
// fastest interval a client asked for (never faster than the source updates,
// never faster than min_interval), stamps each read on one clock, keeps the
// running energy totals and latest values for /metrics, and hands every batch
// to each connected client's bounded queue.
//
// Unlike the profiler's Sampler it keeps no history (a daemon runs for
// months), and it samples only while someone is listening: a stream client,
// or a /metrics scrape within the last lease (unless always_sample).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/common/clock.h"
#include "ipw/monitor/client_queue.h"
#include "ipw/monitor/energy_total.h"
#include "ipw/monitor/hub_types.h"
#include "ipw/telemetry/collector.h"
#include "ipw/common/thread_annotations.h"

namespace ipw::monitor {

struct HubOptions {
  std::int64_t default_interval_ns = 10'000'000;  // when no client asks for one
  std::int64_t min_interval_ns = 1'000'000;       // floor on any client's request
  bool always_sample = false;
  std::int64_t lease_ns = 120'000'000'000;  // a scrape keeps sampling on this long
  std::size_t client_buffer = 1024;         // batches per client before it is dropped
  std::int64_t clock_offset_ns = 0;         // test hook: shifts every stamp the monitor reports
};

// A domain's figures for /metrics.
struct DomainStatus {
  HubDomain domain;
  double energy_j = 0;  // since the monitor started sampling it (only while sampling)
  std::optional<std::int64_t> energy_t_ns;  // the read energy_j is as of (the hub's clock)
  bool has_energy = false;  // the source gives energy or power at all
  std::uint64_t counter_resets = 0;
  std::optional<double> power_w, temperature_c, memory_mb;
};

struct HubStatus {
  std::vector<DomainStatus> domains;
  std::uint64_t reads = 0;          // source reads since start
  double read_seconds = 0;          // wall time spent inside source reads (the overhead)
  std::optional<double> read_rate_hz;  // reads per second over the recent past
  double interval_s = 0;            // the interval sampling runs at now
  bool sampling = false;
  int clients = 0;
  std::uint64_t clients_dropped = 0;
};

class SampleHub {
 public:
  static constexpr const char* kThreadName = "ipw-hub";  // the sampling thread's name (<= 15 chars)
  // Throws std::invalid_argument for no collectors or a domain reported twice.
  SampleHub(std::vector<std::unique_ptr<telemetry::Collector>> collectors, HubOptions options,
            const Clock& clock = steady_clock());
  ~SampleHub();  // shutdown()
  SampleHub(const SampleHub&) = delete;
  SampleHub& operator=(const SampleHub&) = delete;

  void start();     // the sampling thread (idle until someone listens)
  void shutdown();  // stops the thread and closes every client queue; idempotent

  const std::vector<HubDomain>& domains() const { return domains_; }
  const HubOptions& options() const { return options_; }
  // The clock every batch is stamped with (steady + the test offset).
  std::int64_t now_ns() const { return clock_.now_ns() + options_.clock_offset_ns; }

  // A new client; interval_ns 0 = no preference. Sampling starts if idle.
  std::shared_ptr<ClientQueue> subscribe(const std::string& peer, std::int64_t interval_ns);
  void unsubscribe(const std::shared_ptr<ClientQueue>& q);
  // Called when a full queue drops its client (from the sampling thread): the
  // RPC layer cancels the client's call so its handler returns.
  void set_drop_callback(std::function<void(const std::shared_ptr<ClientQueue>&)> cb);
  int clients() const;
  // The interval sampling runs at: the fastest client request, else the default.
  std::int64_t current_interval_ns() const;

  // A /metrics scrape: keep sampling for options().lease_ns. Returns once at
  // least one read has happened, or after `wait` (so a first scrape has values).
  void keep_alive(std::chrono::milliseconds wait);

  HubStatus status() const;
  nlohmann::json describe_collectors() const;  // each source's describe(), for Describe

 private:
  struct Slot {
    std::unique_ptr<telemetry::Collector> collector;
    int first_domain = 0;
    std::int64_t update_period_ns = 0;
    std::vector<telemetry::Reading> scratch;
  };

  void run();
  bool active() const IPW_REQUIRES(mu_);
  std::int64_t interval_ns() const IPW_REQUIRES(mu_);
  void read_slot(std::size_t i) IPW_EXCLUDES(mu_);

  const HubOptions options_;
  const Clock& clock_;
  std::vector<HubDomain> domains_;  // immutable after construction

  mutable Mutex read_mu_;  // collectors are not thread-safe
  std::vector<Slot> slots_;           // collectors used under read_mu_

  mutable Mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<ClientQueue>> clients_ IPW_GUARDED_BY(mu_);
  std::function<void(const std::shared_ptr<ClientQueue>&)> on_drop_ IPW_GUARDED_BY(mu_);
  std::vector<EnergyTotal> totals_ IPW_GUARDED_BY(mu_);
  std::vector<telemetry::Reading> latest_ IPW_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point lease_until_ IPW_GUARDED_BY(mu_){};
  int first_read_waiters_ IPW_GUARDED_BY(mu_) = 0;  // keep_alive calls waiting for the first read
  std::deque<std::int64_t> recent_reads_ns_ IPW_GUARDED_BY(mu_);  // for the read rate
  std::uint64_t sequence_ IPW_GUARDED_BY(mu_) = 0;
  std::uint64_t reads_ IPW_GUARDED_BY(mu_) = 0;
  std::int64_t read_ns_total_ IPW_GUARDED_BY(mu_) = 0;
  std::uint64_t dropped_ IPW_GUARDED_BY(mu_) = 0;
  bool sampling_ IPW_GUARDED_BY(mu_) = false;
  bool stop_ IPW_GUARDED_BY(mu_) = false;
  bool collectors_started_ = false;  // sampling thread only
  std::thread thread_;
};

}  // namespace ipw::monitor
