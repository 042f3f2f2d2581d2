#pragma once
// The reference harness's one-reading-per-tick view (energy.TelemetryReading)
// built from ipw's per-domain batches, so its unmodified client works:
// - which domains: the accelerators (kind "gpu") when there are any, as the
//   reference measures GPUs; otherwise every summable domain (never psys with
//   package, or package with core);
// - power_watts: their summed latest power; energy_joules: their energy since
//   the stream's first reading; temperature: the hottest; GPU memory: summed;
// - every figure that cannot be known is -1, the reference's "unavailable".
// Pure: batches in, readings out.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ipw/monitor/energy_total.h"
#include "ipw/monitor/hub_types.h"

namespace ipw::monitor {

inline constexpr double kUnavailable = -1.0;

struct CompatReading {
  double power_watts = kUnavailable;
  double energy_joules = kUnavailable;
  double temperature_celsius = kUnavailable;
  double gpu_memory_usage_mb = kUnavailable;
  double cpu_memory_usage_mb = kUnavailable;
  std::string platform;
  std::int64_t timestamp_nanos = 0;  // Unix time of the newest batch
};

struct CompatGpu {  // the reference's GpuInfo; empty when there is no GPU
  std::string name, vendor, device_type, backend;
  std::uint64_t device_id = 0;
};

// "nvidia" with an NVML source, "macos" with powermetrics (the reference's
// values), else the source names joined by '+' ("rapl", "estimated", …).
std::string compat_platform(const std::vector<HubDomain>& domains);
CompatGpu compat_gpu(const std::vector<HubDomain>& domains);

class CompatAggregator {
 public:
  explicit CompatAggregator(const std::vector<HubDomain>& domains);

  // True when the batch measured one of the selected domains (something a
  // reading reports; a source's first read may have nothing yet).
  bool add(const HubBatch& b);
  bool has_data() const { return newest_unix_ns_ != 0; }
  CompatReading reading(std::optional<double> cpu_memory_mb) const;
  const std::vector<int>& selected() const { return selected_; }

 private:
  std::vector<HubDomain> domains_;
  std::vector<int> selected_;
  std::vector<EnergyTotal> totals_;
  std::vector<std::optional<double>> temperature_c_, memory_mb_;
  std::string platform_;
  std::int64_t newest_unix_ns_ = 0;
};

// When the reference stream sends a reading. A reading goes out only when the
// hub read something it has not sent (so each read is sent once, timestamps
// strictly increasing), and at least min_spacing_ns of the hub's clock after
// the last one sent, so a hub that reads faster than the reference's period
// (another client asked for a shorter interval) is thinned out, not mirrored.
// The pace follows the source's reads, never a timer: a timer ticking at the
// source's own period drifts against it, and then a tick that finds no new
// read repeats the last and a later tick folds two reads into one.
class CompatPace {
 public:
  explicit CompatPace(std::int64_t min_spacing_ns) : min_spacing_ns_(min_spacing_ns) {}

  void add(std::int64_t batch_t_ns) { newest_ns_ = std::max(newest_ns_, batch_t_ns); }
  bool due() const { return newest_ns_ > sent_ns_ && (!any_sent_ || newest_ns_ - sent_ns_ >= min_spacing_ns_); }
  void sent() {
    sent_ns_ = newest_ns_;
    any_sent_ = true;
  }

 private:
  std::int64_t min_spacing_ns_;
  std::int64_t newest_ns_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t sent_ns_ = std::numeric_limits<std::int64_t>::min();
  bool any_sent_ = false;
};

}  // namespace ipw::monitor
