#include "ipw/inference/engine_launcher.h"
#include "ipw/inference/engine_recipes.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/inference/engine_gguf.h"
#include "ipw/inference/engine_http.h"
#include "ipw/inference/engine_process.h"
#include "ipw/common/sha256.h"

namespace ipw::inference {
namespace {

namespace fs = std::filesystem;
using SteadyTime = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr double kHealthRequestTimeoutS = 2.0;
constexpr double kInfoRequestTimeoutS = 10.0;
constexpr double kWarmupRequestTimeoutS = 300.0;
constexpr double kPullTimeoutS = 3600.0;  // an Ollama model download
constexpr int kPortAttempts = 3;  // an auto-picked port can be taken before the server binds it
constexpr std::size_t kErrorTailBytes = 3000;

// Process groups of running engines, readable from a signal handler (lock-free atomics only).
constexpr std::size_t kMaxEngines = 16;
std::array<std::atomic<pid_t>, kMaxEngines> g_engine_groups{};

void register_group(pid_t pgid) {
  for (auto& slot : g_engine_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pgid)) return;
  }
}
void unregister_group(pid_t pgid) {
  for (auto& slot : g_engine_groups) {
    pid_t expected = pgid;
    slot.compare_exchange_strong(expected, 0);
  }
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string getenv_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// The server owns these flags' meaning for ipw (where it listens, what it serves); a pass-through
// that overrode them would make ipw talk to the wrong place.

std::string quote_args(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : fmt::format("'{}'", a);
  }
  return s;
}

bool log_says_bind_failed(const std::string& tail) {
  return tail.find("couldn't bind") != std::string::npos || tail.find("Address already in use") != std::string::npos;
}

}  // namespace

struct Engine::State {
  EngineOptions opts;
  mutable std::mutex mu;
  pid_t pid = 0;
  mutable std::optional<int> wait_status;  // set once reaped
  std::string base_url;
  std::string log_path;
  std::string binary;
  mutable std::optional<std::string> sha256;

  // Reaps the child without blocking; true while it runs. Caller holds mu.
  bool running_locked() const {
    if (pid <= 0 || wait_status) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      reaped(status);
      return false;
    }
    return r == 0;
  }

  // Once reaped, the pid can be reused by an unrelated process: forget it for signalling.
  void reaped(int status) const {
    wait_status = status;
    unregister_group(pid);
  }

  std::string tail(std::size_t max_bytes) const { return read_file_tail(log_path, max_bytes); }

  // Ollama serves the models it has: one it lacks is pulled once the server is up (the
  // pull can take minutes; its progress goes to the server's log). Caller holds mu.
  void ensure_ollama_model_locked() const {
    const std::string& model = opts.model_path;
    auto tags = engine_http("GET", base_url + "/api/tags", "", kInfoRequestTimeoutS);
    if (tags && tags->status == 200) {
      const auto j = nlohmann::json::parse(tags->body, nullptr, /*allow_exceptions=*/false);
      for (const auto& m : j.is_object() ? j.value("models", nlohmann::json::array()) : nlohmann::json::array()) {
        if (m.value("name", "") == model || m.value("model", "") == model) return;
      }
    }
    const nlohmann::json body = {{"model", model}, {"stream", false}};
    auto pulled = engine_http("POST", base_url + "/api/pull", body.dump(), kPullTimeoutS);
    if (!pulled || pulled->status != 200) {
      throw EngineError(fmt::format("ollama does not have '{}' and pulling it failed ({}); pull it with ollama pull {}",
                                    model, pulled ? fmt::format("HTTP {}: {}", pulled->status, pulled->body.substr(0, 300))
                                                  : pulled.error(),
                                    model));
    }
  }

  std::string death_message_locked() const {
    return fmt::format("{} (pid {}) {}; log {}:\n{}", engine_recipe(opts.engine).display, pid,
                       wait_status ? describe_wait_status(*wait_status) : "is not running", log_path,
                       tail(kErrorTailBytes));
  }

  // SIGTERM the group, wait up to the grace period, then SIGKILL; always reaps. Caller holds mu.
  void stop_locked() {
    if (pid <= 0) return;
    if (!wait_status) {
      ::kill(-pid, SIGTERM);
      const auto deadline = SteadyTime::now() + std::chrono::duration<double>(opts.stop_grace_s);
      while (running_locked() && SteadyTime::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (!wait_status) {
        ::kill(-pid, SIGKILL);
        int status = 0;
        if (::waitpid(pid, &status, 0) == pid) reaped(status);
      }
      // Children the server may have left in its group go with it; safe only right after our own
      // reap (a group reaped long ago could by now be someone else's).
      ::kill(-pid, SIGKILL);
    }
    unregister_group(pid);
    pid = 0;
  }
};

