#include "ipw/common/usage_error.h"
#include "ipw/report/comparison.h"
#include "ipw/report/text_cells.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/json_null.h"
#include "ipw/metrics/pareto.h"
#include "ipw/report/analysis_tables.h"
#include "ipw/report/csv.h"

namespace ipw::report {
namespace {

nlohmann::json interval_or_null(const std::optional<metrics::Interval>& i) {
  return i ? nlohmann::json::array({i->lo, i->hi}) : nlohmann::json();
}

LeaderboardRow row_for(std::size_t i, const LoadedRun& r) {
  const auto& s = r.metrics.summary;
  LeaderboardRow row;
  row.run = i;
  row.label = r.label;
  row.dir = r.dir;
  row.model = r.model;
  row.hardware = r.hardware;
  row.energy_source = s.energy_source;
  row.queries = s.queries;
  row.errors = s.errors;
  row.accuracy = s.accuracy;
  row.accuracy_ci = s.accuracy_ci95;
  row.ipw = s.ipw;
  row.ipj = s.ipj;
  row.ipw_net = s.ipw_net;
  row.ipj_net = s.ipj_net;
  row.ipw_ci = r.metrics.ci95.ipw;
  row.ipj_ci = r.metrics.ci95.ipj;
  row.mean_energy_j = s.mean_energy_j;
  row.mean_power_w = s.mean_power_w;
  row.j_per_output_token = s.j_per_output_token;
  row.latency_p50_s = s.latency_s.p50;
  row.output_tokens_per_s = s.output_tokens_per_s;
  return row;
}

// Higher is better except for energy; missing values sort last.
void sort_rows(std::vector<LeaderboardRow>& rows, const std::string& key) {
  auto value = [&](const LeaderboardRow& r) -> std::optional<double> {
    if (key == "ipw") return r.ipw;
    if (key == "ipj") return r.ipj;
    if (key == "accuracy") return r.accuracy;
    if (key == "energy") return r.mean_energy_j ? std::optional<double>(-*r.mean_energy_j) : std::nullopt;
    return std::nullopt;
  };
  if (key == "label") {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.label < b.label; });
    return;
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const LeaderboardRow& a, const LeaderboardRow& b) {
    const auto va = value(a), vb = value(b);
    if (va && vb) return *va > *vb;
    return va.has_value() && !vb.has_value();
  });
}

}  // namespace

const std::vector<std::string>& leaderboard_columns() {
  static const std::vector<std::string> cols = {
      "rank", "label", "model", "hardware", "run_dir", "energy_source", "queries", "errors",
      "accuracy", "accuracy_ci_lo", "accuracy_ci_hi", "ipw", "ipw_ci_lo", "ipw_ci_hi", "ipj",
      "ipj_ci_lo", "ipj_ci_hi", "ipw_net", "ipj_net", "mean_energy_j", "mean_power_w",
      "j_per_output_token", "latency_p50_s", "output_tokens_per_s", "pareto"};
  return cols;
}

Comparison compare_runs(const std::vector<LoadedRun>& runs, const std::string& sort_key) {
  static const std::set<std::string> kKeys = {"ipw", "ipj", "accuracy", "energy", "label"};
  if (!kKeys.count(sort_key)) throw UsageError("unknown sort key: " + sort_key);
  Comparison c;
  c.sort_key = sort_key;
  std::vector<metrics::ParetoPoint> points;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    c.rows.push_back(row_for(i, runs[i]));
    c.labels.push_back(runs[i].label);
    points.push_back({runs[i].metrics.summary.accuracy, runs[i].metrics.summary.mean_energy_j});
  }
  const auto frontier = metrics::pareto_frontier(points);
  for (std::size_t i = 0; i < c.rows.size(); ++i) c.rows[i].pareto = frontier[i];
  sort_rows(c.rows, sort_key);

  std::set<std::string> workloads, sources;
  for (const auto& r : runs) {
    workloads.insert(r.workload);
    sources.insert(r.metrics.summary.energy_source);
  }
  if (workloads.size() > 1) {
    c.warnings.push_back("the runs used different workloads (sha256 differs): coverage uses only "
                         "the item ids they share");
  }
  if (sources.count("estimated") && sources.size() > 1) {
    c.warnings.push_back("some runs have estimated energy and others measured: their IPW/IPJ are "
                         "not directly comparable");
  }
  for (const auto& r : runs) {
    const bool loaded = r.stages.size() > 1 ||
                        (r.stages.size() == 1 && r.stages[0].setting != nlohmann::json{{"concurrency", 1}});
    if (loaded) c.load_runs.push_back({r.label, r.stages, r.slo, r.saturation});
  }
  if (runs.size() >= 2) {
    std::vector<std::unordered_map<std::string, metrics::ItemOutcome>> outcomes;
    for (const auto& r : runs) outcomes.push_back(r.items);
    const auto table = metrics::align_outcomes(outcomes);
    c.common_items = table.items.size();
    c.union_items = table.union_items;
    if (!table.items.empty()) c.coverage = metrics::compute_coverage(table);
    if (c.common_items < c.union_items) {
      c.warnings.push_back(fmt::format("coverage over the {} items every run answered ({} seen in all)",
                                       c.common_items, c.union_items));
    }
  }
  return c;
}

