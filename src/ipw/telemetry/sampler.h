#pragma once
// The sampler: one background thread reading every collector on one monotonic
// clock, keeping every sample for the whole run (no ring buffer that truncates
// long queries), and answering "how much energy did domain d use in [t0, t1]".
// Each collector is read at max(period, its update period): never faster than
// the source changes. All public methods are thread-safe.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/common/clock.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/energy_window.h"
#include "ipw/telemetry/sample.h"
#include "ipw/common/thread_annotations.h"

namespace ipw::telemetry {

class Sampler {
 public:
  // period_ns > 0 (callers use 10 ms). Throws std::invalid_argument on a bad
  // period or two collectors reporting the same domain name.
  Sampler(std::vector<std::unique_ptr<Collector>> collectors, std::int64_t period_ns,
          const Clock& clock = steady_clock());
  ~Sampler();  // stops the thread
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // t0 = clock.now_ns(); every collector's start(t0); a first sample taken
  // synchronously; then the thread. Throws std::logic_error if called twice.
  void start();
  // Stops and joins the thread, then takes a final sample. Idempotent.
  void stop();
  bool running() const;
  // Reads every collector now, from the calling thread (e.g. at a query's
  // edges, so counters are read at the window's exact instants).
  void sample_now();
  // At a query's edge on a coarse counter (latched, update period 2–50 ms: NVML):
  // polls each such collector every latch_poll_step_ns until each of its counter
  // domains has changed `latches` times between reads at most T/8 apart (bounded by
  // latches + 1 update periods, 2 more while a counter moves but the scheduler
  // delays the polls), keeping only the two reads around each change, so the trace
  // knows those latch instants to a poll step; then reads every other collector
  // once. With no coarse counter this is sample_now(). Before a request (latches = 1) it delays
  // the request to just after a latch; after the last byte (latches = 2) it waits
  // for the latches that close the window. docs/telemetry.md has the figures.
  void sample_latches(int latches);

  std::int64_t t0_ns() const;  // 0 before start()
  // Flattened over collectors in order; Sample::domain_index indexes this.
  const std::vector<DomainInfo>& domains() const { return domains_; }
  std::size_t sample_count() const;
  // Copy of samples [from_index, end), in time order (for storage).
  std::vector<Sample> samples(std::size_t from_index) const;
  // Blocks until every working collector has been read at a time >= t_ns (so a
  // window ending at t_ns is bracketed), at most timeout_ns of real time.
  // False on timeout, or when the sampler is not running and no such read exists.
  bool wait_for_sample_after(std::int64_t t_ns, std::int64_t timeout_ns) const;

  // The newest instant every working collector has been read at or after (0 before
  // the first read; the maximum when no collector works): windows ending by then
  // are bracketed. Does not block.
  std::int64_t read_through_ns() const;

  WindowEnergy energy(int domain_index, std::int64_t t0_ns, std::int64_t t1_ns) const;
  // DomainTrace::cumulative_j of the domain: differences of it add up exactly.
  std::optional<double> cumulative_j(int domain_index, std::int64_t t_ns) const;
  bool span_known(int domain_index, std::int64_t t0_ns, std::int64_t t1_ns) const;  // DomainTrace::span_known
  std::optional<double> latest_power_w(int domain_index) const;  // for the live progress bar
  std::int64_t period_ns(int domain_index) const;         // sampling period actually used
  std::int64_t update_period_ns(int domain_index) const;  // the source's own; 0 = unknown
  // Whether the domain may be summed with the other summable ones (Collector::summable_domains).
  bool summable(int domain_index) const;
  // One object per collector for the manifest: name, domains, periods, describe().
  nlohmann::json describe() const;
  // "name: message" for each collector that threw and is no longer read.
  std::vector<std::string> errors() const;

 private:
  struct Slot {  // one collector; fields fixed after construction except `readings`
    std::unique_ptr<Collector> collector;
    int first_domain = 0;
    int domain_count = 0;
    std::int64_t period_ns = 0;
    std::int64_t update_period_ns = 0;
    std::int64_t update_period_uncertainty_ns = 0;
    bool latched = false;           // Collector::latches_counter()
    std::vector<Reading> readings;  // scratch, guarded by read_mu_
  };
  bool polls_latches(const Slot& s) const;  // sample_latches() polls this slot

  void run();
  void read_slot(std::size_t i) IPW_REQUIRES(read_mu_) IPW_EXCLUDES(mu_);
  // When a read happened: it started at t_ns and returned read_ns later.
  struct ReadStamp {
    std::int64_t t_ns = 0;
    std::int64_t read_ns = 0;
  };
  // read_slot in two steps: read into slots_[i].readings, stamped (false when the
  // collector threw: it is marked failed), then append to the traces.
  bool fetch_slot(std::size_t i, ReadStamp& stamp) IPW_REQUIRES(read_mu_) IPW_EXCLUDES(mu_);
  void store_slot(std::size_t i, ReadStamp stamp, const std::vector<Reading>& readings)
      IPW_REQUIRES(read_mu_) IPW_EXCLUDES(mu_);
  void read_all() IPW_EXCLUDES(read_mu_, mu_);
  const Slot& slot_of(int domain_index) const;  // throws std::out_of_range

  const Clock& clock_;
  std::vector<DomainInfo> domains_;  // immutable after construction
  std::vector<int> slot_of_domain_;  // immutable
  std::vector<bool> summable_;       // immutable

  // Serialises collector reads (collectors are not thread-safe) and the
  // stamp-then-append sequence, so samples are appended in time order.
  // Lock order: read_mu_ before mu_.
  mutable Mutex read_mu_;
  std::vector<Slot> slots_;  // Slot::collector and Slot::readings used under read_mu_

  mutable Mutex mu_;  // the data readers query
  mutable std::condition_variable sample_cv_;  // signalled on every read (with mu_)
  std::deque<Sample> samples_ IPW_GUARDED_BY(mu_);
  std::vector<DomainTrace> traces_ IPW_GUARDED_BY(mu_);
  std::vector<std::int64_t> last_read_ns_ IPW_GUARDED_BY(mu_);  // per slot
  std::vector<bool> failed_ IPW_GUARDED_BY(mu_);                // per slot
  std::vector<std::string> errors_ IPW_GUARDED_BY(mu_);
  std::int64_t t0_ns_ IPW_GUARDED_BY(mu_) = 0;
  bool started_ IPW_GUARDED_BY(mu_) = false;
  bool running_ IPW_GUARDED_BY(mu_) = false;

  Mutex ctl_mu_;  // wakes the thread for stop(); never held with the others
  std::condition_variable ctl_cv_;
  bool stop_requested_ IPW_GUARDED_BY(ctl_mu_) = false;
  std::thread thread_;  // touched only by start()/stop()/~Sampler()
};

}  // namespace ipw::telemetry
