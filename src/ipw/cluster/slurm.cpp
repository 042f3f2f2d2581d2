#include "ipw/cluster/slurm.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/cluster/command.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/utc_time.h"

namespace ipw::cluster {
namespace {

// A value for a shell script line: single-quoted, so a path with spaces or a $ stays itself.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The #SBATCH options every job of the sweep shares.
std::vector<std::string> common_options(const Plan& plan) {
  std::vector<std::string> o;
  if (!plan.slurm.partition.empty()) o.push_back("--partition=" + plan.slurm.partition);
  if (!plan.slurm.account.empty()) o.push_back("--account=" + plan.slurm.account);
  if (!plan.slurm.time.empty()) o.push_back("--time=" + plan.slurm.time);
  return o;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string array_spec(std::vector<int> indices, int max_parallel) {
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    parts.push_back(j == i ? std::to_string(indices[i]) : fmt::format("{}-{}", indices[i], indices[j]));
    i = j + 1;
  }
  return fmt::format("{}{}", fmt::join(parts, ","), max_parallel > 0 ? fmt::format("%{}", max_parallel) : "");
}

std::string batch_script(const Plan& plan, const std::vector<int>& indices, const std::string& ipw) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# ipw sweep {}: one array task per cell and shard (docs/cluster.md)\n", plan.name);
  s += fmt::format("#SBATCH --job-name=ipw-{}\n", plan.name);
  s += fmt::format("#SBATCH --array={}\n", array_spec(indices, plan.slurm.max_parallel));
  s += fmt::format("#SBATCH --output={}/slurm/task-%a.log\n", plan.out);
  for (const std::string& o : common_options(plan)) s += "#SBATCH " + o + "\n";
  if (plan.slurm.gpus_per_task > 0) s += fmt::format("#SBATCH --gpus-per-task={}\n", plan.slurm.gpus_per_task);
  if (plan.slurm.cpus_per_task > 0) s += fmt::format("#SBATCH --cpus-per-task={}\n", plan.slurm.cpus_per_task);
  if (!plan.slurm.mem.empty()) s += fmt::format("#SBATCH --mem={}\n", plan.slurm.mem);
  for (const std::string& line : plan.slurm.extra) s += line + "\n";
  s += fmt::format("exec {} sweep task {} \"$SLURM_ARRAY_TASK_ID\"\n", quoted(ipw), quoted(plan.out));
  return s;
}

std::vector<std::string> merge_job_args(const Plan& plan, const std::string& ipw, const std::string& after) {
  std::vector<std::string> a = {"--parsable", fmt::format("--job-name=ipw-{}-merge", plan.name),
                                fmt::format("--output={}/slurm/merge-%j.log", plan.out)};
  for (const std::string& o : common_options(plan)) a.push_back(o);
  if (!after.empty()) a.push_back("--dependency=afterany:" + after);
  a.push_back(fmt::format("--wrap=exec {} sweep merge {}", quoted(ipw), quoted(plan.out)));
  return a;
}

void require_sbatch() {
  if (!on_path("sbatch")) {
    throw UsageError("backend slurm: sbatch is not on PATH; run the sweep on a Slurm login node (Debian: "
                     "slurm-client), or set backend: local to run the tasks here one after another");
  }
}

Submission submit(const Plan& plan, const std::vector<int>& indices, const std::string& ipw) {
  require_sbatch();
  Submission sub;
  sub.tasks = indices;
  sub.utc = utc_now_iso();
  std::filesystem::create_directories(plan.out + "/slurm");
  const auto sbatch = [&](std::vector<std::string> args, const char* what) {
    args.insert(args.begin(), "sbatch");
    const CommandResult r = run_command(args);
    // --parsable: "JOBID" or "JOBID;CLUSTER".
    const std::string id = trimmed(r.out).substr(0, trimmed(r.out).find(';'));
    if (r.status != 0 || id.empty()) {
      throw std::runtime_error(fmt::format("sbatch refused the {} (exit {}); its output: {}", what, r.status,
                                           trimmed(r.out).empty() ? "(none; see its standard error above)" : trimmed(r.out)));
    }
    return id;
  };
  if (!indices.empty()) {
    for (int n = 1;; ++n) {
      sub.script = fmt::format("{}/slurm/sweep-{}.sbatch", plan.out, n);
      if (!std::filesystem::exists(sub.script)) break;
    }
    std::ofstream(sub.script) << batch_script(plan, indices, ipw);
    sub.job = sbatch({"--parsable", sub.script}, "job array");
  }
  sub.merge_job = sbatch(merge_job_args(plan, ipw, sub.job), "merge job");
  return sub;
}

std::map<int, std::string> queued_tasks(const std::vector<std::string>& jobs) {
  std::map<int, std::string> out;
  if (jobs.empty() || !on_path("squeue")) return out;
  // -r: one line per array task ("123_4 RUNNING"); a pending range shows as one task each.
  const CommandResult r = run_command({"squeue", "-h", "-r", "-o", "%i %T", "-j", fmt::format("{}", fmt::join(jobs, ","))});
  std::istringstream lines(r.out);
  std::string id, state;
  while (lines >> id >> state) {
    const auto us = id.find('_');
    if (us == std::string::npos) continue;
    try {
      out[std::stoi(id.substr(us + 1))] = state;
    } catch (const std::exception&) {
      // "123_[4-7]": squeue -r lists each task, so a range is not expected; skip it.
    }
  }
  return out;
}

}  // namespace ipw::cluster
