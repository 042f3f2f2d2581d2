#pragma once
// The Slurm backend of a sweep (docs/cluster.md, "Sweeps on Slurm"): one job array of the
// tasks (one array index a task, `%max_parallel` throttle), each running
// `ipw sweep task OUT INDEX`, and a job that depends on it (afterany) and runs
// `ipw sweep merge OUT`.
#include <map>
#include <string>
#include <vector>

#include "ipw/cluster/plan.h"

namespace ipw::cluster {

// "0-3,5,7-8%4": the indices (sorted, distinct) as an --array value.
std::string array_spec(std::vector<int> indices, int max_parallel);

// The job-array script for these task indices; `ipw` is the absolute path of the ipw
// binary the tasks run.
std::string batch_script(const Plan& plan, const std::vector<int>& indices, const std::string& ipw);

// The sbatch arguments of the merge job (without "sbatch"); `after` is the array's job id,
// or "" for a merge with nothing to wait for.
std::vector<std::string> merge_job_args(const Plan& plan, const std::string& ipw, const std::string& after);

struct Submission {
  std::string job, merge_job;  // Slurm job ids
  std::vector<int> tasks;
  std::string script;          // the batch script's path
  std::string utc;
};

// Throws ipw::UsageError saying what to do when sbatch is not on PATH.
void require_sbatch();

// Writes the script under OUT/slurm/, submits it with `sbatch --parsable` and the merge
// job after it. With no indices, only the merge job. Throws ipw::UsageError when sbatch is
// not on PATH, std::runtime_error with sbatch's own words when it refuses.
Submission submit(const Plan& plan, const std::vector<int>& indices, const std::string& ipw);

// The array tasks Slurm still holds for these jobs: index -> state (PENDING, RUNNING, …),
// from `squeue`. Empty when squeue is missing or knows none of them.
std::map<int, std::string> queued_tasks(const std::vector<std::string>& jobs);

}  // namespace ipw::cluster
