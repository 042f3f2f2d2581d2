#pragma once
// The tasks of an agent run in the terminal (docs/agents.md): `ipw analyze` prints
// the summary over tasks, `ipw tasks` the table of every task.
#include <cstdio>

#include "ipw/metrics/tasks.h"

namespace ipw::report {

// Success rate and its interval, energy per task (in requests and between them),
// IPJ per task, and energy per turn against the context length.
void print_task_summary(std::FILE* out, const metrics::TaskMetrics& m);
// One row a task: turns, tokens, wall time, energy in and between requests, outcome.
void print_task_table(std::FILE* out, const metrics::TaskMetrics& m);

}  // namespace ipw::report
