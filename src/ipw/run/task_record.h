#pragma once
// What the run store keeps of a task beside its requests (docs/agents.md): the
// energy between its requests, measured by the session that recorded it, and its
// outcome, attached afterwards by `ipw tasks --results`.
#include <optional>
#include <string>

namespace ipw::run {

struct TaskRecord {
  std::string task;
  std::optional<double> between_energy_j;  // empty: unknown, or the recording session never finished
  std::optional<bool> success;             // empty: no outcome attached
  std::optional<double> score;
};

}  // namespace ipw::run
