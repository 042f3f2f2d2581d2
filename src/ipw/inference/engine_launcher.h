#pragma once
// The embedded engine: ipw starts llama.cpp's llama-server on a GGUF model, waits until it is
// healthy, warms it up, hands its base URL to the OpenAI-compatible client, and stops it on every
// exit path (destructor, exception, Ctrl-C through terminate_engines_from_signal_handler()).
//
// Threading: start() should run on a thread that outlives the engine (normally main): the server
// gets SIGTERM when the thread that spawned it exits (PR_SET_PDEATHSIG), which is what keeps a
// crashed ipw from leaving a server behind. The other members are safe from any thread.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::inference {

// The engines ipw launches itself (`--engine`); others are started by the user and
// given with --server.
const std::vector<std::string>& engine_names();

struct EngineOptions {
  std::string engine = "llama.cpp";  // one of engine_names()
  // "" = find_llama_server(): IPW_LLAMA_SERVER, then the build tree of scripts/build-llama.sh
  // next to ipw's binary, then PATH.
  std::string server_binary;
  std::string model_path;               // a GGUF file
  std::vector<std::string> extra_args;  // --engine-arg pass-through (threads, context, batch, -ngl)
  std::string log_path;                 // "" = a fresh /tmp/ipw-llama-server-*.log
  double startup_timeout_s = 120;       // model load + /health
  double stop_grace_s = 5;              // SIGTERM, then SIGKILL after this long
  int warmup_requests = 1;
  int port = 0;                         // 0 = a free loopback port, retried if taken meanwhile
  std::string alias;                    // model id the server reports; "" = the file name without .gguf
  // Requests ipw keeps in flight at most. Above 1 the server gets as many parallel
  // slots (`--parallel N`, continuous batching), unless extra_args already set them.
  int parallel = 1;
};

struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws EngineError, with what to do, for options no server could start with:
// an unknown engine, an --engine-arg ipw sets itself, a model that is missing
// or not GGUF. Cheap and side-effect free: callers check before creating anything.
void check_engine_options(const EngineOptions& o);

class Engine {  // RAII: the destructor stops the server
 public:
  explicit Engine(EngineOptions opts);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Spawns the server on 127.0.0.1 and waits for /health 200; returns the base URL
  // ("http://127.0.0.1:PORT", no /v1). Throws EngineError with the log tail on failure (missing or
  // non-GGUF model, port in use, crash during load, timeout).
  std::string start();
  // Sends warmup_requests short chat completions (excluded from results). Throws EngineError.
  void warm_up(const std::string& model);
  // SIGTERM to the server's process group, SIGKILL after stop_grace_s; idempotent.
  void stop();

  bool alive() const;
  int pid() const;                // 0 before start() and after stop()
  std::string base_url() const;   // "" before start()
  std::string model_id() const;   // the alias the server reports in /v1/models
  std::string log_path() const;   // where the server's stdout/stderr go
  std::string log_tail(std::size_t max_bytes = 4096) const;
  // Throws EngineError ("llama-server (pid N) was killed by signal 9 ...", with the log tail) if the
  // server is no longer running; the profiler calls it after a failed query to tell a dead engine
  // from a failed request.
  void check_alive() const;

  // GGUF header facts (architecture, parameter count, file type, context length), file size and
  // SHA-256 (computed once and cached), and, while running, the server's /props and /v1/models.
  nlohmann::json model_facts() const;
  // utime + stime of the server process (all its threads) from /proc/PID/stat, in seconds, with
  // the kernel's clock-tick resolution (10 ms at USER_HZ=100). Throws EngineError if not running.
  double process_cpu_time_s() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Where llama-server is: IPW_LLAMA_SERVER, IPW_LLAMA_DIR/build/bin, the third_party/llama/build/bin
// of the source tree ipw was built from (found from /proc/self/exe), then PATH. Throws EngineError
// saying how to build it (scripts/build-llama.sh) when none is found.
std::string find_llama_server();

// The pure part of find_llama_server, for tests: candidates in order of preference.
struct ServerSearch {
  std::string env_server;   // IPW_LLAMA_SERVER
  std::string env_llama_dir;  // IPW_LLAMA_DIR
  std::string exe_dir;      // directory of the running ipw binary
  std::string path_env;     // PATH
};
std::vector<std::string> llama_server_candidates(const ServerSearch& s);

// Async-signal-safe: SIGTERM to every running engine's process group. For the CLI's SIGINT/SIGTERM
// handler; the Engine destructors then reap them on the way out.
void terminate_engines_from_signal_handler();

// llama-server's threads on a busy machine: its default (every core) competes with whatever
// already runs, and on a loaded 2-core VM decoded at 2.4 tokens/s where one thread made
// ~3,500. With a 1-minute load average of 1 or more, the cores left free (at least 1);
// otherwise empty: the server's default stands. Unused when --engine-arg sets -t/--threads.
std::optional<int> threads_for_free_cores(unsigned cpus, double load_1min);

}  // namespace ipw::inference
