#include "ipw/telemetry/cpu_power_model.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "ipw/common/usage_error.h"

namespace ipw::telemetry {
namespace {

// Watts per logical CPU (hardware thread). Derived from public TDPs divided by
// thread counts of typical parts, idle from typical package idle power; see
// docs/telemetry.md. First matching row wins, so specific rows come first.
struct FamilyRow {
  const char* family;
  const char* pattern;  // ECMAScript regex, case-insensitive, searched in the model name
  double tdp_w_per_cpu;
  double idle_w_per_cpu;
};
constexpr FamilyRow kFamilies[] = {
    {"AMD EPYC", "EPYC", 2.0, 0.6},                        // e.g. 9654: 360 W / 192 threads
    {"AMD Threadripper", "Threadripper", 3.5, 0.8},        // e.g. 7980X: 350 W / 128
    {"AMD Ryzen mobile", "Ryzen.*[0-9]{4}(U|HS|H|HX)\\b", 1.8, 0.15},  // 7840U: 28 W / 16
    {"AMD Ryzen", "Ryzen", 5.0, 0.5},                      // 7950X: 170 W / 32
    {"Intel Xeon", "Xeon", 3.0, 0.9},                      // 8480+: 350 W / 112
    {"Intel Core mobile", "Core.*(i[3579]-[0-9]{4,5}[UHP]\\b|Ultra)", 1.8, 0.15},
    {"Intel Core", "Core\\(TM\\)|Core i[3579]", 5.0, 0.4},  // 13900K: 125 W PL1 / 32
    {"Intel Atom/Celeron/Pentium", "Atom|Celeron|Pentium", 2.0, 0.3},
};
constexpr FamilyRow kGeneric = {"generic", "", 4.0, 1.0};

std::uint64_t field(const std::vector<std::uint64_t>& v, std::size_t i) {
  return i < v.size() ? v[i] : 0;
}

}  // namespace

CpuTimes parse_proc_stat(const std::string& text) {
  CpuTimes t;
  bool have_total = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu", 0) != 0) continue;
    std::istringstream ls(line);
    std::string label;
    ls >> label;
    if (label == "cpu") {
      std::vector<std::uint64_t> v;
      std::uint64_t x;
      while (ls >> x) v.push_back(x);
      if (v.size() < 4) throw std::runtime_error("malformed aggregate \"cpu\" line: " + line);
      // user nice system idle iowait irq softirq steal guest guest_nice
      t.busy = field(v, 0) + field(v, 1) + field(v, 2) + field(v, 5) + field(v, 6);
      t.total = t.busy + field(v, 3) + field(v, 4);
      have_total = true;
    } else if (label.size() > 3 &&
               std::all_of(label.begin() + 3, label.end(),
                           [](unsigned char c) { return std::isdigit(c) != 0; })) {
      ++t.cpus;
    }
  }
  if (!have_total) throw std::runtime_error("no aggregate \"cpu\" line");
  if (t.cpus == 0) t.cpus = 1;  // very old or trimmed kernels: at least one CPU exists
  return t;
}

std::string parse_cpu_model_name(const std::string& cpuinfo_text) {
  std::istringstream in(cpuinfo_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    auto b = v.find_first_not_of(" \t");
    auto e = v.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  }
  return {};
}

CpuPowerModel cpu_power_model_for(const std::string& model_name, int cpus) {
  const FamilyRow* row = &kGeneric;
  for (const FamilyRow& r : kFamilies) {
    if (std::regex_search(model_name, std::regex(r.pattern, std::regex::icase))) {
      row = &r;
      break;
    }
  }
  const double n = std::max(1, cpus);
  return {row->family, row->tdp_w_per_cpu * n, row->idle_w_per_cpu * n, false};
}

CpuPowerModel with_overrides(CpuPowerModel m, std::optional<double> tdp_w,
                             std::optional<double> idle_w) {
  if (tdp_w) m.tdp_w = *tdp_w;
  if (idle_w) m.idle_w = *idle_w;
  m.overridden = m.overridden || tdp_w || idle_w;
  if (!(m.idle_w >= 0.0 && m.idle_w <= m.tdp_w)) {
    std::ostringstream msg;
    msg << "CPU power model needs 0 <= idle <= TDP, got idle " << m.idle_w << " W, TDP "
        << m.tdp_w << " W (check IPW_CPU_TDP_W / IPW_CPU_IDLE_W)";
    throw UsageError(msg.str());
  }
  return m;
}

std::optional<double> utilisation_between(const CpuTimes& before, const CpuTimes& after) {
  if (after.total < before.total || after.busy < before.busy) return std::nullopt;
  const std::uint64_t d_total = after.total - before.total;
  const auto min_ticks = static_cast<std::uint64_t>(std::max(1, after.cpus));
  if (d_total < min_ticks) return std::nullopt;
  const double u =
      static_cast<double>(after.busy - before.busy) / static_cast<double>(d_total);
  return std::clamp(u, 0.0, 1.0);
}

double estimated_power_w(const CpuPowerModel& m, double utilisation) {
  return m.idle_w + (m.tdp_w - m.idle_w) * std::clamp(utilisation, 0.0, 1.0);
}

}  // namespace ipw::telemetry
