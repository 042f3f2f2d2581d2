#include "ipw/monitor/metrics_server.h"

#include <sys/socket.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "ipw/common/access_policy.h"
#include "ipw/common/listen_backlog.h"
#include "ipw/monitor/prometheus.h"

namespace ipw::monitor {

// The first scrape of an idle monitor waits this long for a first read, so it
// already shows values instead of empty families.
constexpr auto kFirstReadWait = std::chrono::milliseconds(500);

struct MetricsServer::Impl {
  SampleHub& hub;
  MetricsServerConfig config;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  Impl(SampleHub& h, MetricsServerConfig c) : hub(h), config(std::move(c)) {}
};

MetricsServer::MetricsServer(SampleHub& hub, MetricsServerConfig config)
    : impl_(std::make_unique<Impl>(hub, std::move(config))) {
  Impl* impl = impl_.get();
  impl->server.Get("/metrics", [impl](const httplib::Request& req, httplib::Response& res) {
    if (!impl->config.token.empty() &&
        !bearer_matches(req.get_header_value("Authorization"), impl->config.token)) {
      spdlog::warn("ipw monitor: refused /metrics from {}: missing or wrong bearer token", req.remote_addr);
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"ipw monitor\"");
      res.set_content("missing or wrong bearer token\n", "text/plain");
      return;
    }
    impl->hub.keep_alive(kFirstReadWait);
    const std::int64_t unix_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    res.set_content(render_prometheus(impl->hub.status(),
                                      {process_cpu_seconds(), impl->config.version, unix_ns - impl->hub.now_ns()}),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  // httplib's default sets SO_REUSEPORT, which would let a second monitor
  // silently share the port; SO_REUSEADDR alone still allows quick restarts.
  impl->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  std::string host = impl->config.bind;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (impl->config.port == 0) {
    impl->port = impl->server.bind_to_any_port(host);
  } else {
    impl->port = impl->server.bind_to_port(host, impl->config.port) ? impl->config.port : -1;
  }
  if (impl->port <= 0) {
    throw std::runtime_error("ipw monitor: cannot listen for /metrics on " + host + ":" +
                             std::to_string(impl->config.port) + " (port in use?)");
  }
  widen_listen_backlog(impl->port);  // many scrapers (or a burst of them) at once
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop has started, so a
  // shutdown() right after construction would leave the thread in accept()
  // and join() would hang: wait for the loop (it starts within microseconds).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!impl->server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

MetricsServer::~MetricsServer() { shutdown(); }

int MetricsServer::port() const { return impl_->port; }

void MetricsServer::shutdown() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace ipw::monitor