void print_comparison(std::FILE* out, const Comparison& c) {
  fmt::print(out, "leaderboard ({} runs, sorted by {}; * = on the accuracy-vs-energy Pareto frontier)\n",
             c.rows.size(), c.sort_key);
  fmt::print(out, "{:>3} {:<36}{:>8}{:>15}{:>11}{:>11}{:>10}{:>9}{:>10}  {}\n", "#", "run", "acc",
             "acc 95% CI", "IPW (1/W)", "IPJ (1/J)", "E/q (J)", "P (W)", "p50 (s)", "energy");
  for (std::size_t k = 0; k < c.rows.size(); ++k) {
    const auto& r = c.rows[k];
    const std::string ci = r.accuracy_ci ? fmt::format("{:.3f}-{:.3f}", r.accuracy_ci->lo, r.accuracy_ci->hi)
                                         : std::string("n/a");
    fmt::print(out, "{:>3} {:<36}{:>8}{:>15}{:>11}{:>11}{:>10}{:>9}{:>10}  {}{}\n", k + 1,
               cut((r.pareto ? "* " : "  ") + r.label, 35), num(r.accuracy, "{:.3f}"), ci, num(r.ipw),
               num(r.ipj), num(r.mean_energy_j), num(r.mean_power_w), num(r.latency_p50_s, "{:.3g}"),
               r.energy_source, r.errors ? fmt::format(" ({} errors)", r.errors) : std::string());
  }
  if (c.coverage) {
    const auto& cov = *c.coverage;
    fmt::print(out, "\ncoverage over {} shared items ({} scored by every run)\n", c.common_items, cov.all.items);
    fmt::print(out, "  best-of-{} oracle: {} of {} = {}\n", c.labels.size(), cov.all.covered, cov.all.items,
               num(cov.all.coverage, "{:.3f}"));
    fmt::print(out, "  {:<38}{:>10}{:>10}{:>12}\n", "run", "accuracy", "unique", "marginal");
    for (std::size_t m = 0; m < c.labels.size(); ++m) {
      const auto& mc = cov.all.models[m];
      fmt::print(out, "  {:<38}{:>10}{:>10}{:>12}\n", cut(c.labels[m], 37), num(mc.accuracy, "{:.3f}"),
                 mc.unique, num(mc.marginal, "{:+.3f}"));
    }
    fmt::print(out, "  greedy:");
    for (std::size_t k = 0; k < cov.greedy_order.size(); ++k) {
      fmt::print(out, "{} +{} → {:.3f}", k ? "," : "", cut(c.labels[cov.greedy_order[k]], 24),
                 cov.greedy_coverage[k]);
    }
    fmt::print(out, "\n\n  {:<24}{:>7}{:>10}  best single run\n", "category", "items", "coverage");
    for (const auto& g : cov.by_category) {
      std::size_t best = 0;
      for (std::size_t m = 1; m < g.models.size(); ++m) {
        if (g.models[m].correct > g.models[best].correct) best = m;
      }
      fmt::print(out, "  {:<24}{:>7}{:>10}  {} ({})\n", cut(g.key, 23), g.items, num(g.coverage, "{:.3f}"),
                 cut(c.labels[best], 36), num(g.models[best].accuracy, "{:.3f}"));
    }
  }
  for (const auto& l : c.load_runs) {
    fmt::print(out, "\n{}", l.label);
    print_stages(out, l.stages, "", l.slo, l.saturation);
  }
  for (const auto& w : c.warnings) fmt::print(out, "\nnote: {}\n", w);
}

