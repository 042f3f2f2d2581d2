// `ipw proxy`: a measuring reverse proxy between agents and an inference server
// (docs/agents.md).
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/observe_flags.h"
#include "cli/progress_bar.h"
#include "cli/signals.h"
#include "cli/token_flag.h"
#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/inference/client.h"
#include "ipw/proxy/proxy_run.h"

namespace ipw::cli {
namespace {

// "HOST:PORT", "[V6]:PORT" or ":PORT"/"PORT" (loopback).
void parse_listen(const std::string& listen, proxy::ProxyOptions& o) {
  const std::size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty()) o.bind = host;
  try {
    std::size_t used = 0;
    o.port = std::stoi(port, &used);
    if (used != port.size()) throw std::invalid_argument(port);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("--listen {}: expected HOST:PORT, e.g. 127.0.0.1:8090 (port 0: any free port)", listen));
  }
}

}  // namespace

Handler setup_proxy(CLI::App& app) {
  struct Flags {
    proxy::ProxyRunRequest r;
    std::string listen = "127.0.0.1:8090";
    std::string token_file;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n"
      "  ipw proxy --upstream http://127.0.0.1:8080 --listen 127.0.0.1:8090 --telemetry auto\n"
      "  OPENAI_BASE_URL=http://127.0.0.1:8090/v1 my-agent ...   # send X-IPW-Task: ID to group turns\n"
      "  ipw analyze runs/<run-id>   # after Ctrl-C: per request, per task\n"
      "See docs/agents.md.");
  auto& o = f->r.server;
  auto& c = f->r.config;
  c.idle_seconds = 10.0;
  app.add_option("--upstream", o.upstream, "URL of the inference server, e.g. http://127.0.0.1:8080")->required();
  app.add_option("--listen", f->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  app.add_option("--api", c.api, "API label for the run (requests are read by their path: OpenAI and Ollama both)")
      ->check(CLI::IsMember(inference::client_names()))
      ->capture_default_str();
  add_observe_flags(app, c, "Idle baseline before the proxy opens (0: off)");
  app.add_option("--token", o.token, "Token clients must send as 'Proxy-Authorization: Bearer TOKEN'");
  app.add_option("--token-file", f->token_file, "File whose first line is the token (else $IPW_PROXY_TOKEN)");
  app.add_flag("--insecure", o.insecure, "Allow a non-loopback --listen without a token");
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to connect to the upstream")->capture_default_str();
  app.add_option("--read-timeout", o.read_timeout_s, "Longest silence from the upstream within a reply, seconds")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Client connections served at once")->capture_default_str();

  return [f](const std::string& command_line) {
    parse_listen(f->listen, f->r.server);
    f->r.server.token = read_token(f->r.server.token, f->token_file, "IPW_PROXY_TOKEN");
    f->r.command_line = redact_urls(command_line);
    const std::atomic<bool>& stop = install_stop_handlers();
    ProgressBar progress(stdout, ::isatty(STDOUT_FILENO) != 0);
    const run::ProfileOutcome out = proxy::run_proxy(f->r, progress, stop, [&](int port, const std::string& dir) {
      fmt::print("ipw proxy: http://{}:{} -> {}  (Ctrl-C to stop)\nrun: {}\n", f->r.server.bind, port,
                 redact_url(f->r.server.upstream), dir);
      std::fflush(stdout);
    });
    progress.end();
    fmt::print("{} requests recorded in {}\n", out.queries_run, out.run_dir);
    if (!out.message.empty()) fmt::print(stderr, "ipw proxy: {}\n", out.message);
    return out.status == run::RunStatus::failed ? kExitFailure : kExitOk;
  };
}

}  // namespace ipw::cli
