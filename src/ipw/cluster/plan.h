#pragma once
// A sweep plan (`ipw sweep PLAN.yaml`, docs/cluster.md): the `ipw profile` flags every
// cell shares, a matrix of flags whose cross product is the cells, how many shards
// each cell is split into, and where the tasks run (this machine, or a Slurm job array).
// Every cell x shard is one task with its own run directory under `out`.
#include <string>
#include <utility>
#include <vector>

namespace ipw::cluster {

// One `ipw profile` flag as the plan gives it: its name without "--", its values (a
// list repeats the flag, e.g. engine-arg), and the plan line that set it.
struct PlanFlag {
  std::string name;
  std::vector<std::string> values;
  int line = 0;
};

struct SlurmOptions {
  std::string partition, time, mem, account;
  int gpus_per_task = 0, cpus_per_task = 0;
  int max_parallel = 0;            // array tasks running at once (0: no throttle)
  std::vector<std::string> extra;  // raw "#SBATCH …" lines
};

struct Plan {
  std::string path;  // the plan file
  std::string name;
  std::string out;   // absolute
  std::vector<PlanFlag> profile;  // every cell's flags
  std::vector<PlanFlag> matrix;   // flag -> the values the cells take, in the plan's order
  int shards = 1;
  std::string backend = "local";  // local | slurm
  SlurmOptions slurm;
};

// One point of the matrix: its name (a folder name) and its settings.
struct Cell {
  std::string name;                                       // "model=qwen3-4b,concurrency=8" made path-safe
  std::vector<std::pair<std::string, std::string>> setting;  // flag -> value, in the matrix's order
};

struct Task {
  int index = 0;  // the Slurm array index: cell * shards + shard
  int cell = 0, shard = 0;
};

// Checks a plan. Throws ipw::UsageError "PLAN.yaml:LINE: …" naming the key
// for an unknown key, a wrong type, an empty matrix (or an axis without values), a flag
// the sweep sets itself (out, shard, resume), shards < 1, an unknown backend. Whether each
// flag is one `ipw profile` accepts is checked by the caller, who knows the flags.
// `source` names the plan in errors; `out`, when given, replaces the plan's (a sweep keeps the
// plan's text in its directory with the `out` resolved when it started).
Plan parse_plan(const std::string& text, const std::string& source, const std::string& out = "");
// The plan file's text; throws ipw::UsageError naming the file when it cannot be read.
std::string read_plan(const std::string& path);

std::vector<Cell> plan_cells(const Plan& plan);  // the cross product, first axis slowest
std::vector<Task> plan_tasks(const Plan& plan);

// Where a task's run lives (OUT/CELL/shard-I: the run directory `ipw profile --out` makes
// inside it) and a cell's merged run (OUT/CELL/merged).
std::string task_dir(const Plan& plan, const Cell& cell, int shard);
std::string merged_dir(const Plan& plan, const Cell& cell);

// The `ipw profile` arguments of a task (after "profile"): the shared flags, the cell's,
// then --shard I/N (when shards > 1) and --out its task_dir. Each flag as --name=value.
std::vector<std::string> profile_args(const Plan& plan, const Cell& cell, int shard);

}  // namespace ipw::cluster
