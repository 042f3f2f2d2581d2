// `ipw energy`: live per-domain watts and joules from the --telemetry sources,
// measured by the same sampler and window math as `ipw profile`.
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "ipw/common/usage_error.h"
#include "ipw/telemetry/energy_meter.h"
#include "ipw/telemetry/registry.h"

namespace ipw::cli {
namespace {

struct EnergyFlags {
  double seconds = -1;  // < 0: not given
  bool watch = false;
  bool json = false;
  std::string telemetry = "auto";
  double sample_period_ms = 10;
  double interval_s = 1;
};

std::string num(const std::optional<double>& v, const char* fmt_spec) {
  return v ? fmt::format(fmt::runtime(fmt_spec), *v) : "unknown";
}

void print_live(std::FILE* out, double t_s, const std::vector<telemetry::DomainEnergy>& es) {
  std::string line = fmt::format("[{:7.1f} s]", t_s);
  for (const auto& e : es) {
    line += fmt::format("  {} {} W {} J", e.domain, num(e.latest_power_w, "{:.2f}"),
                        num(e.energy_j, "{:.3f}"));
    if (e.source == "estimated") line += " (estimated)";
  }
  fmt::print(out, "{}\n", line);
  std::fflush(out);
}

void print_table(const std::vector<telemetry::DomainEnergy>& es) {
  fmt::print("{:<14} {:<6} {:<11} {:>12} {:>13} {:>8} {:>8} {:<14} {}\n", "domain", "kind", "source",
             "energy_j", "mean_power_w", "seconds", "samples", "flags", "device");
  for (const auto& e : es) {
    fmt::print("{:<14} {:<6} {:<11} {:>12} {:>13} {:>8.2f} {:>8} {:<14} {}\n", e.domain, e.kind,
               e.source, num(e.energy_j, "{:.3f}"), num(e.mean_power_w, "{:.2f}"), e.seconds,
               e.samples, e.flags.empty() ? "-" : e.flags, e.device);
  }
}

int run_energy(const EnergyFlags& f) {
  if (f.seconds == 0) throw UsageError("--seconds must be > 0");
  // Without --watch a measurement needs an end; with it, Ctrl-C ends it unless --seconds is given.
  const double seconds = f.seconds > 0 ? f.seconds : f.watch ? 0.0 : 5.0;
  const auto& stop = install_stop_handlers();
  auto collectors = telemetry::make_collectors(f.telemetry);
  std::string names;
  bool estimated = false;
  for (const auto& c : collectors) {
    names += (names.empty() ? "" : ", ") + c->name();
    for (const auto& d : c->domains()) estimated |= d.source == telemetry::EnergySource::estimated;
  }
  // Live output goes to stderr under --json, so stdout stays one JSON document.
  std::FILE* live = f.json ? stderr : stdout;
  fmt::print(stderr, "ipw energy: measuring with {} ({}){}\n", names, f.telemetry,
             estimated ? "; no readable hardware sensor, figures are ESTIMATED (see `ipw doctor`)"
                       : "");
  telemetry::EnergyMeter meter(std::move(collectors),
                               static_cast<std::int64_t>(f.sample_period_ms * 1e6));
  meter.start();
  const auto t0 = std::chrono::steady_clock::now();
  auto next_live = t0 + std::chrono::duration<double>(f.interval_s);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed_s = std::chrono::duration<double>(now - t0).count();
    if (seconds > 0 && elapsed_s >= seconds) break;
    if (f.watch && now >= next_live) {
      print_live(live, elapsed_s, meter.so_far());
      next_live += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(f.interval_s));
    }
    auto wake = now + std::chrono::milliseconds(20);
    if (seconds > 0) {
      wake = std::min(wake, t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(seconds)));
    }
    std::this_thread::sleep_until(wake);
  }
  const bool interrupted = stop.load();
  const auto result = meter.finish();
  for (const auto& e : meter.errors()) fmt::print(stderr, "ipw energy: source failed: {}\n", e);
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : result) out.push_back(telemetry::to_json(e));
    fmt::print("{}\n", out.dump(2));
  } else {
    print_table(result);
  }
  // Ctrl-C is how an open-ended --watch ends; elsewhere it cut the measurement short.
  return interrupted && !(f.watch && f.seconds < 0) ? kExitInterrupted : kExitOk;
}

}  // namespace

Handler setup_energy(CLI::App& app) {
  auto f = std::make_shared<EnergyFlags>();
  app.footer(
      "Measures every domain of the --telemetry sources (default: auto) over one window and\n"
      "prints its energy, mean power, source (counter | integrated | estimated) and flags.\n"
      "Examples:\n"
      "  ipw energy                      # 5 s, then a table\n"
      "  ipw energy --watch              # watts and joules every second until Ctrl-C\n"
      "  ipw energy --seconds 1 --json | jq '.[] | {domain, energy_j, source}'");
  app.add_flag("--watch", f->watch, "Print live per-domain watts and joules every --interval");
  app.add_option("--seconds", f->seconds,
                 "Measure for N seconds (default 5; with --watch: until Ctrl-C)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", f->json,
               "At the end, print a JSON array with one object per domain (live lines go to stderr)");
  app.add_option("--telemetry", f->telemetry, "Energy sources: auto, estimated, rapl, nvml, …")
      ->capture_default_str();
  app.add_option("--sample-period-ms", f->sample_period_ms, "Telemetry sampling period")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--interval", f->interval_s, "Seconds between --watch lines")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [f](const std::string&) { return run_energy(*f); };
}

}  // namespace ipw::cli
