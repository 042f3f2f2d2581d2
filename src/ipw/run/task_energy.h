#pragma once
// Energy between a task's requests (docs/agents.md, "Energy per task"): the time an
// agent spends on its own tools, thinking or waiting, with none of its requests at
// the server. The ledger gives the energy of every span in which no request of any
// task was in flight (EnergyLedger's idle spans); each such span is shared equally
// by the tasks "between requests" in it, those whose first send is before it and
// whose last byte is after it. A span in which some request is in flight belongs
// to that request (its energy share), never to a waiting task: the server's work
// for one agent is not another agent's tool time. So
//     Σ tasks (energy in requests + energy between) + idle outside every task
//       = the stage's measured energy.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipw::run {

// A task's lifetime on the monotonic clock: its first send to its last byte.
struct TaskLifetime {
  std::string task;
  std::int64_t t_start_ns = 0, t_end_ns = 0;
};

// A span with no request in flight, and its energy summed over the selected
// domains (empty when some domain's energy is unknown in it).
struct IdleSpan {
  std::int64_t t_start_ns = 0, t_end_ns = 0;
  std::optional<double> energy_j;
};

// Collects idle spans as the ledger shares them, in time order, merging adjacent
// ones: a proxy that waits for hours between requests advances its ledger every
// few milliseconds, and that must not grow a span a step.
class IdleSpans {
 public:
  void add(const IdleSpan& s);
  const std::vector<IdleSpan>& spans() const { return spans_; }

 private:
  std::vector<IdleSpan> spans_;
};

// Each lifetime's energy between requests, in the order given: the idle spans'
// energy inside it, each part divided by the number of lifetimes it lies in (a span
// that a lifetime's edge cuts is split by time). Empty for a task when any part it
// would share has unknown energy. Spans must be in time order and disjoint.
std::vector<std::optional<double>> between_requests_j(const std::vector<TaskLifetime>& tasks,
                                                      const std::vector<IdleSpan>& idle);

}  // namespace ipw::run
