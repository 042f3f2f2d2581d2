#include "ipw/telemetry/doctor.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "ipw/telemetry/nvml_api.h"
#include "ipw/telemetry/sysfs_reader.h"

namespace ipw::telemetry {
namespace {

// Opens a probed-readable source the way a run would, so the update period is
// measured and a source that probes fine but cannot be opened is caught here.
void open_source(const CollectorEntry& e, DoctorSource& ds) {
  try {
    auto c = e.make("");
    if (!c) throw std::runtime_error("the source is not available");
    if (c->update_period_ns() > 0) ds.status.update_period_ns = c->update_period_ns();
    ds.status.domains.clear();
    for (const DomainInfo& d : c->domains()) ds.status.domains.push_back(d.domain);
    ds.details = c->describe();
  } catch (const std::exception& ex) {
    ds.status.readable = false;
    ds.status.reason = std::string("it probes as readable but opening it failed: ") + ex.what();
  }
}

// What the estimator line adds: the model, so "estimated" is never a mystery.
std::string estimator_model(const nlohmann::json& d) {
  if (!d.is_object() || !d.contains("tdp_w")) return {};
  return fmt::format("model {} (\"{}\"): idle {:.3g} W, TDP {:.3g} W{}", d.value("family", "?"),
                     d.value("cpu_model_name", ""), d.value("idle_w", 0.0), d.value("tdp_w", 0.0),
                     d.value("overridden", false) ? " (IPW_CPU_TDP_W/IPW_CPU_IDLE_W)" : "");
}

}  // namespace

std::string format_period(std::int64_t ns) {
  if (ns <= 0) return "unknown";
  const double ms = static_cast<double>(ns) * 1e-6;
  if (ms < 10.0) return fmt::format("{:.2f} ms", ms);
  if (ms < 1000.0) return fmt::format("{:.0f} ms", ms);
  return fmt::format("{:.2f} s", ms * 1e-3);
}

DoctorReport run_doctor(const std::vector<CollectorEntry>& entries, const DoctorOptions& opts) {
  DoctorReport r;
  r.sysfs_root = sysfs_root_from_env();
  r.nvml_library = nvml_library_path_from_env();
  const CollectorEntry* estimator = nullptr;
  DoctorSource* estimator_line = nullptr;
  std::vector<std::pair<const CollectorEntry*, std::size_t>> probed;
  for (const CollectorEntry& e : entries) {
    if (!e.probe) continue;  // replay/remote: not sensors of this machine
    DoctorSource ds;
    ds.status = e.probe();
    if (ds.status.source.empty()) ds.status.source = e.name;
    ds.in_auto = e.in_auto;
    ds.summary = e.summary;
    if (opts.open_sources && ds.status.readable) open_source(e, ds);
    r.sources.push_back(std::move(ds));
    probed.emplace_back(&e, r.sources.size() - 1);
  }
  // `auto`: every readable hardware source, else the estimator (registry.cpp).
  for (auto& [e, i] : probed) {
    DoctorSource& ds = r.sources[i];
    if (e->name == "estimated") {
      estimator = e;
      estimator_line = &ds;
    }
    if (ds.in_auto && ds.status.readable) {
      ds.used_by_auto = true;
      r.auto_sources.push_back(e->name);
    }
  }
  if (r.auto_sources.empty() && estimator != nullptr && estimator_line->status.readable) {
    estimator_line->used_by_auto = true;
    r.estimator_used = true;
    r.auto_sources.push_back(estimator->name);
  }
  // The estimator is the fallback, so it reads best after the sensors it stands in for.
  std::stable_partition(r.sources.begin(), r.sources.end(),
                        [](const DoctorSource& s) { return s.status.source != "estimated"; });
  return r;
}

DoctorReport run_doctor(const DoctorOptions& opts) { return run_doctor(collector_registry(), opts); }

std::string format_doctor_line(const DoctorSource& s) {
  const SourceStatus& st = s.status;
  const std::string found = st.found ? "found" : "not found";
  const std::string readable = st.readable ? "readable" : st.found ? "NOT readable" : "-";
  const std::string period =
      st.readable ? "update " + format_period(st.update_period_ns) : std::string("-");
  std::string detail;
  if (st.readable) {
    detail = fmt::format("domains {}", fmt::join(st.domains, ", "));
    if (st.source == "estimated") {
      detail += " — a model, every figure labelled \"estimated\"";
      if (const std::string m = estimator_model(s.details); !m.empty()) detail += "; " + m;
      detail += s.used_by_auto ? " — USED by auto: no readable hardware sensor"
                               : " — not used by auto (a hardware sensor is readable)";
    } else {
      detail += s.used_by_auto ? " — used by auto" : "";
      if (!st.reason.empty()) detail += " — note: " + st.reason;
    }
  } else {
    detail = st.reason.empty() ? (st.found ? "not readable" : "not found") : st.reason;
    if (!st.how_to_fix.empty()) detail += " — fix: " + st.how_to_fix;
  }
  return fmt::format("{:<13} {:<10} {:<13} {:<16} {}", st.source, found, readable, period, detail);
}

std::vector<std::string> format_doctor(const DoctorReport& r) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("energy sources (IPW_SYSFS_ROOT={}, IPW_NVML_LIBRARY={}):",
                              r.sysfs_root, r.nvml_library));
  lines.push_back(fmt::format("{:<13} {:<10} {:<13} {:<16} {}", "source", "found", "readable",
                              "update period", "domains / why not and how to fix"));
  for (const DoctorSource& s : r.sources) lines.push_back(format_doctor_line(s));
  if (r.auto_sources.empty()) {
    lines.push_back(
        "auto: NOTHING usable — `--telemetry auto` will fail; fix one of the sources above");
  } else if (r.estimator_used) {
    lines.push_back(
        "auto: estimated — no readable hardware energy sensor on this machine, so CPU power is "
        "modelled from /proc/stat utilisation and every energy figure is labelled \"estimated\"");
  } else {
    lines.push_back(fmt::format("auto: {} (measured counters/power, not estimated)", fmt::join(r.auto_sources, ", ")));
  }
  return lines;
}

nlohmann::json to_json(const DoctorReport& r) {
  nlohmann::json sources = nlohmann::json::array();
  for (const DoctorSource& s : r.sources) {
    nlohmann::json j = to_json(s.status);
    j["in_auto"] = s.in_auto;
    j["used_by_auto"] = s.used_by_auto;
    j["summary"] = s.summary;
    if (!s.details.is_null() && !s.details.empty()) j["details"] = s.details;
    sources.push_back(std::move(j));
  }
  return {{"sources", sources},
          {"auto", r.auto_sources},
          {"estimator_used", r.estimator_used},
          {"sysfs_root", r.sysfs_root},
          {"nvml_library", r.nvml_library}};
}

}  // namespace ipw::telemetry
