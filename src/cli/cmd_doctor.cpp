// `ipw doctor`: which energy sources this machine has, whether ipw can read
// them, how fast they update, and how to fix the ones it cannot read.
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/telemetry/doctor.h"

namespace ipw::cli {

Handler setup_doctor(CLI::App& app) {
  struct Flags {
    bool json = false;
    bool quick = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "One line per energy source: found / readable / measured update period / why not and how\n"
      "to fix; then what `--telemetry auto` measures with (the estimator, labelled, when no\n"
      "hardware sensor is readable). Environment: IPW_SYSFS_ROOT, IPW_NVML_LIBRARY (see\n"
      "docs/telemetry.md).\n"
      "Examples:\n  ipw doctor\n  ipw doctor --json | jq '.sources[] | {source, readable, reason}'");
  app.add_flag("--json", f->json, "Print JSON instead of lines");
  app.add_flag("--quick", f->quick,
               "Only probe; do not open readable sources to measure their update period");
  return [f](const std::string&) {
    telemetry::DoctorOptions o;
    o.open_sources = !f->quick;
    const auto report = telemetry::run_doctor(o);
    if (f->json) {
      fmt::print("{}\n", telemetry::to_json(report).dump(2));
    } else {
      for (const auto& line : telemetry::format_doctor(report)) fmt::print("{}\n", line);
    }
    // Exit 0 even on a sensorless machine: the estimator still works, and
    // doctor's job is to report. Only "nothing usable at all" is a failure.
    return report.auto_sources.empty() ? kExitFailure : kExitOk;
  };
}

}  // namespace ipw::cli
