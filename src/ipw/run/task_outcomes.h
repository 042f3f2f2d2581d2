#pragma once
// `ipw tasks RUN --results FILE.jsonl` (docs/agents.md): task outcomes, one JSON
// object a line, {"task": ID, "success": bool, "score": number?}, attached to the
// run's tasks. An agent framework knows whether a task succeeded; ipw only saw its
// requests, so the outcome comes from the framework's own results file.
#include <string>
#include <vector>

#include "ipw/run/store.h"

namespace ipw::run {

// Reads the file whole before anything is stored: throws std::runtime_error naming
// FILE:LINE and what is wrong (not JSON, no task, no boolean success, a score that is
// not a number, the same task twice). A task ID may be a string or an integer.
std::vector<TaskRecord> read_task_outcomes(const std::string& path);

struct AttachedOutcomes {
  std::size_t attached = 0;
  std::vector<std::string> unknown;  // tasks the run has no request of: ignored
  std::size_t without_outcome = 0;    // the run's tasks still without one
};
// Stores the outcomes of the run's own tasks in one transaction (replacing earlier
// ones) and ignores the rest.
AttachedOutcomes attach_task_outcomes(RunStore& store, const std::vector<TaskRecord>& outcomes);

}  // namespace ipw::run
