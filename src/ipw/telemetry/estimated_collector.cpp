#include "ipw/telemetry/estimated_collector.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "ipw/common/usage_error.h"

namespace ipw::telemetry {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<double> env_watts(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  while (end != nullptr && (*end == ' ' || *end == '\t')) ++end;
  if (end == v || end == nullptr || *end != '\0' || !(x >= 0.0)) {
    throw UsageError(std::string(name) + "=\"" + v +
                                "\" is not a non-negative number of watts");
  }
  return x;
}

}  // namespace

EstimatorConfig estimator_config_from_env() {
  EstimatorConfig c;
  if (const char* root = std::getenv("IPW_PROC_ROOT"); root != nullptr && *root != '\0') {
    c.proc_root = root;
  }
  c.tdp_w = env_watts("IPW_CPU_TDP_W");
  c.idle_w = env_watts("IPW_CPU_IDLE_W");
  return c;
}

EstimatedCollector::EstimatedCollector(EstimatorConfig config) : config_(std::move(config)) {
  const std::string stat_path = config_.proc_root + "/stat";
  const auto stat = slurp(stat_path);
  if (!stat) throw std::runtime_error(stat_path + ": cannot read (needed for CPU utilisation)");
  CpuTimes times;
  try {
    times = parse_proc_stat(*stat);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(stat_path + ": " + e.what());
  }
  if (const auto info = slurp(config_.proc_root + "/cpuinfo")) {
    model_name_ = parse_cpu_model_name(*info);
  }
  model_ = with_overrides(cpu_power_model_for(model_name_, times.cpus), config_.tdp_w,
                          config_.idle_w);
  baseline_ = times;
  DomainInfo d;
  d.domain = "cpu";
  d.device = model_name_.empty() ? "unknown CPU" : model_name_;
  d.kind = "cpu";
  d.source = EnergySource::estimated;
  domains_.push_back(std::move(d));
}

std::optional<CpuTimes> EstimatedCollector::read_stat() const {
  const auto stat = slurp(config_.proc_root + "/stat");
  if (!stat) return std::nullopt;
  try {
    return parse_proc_stat(*stat);
  } catch (const std::runtime_error&) {
    return std::nullopt;  // a torn or odd read is a failed sample, not a crash
  }
}

void EstimatedCollector::start(std::int64_t /*t0_ns*/) {
  if (auto now = read_stat()) baseline_ = now;
  last_power_w_.reset();
}

void EstimatedCollector::read(std::int64_t /*t_ns*/, std::vector<Reading>& out) {
  out.assign(domains_.size(), Reading{});
  const auto now = read_stat();
  if (!now) return;  // unreadable this time: "not measured", never 0 W
  if (baseline_ && (now->total < baseline_->total || now->busy < baseline_->busy)) {
    baseline_ = now;  // counters went backwards (CPU hot-unplug): re-baseline
  }
  const auto util = baseline_ ? utilisation_between(*baseline_, *now) : std::nullopt;
  if (util) {
    last_power_w_ = estimated_power_w(model_, *util);
    baseline_ = now;
  } else if (!baseline_) {
    baseline_ = now;
  }
  out[0].power_w = last_power_w_;
}

nlohmann::json EstimatedCollector::describe() const {
  return {{"model", "P = idle_w + (tdp_w - idle_w) * utilisation(/proc/stat)"},
          {"cpu_model_name", model_name_},
          {"family", model_.family},
          {"tdp_w", model_.tdp_w},
          {"idle_w", model_.idle_w},
          {"overridden", model_.overridden},
          {"update_period_s", 0.05},
          {"proc_root", config_.proc_root}};
}

}  // namespace ipw::telemetry
