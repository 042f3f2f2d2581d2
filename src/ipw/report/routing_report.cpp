#include "ipw/report/routing_report.h"
#include "ipw/common/usage_error.h"
#include "ipw/report/text_cells.h"

#include <fmt/format.h>

namespace ipw::report {
namespace {

std::string pct(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}%", *v * 100) : std::string("n/a");
}

}  // namespace

RoutingReport build_routing_report(const std::vector<LoadedRun>& runs, metrics::RoutingOptions options,
                                   const std::optional<metrics::LoadOptions>& load,
                                   const std::string& arrival_model) {
  if (runs.size() < 2) throw UsageError("ipw route needs at least one local run and --cloud");
  RoutingReport r;
  options.parameters.resize(runs.size());
  std::vector<std::unordered_map<std::string, metrics::ItemOutcome>> outcomes;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    r.labels.push_back(runs[i].label);
    if (!options.parameters[i]) options.parameters[i] = runs[i].parameters;
    if (!options.parameters[i]) {
      r.warnings.push_back(fmt::format("no parameter count for {} (--params {}=8B): compute figures "
                                       "are left out", runs[i].label, runs[i].model));
    }
    outcomes.push_back(runs[i].items);
  }
  const auto table = metrics::align_outcomes(outcomes);
  if (table.items.empty()) throw std::invalid_argument("the local and cloud runs share no workload item");
  if (table.items.size() < table.union_items) {
    r.warnings.push_back(fmt::format("routing over the {} items every run answered ({} seen in all)",
                                     table.items.size(), table.union_items));
  }
  r.routing = metrics::simulate_routing(table, options);
  if (r.routing.cloud_energy_measured < r.routing.items) {
    r.warnings.push_back(
        r.routing.cloud_energy_assumed
            ? fmt::format("cloud energy is assumed ({} J/token) for {} of {} items", *options.cloud_j_per_token,
                          r.routing.items - r.routing.cloud_energy_measured, r.routing.items)
            : "the cloud run has no energy for some items: pass --cloud-j-per-token to assume one");
  }
  if (options.cloud_usd_per_mtok_in == 0 && options.cloud_usd_per_mtok_out == 0) {
    r.warnings.push_back("no cloud prices given (--cloud-price-in/--cloud-price-out, USD per million "
                         "tokens): cost figures are 0");
  }
  if (load) r.load = metrics::simulate_load(table, r.routing, options, *load);
  r.arrival_model = arrival_model;
  r.options = std::move(options);
  return r;
}

void print_routing(std::FILE* out, const RoutingReport& r) {
  const auto& res = r.routing;
  fmt::print(out, "routing over {} items: {} local run(s), cloud = {}\n", res.items, r.labels.size() - 1,
             r.labels.back());
  fmt::print(out, "prices (USD / M tokens): cloud in {} out {}; local in {} out {}; electricity {} USD/kWh\n",
             r.options.cloud_usd_per_mtok_in, r.options.cloud_usd_per_mtok_out, r.options.local_usd_per_mtok_in,
             r.options.local_usd_per_mtok_out, r.options.usd_per_kwh);
  fmt::print(out, "\n{:<11}{:>9}{:>8}{:>14}{:>9}{:>16}{:>9}{:>12}{:>9}\n", "router", "accuracy", "local",
             "energy (J)", "saved", "compute (P·tok)", "saved", "cost (USD)", "saved");
  auto row = [&](const metrics::RouterResult& x) {
    fmt::print(out, "{:<11}{:>9}{:>8}{:>14}{:>9}{:>16}{:>9}{:>12}{:>9}\n", x.name, num(x.accuracy, "{:.3f}"),
               pct(x.local_share), num(x.energy_j), pct(x.energy_saved), num(x.compute_param_tokens, "{:.3e}"),
               pct(x.compute_saved), num(x.cost_usd), pct(x.cost_saved));
  };
  row(res.all_cloud);
  for (const auto& x : res.routers) row(x);
  if (!res.routers.empty()) {
    fmt::print(out, "\noracle: queries per run\n");
    const auto& o = res.routers.front();
    for (std::size_t m = 0; m < r.labels.size(); ++m) {
      fmt::print(out, "  {:<44}{:>10.0f}\n", cut(r.labels[m], 43), o.per_run_queries[m]);
    }
  }
  if (!r.load.empty()) {
    fmt::print(out, "\narrival load: {} (local: one accelerator, FIFO, batch 1)\n", r.arrival_model);
    fmt::print(out, "{:<11}{:>9}{:>9}{:>10}{:>8}{:>10}{:>10}{:>10}{:>14}\n", "router", "local", "cloud",
               "overflow", "util", "lat p50", "lat p90", "lat p99", "energy (J)");
    for (const auto& l : r.load) {
      fmt::print(out, "{:<11}{:>9}{:>9}{:>10}{:>8}{:>10}{:>10}{:>10}{:>14}\n", l.router, l.local, l.cloud,
                 l.overflow, pct(l.local_utilisation), num(l.latency_s.p50, "{:.3g}"),
                 num(l.latency_s.p90, "{:.3g}"), num(l.latency_s.p99, "{:.3g}"), num(l.energy_j));
    }
  }
  for (const auto& w : r.warnings) fmt::print(out, "\nnote: {}\n", w);
}

nlohmann::json to_json(const RoutingReport& r) {
  const auto& o = r.options;
  nlohmann::json params = nlohmann::json::object();
  for (std::size_t i = 0; i < r.labels.size(); ++i) {
    params[r.labels[i]] = i < o.parameters.size() && o.parameters[i] ? nlohmann::json(*o.parameters[i])
                                                                      : nlohmann::json();
  }
  return {{"runs", r.labels},
          {"cloud", r.labels.back()},
          {"options",
           {{"cloud_usd_per_mtok_in", o.cloud_usd_per_mtok_in}, {"cloud_usd_per_mtok_out", o.cloud_usd_per_mtok_out},
            {"local_usd_per_mtok_in", o.local_usd_per_mtok_in}, {"local_usd_per_mtok_out", o.local_usd_per_mtok_out},
            {"usd_per_kwh", o.usd_per_kwh},
            {"cloud_j_per_token", o.cloud_j_per_token ? nlohmann::json(*o.cloud_j_per_token) : nlohmann::json()},
            {"parameters", params}}},
          {"routing", metrics::to_json(r.routing, r.labels)},
          {"arrival_model", r.arrival_model},
          {"load", metrics::to_json(r.load)},
          {"warnings", r.warnings}};
}

}  // namespace ipw::report
