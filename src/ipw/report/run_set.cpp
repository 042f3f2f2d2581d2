#include "ipw/report/run_set.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/usage_error.h"
#include "ipw/run/store.h"

namespace ipw::report {
namespace {

std::string hardware_of(const run::RunStore& store, const nlohmann::json& manifest,
                        const std::vector<std::string>& selected) {
  std::vector<std::string> devices;
  for (const auto& d : store.domains()) {
    const bool chosen = selected.empty() ||
                        std::find(selected.begin(), selected.end(), d.info.domain) != selected.end();
    if (!chosen || d.info.device.empty()) continue;
    if (std::find(devices.begin(), devices.end(), d.info.device) == devices.end()) {
      devices.push_back(d.info.device);
    }
  }
  std::string out;
  for (const auto& d : devices) out += (out.empty() ? "" : " + ") + d;
  if (!out.empty()) return out;
  const auto host = manifest.value("host", nlohmann::json::object());
  const std::string cpu = host.value("cpu_model", "");
  return cpu.empty() ? "unknown hardware" : cpu;
}

std::string dir_name(const std::string& dir) {
  auto p = std::filesystem::path(dir);
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

LoadedRun load_run(const std::string& dir, const RunSetOptions& opts) {
  const auto store = run::RunStore::open(dir, /*read_only=*/true);
  LoadedRun r;
  r.dir = dir;
  r.manifest = store.manifest();
  const auto server = r.manifest.value("server", nlohmann::json::object());
  r.model = server.value("model", "");
  if (r.model.empty()) r.model = dir_name(dir);
  const auto tel = r.manifest.value("telemetry", nlohmann::json::object());
  for (const auto& d : tel.value("selected_domains", nlohmann::json::array())) {
    r.domains_included.push_back(d.get<std::string>());
  }
  r.hardware = hardware_of(store, r.manifest, r.domains_included);
  r.label = r.model + " @ " + r.hardware;
  const auto info = r.manifest.value("model_info", nlohmann::json::object());
  r.release_date = info.value("release_date", "");
  if (info.contains("parameters") && info["parameters"].is_number()) {
    r.parameters = info["parameters"].get<double>();
  }
  r.workload = r.manifest.value("workload", nlohmann::json::object()).value("sha256", "");
  const auto sessions = store.sessions();
  for (const auto& s : sessions) {
    if (s.idle.contains("total_power_w")) r.idle_power_w = s.idle["total_power_w"].get<double>();
  }
  metrics::RunMetricsBuilder builder(opts.metrics);
  r.slo = metrics::parse_slo(r.manifest.value("config", nlohmann::json::object()).value("slo", ""));
  metrics::StageMetricsBuilder stages(sessions, {true, r.slo});
  metrics::ItemOutcomeBuilder items;
  run::RunStore::QueryReadOptions read;
  read.token_times = true;
  store.for_each_query(
      [&](const run::QueryRecord& q) {
        builder.add(q);
        stages.add(q);
        if (opts.items) items.add(q);
      },
      read);
  r.metrics = builder.finish();
  r.stages = stages.finish();
  std::erase_if(r.stages, [](const metrics::StageMetrics& m) { return m.sessions == 0; });
  r.saturation = metrics::find_saturation(r.stages);
  if (opts.items) r.items = items.finish();
  return r;
}

std::vector<LoadedRun> load_runs(const std::vector<std::string>& dirs, const RunSetOptions& opts) {
  std::vector<LoadedRun> runs;
  for (const auto& d : dirs) runs.push_back(load_run(d, opts));
  std::map<std::string, int> count;
  for (const auto& r : runs) ++count[r.label];
  for (auto& r : runs) {
    if (count[r.label] > 1) r.label += " (" + dir_name(r.dir) + ")";
  }
  return runs;
}

std::unordered_map<std::string, std::string> parse_assignments(const std::vector<std::string>& values,
                                                               const char* flag) {
  std::unordered_map<std::string, std::string> out;
  for (const auto& v : values) {
    const auto eq = v.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
      throw UsageError(fmt::format("{} expects NAME=VALUE, got '{}'", flag, v));
    }
    out[v.substr(0, eq)] = v.substr(eq + 1);
  }
  return out;
}

std::string lookup(const std::unordered_map<std::string, std::string>& map, const LoadedRun& run) {
  for (const std::string& key : {run.dir, dir_name(run.dir), run.label, run.model}) {
    if (auto it = map.find(key); it != map.end()) return it->second;
  }
  return "";
}

}  // namespace ipw::report
