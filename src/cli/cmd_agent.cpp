// `ipw agent`: the built-in tool-calling agent, measured through the proxy
// (docs/agents.md, "ipw agent").
#include <unistd.h>

#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/observe_flags.h"
#include "cli/progress_bar.h"
#include "cli/signals.h"
#include "ipw/agent/agent_data.h"
#include "ipw/agent/agent_loop.h"
#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/proxy/proxy_run.h"
#include "ipw/report/task_tables.h"
#include "ipw/run/store.h"
#include "ipw/run/task_outcomes.h"
#include "ipw/workload/dataset.h"

namespace ipw::cli {
namespace {

// The built-in task set, read through the dataset loader like any JSONL file.
class AgentFileReader final : public workload::FileReader {
 public:
  std::string read(const std::string& path) const override {
    if (const auto content = find_embedded(agent::agent_files(), path)) return std::string(*content);
    throw workload::DatasetError(fmt::format("cannot read {}: not a built-in agent file", path));
  }
};

workload::Dataset load_tasks(const std::string& spec) {
  if (spec == "builtin") return workload::load_dataset("tasks.jsonl", {}, AgentFileReader());
  return workload::load_dataset(spec);
}

nlohmann::json load_knowledge(const std::string& path) {
  if (path.empty()) return agent::builtin_knowledge();
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::runtime_error(fmt::format("{}: the knowledge file must be a JSON object, name -> value", path));
  }
  return j;
}

// The proxy's phase notes (idle baseline) reach the bar; its request count does not:
// the bar counts tasks.
class NotesOnly final : public run::ProgressSink {
 public:
  explicit NotesOnly(run::ProgressSink& to) : to_(to) {}
  void begin(std::size_t, std::size_t) override {}
  void update(std::size_t, std::size_t, std::optional<double>, const run::QueryRecord&) override {}
  void note(const std::string& message) override { to_.note(message); }
  void end() override {}

 private:
  run::ProgressSink& to_;
};

}  // namespace

