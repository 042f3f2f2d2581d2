// ipw-mock-server: see docs/mock-server.md. Prints `listening on http://HOST:PORT`
// once the socket accepts connections; exits 0 on SIGTERM/SIGINT.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <thread>

#include "answer_book.h"
#include "handlers.h"
#include "options.h"
#include "ipw/common/listen_backlog.h"

int main(int argc, char** argv) {
  using namespace ipw::mock;
  ParseResult parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;

  ServerState state;
  state.options = *parsed.options;
  try {
    if (!state.options.answers_path.empty()) state.book = AnswerBook::load(state.options.answers_path);
    if (!state.options.request_log.empty()) {
      state.request_log.open(state.options.request_log, std::ios::app);
      if (!state.request_log) {
        throw std::runtime_error("--request-log " + state.options.request_log + ": cannot open it for appending");
      }
    }
    if (!state.options.token_log.empty()) {
      state.token_log.open(state.options.token_log, std::ios::app);
      if (!state.token_log) throw std::runtime_error("--token-log " + state.options.token_log + ": cannot open it for appending");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipw-mock-server: %s\n", e.what());
    return 2;
  }

  // Signals go to one waiting thread (blocked everywhere else, including the
  // server's workers, which inherit this mask), which stops the server cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  const int threads = state.options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  // Small writes (one token a chunk) go out at once unless --nagle asks otherwise.
  server.set_tcp_nodelay(!state.options.nagle);
  // httplib closes a keep-alive connection after 5 requests by default; a load test
  // reuses each connection for many.
  server.set_keep_alive_max_count(1'000'000);
  install_handlers(server, state);

  const int port = state.options.port == 0
                       ? server.bind_to_any_port(state.options.host)
                       : (server.bind_to_port(state.options.host, state.options.port) ? state.options.port : -1);
  if (port < 0) {
    std::fprintf(stderr, "ipw-mock-server: cannot listen on %s:%d\n", state.options.host.c_str(), state.options.port);
    return 1;
  }
  ipw::widen_listen_backlog(port);  // 1,024 clients connecting at once (bench/client_scale.sh)

  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    state.stopping = true;
    server.stop();
  });

  std::printf("listening on http://%s:%d\n", state.options.host.c_str(), port);
  std::fflush(stdout);
  const bool ok = server.listen_after_bind();
  if (!state.stopping) pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wake the waiter to join it
  signal_waiter.join();
  if (!ok && !state.stopping) {
    std::fprintf(stderr, "ipw-mock-server: the server stopped unexpectedly\n");
    return 1;
  }
  return 0;
}
