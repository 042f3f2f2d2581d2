#include "ipw/telemetry/powermetrics_parser.h"

#include <cmath>

namespace ipw::telemetry {
namespace {

std::optional<double> number(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// power in mW and energy in mJ (Apple Silicon keys).
PowermetricsRail rail(const nlohmann::json& obj, const char* power_key, const char* energy_key,
                      double elapsed_s) {
  PowermetricsRail r;
  if (const auto mw = number(obj, power_key)) r.power_w = *mw * 1e-3;
  if (const auto mj = number(obj, energy_key))
    r.energy_j = *mj * 1e-3;
  else if (r.power_w && elapsed_s > 0.0)
    r.energy_j = *r.power_w * elapsed_s;
  return r;
}

}  // namespace

Expected<PowermetricsSample, std::string> powermetrics_sample(const nlohmann::json& plist) {
  if (!plist.is_object()) return unexpected(std::string("powermetrics sample is not a dictionary"));
  PowermetricsSample s;
  // Bounded before the conversion: a double beyond int64's range converts to nothing
  // defined (the fuzzer's find); no sampling interval is anywhere near 10^18 ns.
  if (const auto e = number(plist, "elapsed_ns"); e && std::isfinite(*e) && *e > 0 && *e < 1e18)
    s.elapsed_ns = static_cast<std::int64_t>(*e);
  else
    return unexpected(std::string("powermetrics sample has no usable elapsed_ns"));
  if (const auto it = plist.find("hw_model"); it != plist.end() && it->is_string())
    s.hw_model = *it;
  const double elapsed_s = static_cast<double>(s.elapsed_ns) * 1e-9;
  const auto proc_it = plist.find("processor");
  if (proc_it == plist.end() || !proc_it->is_object())
    return unexpected(std::string(
        "powermetrics sample has no 'processor' section (start it with --samplers cpu_power)"));
  const nlohmann::json& proc = *proc_it;

  s.cpu = rail(proc, "cpu_power", "cpu_energy", elapsed_s);
  s.ane = rail(proc, "ane_power", "ane_energy", elapsed_s);
  s.combined = rail(proc, "combined_power", "combined_energy", elapsed_s);
  s.gpu = rail(proc, "gpu_power", "gpu_energy", elapsed_s);
  // Newer macOS versions move the GPU figures into their own "gpu" section.
  if (!s.gpu.power_w) {
    if (const auto g = plist.find("gpu"); g != plist.end())
      s.gpu = rail(*g, "gpu_power", "gpu_energy", elapsed_s);
  }
  // Intel Macs: package energy in joules, power in watts.
  if (!s.cpu.power_w) {
    if (const auto j = number(proc, "package_joules")) {
      s.cpu.energy_j = *j;
      s.cpu.power_w = *j / elapsed_s;
    } else if (const auto w = number(proc, "package_watts")) {
      s.cpu.power_w = *w;
      s.cpu.energy_j = *w * elapsed_s;
    }
  }
  if (!s.cpu.power_w && !s.gpu.power_w && !s.combined.power_w)
    return unexpected(std::string("powermetrics sample carries no CPU/GPU power figures"));
  return s;
}

PowermetricsError explain_powermetrics_text(const std::string& text) {
  PowermetricsError e;
  e.reason = "powermetrics said: " + text;
  if (text.find("superuser") != std::string::npos || text.find("root") != std::string::npos ||
      text.find("ermission") != std::string::npos) {
    e.how_to_fix =
        "powermetrics needs root: run ipw with sudo, or allow it without a password "
        "(sudoers: `<user> ALL=(root) NOPASSWD: /usr/bin/powermetrics`) and set "
        "IPW_POWERMETRICS_COMMAND='sudo -n powermetrics'";
  } else if (text.find("not found") != std::string::npos) {
    e.how_to_fix = "powermetrics ships with macOS only; on Linux use rapl/nvml/amd/jetson";
  } else {
    e.how_to_fix =
        "run `sudo powermetrics -f plist -n 1 --samplers cpu_power,gpu_power` by hand "
        "to see what fails";
  }
  return e;
}

}  // namespace ipw::telemetry
