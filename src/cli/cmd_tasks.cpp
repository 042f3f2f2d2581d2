// `ipw tasks RUN [--results FILE.jsonl]`: the tasks of an agent run, with outcomes
// attached from the agent framework's results (docs/agents.md).
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/metrics/tasks.h"
#include "ipw/report/task_tables.h"
#include "ipw/run/task_outcomes.h"

namespace ipw::cli {

Handler setup_tasks(CLI::App& app) {
  struct Flags {
    std::string run, results;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw tasks runs/<run-id>\n"
      "  ipw tasks runs/<run-id> --results outcomes.jsonl   # lines {\"task\": ID, \"success\": true, \"score\": 0.8}\n"
      "  ipw tasks runs/<run-id> --json | jq .summary.ipj_per_task");
  app.add_option("run", f->run, "Run directory (recorded by ipw proxy)")->required()->check(CLI::ExistingDirectory);
  app.add_option("--results", f->results,
                 "Attach task outcomes from a JSONL file (replaces earlier ones; tasks the run lacks are ignored)")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", f->json, "Print the tasks and their summary as JSON");
  return [f](const std::string&) {
    if (!f->results.empty()) {
      // Read the whole file first: a bad line stores nothing.
      const auto outcomes = run::read_task_outcomes(f->results);
      auto store = run::RunStore::open(f->run);
      const run::AttachedOutcomes r = run::attach_task_outcomes(store, outcomes);
      if (!r.unknown.empty()) {
        std::string names;
        for (std::size_t i = 0; i < r.unknown.size() && i < 5; ++i) names += (i ? ", " : "") + r.unknown[i];
        if (r.unknown.size() > 5) names += fmt::format(", … ({} more)", r.unknown.size() - 5);
        fmt::print(stderr, "ipw tasks: warning: {} result(s) name tasks this run has no request of, ignored: {}\n",
                   r.unknown.size(), names);
      }
      fmt::print(stderr, "ipw tasks: attached {} outcome(s); {} task(s) of the run have none\n", r.attached,
                 r.without_outcome);
    }
    const auto store = run::RunStore::open(f->run, /*read_only=*/true);
    metrics::TaskMetricsBuilder builder;
    store.for_each_query([&](const run::QueryRecord& q) { builder.add(q); }, {});
    if (builder.empty()) {
      throw std::runtime_error(fmt::format(
          "{} has no tasks: its queries were not recorded through ipw proxy (docs/agents.md)", f->run));
    }
    const metrics::TaskMetrics m = builder.finish(store.tasks());
    if (f->json) {
      fmt::print("{}\n", metrics::to_json(m).dump(2));
    } else {
      report::print_task_table(stdout, m);
      report::print_task_summary(stdout, m);
    }
    return kExitOk;
  };
}

}  // namespace ipw::cli
