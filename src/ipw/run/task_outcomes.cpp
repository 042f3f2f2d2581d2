#include "ipw/run/task_outcomes.h"

#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ipw::run {
namespace {

TaskRecord parse_outcome(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line);  // throws with the column
  if (!j.is_object()) throw std::runtime_error("not a JSON object");
  TaskRecord t;
  const auto task = j.find("task");
  if (task == j.end()) throw std::runtime_error("no \"task\"");
  if (task->is_string()) {
    t.task = task->get<std::string>();
  } else if (task->is_number_integer()) {
    t.task = task->dump();
  } else {
    throw std::runtime_error("\"task\" must be a string or an integer");
  }
  if (t.task.empty()) throw std::runtime_error("\"task\" is empty");
  const auto success = j.find("success");
  if (success == j.end() || !success->is_boolean()) throw std::runtime_error("\"success\" must be true or false");
  t.success = success->get<bool>();
  if (const auto score = j.find("score"); score != j.end() && !score->is_null()) {
    if (!score->is_number()) throw std::runtime_error("\"score\" must be a number");
    t.score = score->get<double>();
  }
  return t;
}

}  // namespace

std::vector<TaskRecord> read_task_outcomes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  std::vector<TaskRecord> out;
  std::map<std::string, std::size_t> first_line;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      TaskRecord t = parse_outcome(line);
      if (const auto [it, fresh] = first_line.emplace(t.task, n); !fresh) {
        throw std::runtime_error(fmt::format("task \"{}\" again (first on line {})", t.task, it->second));
      }
      out.push_back(std::move(t));
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{}:{}: {} (each line: {{\"task\": ID, \"success\": true|false, "
                                           "\"score\": number (optional)}})",
                                           path, n, e.what()));
    }
  }
  return out;
}

AttachedOutcomes attach_task_outcomes(RunStore& store, const std::vector<TaskRecord>& outcomes) {
  const std::set<std::string> names = store.task_names();
  AttachedOutcomes r;
  std::vector<TaskRecord> known;
  for (const TaskRecord& t : outcomes) {
    if (names.count(t.task) > 0) {
      known.push_back(t);
    } else {
      r.unknown.push_back(t.task);
    }
  }
  store.write_task_outcomes(known);
  r.attached = known.size();
  std::size_t with = 0;
  for (const TaskRecord& t : store.tasks()) with += t.success && names.count(t.task) > 0 ? 1 : 0;
  r.without_outcome = names.size() - with;
  return r;
}

}  // namespace ipw::run
