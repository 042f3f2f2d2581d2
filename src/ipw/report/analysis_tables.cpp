#include "ipw/report/analysis_tables.h"
#include "ipw/report/text_cells.h"

#include <algorithm>

#include <fmt/format.h>

namespace ipw::report {
namespace {

std::string ci(const std::optional<metrics::Interval>& i) {
  return i ? fmt::format("{:.4g}–{:.4g}", i->lo, i->hi) : std::string("n/a");
}

}  // namespace

void print_run_metrics(std::FILE* out, const metrics::RunMetrics& m, bool estimated) {
  const char* label = estimated ? " [estimated]" : "";
  const auto& s = m.summary;
  const auto& t = m.trimmed;
  // The caller has just printed the latency rows; the inter-token latency ends them.
  if (m.itl_s.n > 0) {
    fmt::print(out, "  {:<10} mean {:>9.1f}  p50 {:>9.1f}  p90 {:>9.1f}  p99 {:>9.1f}  ms  (n={}{})\n",
               "ITL", *m.itl_s.mean * 1e3, *m.itl_s.p50 * 1e3, *m.itl_s.p90 * 1e3,
               *m.itl_s.p99 * 1e3, m.itl_s.n, m.itl_sampled ? ", percentiles sampled" : "");
  }
  fmt::print(out, "\nuncertainty and robustness{}\n", label);
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "", "value", "95% CI (bootstrap)",
             fmt::format("{:.0f}%-trimmed", t.proportion * 100));
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "accuracy", num(s.accuracy), ci(m.ci95.accuracy), "");
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "IPW (1/W)", num(s.ipw), ci(m.ci95.ipw), num(t.ipw));
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "IPJ (1/J)", num(s.ipj), ci(m.ci95.ipj), num(t.ipj));
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "IPW net of idle (1/W)", num(s.ipw_net),
             ci(m.ci95.ipw_net), num(t.ipw_net));
  fmt::print(out, "  {:<22}{:>12}{:>22}{:>14}\n", "IPJ net of idle (1/J)", num(s.ipj_net),
             ci(m.ci95.ipj_net), num(t.ipj_net));
  if (m.ci95.replicates > 0) {
    fmt::print(out, "  ({} bootstrap replicates, {} resampling, seed {})\n", m.ci95.replicates, m.ci95.method,
               m.ci95.seed);
  }
  if (m.mean_prefill_energy_j || m.mean_decode_energy_j) {
    fmt::print(out, "  mean prefill / decode energy: {} J / {} J{}\n", num(m.mean_prefill_energy_j),
               num(m.mean_decode_energy_j), label);
  }
  if (m.energy_model) {
    const auto& e = *m.energy_model;
    fmt::print(out, "\nenergy model (least squares, n={}){}\n", e.n, label);
    fmt::print(out, "  E = {:.4g} J + {:.4g} J/input-token · in + {:.4g} J/output-token · out"
               "   R² = {:.4f}{}\n", e.a_j, e.b_j_per_in_token, e.c_j_per_out_token, e.r2,
               e.terms == "full" ? "" : fmt::format("  ({})", e.terms));
  } else {
    fmt::print(out, "\nenergy model: n/a (needs ≥ 3 queries with energy and varying token counts)\n");
  }
  print_perplexity(out, m.perplexity, estimated);
  print_repeats(out, m.repeats, estimated);
  print_groups(out, "category", m.by_category, estimated);
  print_groups(out, "source", m.by_source, estimated);
}

void print_repeats(std::FILE* out, const metrics::RepeatStats& r, bool estimated) {
  if (r.repeats() < 2) return;
  auto pm = [](const std::optional<double>& m, const std::optional<double>& sd) {
    return m ? fmt::format("{:.4g} ± {}", *m, sd ? fmt::format("{:.2g}", *sd) : std::string("n/a"))
             : std::string("n/a");
  };
  fmt::print(out, "\nrepeats ({} passes over the workload; mean ± σ across passes, σ with n − 1)\n", r.repeats());
  fmt::print(out, "  {:<26}{:>20}\n", "accuracy", pm(r.accuracy_mean, r.accuracy_sd));
  fmt::print(out, "  {:<26}{:>20}{}\n", "mean energy / query (J)", pm(r.mean_energy_j_mean, r.mean_energy_j_sd),
             estimated ? " [estimated]" : "");
  fmt::print(out, "  {:<8}{:>7}{:>10}{:>12}\n", "repeat", "n", "accuracy", "E (J)");
  for (const auto& f : r.per_repeat) {
    fmt::print(out, "  {:<8}{:>7}{:>10}{:>12}\n", f.repeat, f.queries, num(f.accuracy, "{:.4f}"),
               num(f.mean_energy_j));
  }
}

void print_perplexity(std::FILE* out, const metrics::PerplexitySummary& p, bool estimated) {
  if (p.scored == 0) return;  // the run was not profiled with --perplexity
  const char* label = estimated ? " [estimated]" : "";
  fmt::print(out, "\nreference perplexity ({} queries, {} reference tokens)\n", p.scored, p.reference_tokens);
  fmt::print(out, "  {:<26}{:>14}\n", "mean perplexity", num(p.mean_perplexity));
  fmt::print(out, "  {:<26}{:>14}\n", "per-token perplexity", num(p.token_perplexity));
  fmt::print(out, "  {:<26}{:>14}{:>14}\n", "", "gross", "net of idle");
  fmt::print(out, "  {:<26}{:>14}{:>14}{}\n", "PPW (1/W)", num(p.ppw), num(p.ppw_net), label);
  fmt::print(out, "  {:<26}{:>14}{:>14}{}\n", "PPJ (1/J)", num(p.ppj), num(p.ppj_net), label);
}