const std::vector<std::string>& engine_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const EngineRecipe& r : engine_recipes()) n.emplace_back(r.name);
    return n;
  }();
  return names;
}

namespace {

// The part of check_engine_options that needs no file: the constructor's check.
void check_engine_and_args(const EngineOptions& o) {
  const EngineRecipe& r = engine_recipe(o.engine);
  if (std::string(r.name) == "ollama" && !o.extra_args.empty()) {
    throw EngineError(fmt::format("--engine-arg '{}': ollama serve takes no arguments; set OLLAMA_* variables in "
                                  "ipw's environment instead (docs/engines.md)",
                                  o.extra_args.front()));
  }
  for (const auto& a : o.extra_args) {
    for (const auto& [reserved, why] : r.reserved) {
      if (a != reserved && a.rfind(reserved + "=", 0) != 0) continue;
      throw EngineError(fmt::format("--engine-arg '{}' cannot be given: {}; remove it", a, why));
    }
  }
}

}  // namespace

void check_engine_options(const EngineOptions& o) {
  check_engine_and_args(o);
  const EngineRecipe& r = engine_recipe(o.engine);
  if (!r.gguf) {
    if (o.model_path.empty()) throw EngineError(fmt::format("no model given: pass --model for {}", r.display));
    return;
  }
  std::error_code ec;
  if (o.model_path.empty()) throw EngineError("no model given: pass a GGUF file (--model PATH.gguf)");
  if (!fs::is_regular_file(o.model_path, ec)) {
    throw EngineError(fmt::format("model file '{}' does not exist or is not a regular file", o.model_path));
  }
  if (auto facts = read_gguf_file(o.model_path); !facts) {
    throw EngineError(fmt::format("model file is not a readable GGUF model: {}", facts.error()));
  }
}

Engine::Engine(EngineOptions opts) : s_(std::make_unique<State>()) {
  check_engine_and_args(opts);
  // A GGUF file serves under its name; vLLM, SGLang and Ollama under the model as given.
  if (opts.alias.empty()) {
    opts.alias = engine_recipe(opts.engine).gguf ? fs::path(opts.model_path).stem().string() : opts.model_path;
  }
  s_->opts = std::move(opts);
}

Engine::~Engine() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() only signals and reaps
  }
}

