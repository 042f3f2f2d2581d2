#pragma once
// The `estimated` source: CPU power modelled from /proc/stat utilisation, for
// machines with no readable sensor (VMs, containers, RAPL without permission).
// One domain, "cpu" (kind cpu, source estimated). Never silently: the source
// label travels with every figure, and describe() records the model used.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/cpu_power_model.h"

namespace ipw::telemetry {

struct EstimatorConfig {
  std::string proc_root = "/proc";  // tests point this at a fake tree
  std::optional<double> tdp_w;      // totals in W; override the family table
  std::optional<double> idle_w;
};

// IPW_PROC_ROOT (default /proc), IPW_CPU_TDP_W, IPW_CPU_IDLE_W.
// Throws ipw::UsageError when an override is not a number.
EstimatorConfig estimator_config_from_env();

class EstimatedCollector final : public Collector {
 public:
  // /proc/stat is utilisation's only source: throws std::runtime_error naming
  // the file when it cannot be read or parsed. cpuinfo is optional (generic model).
  explicit EstimatedCollector(EstimatorConfig config);

  std::string name() const override { return "estimated"; }
  const std::vector<DomainInfo>& domains() const override { return domains_; }
  void start(std::int64_t t0_ns) override;
  // Power = model(utilisation since the previous accepted read). A read that
  // comes before a tick per CPU has elapsed repeats the last estimate, like a
  // sensor read faster than it updates; before any estimate it reports nothing.
  void read(std::int64_t t_ns, std::vector<Reading>& out) override;
  // /proc/stat counts in 10 ms ticks; 50 ms gives a few ticks per CPU.
  std::int64_t update_period_ns() const override { return 50'000'000; }
  nlohmann::json describe() const override;

  const CpuPowerModel& model() const { return model_; }

 private:
  std::optional<CpuTimes> read_stat() const;

  EstimatorConfig config_;
  std::string model_name_;
  CpuPowerModel model_;
  std::vector<DomainInfo> domains_;
  std::optional<CpuTimes> baseline_;
  std::optional<double> last_power_w_;
};

}  // namespace ipw::telemetry