nlohmann::json to_json(const Comparison& c) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t k = 0; k < c.rows.size(); ++k) {
    const auto& r = c.rows[k];
    rows.push_back({{"rank", k + 1}, {"label", r.label}, {"model", r.model}, {"hardware", r.hardware},
                    {"run_dir", r.dir}, {"energy_source", r.energy_source}, {"queries", r.queries},
                    {"errors", r.errors}, {"accuracy", json_or_null(r.accuracy)},
                    {"accuracy_ci95", interval_or_null(r.accuracy_ci)},
                    {"ipw", json_or_null(r.ipw)}, {"ipw_ci95", interval_or_null(r.ipw_ci)},
                    {"ipj", json_or_null(r.ipj)}, {"ipj_ci95", interval_or_null(r.ipj_ci)},
                    {"ipw_net", json_or_null(r.ipw_net)}, {"ipj_net", json_or_null(r.ipj_net)},
                    {"mean_energy_j", json_or_null(r.mean_energy_j)}, {"mean_power_w", json_or_null(r.mean_power_w)},
                    {"j_per_output_token", json_or_null(r.j_per_output_token)},
                    {"latency_p50_s", json_or_null(r.latency_p50_s)},
                    {"output_tokens_per_s", json_or_null(r.output_tokens_per_s)}, {"pareto", r.pareto}});
  }
  nlohmann::json load_runs = nlohmann::json::array();
  for (const auto& l : c.load_runs) {
    load_runs.push_back({{"label", l.label}, {"stages", metrics::to_json(l.stages)}, {"slo", metrics::to_json(l.slo)},
                         {"saturation", metrics::to_json(l.saturation)}});
  }
  return {{"sort_key", c.sort_key},
          {"leaderboard", rows},
          {"common_items", c.common_items},
          {"union_items", c.union_items},
          {"coverage", c.coverage ? metrics::to_json(*c.coverage, c.labels) : nlohmann::json()},
          {"warnings", c.warnings},
          {"load_runs", load_runs}};
}

void write_leaderboard_csv(const Comparison& c, std::ostream& out) {
  const auto& cols = leaderboard_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << '\n';
  for (std::size_t k = 0; k < c.rows.size(); ++k) {
    const auto& r = c.rows[k];
    auto lo = [](const std::optional<metrics::Interval>& i) {
      return i ? std::optional<double>(i->lo) : std::nullopt;
    };
    auto hi = [](const std::optional<metrics::Interval>& i) {
      return i ? std::optional<double>(i->hi) : std::nullopt;
    };
    const std::vector<std::string> fields = {
        std::to_string(k + 1), csv_quote(r.label), csv_quote(r.model), csv_quote(r.hardware),
        csv_quote(r.dir), r.energy_source, std::to_string(r.queries), std::to_string(r.errors),
        csv_num(r.accuracy), csv_num(lo(r.accuracy_ci)), csv_num(hi(r.accuracy_ci)), csv_num(r.ipw),
        csv_num(lo(r.ipw_ci)), csv_num(hi(r.ipw_ci)), csv_num(r.ipj), csv_num(lo(r.ipj_ci)),
        csv_num(hi(r.ipj_ci)), csv_num(r.ipw_net), csv_num(r.ipj_net), csv_num(r.mean_energy_j),
        csv_num(r.mean_power_w), csv_num(r.j_per_output_token), csv_num(r.latency_p50_s),
        csv_num(r.output_tokens_per_s), r.pareto ? "true" : "false"};
    for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << fields[i];
    out << '\n';
  }
}

}  // namespace ipw::report
