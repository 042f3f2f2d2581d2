#include "ipw/report/task_tables.h"

#include <fmt/format.h>

#include "ipw/report/text_cells.h"

namespace ipw::report {

void print_task_summary(std::FILE* out, const metrics::TaskMetrics& m) {
  const metrics::TaskSummary& s = m.summary;
  fmt::print(out, "\ntasks     {}  with an outcome {}", s.tasks, s.with_outcome);
  if (s.success_rate) {
    fmt::print(out, "  success {:.4f}  (95% CI {:.4f}–{:.4f}, Wilson)\n", *s.success_rate, s.success_ci95->lo,
               s.success_ci95->hi);
  } else {
    fmt::print(out, "  (attach outcomes: ipw tasks RUN --results FILE.jsonl)\n");
  }
  fmt::print(out, "{:<26}{:>14}\n", "mean turns / task", num(s.mean_turns));
  fmt::print(out, "{:<26}{:>14}\n", "mean wall time / task (s)", num(s.mean_wall_s));
  fmt::print(out, "{:<26}{:>14}\n", "energy in requests (J)", num(s.mean_request_energy_j));
  fmt::print(out, "{:<26}{:>14}  (the agent's own time, not in IPJ)\n", "energy between (J)",
             num(s.mean_between_energy_j));
  fmt::print(out, "{:<26}{:>14}  (success rate / mean energy in requests, {} tasks)\n", "IPJ per task",
             num(s.ipj_per_task), s.ipj_tasks);
  if (s.by_context.empty()) return;
  fmt::print(out, "\nenergy per turn by context  (slope {} J per 1k prompt tokens)\n",
             num(s.j_per_1k_context_tokens));
  fmt::print(out, "  {:>15}{:>8}{:>14}{:>14}\n", "prompt tokens", "turns", "energy (J)", "prefill (J)");
  for (const metrics::ContextBin& b : s.by_context) {
    fmt::print(out, "  {:>15}{:>8}{:>14}{:>14}\n", fmt::format("{}–{}", b.lo_tokens, b.hi_tokens), b.turns,
               num(b.mean_energy_j), num(b.mean_prefill_energy_j));
  }
}

void print_task_table(std::FILE* out, const metrics::TaskMetrics& m) {
  fmt::print(out, "{:<24}{:>6}{:>7}{:>10}{:>10}{:>10}{:>12}{:>12}{:>9}\n", "task", "turns", "tools", "in tok",
             "out tok", "wall (s)", "in req (J)", "between (J)", "success");
  for (const metrics::TaskRow& r : m.rows) {
    const std::string outcome = !r.success ? "-" : *r.success ? "yes" : "no";
    const std::string turns = r.failed_turns > 0 ? fmt::format("{}!{}", r.turns, r.failed_turns) : fmt::format("{}", r.turns);
    fmt::print(out, "{:<24}{:>6}{:>7}{:>10}{:>10}{:>10.2f}{:>12}{:>12}{:>9}\n", cut(r.task, 23), turns, r.tool_calls,
               r.input_tokens, r.output_tokens, r.wall_s, num(r.request_energy_j), num(r.between_energy_j), outcome);
  }
  fmt::print(out, "(turns N!F: N requests, F of them failed)\n");
}

}  // namespace ipw::report