std::string Engine::start() {
  std::lock_guard lock(s_->mu);
  if (s_->running_locked()) return s_->base_url;
  const EngineOptions& o = s_->opts;

  check_engine_options(o);  // again: the file may have changed since the constructor
  const EngineRecipe& recipe = engine_recipe(o.engine);
  s_->binary = o.server_binary.empty() ? find_engine_binary(recipe) : o.server_binary;
  if (!is_executable_file(s_->binary)) {
    throw EngineError(fmt::format("{} binary '{}' is not an executable file", recipe.display, s_->binary));
  }
  if (o.port != 0 && loopback_port_in_use(o.port)) {
    throw EngineError(fmt::format("port {} on 127.0.0.1 is already in use; choose another or let ipw pick one", o.port));
  }
  if (o.log_path.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "ipw-engine-XXXXXX.log").string();
    const int fd = ::mkstemps(tmpl.data(), 4);
    if (fd < 0) throw EngineError("cannot create a temporary log file for the engine");
    ::close(fd);
    s_->log_path = tmpl;
  } else {
    s_->log_path = o.log_path;
  }

  for (int attempt = 1;; ++attempt) {
    int port = o.port;
    if (port == 0) {
      auto picked = pick_free_loopback_port();
      if (!picked) throw EngineError(picked.error());
      port = *picked;
    }
    EngineCommand cmd = engine_command(recipe, o, s_->binary, port);
    const bool threads_given = std::any_of(o.extra_args.begin(), o.extra_args.end(), [](const std::string& a) {
      return a == "-t" || a == "--threads" || a.rfind("--threads=", 0) == 0;
    });
    double load[1] = {0};
    if (recipe.gguf && !threads_given && ::getloadavg(load, 1) == 1) {
      if (const auto t = threads_for_free_cores(std::thread::hardware_concurrency(), load[0])) {
        cmd.argv.insert(cmd.argv.end(), {"--threads", std::to_string(*t)});
        spdlog::warn("the machine is busy (load average {:.1f} on {} CPUs): llama-server gets {} thread(s), the "
                     "cores left free (set them with --engine-arg --threads --engine-arg N)",
                     load[0], std::thread::hardware_concurrency(), *t);
      }
    }
    const std::vector<std::string>& argv = cmd.argv;
    {
      std::ofstream log(s_->log_path, std::ios::app);
      log << "ipw: starting " << quote_args(argv) << "\n";
    }
    {
      std::ofstream log(s_->log_path, std::ios::app);
      for (const std::string& e : cmd.env) log << "ipw: environment " << e << "\n";
    }
    auto spawned = spawn_process(argv, s_->log_path, cmd.env);
    if (!spawned) throw EngineError(fmt::format("cannot start {}: {}", recipe.display, spawned.error()));
    s_->pid = *spawned;
    s_->wait_status.reset();
    register_group(s_->pid);
    s_->base_url = fmt::format("http://127.0.0.1:{}", port);

    const auto deadline = SteadyTime::now() + std::chrono::duration<double>(o.startup_timeout_s);
    while (true) {
      if (!s_->running_locked()) {
        const std::string tail = s_->tail(kErrorTailBytes);
        const bool retry = o.port == 0 && attempt < kPortAttempts && log_says_bind_failed(tail);
        std::string msg = fmt::format("{} failed to start: {}", recipe.display, s_->death_message_locked());
        s_->stop_locked();
        if (retry) break;  // someone took the picked port: try another
        if (log_says_bind_failed(tail)) msg = fmt::format("port {} on 127.0.0.1 is already in use. {}", port, msg);
        throw EngineError(msg);
      }
      auto health = engine_http("GET", s_->base_url + recipe.health_path, "", kHealthRequestTimeoutS);
      if (health && health->status == 200 && s_->running_locked()) {
        if (std::string(recipe.name) == "ollama") s_->ensure_ollama_model_locked();
        return s_->base_url;
      }
      if (SteadyTime::now() > deadline) {
        s_->stop_locked();
        throw EngineError(fmt::format("{} did not become healthy within {} s (last {}: {}); log {}:\n{}",
                                      recipe.display, o.startup_timeout_s, recipe.health_path,
                                      health ? fmt::format("HTTP {}", health->status) : health.error(),
                                      s_->log_path, s_->tail(kErrorTailBytes)));
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }
}

void Engine::warm_up(const std::string& model) {
  const std::string url = base_url();
  if (url.empty()) throw EngineError("warm_up() before start()");
  const nlohmann::json body = {{"model", model.empty() ? model_id() : model},
                               {"messages", {{{"role", "user"}, {"content", "Hello"}}}},
                               {"max_tokens", 8},
                               {"temperature", 0.0},
                               {"stream", false}};
  for (int i = 0; i < s_->opts.warmup_requests; ++i) {
    auto reply = engine_http("POST", url + "/v1/chat/completions", body.dump(), kWarmupRequestTimeoutS);
    if (!reply || reply->status != 200) {
      check_alive();
      throw EngineError(fmt::format("warm-up request {} failed: {}", i + 1,
                                    reply ? fmt::format("HTTP {}: {}", reply->status, reply->body.substr(0, 500))
                                          : reply.error()));
    }
  }
}

void Engine::stop() {
  std::lock_guard lock(s_->mu);
  s_->stop_locked();
}

bool Engine::alive() const {
  std::lock_guard lock(s_->mu);
  return s_->running_locked();
}

int Engine::pid() const {
  std::lock_guard lock(s_->mu);
  return s_->pid;
}

std::string Engine::base_url() const {
  std::lock_guard lock(s_->mu);
  return s_->base_url;
}

std::string Engine::model_id() const { return s_->opts.alias; }

std::string Engine::log_path() const {
  std::lock_guard lock(s_->mu);
  return s_->log_path;
}

std::string Engine::log_tail(std::size_t max_bytes) const {
  std::lock_guard lock(s_->mu);
  return s_->tail(max_bytes);
}

void Engine::check_alive() const {
  std::lock_guard lock(s_->mu);
  if (s_->pid <= 0) {
    throw EngineError(fmt::format("{} is not running (never started or already stopped)",
                                  engine_recipe(s_->opts.engine).display));
  }
  if (!s_->running_locked()) throw EngineError(s_->death_message_locked());
}

nlohmann::json Engine::model_facts() const {
  const std::string& path = s_->opts.model_path;
  nlohmann::json facts = {{"engine", s_->opts.engine}, {"model_path", path}, {"model_id", s_->opts.alias}};
  const EngineRecipe& recipe = engine_recipe(s_->opts.engine);
  if (!recipe.gguf) {
    // A model id or name: what the server says of it is all there is to record.
    std::lock_guard lock(s_->mu);
    facts["server_binary"] = s_->binary;
    const char* endpoint = std::string(recipe.api) == "ollama" ? "/api/tags" : "/v1/models";
    if (!s_->base_url.empty()) {
      auto reply = engine_http("GET", s_->base_url + endpoint, "", kInfoRequestTimeoutS);
      const auto parsed = reply && reply->status == 200
                              ? nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false)
                              : nlohmann::json();
      facts["server_models"] = parsed.is_discarded() || parsed.is_null()
                                   ? nlohmann::json{{"error", reply ? fmt::format("HTTP {}", reply->status) : reply.error()}}
                                   : parsed;
    }
    return facts;
  }
  auto gguf = read_gguf_file(path);
  if (!gguf) throw EngineError(fmt::format("cannot read the model's GGUF header: {}", gguf.error()));
  facts["gguf"] = gguf->to_json();
  std::error_code ec;
  facts["file_size_bytes"] = fs::file_size(path, ec);
  {
    std::lock_guard lock(s_->mu);
    if (!s_->sha256) {
      auto hash = sha256_file_hex(path);
      if (!hash) throw EngineError(hash.error());
      s_->sha256 = *hash;
    }
    facts["file_sha256"] = *s_->sha256;
    facts["server_binary"] = s_->binary;
  }
  const std::string url = base_url();
  if (!url.empty() && alive()) {
    for (const char* endpoint : {"/props", "/v1/models"}) {
      auto reply = engine_http("GET", url + endpoint, "", kInfoRequestTimeoutS);
      const std::string key = endpoint[1] == 'p' ? "server_props" : "server_models";
      if (reply && reply->status == 200) {
        auto parsed = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_object() && parsed.contains("chat_template")) parsed.erase("chat_template");
        facts[key] = parsed.is_discarded() ? nlohmann::json(reply->body) : parsed;
      } else {
        facts[key] = {{"error", reply ? fmt::format("HTTP {}", reply->status) : reply.error()}};
      }
    }
  }
  return facts;
}