void print_groups(std::FILE* out, const char* title, const std::vector<metrics::GroupStats>& groups,
                  bool estimated) {
  if (groups.empty()) return;
  fmt::print(out, "\nby {}{}\n", title, estimated ? " [energy estimated]" : "");
  // A space before every column: a cell that fills its width never runs into the next.
  fmt::print(out, "  {:<24} {:>6} {:>6} {:>9} {:>19} {:>10} {:>9} {:>10} {:>10}\n", title, "n", "err",
             "accuracy", "95% CI (Wilson)", "E (J)", "P (W)", "IPW", "IPJ");
  for (const auto& g : groups) {
    fmt::print(out, "  {:<24} {:>6} {:>6} {:>9} {:>19} {:>10} {:>9} {:>10} {:>10}\n",
               cut(g.key, 23), g.queries, g.errors,
               num(g.accuracy, "{:.3f}"), ci(g.accuracy_ci95), num(g.mean_energy_j),
               num(g.mean_power_w), num(g.ipw), num(g.ipj));
  }
}

namespace {

std::string setting_text(const nlohmann::json& setting) {
  if (setting.contains("concurrency")) return fmt::format("concurrency {}", setting["concurrency"].get<int>());
  if (setting.contains("rate")) {
    std::string text = fmt::format("rate {:g}/s {}", setting["rate"].get<double>(), setting.value("arrival", ""));
    if (setting.value("max_concurrency", 0) > 0) text += fmt::format(" ≤{}", setting["max_concurrency"].get<int>());
    return text;
  }
  if (setting.contains("arrival_trace")) return "trace";
  return setting.dump();
}


}  // namespace

void print_stages(std::FILE* out, const std::vector<metrics::StageMetrics>& stages, const std::string& label,
                  const metrics::Slo& slo, const std::optional<metrics::Saturation>& saturation) {
  if (stages.empty()) return;
  fmt::print(out, "\nload stages (energy, throughput and J/token from each stage's measured totals{})\n", label);
  fmt::print(out, "  {:>5}  {:<24}{:>9}{:>9}{:>11}{:>12}{:>10}{:>11}{:>10}{:>10}{:>10}{:>9}{:>11}\n", "stage", "setting",
             "in flight", "req/s", "out tok/s", "energy J", "unattr J", "J/out tok", "power W", "TTFT p50", "E2E p90",
             "accuracy", "IPJ");
  const auto ms = [](const std::optional<double>& v) { return v ? fmt::format("{:.0f}ms", *v * 1e3) : std::string("n/a"); };
  double worst = 0;
  for (const auto& s : stages) {
    fmt::print(out, "  {:>5}  {:<24}{:>9}{:>9}{:>11}{:>12}{:>10}{:>11}{:>10}{:>10}{:>10}{:>9}{:>11}\n", s.stage,
               setting_text(s.setting), num(s.mean_in_flight), num(s.requests_per_s), num(s.output_tokens_per_s),
               num(s.energy_j), num(s.unattributed_energy_j), num(s.j_per_output_token), num(s.mean_power_w),
               ms(s.queries.ttft_s.p50), ms(s.queries.latency_s.p90), num(s.queries.accuracy), num(s.queries.ipj));
    worst = std::max(worst, s.conservation_error_j);
  }
  fmt::print(out, "  energy shared by '{}' (docs/attribution.md); shares + unattributed = measured to {:.1e} J\n",
             stages.front().attribution, worst);
  std::size_t transient = 0;
  for (const auto& s : stages) transient += s.transient_queries;
  if (std::any_of(stages.begin(), stages.end(), [](const auto& s) { return s.steady_state; })) {
    fmt::print(out, "  steady state: the figures leave out each stage's warm-up and cool-down ({} stored queries "
                    "touching them)\n", transient);
  }
  if (!slo.empty()) {
    fmt::print(out, "  SLO {}:\n", metrics::to_json(slo).dump());
    for (const auto& s : stages) {
      fmt::print(out, "  {:>5}  within SLO {:>6}  goodput {:>5} queries  goodput IPJ {}\n", s.stage,
                 s.slo_attainment ? fmt::format("{:.1f}%", *s.slo_attainment * 100) : std::string("n/a"),
                 s.goodput_queries, num(s.goodput_ipj));
    }
  }
  if (saturation) {
    fmt::print(out, "  saturation at stage {}: output tokens/s {:+.1f}% and p50 latency {:+.1f}% over stage {} "
                    "(rule: gain < {:.0f}% while p50 grows > {:.0f}%)\n",
               saturation->stage, saturation->throughput_gain * 100, saturation->p50_latency_growth * 100,
               saturation->previous_stage, metrics::kSaturationMinThroughputGain * 100,
               metrics::kSaturationMaxLatencyGrowth * 100);
  }
}

}  // namespace ipw::report
