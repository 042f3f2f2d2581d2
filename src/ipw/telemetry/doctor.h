#pragma once
// `ipw doctor`: one line per energy source — found, readable, measured update
// period, and when it cannot be used, why and how to fix it — then what
// `--telemetry auto` will measure with. It tells the truth by doing what a run
// does: every readable source is opened through its registry row (which also
// measures its update period), and `auto`'s choice follows the same rule as
// make_collectors("auto"): every readable hardware source, else the estimator.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/source_status.h"

namespace ipw::telemetry {

struct DoctorSource {
  SourceStatus status;        // the probe's verdict, completed by opening the source
  bool in_auto = false;       // a hardware source that `auto` takes when readable
  bool used_by_auto = false;  // `auto` measures with it on this machine
  std::string summary;        // the registry's one-line description
  nlohmann::json details;     // the opened collector's describe() (model, files, devices); {} if not opened
};

struct DoctorReport {
  std::vector<DoctorSource> sources;      // registry order; sources without a probe are left out
  std::vector<std::string> auto_sources;  // what `auto` takes, in order; empty: auto fails
  bool estimator_used = false;            // no readable hardware source: auto falls back to `estimated`
  std::string sysfs_root;                 // where sysfs sources looked (IPW_SYSFS_ROOT)
  std::string nvml_library;               // what NVML tried to load (IPW_NVML_LIBRARY)
};

struct DoctorOptions {
  // Open every readable source to measure its real update period (up to 2.5 s
  // per source). Off: the probes' answers only, update periods unknown.
  bool open_sources = true;
};

// Probes every entry that has a probe. Never throws for a source's failure:
// that is what the report is for.
DoctorReport run_doctor(const std::vector<CollectorEntry>& entries, const DoctorOptions& opts = {});
DoctorReport run_doctor(const DoctorOptions& opts = {});  // over collector_registry()

// One line per source, then one line saying what `auto` uses. No trailing newlines.
std::vector<std::string> format_doctor(const DoctorReport& r);
// The line for one source (what `format_doctor` prints for it).
std::string format_doctor_line(const DoctorSource& s);
// "1.0 ms", "50 ms", "1.2 s"; "unknown" for 0.
std::string format_period(std::int64_t ns);

nlohmann::json to_json(const DoctorReport& r);

}  // namespace ipw::telemetry
