#include "ipw/report/run_analysis.h"
#include "ipw/report/text_cells.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ipw/common/version.h"
#include "ipw/report/analysis_tables.h"
#include "ipw/report/task_tables.h"

namespace ipw::report {
namespace {

constexpr int kSummarySchemaVersion = 1;


std::string dist_row(const char* name, const metrics::Distribution& d, double scale, const char* unit) {
  auto f = [&](const std::optional<double>& v) {
    return v ? fmt::format("{:.1f}", *v * scale) : std::string("n/a");
  };
  return fmt::format("  {:<10} mean {:>9}  p50 {:>9}  p90 {:>9}  p99 {:>9}  {}  (n={})\n", name,
                     f(d.mean), f(d.p50), f(d.p90), f(d.p99), unit, d.n);
}

// Why replies ended and what thinking cost (docs/analysis.md, "Reasoning and
// truncation"): printed only for runs that have either.
void print_reasoning(std::FILE* out, const metrics::RunSummary& s) {
  if (s.finish_known > 0 && s.truncated > 0) {
    fmt::print(out, "{:<26}{:>14}  ({} of {} replies hit the token limit)\n", "truncated (length)",
               fmt::format("{:.1f}%", *s.truncated_share * 100), s.truncated, s.finish_known);
  }
  if (s.reasoning_queries == 0) return;
  const auto pct = [](const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", *v * 100) : std::string("n/a"); };
  fmt::print(out, "{:<26}{:>14}  ({} queries thought)\n", "reasoning share of tokens", pct(s.reasoning_token_share),
             s.reasoning_queries);
  fmt::print(out, "{:<26}{:>14}\n", "  of decode energy", pct(s.reasoning_energy_share));
  fmt::print(out, "{:<26}{:>14}  (IPJ above includes the thinking)\n", "IPJ were thinking free", num(s.ipj_without_reasoning));
}

// Judge totals for summary.json: calls, failures and tokens over every judgment
// the run's store holds (profile-time and `ipw score` alike).
nlohmann::json judge_summary(const nlohmann::json& manifest, const std::vector<judge::JudgmentRecord>& rows,
                             const std::map<std::string, std::size_t>& methods) {
  if (!manifest.contains("judge") && rows.empty()) return nullptr;
  std::size_t failures = 0;
  std::int64_t in = 0, out = 0;
  for (const auto& j : rows) {
    if (!j.ok()) ++failures;
    in += j.input_tokens.value_or(0);
    out += j.output_tokens.value_or(0);
  }
  return {{"config", manifest.value("judge", nlohmann::json::object())},
          {"judgments", rows.size()},
          {"failures", failures},
          {"input_tokens", in},
          {"output_tokens", out},
          {"queries_by_score_method", methods}};
}

}  // namespace

RunAnalysis analyze_run(const std::string& dir, const std::string& slo) {
  const auto store = run::RunStore::open(dir, /*read_only=*/true);
  RunAnalysis a;
  a.dir = dir;
  a.manifest = store.manifest();
  // Streamed: a million-query run is analysed without materialising its records.
  metrics::RunMetricsBuilder builder;
  // Sessions first: a run of one stage (every sequential run) takes its stage's query
  // figures from the run summary instead of computing them a second time.
  a.sessions = store.sessions();
  std::set<int> stage_ids;
  bool steady_windows = false;
  for (const auto& s : a.sessions) {
    for (const auto& part : s.totals.value("stages", nlohmann::json::array())) {
      stage_ids.insert(part.value("stage", 0));
      steady_windows = steady_windows || part.contains("steady");
    }
  }
  const auto config = a.manifest.value("config", nlohmann::json::object());
  a.slo = metrics::parse_slo(slo.empty() ? config.value("slo", "") : slo);
  const bool per_stage_queries = stage_ids.size() > 1 || steady_windows;
  metrics::StageMetricsBuilder stages(a.sessions, {per_stage_queries, a.slo});
  run::RunStore::QueryReadOptions read;
  read.token_times = true;
  std::map<std::string, std::size_t> methods;
  metrics::TaskMetricsBuilder tasks;
  store.for_each_query(
      [&](const run::QueryRecord& q) {
        builder.add(q);
        stages.add(q);
        tasks.add(q);
        ++methods[q.score_method.empty() ? "none" : q.score_method];
      },
      read);
  a.judge = judge_summary(a.manifest, store.judgments(), methods);
  if (!tasks.empty()) a.tasks = tasks.finish(store.tasks());
  a.metrics = builder.finish();
  a.stages = stages.finish();
  // Stages are recorded by sessions that ran one; a run from before them has none.
  std::erase_if(a.stages, [](const metrics::StageMetrics& m) { return m.sessions == 0; });
  a.saturation = metrics::find_saturation(a.stages);
  if (!per_stage_queries) {
    for (auto& st : a.stages) st.queries = a.metrics.summary;
  }
  a.summary = a.metrics.summary;
  const auto tel = a.manifest.value("telemetry", nlohmann::json::object());
  for (const auto& d : tel.value("selected_domains", nlohmann::json::array())) {
    a.domains_included.push_back(d.get<std::string>());
  }
  for (const auto& s : a.sessions) {
    if (s.idle.contains("total_power_w")) a.idle_power_w = s.idle["total_power_w"].get<double>();
  }
  return a;
}

nlohmann::json to_json(const RunAnalysis& a) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& s : a.sessions) {
    sessions.push_back({{"id", s.id}, {"started_utc", s.started_utc}, {"status", s.status},
                        {"idle", s.idle}, {"totals", s.totals}});
  }
  std::optional<double> conservation;
  for (const auto& st : a.stages) conservation = std::max(conservation.value_or(0.0), st.conservation_error_j);
  return {
      {"json_schema_version", kSummarySchemaVersion},
      {"context",
       {{"ipw_version", kVersion}, {"git_revision", kGitRevision},
        {"host", a.manifest.value("host", nlohmann::json::object())}}},
      {"run",
       {{"dir", a.dir}, {"server", a.manifest.value("server", nlohmann::json::object())},
        {"workload", a.manifest.value("workload", nlohmann::json::object())},
        {"domains_included", a.domains_included}, {"sessions", sessions}}},
      {"idle_power_w", a.idle_power_w ? nlohmann::json(*a.idle_power_w) : nlohmann::json()},
      {"summary", metrics::to_json(a.summary)},
      {"analysis", metrics::to_json(a.metrics)},
      {"stages", metrics::to_json(a.stages)},
      {"slo", metrics::to_json(a.slo)},
      // The first stage of a sweep that saturated the server (metrics/saturation.h), or null.
      {"saturation", metrics::to_json(a.saturation)},
      // The worst stage's |measured − Σ query shares − unattributed| (J): rounding only.
      {"conservation_error_j", conservation ? nlohmann::json(*conservation) : nlohmann::json()},
      {"judge", a.judge},
      {"tasks", a.tasks ? metrics::to_json(*a.tasks) : nlohmann::json()},
  };
}

