#pragma once
// Prometheus `/metrics` over HTTP (cpp-httplib), in the monitor's process.
// A scrape keeps sampling alive for the hub's lease; with a token set, a
// scrape without `Authorization: Bearer <token>` gets 401.
#include <memory>
#include <string>

#include "ipw/monitor/sample_hub.h"

namespace ipw::monitor {

struct MetricsServerConfig {
  std::string bind = "127.0.0.1";
  int port = 9464;  // 0 = any free port (see port())
  std::string token;
  std::string version;
};

class MetricsServer {
 public:
  // Binds and starts serving on a thread; throws std::runtime_error when it cannot bind.
  MetricsServer(SampleHub& hub, MetricsServerConfig config);
  ~MetricsServer();  // shutdown()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const;
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipw::monitor