double Engine::process_cpu_time_s() const {
  std::lock_guard lock(s_->mu);
  if (s_->pid <= 0) throw EngineError("process_cpu_time_s(): the engine is not running");
  auto cpu = ipw::inference::process_cpu_time_s(s_->pid);
  if (!cpu) throw EngineError(fmt::format("cannot read the engine's CPU time: {}", cpu.error()));
  return *cpu;
}

std::vector<std::string> llama_server_candidates(const ServerSearch& s) {
  std::vector<std::string> out;
  if (!s.env_server.empty()) {
    out.push_back(s.env_server);
    return out;  // an explicit choice is never second-guessed
  }
  if (!s.env_llama_dir.empty()) out.push_back((fs::path(s.env_llama_dir) / "build/bin/llama-server").string());
  if (!s.exe_dir.empty()) {
    const fs::path exe(s.exe_dir);
    out.push_back((exe / "llama-server").string());                                      // installed side by side
    out.push_back((exe / "../../third_party/llama/build/bin/llama-server").lexically_normal().string());  // build-X/bin/ipw
    out.push_back((exe / "../third_party/llama/build/bin/llama-server").lexically_normal().string());
  }
  std::size_t start = 0;
  while (start <= s.path_env.size() && !s.path_env.empty()) {
    const auto end = s.path_env.find(':', start);
    const std::string dir = s.path_env.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty()) out.push_back((fs::path(dir) / "llama-server").string());
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string find_llama_server() {
  ServerSearch s;
  s.env_server = getenv_or_empty("IPW_LLAMA_SERVER");
  s.env_llama_dir = getenv_or_empty("IPW_LLAMA_DIR");
  s.path_env = getenv_or_empty("PATH");
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) s.exe_dir = exe.parent_path().string();
  const auto candidates = llama_server_candidates(s);
  for (const auto& c : candidates) {
    if (is_executable_file(c)) return c;
  }
  if (!s.env_server.empty()) {
    throw EngineError(fmt::format("IPW_LLAMA_SERVER='{}' is not an executable file", s.env_server));
  }
  throw EngineError(
      "llama-server not found (looked in IPW_LLAMA_DIR, next to ipw's binary, in the source tree's "
      "third_party/llama/build/bin, and on PATH). Build it with scripts/build-llama.sh (about 5 minutes "
      "on 2 cores), or set IPW_LLAMA_SERVER to an existing llama-server binary.");
}

std::optional<int> threads_for_free_cores(unsigned cpus, double load_1min) {
  if (cpus == 0 || !(load_1min >= 1.0)) return std::nullopt;
  return std::max(1, static_cast<int>(cpus) - static_cast<int>(std::lround(load_1min)));
}

void terminate_engines_from_signal_handler() {
  for (auto& slot : g_engine_groups) {
    const pid_t pgid = slot.load();
    if (pgid > 0) ::kill(-pgid, SIGTERM);
  }
}

}  // namespace ipw::inference
