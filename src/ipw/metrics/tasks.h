#pragma once
// Per-task figures of an agent run (docs/agents.md, "Energy per task"): requests
// grouped by their task, the energy between requests stored beside them, outcomes
// attached by `ipw tasks --results`, and over the tasks the success rate, the
// energy per task and IPJ per task = success rate / mean task energy (a ratio of
// means, as IPJ is for single queries).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/metrics/stats.h"
#include "ipw/run/query_record.h"
#include "ipw/run/task_record.h"

namespace ipw::metrics {

struct TaskRow {
  std::string task;
  int turns = 0, failed_turns = 0, tool_calls = 0;
  std::int64_t input_tokens = 0, output_tokens = 0;
  double wall_s = 0;  // first send to last byte
  // Σ of its requests' energy (empty when any is unknown), and the energy between them
  // (empty when unknown or never measured).
  std::optional<double> request_energy_j, between_energy_j;
  std::optional<bool> success;
  std::optional<double> score;
};

// Energy per turn against the turn's prompt tokens, which hold the conversation so
// far: prefill grows with it. Turns in bins of prompt tokens [lo, hi).
struct ContextBin {
  std::int64_t lo_tokens = 0, hi_tokens = 0;
  std::size_t turns = 0;
  std::optional<double> mean_energy_j, mean_prefill_energy_j;
};

struct TaskSummary {
  std::size_t tasks = 0, with_outcome = 0, succeeded = 0;
  std::optional<double> success_rate;
  std::optional<Interval> success_ci95;  // Wilson, over tasks with an outcome
  std::optional<double> mean_turns, mean_wall_s;
  // Over every task with the figure.
  std::optional<double> mean_request_energy_j, mean_between_energy_j;
  // Over tasks with an outcome and a known request energy: success rate / mean request
  // energy. Tool time is reported apart (mean_between_energy_j), not charged to the model.
  std::optional<double> ipj_per_task;
  std::size_t ipj_tasks = 0;  // the tasks ipj_per_task is over
  // Least-squares slope of a turn's energy against its prompt tokens, J per 1,000.
  std::optional<double> j_per_1k_context_tokens;
  std::vector<ContextBin> by_context;
};

struct TaskMetrics {
  std::vector<TaskRow> rows;  // by task name
  TaskSummary summary;
};

class TaskMetricsBuilder {
 public:
  // Queries without a task are not part of any (a profiled run has none).
  void add(const run::QueryRecord& q);
  bool empty() const { return tasks_.empty(); }
  TaskMetrics finish(const std::vector<run::TaskRecord>& stored) const;

 private:
  struct Acc {
    TaskRow row;
    std::int64_t t_start_ns = 0, t_end_ns = 0;
    bool energy_known = true;
  };
  struct Turn {
    std::int64_t input_tokens;
    double energy_j;
    std::optional<double> prefill_energy_j;
  };
  std::map<std::string, Acc> tasks_;
  std::vector<Turn> turns_;  // successful turns with prompt tokens and energy
};

nlohmann::json to_json(const TaskMetrics& m);

}  // namespace ipw::metrics
