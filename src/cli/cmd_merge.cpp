// `ipw merge RUN... -o DIR`: one run from the shards of a workload (run/merge.h).
#include <memory>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "cli/signals.h"
#include "ipw/report/run_analysis.h"
#include "ipw/run/merge.h"

namespace ipw::cli {

Handler setup_merge(CLI::App& app) {
  struct Flags {
    std::vector<std::string> runs;
    std::string out;
    bool partial = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n"
      "  ipw merge halves/* -o merged-halves   # the runs of --shard 0/2 and --shard 1/2 in halves/\n"
      "  ipw merge halves/* -o merged-anyway --partial   # even with a shard missing or unfinished\n"
      "The shards come from ipw profile --shard I/N (docs/cluster.md).");
  app.add_option("runs", f->runs, "Run directories: the shards of one workload")->required()->check(CLI::ExistingDirectory);
  app.add_option("-o,--out", f->out, "The merged run's directory (must not exist)")->required();
  app.add_flag("--partial", f->partial,
               "Merge even when shards are missing or did not complete (the merged run records what it lacks)");
  return [f](const std::string& command_line) {
    run::MergeOptions opts;
    opts.partial = f->partial;
    opts.command_line = command_line;
    const std::atomic<bool>& stop = install_stop_handlers();
    // A line per 100,000 queries in a log; a redrawn bar on a terminal.
    ProgressBar bar(stdout, ::isatty(STDOUT_FILENO) != 0, 100000);
    const run::MergeOutcome out = run::merge_runs(f->runs, f->out, opts, bar, stop);
    if (out.dir.empty()) {
      fmt::print(stderr, "ipw merge: interrupted; nothing was written (run it again)\n");
      return kExitInterrupted;
    }
    for (const std::string& w : out.warnings) fmt::print(stderr, "ipw merge: warning: {}\n", w);
    const auto analysis = report::analyze_run(out.dir);
    report::write_summary_json(analysis);
    fmt::print("merged {} runs ({} queries, {} sessions, {} telemetry samples) into {}\n", out.runs, out.queries,
               out.sessions, out.samples, out.dir);
    return kExitOk;
  };
}

}  // namespace ipw::cli
