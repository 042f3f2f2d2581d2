#pragma once
// Apple Silicon (and Intel Mac) power through `powermetrics -f plist`, run as
// a child process whose plist stream a background thread parses. Each sample
// carries the energy of its interval; summed, they form a cumulative counter
// per domain (cpu, gpu0, ane, soc = CPU+GPU+ANE), exact at sample edges, so
// domains are `counter` sources with the sample interval as update period.
// powermetrics needs root: its refusal (or any other text instead of a plist)
// becomes a clear error with a fix, and a stream that stops yields empty
// readings, never 0 W. On Linux the command does not exist; tests point
// IPW_POWERMETRICS_COMMAND at a script replaying fixture output.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/common/expected.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/powermetrics_parser.h"
#include "ipw/telemetry/powermetrics_plist.h"
#include "ipw/telemetry/powermetrics_process.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"

namespace ipw::telemetry {

struct PowermetricsOptions {
  std::string command;    // empty: IPW_POWERMETRICS_COMMAND, else "powermetrics"
  int interval_ms = 100;  // powermetrics -i (its minimum useful value is ~10 ms)
  std::int64_t first_sample_timeout_ns = 5'000'000'000;
};

// The full command line ipw runs.
std::string powermetrics_command_line(const PowermetricsOptions& opts);

class PowermetricsCollector final : public Collector {
 public:
  ~PowermetricsCollector() override;

  std::string name() const override { return "powermetrics"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  std::int64_t update_period_ns() const override { return period_ns_; }
  nlohmann::json describe() const override;
  std::vector<std::size_t> summable_domains() const override;

  // Samples parsed so far, and the error that stopped the stream (if any).
  std::size_t samples() const;
  std::string stream_error() const;

  friend Expected<std::unique_ptr<PowermetricsCollector>, SourceStatus> make_powermetrics_collector(
      PowermetricsOptions opts);

 private:
  enum Rail { kCpu, kGpu, kAne, kCombined, kRails };
  PowermetricsCollector(ChildProcess child, std::string command);
  void run();                                 // reader thread
  void consume(const PlistStream::Chunk& c);  // under mu_
  // Waits for the first sample; the error explains a failure.
  std::optional<SourceStatus> wait_first_sample(std::int64_t timeout_ns);

  ChildProcess child_;
  std::string command_;
  std::thread reader_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                        // guarded by mu_
  bool ended_ = false;                       // guarded by mu_: stream closed or failed
  std::string error_;                        // guarded by mu_
  std::size_t samples_ = 0;                  // guarded by mu_
  std::optional<PowermetricsSample> first_;  // guarded by mu_
  double energy_j_[kRails] = {0, 0, 0, 0};   // guarded by mu_: cumulative
  std::optional<double> power_w_[kRails];    // guarded by mu_: latest

  // Fixed after the first sample.
  std::vector<Rail> rails_;
  std::vector<DomainInfo> domains_;
  std::int64_t period_ns_ = 0;
};

Expected<std::unique_ptr<PowermetricsCollector>, SourceStatus> make_powermetrics_collector(
    PowermetricsOptions opts = {});

// Starts powermetrics, waits for one sample, stops it. Never throws.
SourceStatus probe_powermetrics(PowermetricsOptions opts = {});

// The registry row: "powermetrics" or "powermetrics:INTERVAL_MS"; in `auto`
// (on Linux its probe answers "macOS only" at once unless
// IPW_POWERMETRICS_COMMAND is set).
CollectorEntry powermetrics_registry_entry();

}  // namespace ipw::telemetry
