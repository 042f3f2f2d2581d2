#include "ipw/cluster/sweep_dir.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/usage_error.h"
#include "ipw/run/store.h"

namespace ipw::cluster {
namespace fs = std::filesystem;
namespace {

std::string record_path(const std::string& dir) { return (fs::path(dir) / "sweep.json").string(); }

nlohmann::json to_json(const Submission& s) {
  return {{"job", s.job}, {"merge_job", s.merge_job}, {"tasks", s.tasks}, {"script", s.script}, {"utc", s.utc}};
}

void write_record(const std::string& dir, const nlohmann::json& j) {
  const std::string path = record_path(dir), tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  fs::rename(tmp, path);
}

nlohmann::json read_record(const std::string& dir) {
  std::ifstream in(record_path(dir));
  if (!in) throw UsageError(fmt::format("{} is not a sweep: {} not found", dir, record_path(dir)));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", record_path(dir), e.what()));
  }
}

}  // namespace

const char* to_string(TaskState s) {
  switch (s) {
    case TaskState::pending: return "pending";
    case TaskState::queued: return "queued";
    case TaskState::running: return "running";
    case TaskState::done: return "done";
    case TaskState::failed: return "failed";
  }
  return "pending";
}

void create_sweep_dir(const SweepRecord& rec) {
  if (fs::exists(record_path(rec.plan.out))) {
    throw UsageError(fmt::format("{} already holds a sweep: follow it with ipw sweep status {}, finish it with ipw "
                                 "sweep resume {}, or give the plan another 'out'",
                                 rec.plan.out, rec.plan.out, rec.plan.out));
  }
  fs::create_directories(rec.plan.out);
  nlohmann::json subs = nlohmann::json::array();
  for (const Submission& s : rec.submissions) subs.push_back(to_json(s));
  write_record(rec.plan.out, {{"plan_path", fs::absolute(rec.plan.path).string()},
                              {"plan", rec.plan_text},
                              {"out", rec.plan.out},
                              {"ipw", rec.ipw},
                              {"submissions", subs}});
}

SweepRecord read_sweep_dir(const std::string& dir) {
  const nlohmann::json j = read_record(dir);
  SweepRecord rec;
  rec.plan_text = j.value("plan", "");
  rec.plan = parse_plan(rec.plan_text, j.value("plan_path", record_path(dir)), j.value("out", ""));
  rec.ipw = j.value("ipw", "");
  for (const auto& s : j.value("submissions", nlohmann::json::array())) {
    rec.submissions.push_back({s.value("job", ""), s.value("merge_job", ""), s.value("tasks", std::vector<int>{}),
                               s.value("script", ""), s.value("utc", "")});
  }
  return rec;
}

void add_submission(const std::string& dir, const Submission& sub) {
  nlohmann::json j = read_record(dir);
  j["submissions"].push_back(to_json(sub));
  write_record(dir, j);
}

std::optional<std::string> task_run(const Plan& plan, const Cell& cell, int shard) {
  const fs::path dir = task_dir(plan, cell, shard);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "run.db")) return entry.path().string();
  }
  return std::nullopt;
}

bool merged(const Plan& plan, const Cell& cell) { return fs::exists(fs::path(merged_dir(plan, cell)) / "run.db"); }

std::vector<TaskStatus> task_states(const Plan& plan, const std::map<int, std::string>& queued) {
  const std::vector<Cell> cells = plan_cells(plan);
  std::vector<TaskStatus> out;
  for (const Task& t : plan_tasks(plan)) {
    TaskStatus s;
    s.task = t;
    const auto q = queued.find(t.index);
    const std::string slurm = q == queued.end() ? "" : q->second;
    const auto run = task_run(plan, cells[static_cast<std::size_t>(t.cell)], t.shard);
    if (!run) {
      s.state = slurm.empty() ? TaskState::pending : slurm == "RUNNING" ? TaskState::running : TaskState::queued;
      s.detail = slurm;
    } else {
      s.run_dir = *run;
      const auto store = run::RunStore::open(*run, /*read_only=*/true);
      s.queries = store.query_count();
      const auto sessions = store.sessions();
      const std::string last = sessions.empty() ? "" : sessions.back().status;
      if (last == "completed") {
        s.state = TaskState::done;
      } else if (slurm == "RUNNING" || (last == "running" && slurm.empty() && plan.backend == "local")) {
        // A local task whose session is still "running" is running now, or was killed
        // without a chance to say so (kill -9); resume finishes it either way.
        s.state = TaskState::running;
        s.detail = slurm.empty() ? "session running (or killed)" : slurm;
      } else if (!slurm.empty()) {
        s.state = TaskState::queued;
        s.detail = slurm;
      } else {
        s.state = TaskState::failed;
        s.detail = last.empty() ? "no session" : "last session " + last;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ipw::cluster
