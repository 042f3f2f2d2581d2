#pragma once
// A sweep's directory (docs/cluster.md, "Layout"): OUT/sweep.json records the plan's text,
// the ipw binary and every Slurm submission; OUT/CELL/shard-I/ receives each task's run;
// OUT/CELL/merged is the cell's merged run. The run directories are the truth of what is
// done: a task is done when its run's last session completed, whatever Slurm says.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ipw/cluster/plan.h"
#include "ipw/cluster/slurm.h"

namespace ipw::cluster {

struct SweepRecord {
  Plan plan;
  std::string plan_text;
  std::string ipw;  // the ipw binary that started the sweep (tasks and merges run it)
  std::vector<Submission> submissions;
};

// Creates OUT and OUT/sweep.json; throws ipw::UsageError when OUT already holds a sweep.
void create_sweep_dir(const SweepRecord& rec);
// Reads DIR/sweep.json; throws ipw::UsageError when DIR is not a sweep.
SweepRecord read_sweep_dir(const std::string& dir);
void add_submission(const std::string& dir, const Submission& sub);

enum class TaskState { pending, queued, running, done, failed };
const char* to_string(TaskState s);

struct TaskStatus {
  Task task;
  TaskState state = TaskState::pending;
  std::string run_dir;  // "" until the task has started
  std::size_t queries = 0;
  std::string detail;   // why failed, Slurm's state, …
};

// Each task's state from its run directory, and from Slurm's queue (`queued`: array index
// -> squeue state) for one not started or not finished.
std::vector<TaskStatus> task_states(const Plan& plan, const std::map<int, std::string>& queued);

// The run directory `ipw profile --out` made in a task's folder, if any.
std::optional<std::string> task_run(const Plan& plan, const Cell& cell, int shard);

// Whether a cell's merged run exists.
bool merged(const Plan& plan, const Cell& cell);

}  // namespace ipw::cluster