void print_analysis(std::FILE* out, const RunAnalysis& a) {
  const auto& s = a.summary;
  const auto server = a.manifest.value("server", nlohmann::json::object());
  std::string domains;
  for (const auto& d : a.domains_included) domains += (domains.empty() ? "" : "+") + d;
  fmt::print(out, "run       {}\n", a.dir);
  // A server ipw started itself has no URL until it runs: say which failed, not "at ".
  const std::string url = server.value("url", "");
  const std::string engine = server.value("engine", "");
  fmt::print(out, "model     {}  ({})\n", server.value("model", ""),
             !url.empty()    ? fmt::format("{} at {}", server.value("api", ""), url)
             : !engine.empty() ? fmt::format("{} engine, which never started serving", engine)
                               : fmt::format("{}, no server URL", server.value("api", "")));
  const std::string where = domains.empty() ? std::string("no domains") : domains;
  if (s.energy_source == "none") {
    // "none" alone reads as a kind of energy; say that no query was measured, and why it may be.
    fmt::print(out, "energy    no query has an energy figure (domains {}{})  idle baseline {} W\n", where,
               s.queries == 0 ? ": no query ran" : "", num(a.idle_power_w, "{:.2f}"));
  } else {
    fmt::print(out, "energy    {} ({})  idle baseline {} W\n", s.energy_source, where, num(a.idle_power_w, "{:.2f}"));
  }
  fmt::print(out, "\nqueries   {}  errors {}{}  scored {}\n", s.queries, s.errors,
             a.metrics.error_rate ? fmt::format(" ({:.2f}%)", *a.metrics.error_rate * 100) : "", s.scored);
  if (s.accuracy) {
    fmt::print(out, "accuracy  {:.4f}  (95% CI {:.4f}–{:.4f}, Wilson)\n", *s.accuracy,
               s.accuracy_ci95->lo, s.accuracy_ci95->hi);
  } else {
    fmt::print(out, "accuracy  n/a (no scored queries)\n");
  }
  if (!a.judge.is_null()) {
    const auto cfg = a.judge["config"];
    std::string decided;
    for (const auto& [method, n] : a.judge["queries_by_score_method"].items()) {
      if (method.rfind("judge-", 0) == 0) decided += fmt::format("{}{} {}", decided.empty() ? "" : ", ", method, n.get<std::size_t>());
    }
    fmt::print(out, "judge     {}: {} judgments ({} failed), {} in / {} out tokens; queries: {}\n",
               cfg.value("model", "?"), a.judge["judgments"].get<std::size_t>(),
               a.judge["failures"].get<std::size_t>(), a.judge["input_tokens"].get<std::int64_t>(),
               a.judge["output_tokens"].get<std::int64_t>(), decided.empty() ? "none judged" : decided);
  }
  const std::string label = s.energy_source == "estimated" ? " [estimated]" : "";
  fmt::print(out, "\n{:<26}{:>14}{:>14}\n", "", "gross", "net of idle");
  fmt::print(out, "{:<26}{:>14}{:>14}{}\n", "IPW (accuracy / W)", num(s.ipw), num(s.ipw_net), label);
  fmt::print(out, "{:<26}{:>14}{:>14}{}\n", "IPJ (accuracy / J)", num(s.ipj), num(s.ipj_net), label);
  fmt::print(out, "{:<26}{:>14}{:>14}{}\n", "mean energy / query (J)", num(s.mean_energy_j),
             num(s.mean_net_energy_j), label);
  fmt::print(out, "{:<26}{:>14}{:>14}{}\n", "mean power (W)", num(s.mean_power_w),
             num(s.mean_net_power_w), label);
  fmt::print(out, "{:<26}{:>14}\n", "J / output token", num(s.j_per_output_token));
  fmt::print(out, "{:<26}{:>14}\n", "total query energy (J)", num(s.total_energy_j));
  if (s.failed_energy_j) fmt::print(out, "{:<26}{:>14}\n", "on failed queries (J)", num(s.failed_energy_j));
  double retry_j = 0;
  for (const auto& st : a.stages) retry_j += st.retry_energy_j.value_or(0.0);
  if (retry_j > 0) fmt::print(out, "{:<26}{:>14}\n", "on retried attempts (J)", num(retry_j));
  fmt::print(out, "{:<26}{:>14}\n", "output tokens / s", num(s.output_tokens_per_s));
  print_reasoning(out, s);
  fmt::print(out, "\nlatency (ms)\n");
  fmt::print(out, "{}", dist_row("TTFT", s.ttft_s, 1e3, "ms"));
  fmt::print(out, "{}", dist_row("TPOT", s.tpot_s, 1e3, "ms"));
  fmt::print(out, "{}", dist_row("end-to-end", s.latency_s, 1e3, "ms"));
  print_run_metrics(out, a.metrics, s.energy_source == "estimated");
  print_stages(out, a.stages, label, a.slo, a.saturation);
  if (a.tasks) print_task_summary(out, *a.tasks);
}

void write_summary_json(const RunAnalysis& a) {
  const auto path = std::filesystem::path(a.dir) / "summary.json";
  const auto tmp = std::filesystem::path(a.dir) / "summary.json.tmp";
  {
    std::ofstream f(tmp);
    f << to_json(a).dump(2) << "\n";
    if (!f) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace ipw::report
