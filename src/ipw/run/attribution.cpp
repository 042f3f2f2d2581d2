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

// Σ over domains, or empty when any is unknown.
std::optional<double> sum_known(const std::vector<std::optional<double>>& v) {
  double total = 0;
  for (const auto& x : v) {
    if (!x) return std::nullopt;
    total += *x;
  }
  return total;
}

}  // namespace

void fill_energy(const WindowFn& window, const std::vector<int>& selected, const QueryShare& share,
                 std::int64_t t_start_abs, std::int64_t t_first_abs, std::int64_t t_end_abs, QueryRecord& q) {
  const bool split = t_first_abs > t_start_abs && t_first_abs <= t_end_abs;
  int worst = -1;
  std::optional<double> peak, temp, mem;
  q.domains.clear();
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const int d = selected[k];
    const telemetry::WindowEnergy w = window(d, t_start_abs, t_end_abs);
    DomainEnergy de;
    de.domain_index = d;
    de.energy_j = share.energy_j.at(k);
    de.source = telemetry::to_string(w.source);
    de.flags = w.flags;
    de.samples = w.samples;
    if (split && de.energy_j) {
      de.prefill_energy_j = share.prefill_j.at(k);
      de.decode_energy_j = share.decode_j.at(k);
    }
    q.energy_flags |= w.flags;
    worst = std::max(worst, rank(w.source));
    if (w.peak_power_w) peak = peak.value_or(0) + *w.peak_power_w;  // sum of per-domain peaks: an upper bound
    if (w.mean_temperature_c) temp = std::max(temp.value_or(-1e9), *w.mean_temperature_c);
    if (w.max_memory_mb) mem = mem.value_or(0) + *w.max_memory_mb;
    q.domains.push_back(std::move(de));
  }
  static const char* const kNames[] = {"counter", "integrated", "estimated"};
  q.energy_source = worst < 0 ? "none" : kNames[worst];
  q.peak_power_w = peak;
  q.mean_temperature_c = temp;
  q.max_memory_mb = mem;
  q.energy_j = selected.empty() ? std::nullopt : sum_known(share.energy_j);
  if (q.energy_j) q.net_energy_j = sum_known(share.net_j);
  if (q.energy_j && split) {
    q.prefill_energy_j = sum_known(share.prefill_j);
    q.decode_energy_j = sum_known(share.decode_j);
    if (q.decode_energy_j) {
      q.reasoning_energy_j = sum_known(share.reasoning_j);
      if (q.reasoning_energy_j) q.answer_energy_j = *q.decode_energy_j - *q.reasoning_energy_j;
    }
  }
}

}  // namespace ipw::run