Handler setup_agent(CLI::App& app) {
  struct Flags {
    proxy::ProxyRunRequest r;
    std::string tasks = "builtin", knowledge;
    agent::AgentOptions agent;
    int concurrency = 1;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n"
      "  ipw agent --server http://127.0.0.1:8080 --telemetry auto   # the built-in task set\n"
      "  ipw agent --server http://127.0.0.1:8080 --tasks my-tasks.jsonl --knowledge facts.json --max-turns 12\n"
      "  ipw analyze runs/<run-id>   # success rate, energy per task, IPJ per task\n"
      "See docs/agents.md.");
  auto& c = f->r.config;
  c.idle_seconds = 10.0;
  app.add_option("--server", f->r.server.upstream, "URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8080")
      ->required();
  app.add_option("--tasks", f->tasks, "Tasks: builtin, or a JSONL file (id, prompt, answer, kind)")->capture_default_str();
  app.add_option("--knowledge", f->knowledge, "JSON object the lookup tool reads (default: the built-in one)")
      ->check(CLI::ExistingFile);
  app.add_option("--max-turns", f->agent.max_turns, "Requests per task, at most")->capture_default_str()->check(
      CLI::Range(1, 1000));
  app.add_option("--concurrency", f->concurrency, "Tasks run at once")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--read-timeout", f->agent.timeout_s, "Seconds a request may take")->capture_default_str();
  add_observe_flags(app, c, "Idle baseline before the first task (0: off)");

  return [f](const std::string& command_line) {
    const workload::Dataset tasks = load_tasks(f->tasks);
    if (tasks.items.empty()) throw UsageError(fmt::format("--tasks {}: no tasks", f->tasks));
    const agent::ToolBox tools(load_knowledge(f->knowledge));
    f->agent.model = f->r.config.model;
    f->r.command_line = redact_urls(command_line);
    f->r.server.bind = "127.0.0.1";
    f->r.server.port = 0;
    f->r.server.read_timeout_s = f->agent.timeout_s;
    f->r.manifest_parts = {
        {"workload", {{"dataset", f->tasks}, {"name", tasks.name}, {"sha256", tasks.content_hash},
                      {"items", tasks.items.size()}}},
        {"agent", {{"max_turns", f->agent.max_turns}, {"concurrency", f->concurrency},
                   {"knowledge", f->knowledge.empty() ? "builtin" : f->knowledge}}}};
    const std::atomic<bool>& interrupted = install_stop_handlers();
    std::atomic<bool> stop_proxy{false};
    ProgressBar bar(stdout, ::isatty(STDOUT_FILENO) != 0, 1, "tasks");
    NotesOnly notes(bar);
    std::promise<std::pair<int, std::string>> ready;
    run::ProfileOutcome outcome;
    std::string proxy_error;  // what stopped the proxy after it served, if anything did
    std::thread proxy_thread([&] {
      bool told = false;
      try {
        outcome = proxy::run_proxy(f->r, notes, stop_proxy, [&](int port, const std::string& dir) {
          told = true;
          ready.set_value({port, dir});
        });
        if (!told) ready.set_value({0, ""});
      } catch (const std::exception& e) {
        if (!told) {
          ready.set_exception(std::current_exception());
        } else {
          proxy_error = e.what();
        }
      }
    });
    const auto [port, dir] = ready.get_future().get();  // rethrows what stopped the proxy from starting
    if (port == 0) {
      proxy_thread.join();
      fmt::print(stderr, "ipw agent: {}\n", outcome.message);
      return kExitFailure;
    }
    fmt::print("ipw agent: {} tasks against {}\nrun: {}\n", tasks.items.size(), redact_url(f->r.server.upstream), dir);
    f->agent.chat_url = fmt::format("http://127.0.0.1:{}/v1/chat/completions", port);
    // Tasks are handed out in order to `concurrency` workers.
    std::vector<agent::TaskResult> results(tasks.items.size());
    std::mutex mu;
    std::size_t next = 0, done = 0;
    bar.begin(tasks.items.size(), 0);
    const auto worker = [&] {
      while (true) {
        std::size_t i;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (next == tasks.items.size() || interrupted.load()) return;
          i = next++;
        }
        const workload::Item& item = tasks.items[i];
        results[i] = item.context.empty() ? agent::run_task(item, tools, f->agent, interrupted)
                                          : agent::replay_conversation(item, f->agent, interrupted);
        std::lock_guard<std::mutex> lock(mu);
        run::QueryRecord shown;
        shown.item_id = results[i].task;
        if (results[i].failed) shown.error_kind = "no_answer";
        bar.update(++done, tasks.items.size(), std::nullopt, shown);
      }
    };
    std::vector<std::thread> workers;
    for (int w = 0; w < f->concurrency; ++w) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
    bar.end();
    stop_proxy = true;
    proxy_thread.join();
    // Outcomes: the scorer's verdict; a task that never gave a final answer failed; an
    // answer no local scorer can judge (chat) or an interrupted task has none.
    std::vector<run::TaskRecord> outcomes;
    std::size_t solved = 0, ran = 0;
    for (const agent::TaskResult& t : results) {
      if (t.turns == 0) continue;  // never started (interrupted)
      ++ran;
      if (!t.error.empty()) fmt::print(stderr, "ipw agent: task {}: {}\n", t.task, t.error);
      if (t.error == "interrupted") continue;
      const std::optional<bool> success = t.failed ? std::optional<bool>(false) : t.success;
      if (!success) continue;
      solved += *success ? 1 : 0;
      outcomes.push_back({t.task, {}, success, {}});
    }
    if (!proxy_error.empty()) throw std::runtime_error(fmt::format("the measuring proxy failed: {} (run {})", proxy_error, dir));
    auto store = run::RunStore::open(dir);
    run::attach_task_outcomes(store, outcomes);
    fmt::print("{} of {} tasks solved ({} with an outcome); {} requests recorded in {}\n", solved, ran,
               outcomes.size(), outcome.queries_run, dir);
    if (!outcome.message.empty()) fmt::print(stderr, "ipw agent: {}\n", outcome.message);
    if (interrupted.load()) return kExitInterrupted;
    return outcome.status == run::RunStatus::failed ? kExitFailure : kExitOk;
  };
}

}  // namespace ipw::cli
