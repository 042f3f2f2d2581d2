// `ipw sweep PLAN.yaml`, `ipw sweep status DIR`, `ipw sweep resume DIR`, and the two
// steps a Slurm job runs, `ipw sweep task DIR INDEX` and `ipw sweep merge DIR`
// (docs/cluster.md).
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "ipw/cluster/command.h"
#include "ipw/cluster/plan.h"
#include "ipw/cluster/slurm.h"
#include "ipw/cluster/sweep_dir.h"
#include "ipw/common/usage_error.h"
#include "ipw/report/run_analysis.h"
#include "ipw/run/merge.h"
#include "ipw/run/profiler.h"

namespace ipw::cli {
namespace {
namespace fs = std::filesystem;
using cluster::Cell;
using cluster::Plan;
using cluster::SweepRecord;
using cluster::TaskState;

// A merge inside a sweep reports once per cell, not with a bar.
struct Silent final : run::ProgressSink {
  void begin(std::size_t, std::size_t) override {}
  void update(std::size_t, std::size_t, std::optional<double>, const run::QueryRecord&) override {}
  void note(const std::string&) override {}
  void end() override {}
};

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

// Every cell's flags as `ipw profile` parses them (IPW_CHECK_ARGS=1: parsed and validated,
// nothing run), so a typo in the plan fails now, not in the middle of a cluster job. The
// message names the plan lines of the flags ipw profile complained about.
void check_cells(const Plan& plan, const std::vector<Cell>& cells, const std::string& ipw) {
  const std::string log = (fs::temp_directory_path() / fmt::format("ipw-sweep-check-{}.log", ::getpid())).string();
  ::setenv("IPW_CHECK_ARGS", "1", 1);
  for (const Cell& cell : cells) {
    std::vector<std::string> argv = {ipw, "profile"};
    for (std::string& a : cluster::profile_args(plan, cell, 0)) argv.push_back(std::move(a));
    fs::remove(log);
    const cluster::CommandResult r = cluster::run_command(argv, log);
    if (r.status == 0) continue;
    ::unsetenv("IPW_CHECK_ARGS");
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    fs::remove(log);
    std::string where;
    for (const auto* flags : {&plan.profile, &plan.matrix}) {
      for (const cluster::PlanFlag& f : *flags) {
        if (text.str().find("--" + f.name) != std::string::npos) where += fmt::format(" (line {}: '{}')", f.line, f.name);
      }
    }
    throw UsageError(fmt::format("{}: cell {}: ipw profile does not accept its flags{}:\n{}", plan.path, cell.name, where,
                                 text.str()));
  }
  ::unsetenv("IPW_CHECK_ARGS");
  fs::remove(log);
}

void print_plan(const Plan& plan, const std::vector<Cell>& cells) {
  fmt::print("sweep {}: {} cell{} x {} shard{} = {} tasks, backend {}, out {}\n", plan.name, cells.size(),
             cells.size() == 1 ? "" : "s", plan.shards, plan.shards == 1 ? "" : "s", cells.size() * static_cast<std::size_t>(plan.shards),
             plan.backend, plan.out);
  for (std::size_t c = 0; c < cells.size(); ++c) {
    fmt::print("  cell {}: {}  (tasks {}-{})\n", c, cells[c].name, c * static_cast<std::size_t>(plan.shards),
               (c + 1) * static_cast<std::size_t>(plan.shards) - 1);
  }
}

// One task: a new profile, or the resume of the run it already started (a profile that
// stopped, a Slurm task that was cancelled). Its output goes to the task's log.
int run_task(const SweepRecord& rec, int index) {
  const auto cells = cluster::plan_cells(rec.plan);
  const auto tasks = cluster::plan_tasks(rec.plan);
  if (index < 0 || index >= static_cast<int>(tasks.size())) {
    throw UsageError(fmt::format("sweep {} has tasks 0-{}; there is no task {}", rec.plan.out, tasks.size() - 1, index));
  }
  const cluster::Task& t = tasks[static_cast<std::size_t>(index)];
  const Cell& cell = cells[static_cast<std::size_t>(t.cell)];
  const std::string dir = cluster::task_dir(rec.plan, cell, t.shard);
  fs::create_directories(dir);
  std::vector<std::string> argv = {rec.ipw.empty() ? self_exe() : rec.ipw, "profile"};
  if (const auto run = cluster::task_run(rec.plan, cell, t.shard)) {
    argv.insert(argv.end(), {"--resume", *run});
    // Credentials are never stored with a run: the plan's server URL is given again.
    for (const cluster::PlanFlag& f : rec.plan.profile) {
      if (f.name == "server" || f.name == "judge") argv.push_back(fmt::format("--{}={}", f.name, f.values.front()));
    }
    for (const auto& [flag, value] : cell.setting) {
      if (flag == "server" || flag == "judge") argv.push_back(fmt::format("--{}={}", flag, value));
    }
  } else {
    for (std::string& a : cluster::profile_args(rec.plan, cell, t.shard)) argv.push_back(std::move(a));
  }
  return cluster::run_command(argv, dir + "/task.log").status;
}

// Merges each cell whose tasks are all done and that has no merged run yet. Returns
// whether every cell is merged.
bool merge_cells(const SweepRecord& rec, const std::atomic<bool>& stop) {
  const auto cells = cluster::plan_cells(rec.plan);
  const auto states = cluster::task_states(rec.plan, {});
  bool all = true;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (cluster::merged(rec.plan, cells[c])) continue;
    std::vector<std::string> runs;
    bool ready = true;
    for (const auto& s : states) {
      if (s.task.cell != static_cast<int>(c)) continue;
      ready = ready && s.state == TaskState::done;
      runs.push_back(s.run_dir);
    }
    if (!ready || stop.load()) {
      all = false;
      continue;
    }
    run::MergeOptions opts;
    opts.command_line = "ipw sweep merge " + rec.plan.out;
    Silent quiet;
    const auto out = run::merge_runs(runs, cluster::merged_dir(rec.plan, cells[c]), opts, quiet, stop);
    if (out.dir.empty()) {
      all = false;
      continue;
    }
    report::write_summary_json(report::analyze_run(out.dir));
    fmt::print("merged {}: {} queries from {} shard{}\n", cells[c].name, out.queries, out.runs, out.runs == 1 ? "" : "s");
  }
  return all;
}

// The job arrays the sweep submitted (a resume that only merges submits none).
std::vector<std::string> array_jobs(const SweepRecord& rec) {
  std::vector<std::string> jobs;
  for (const auto& s : rec.submissions) {
    if (!s.job.empty()) jobs.push_back(s.job);
  }
  return jobs;
}

// The status table; true when every task and every merge is done.
bool print_status(const SweepRecord& rec) {
  const auto queued = cluster::queued_tasks(array_jobs(rec));
  const auto states = cluster::task_states(rec.plan, queued);
  const auto cells = cluster::plan_cells(rec.plan);
  bool done = true;
  fmt::print("sweep {} ({}, {} tasks)\n", rec.plan.name, rec.plan.backend, states.size());
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const bool is_merged = cluster::merged(rec.plan, cells[c]);
    done = done && is_merged;
    fmt::print("  {}  merge: {}\n", cells[c].name, is_merged ? "done" : "pending");
    for (const auto& s : states) {
      if (s.task.cell != static_cast<int>(c)) continue;
      done = done && s.state == TaskState::done;
      fmt::print("    task {:>3}  shard {}/{}  {:<8} {:>6} queries  {}\n", s.task.index, s.task.shard, rec.plan.shards,
                 cluster::to_string(s.state), s.queries, s.detail);
    }
  }
  if (!rec.submissions.empty()) {
    const auto& last = rec.submissions.back();
    fmt::print("slurm: job {} (tasks), merge job {}, submitted {}\n", last.job.empty() ? "-" : last.job, last.merge_job,
               last.utc);
  }
  fmt::print("{}\n", done ? "all tasks and merges done" : "not done yet");
  return done;
}

