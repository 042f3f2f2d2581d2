#pragma once
// Running the programs a sweep drives: `ipw profile` for a local task, and Slurm's
// sbatch, squeue and sacct.
#include <string>
#include <vector>

namespace ipw::cluster {

struct CommandResult {
  int status = 0;    // the exit status; 128 + N when killed by signal N; 127 when it could not start
  std::string out;   // its standard output (when not sent to a log)
};

// Runs argv (argv[0] found on PATH) in this process group, so that a terminal's Ctrl-C
// reaches it too, with stdin from /dev/null. Its standard output is returned, or, with
// a log_path, appended to that file together with its standard error.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& log_path = "");

// Whether `name` is an executable on PATH.
bool on_path(const std::string& name);

}  // namespace ipw::cluster
