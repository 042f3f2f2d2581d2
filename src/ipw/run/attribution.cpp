#include "ipw/run/attribution.h"

#include <algorithm>

namespace ipw::run {
namespace {

int rank(telemetry::EnergySource s) {
  switch (s) {
    case telemetry::EnergySource::counter: return 0;
    case telemetry::EnergySource::integrated: return 1;
    case telemetry::EnergySource::estimated: return 2;
  }
  return 2;
}

}  // namespace

void attribute(const WindowFn& window, const std::vector<int>& selected,
               const std::vector<std::optional<double>>& idle_power_w, std::int64_t t_start_abs,
               std::int64_t t_first_abs, std::int64_t t_end_abs, QueryRecord& q) {
  const bool split = t_first_abs > t_start_abs && t_first_abs <= t_end_abs;
  double total = 0, prefill = 0, decode = 0, idle_w = 0;
  bool total_known = !selected.empty(), split_known = split, idle_known = true;
  int worst = -1;
  std::optional<double> peak, temp, mem;
  q.domains.clear();
  for (int d : selected) {
    const telemetry::WindowEnergy w = window(d, t_start_abs, t_end_abs);
    DomainEnergy de;
    de.domain_index = d;
    de.energy_j = w.energy_j;
    de.source = telemetry::to_string(w.source);
    de.flags = w.flags;
    de.samples = w.samples;
    if (split) {
      de.prefill_energy_j = window(d, t_start_abs, t_first_abs).energy_j;
      de.decode_energy_j = window(d, t_first_abs, t_end_abs).energy_j;
    }
    q.energy_flags |= w.flags;
    worst = std::max(worst, rank(w.source));
    if (w.energy_j) {
      total += *w.energy_j;
    } else {
      total_known = false;
    }
    if (de.prefill_energy_j && de.decode_energy_j) {
      prefill += *de.prefill_energy_j;
      decode += *de.decode_energy_j;
    } else {
      split_known = false;
    }
    if (w.peak_power_w) peak = peak.value_or(0) + *w.peak_power_w;  // sum of per-domain peaks: an upper bound
    if (w.mean_temperature_c) temp = std::max(temp.value_or(-1e9), *w.mean_temperature_c);
    if (w.max_memory_mb) mem = mem.value_or(0) + *w.max_memory_mb;
    if (static_cast<std::size_t>(d) < idle_power_w.size() && idle_power_w[static_cast<std::size_t>(d)]) {
      idle_w += *idle_power_w[static_cast<std::size_t>(d)];
    } else {
      idle_known = false;
    }
    q.domains.push_back(std::move(de));
  }
  static const char* const kNames[] = {"counter", "integrated", "estimated"};
  q.energy_source = worst < 0 ? "none" : kNames[worst];
  q.peak_power_w = peak;
  q.mean_temperature_c = temp;
  q.max_memory_mb = mem;
  if (total_known) {
    q.energy_j = total;
    if (idle_known) q.net_energy_j = total - idle_w * static_cast<double>(t_end_abs - t_start_abs) * 1e-9;
  }
  if (total_known && split_known) {
    q.prefill_energy_j = prefill;
    q.decode_energy_j = decode;
  }
}

}  // namespace ipw::run