// Local backend: the given tasks one after another, then the merges.
int run_locally(const SweepRecord& rec, const std::vector<int>& indices) {
  const std::atomic<bool>& stop = install_stop_handlers();
  std::size_t k = 0;
  for (int index : indices) {
    if (stop.load()) break;
    fmt::print("task {} ({} of {}) …\n", index, ++k, indices.size());
    std::fflush(stdout);
    const int status = run_task(rec, index);
    if (status != 0) fmt::print("task {} exited {} (its log: task.log in its folder)\n", index, status);
  }
  if (!stop.load()) (void)merge_cells(rec, stop);
  const bool done = print_status(rec);
  if (stop.load()) {
    fmt::print(stderr, "ipw sweep: interrupted; finish with: ipw sweep resume {}\n", rec.plan.out);
    return kExitInterrupted;
  }
  return done ? kExitOk : kExitIncomplete;
}

int start(const std::string& plan_path, bool dry_run) {
  SweepRecord rec;
  rec.plan_text = cluster::read_plan(plan_path);
  rec.plan = cluster::parse_plan(rec.plan_text, plan_path);
  rec.ipw = self_exe();
  const auto cells = cluster::plan_cells(rec.plan);
  check_cells(rec.plan, cells, rec.ipw);
  std::vector<int> all;
  for (const auto& t : cluster::plan_tasks(rec.plan)) all.push_back(t.index);
  if (dry_run) {
    print_plan(rec.plan, cells);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::vector<std::string> args = cluster::profile_args(rec.plan, cells[c], 0);
      fmt::print("  cell {} shard 0: ipw profile {}\n", c, fmt::join(args, " "));
    }
    if (rec.plan.backend == "slurm") {
      fmt::print("\nbatch script:\n{}\nmerge job: sbatch {}\n", cluster::batch_script(rec.plan, all, rec.ipw),
                 fmt::join(cluster::merge_job_args(rec.plan, rec.ipw, "<array job>"), " "));
    }
    return kExitOk;
  }
  if (rec.plan.backend == "slurm") cluster::require_sbatch();  // before the sweep's directory exists
  cluster::create_sweep_dir(rec);
  print_plan(rec.plan, cells);
  if (rec.plan.backend == "local") return run_locally(rec, all);
  const auto sub = cluster::submit(rec.plan, all, rec.ipw);
  cluster::add_submission(rec.plan.out, sub);
  fmt::print("submitted job array {} ({} tasks) and merge job {}; follow with: ipw sweep status {}\n", sub.job,
             all.size(), sub.merge_job, rec.plan.out);
  return kExitOk;
}

