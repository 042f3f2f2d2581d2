#pragma once
// The pure half of the `estimated` source: parse /proc/stat and /proc/cpuinfo
// text, pick a power model for the CPU family, turn utilisation into watts.
//   P = idle_w + (tdp_w - idle_w) * utilisation
// It is a model, not a measurement; every figure it yields is labelled
// `estimated`. The table is per logical CPU so a 2-vCPU cloud VM on a 96-core
// host is not charged the whole package's TDP.
#include <cstdint>
#include <optional>
#include <string>

namespace ipw::telemetry {

// Aggregate CPU time from the "cpu " line of /proc/stat, in USER_HZ ticks.
struct CpuTimes {
  std::uint64_t busy = 0;   // user+nice+system+irq+softirq (guest is inside user)
  std::uint64_t total = 0;  // busy + idle + iowait; steal excluded (not our work, not our power)
  int cpus = 0;             // "cpuN" lines: logical CPUs online
};
// Throws std::runtime_error (message without the path; the caller adds it).
CpuTimes parse_proc_stat(const std::string& text);

// "model name" of the first processor in /proc/cpuinfo; empty when absent (e.g. arm64).
std::string parse_cpu_model_name(const std::string& cpuinfo_text);

struct CpuPowerModel {
  std::string family;  // table row that matched, e.g. "AMD EPYC", or "generic"
  double tdp_w = 0.0;  // for all visible logical CPUs together
  double idle_w = 0.0;
  bool overridden = false;  // IPW_CPU_TDP_W / IPW_CPU_IDLE_W were applied
};

// Table lookup by model name (case-insensitive), scaled by the logical CPU count.
CpuPowerModel cpu_power_model_for(const std::string& model_name, int cpus);

// Apply user overrides (totals in W). Throws ipw::UsageError when the
// result is not 0 <= idle <= tdp.
CpuPowerModel with_overrides(CpuPowerModel m, std::optional<double> tdp_w,
                             std::optional<double> idle_w);

// Utilisation in [0,1] between two snapshots; empty when too little time passed
// to measure (fewer ticks than CPUs, i.e. under one tick per CPU).
std::optional<double> utilisation_between(const CpuTimes& before, const CpuTimes& after);

double estimated_power_w(const CpuPowerModel& m, double utilisation);

}  // namespace ipw::telemetry
