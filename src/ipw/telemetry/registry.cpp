#include "ipw/telemetry/registry.h"

#include <fstream>
#include <algorithm>
#include <set>
#include <utility>

#include "ipw/common/text.h"
#include "ipw/telemetry/amd_collector.h"
#include "ipw/telemetry/estimated_collector.h"
#include "ipw/telemetry/jetson_collector.h"
#include "ipw/telemetry/nvml_collector.h"
#include "ipw/telemetry/powermetrics_collector.h"
#include "ipw/telemetry/rapl_collector.h"
#include "ipw/telemetry/remote_collector.h"
#include "ipw/telemetry/replay_collector.h"

namespace ipw::telemetry {
namespace {

SourceStatus probe_estimated() {
  SourceStatus s;
  s.source = "estimated";
  const std::string stat = estimator_config_from_env().proc_root + "/stat";
  s.found = s.readable = static_cast<bool>(std::ifstream(stat));
  if (!s.readable) s.reason = stat + " is not readable";
  s.domains = {"cpu"};
  s.update_period_ns = 50'000'000;
  return s;
}

std::vector<CollectorEntry> build_registry() {
  std::vector<CollectorEntry> r;
  r.push_back({"estimated", "estimated",
               "CPU power modelled from /proc/stat utilisation (a model, labelled estimated)",
               false,
               [](const std::string&) -> std::unique_ptr<Collector> {
                 return std::make_unique<EstimatedCollector>(estimator_config_from_env());
               },
               probe_estimated});
  r.push_back({"replay", "replay:PATH.csv",
               "plays a recorded t_s,power_w or t_s,energy_j trace from the run's start",
               false,
               [](const std::string& path) -> std::unique_ptr<Collector> {
                 if (path.empty()) {
                   throw CollectorSpecError("replay needs a file: replay:PATH.csv");
                 }
                 return ReplayCollector::from_file(path);
               },
               {}});
  r.push_back({"remote", "remote:HOST:PORT",
               "samples streamed from `ipw monitor` on another host, mapped onto the local clock",
               false, [](const std::string& arg) { return make_remote_collector(arg); }, {}});
  // Hardware sources: each row comes from its collector's file.
  r.push_back(nvml_registry_entry());
  r.push_back(amd_registry_entry());
  r.push_back(rapl_registry_entry());
  r.push_back(jetson_registry_entry());
  r.push_back(powermetrics_registry_entry());
  return r;
}

const CollectorEntry* find_entry(const std::string& name) {
  for (const CollectorEntry& e : collector_registry()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::unique_ptr<Collector> build(const CollectorEntry& e, const std::string& arg) {
  try {
    auto c = e.make(arg);
    if (!c) throw CollectorSpecError(e.name + ": source is not available");
    return c;
  } catch (const CollectorSpecError&) {
    throw;
  } catch (const std::exception& ex) {
    throw CollectorSpecError(e.name + ": " + ex.what());
  }
}

// Every readable hardware source; the estimator when there is none.
std::vector<std::unique_ptr<Collector>> auto_collectors() {
  std::vector<std::unique_ptr<Collector>> out;
  for (const CollectorEntry& e : collector_registry()) {
    if (!e.in_auto || !e.probe) continue;
    if (e.probe().readable) out.push_back(build(e, ""));
  }
  if (out.empty()) out.push_back(build(*find_entry("estimated"), ""));
  return out;
}

}  // namespace

const std::vector<CollectorEntry>& collector_registry() {
  static const std::vector<CollectorEntry> registry = build_registry();
  return registry;
}

std::vector<std::string> collector_names() {
  std::vector<std::string> names{"auto"};
  for (const CollectorEntry& e : collector_registry()) names.push_back(e.name);
  return names;
}

std::vector<std::string> telemetry_spec_entries(const std::string& spec) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start <= spec.size()) {
    const auto comma = spec.find(',', start);
    out.push_back(trim(spec.substr(start, comma - start)));
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
  }
  return out;
}

std::vector<std::unique_ptr<Collector>> make_collectors(const std::string& spec) {
  if (trim(spec).empty()) throw CollectorSpecError("--telemetry is empty");
  std::vector<std::unique_ptr<Collector>> out;
  // Several monitors (remote:h1:50053,remote:h2:50053): each host's domains carry its
  // address ("h1:50053/gpu0"), so that two hosts' gpu0 are two domains.
  const auto entries = telemetry_spec_entries(spec);
  const bool several_remotes =
      std::count_if(entries.begin(), entries.end(), [](const std::string& e) { return e.rfind("remote:", 0) == 0; }) > 1;
  for (const std::string& item : entries) {
    if (item.empty()) {
      throw CollectorSpecError("empty entry in --telemetry \"" + spec + "\"");
    }
    const auto colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const std::string arg = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (name == "auto") {
      if (colon != std::string::npos) throw CollectorSpecError("auto takes no argument");
      for (auto& c : auto_collectors()) out.push_back(std::move(c));
      continue;
    }
    const CollectorEntry* e = find_entry(name);
    if (e == nullptr) {
      std::string known;
      for (const std::string& n : collector_names()) known += (known.empty() ? "" : ", ") + n;
      throw CollectorSpecError("unknown telemetry source \"" + name + "\" (known: " + known + ")");
    }
    if (colon != std::string::npos && e->usage.find(':') == std::string::npos) {
      throw CollectorSpecError(name + " takes no argument (usage: " + e->usage + ")");
    }
    if (name == "remote" && several_remotes) {
      const CollectorEntry qualified{e->name, e->usage, e->summary, e->in_auto,
                                     [](const std::string& a) { return make_remote_collector(a, true); }, e->probe};
      out.push_back(build(qualified, arg));
      continue;
    }
    out.push_back(build(*e, arg));
  }

  // Two copies of a source would count its energy twice.
  std::set<std::string> domains;
  for (const auto& c : out) {
    for (const DomainInfo& d : c->domains()) {
      if (!domains.insert(d.domain).second) {
        throw CollectorSpecError("telemetry domain \"" + d.domain + "\" would be measured twice (\"" +
                                 spec + "\")");
      }
    }
  }
  return out;
}

}  // namespace ipw::telemetry