int resume(const std::string& dir) {
  const SweepRecord rec = cluster::read_sweep_dir(dir);
  const auto queued = cluster::queued_tasks(array_jobs(rec));
  std::vector<int> todo;
  for (const auto& s : cluster::task_states(rec.plan, queued)) {
    // Queued and running tasks are Slurm's; the rest that are not done run again (resumed).
    if (s.state == TaskState::pending || s.state == TaskState::failed ||
        (s.state == TaskState::running && rec.plan.backend == "local")) {
      todo.push_back(s.task.index);
    }
  }
  if (rec.plan.backend == "local") return run_locally(rec, todo);
  const auto sub = cluster::submit(rec.plan, todo, rec.ipw);
  cluster::add_submission(dir, sub);
  fmt::print("resubmitted {} task{}{} and merge job {}; follow with: ipw sweep status {}\n", todo.size(),
             todo.size() == 1 ? "" : "s", sub.job.empty() ? "" : " as job array " + sub.job, sub.merge_job, dir);
  return kExitOk;
}

}  // namespace

Handler setup_sweep(CLI::App& app) {
  struct Flags {
    std::vector<std::string> args;
    bool dry_run = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Forms (after ipw sweep):\n"
      "  PLAN.yaml [--dry-run]   run (or submit) every cell x shard of the plan, then merge each cell\n"
      "  status DIR              each task and merge: pending, queued, running, done or failed\n"
      "                          (exit 0 only when all are done)\n"
      "  resume DIR              run (or resubmit) only the missing and failed tasks, then the merges\n"
      "  task DIR INDEX          one task (what each Slurm array task runs)\n"
      "  merge DIR               merge the cells whose tasks are done (the Slurm merge job)\n"
      "Examples:\n"
      "  ipw sweep plan.yaml --dry-run\n"
      "  ipw sweep status sweeps/demo\n"
      "The plan's keys and a complete Slurm example: docs/cluster.md.");
  app.add_option("args", f->args, "PLAN.yaml, or status|resume|task|merge DIR [INDEX]")->required();
  app.add_flag("--dry-run", f->dry_run, "Print the cells, each cell's profile flags and (Slurm) the batch script; run nothing");
  return [f](const std::string&) {
    const std::vector<std::string>& a = f->args;
    const std::string verb = a.front();
    const auto need = [&](std::size_t n, const char* form) {
      if (a.size() != n) throw UsageError(fmt::format("usage: ipw sweep {}", form));
    };
    if (verb == "status") {
      need(2, "status DIR");
      return print_status(cluster::read_sweep_dir(a[1])) ? kExitOk : kExitIncomplete;
    }
    if (verb == "resume") {
      need(2, "resume DIR");
      return resume(a[1]);
    }
    if (verb == "task") {
      need(3, "task DIR INDEX");
      int index = -1;
      try {
        index = std::stoi(a[2]);
      } catch (const std::exception&) {
        throw UsageError(fmt::format("ipw sweep task: INDEX '{}' is not a number", a[2]));
      }
      return run_task(cluster::read_sweep_dir(a[1]), index);
    }
    if (verb == "merge") {
      need(2, "merge DIR");
      const std::atomic<bool>& stop = install_stop_handlers();
      return merge_cells(cluster::read_sweep_dir(a[1]), stop) ? kExitOk : kExitIncomplete;
    }
    need(1, "PLAN.yaml [--dry-run]");
    return start(verb, f->dry_run);
  };
}

}  // namespace ipw::cli
