#pragma once
// `ipw monitor`: the options, their validation, and the serve loop that ties
// the sampling hub, the gRPC services and /metrics together. The CLI
// (src/cli/cmd_monitor.cpp) only parses flags into MonitorOptions.
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace ipw::monitor {

struct MonitorOptions {
  std::string bind = "127.0.0.1";
  int port = 50053;          // gRPC; 0 = any free port
  int metrics_port = 9464;   // HTTP /metrics; 0 = any free port, -1 = none
  std::string token;         // bearer token; "" = none
  bool insecure = false;     // allow a non-loopback bind without a token
  std::string telemetry = "auto";
  double interval_ms = 10;   // sampling interval when no client asks for one
  double min_interval_ms = 1;
  bool always_sample = false;
  double lease_s = 120;      // a /metrics scrape keeps sampling on this long
  std::size_t client_buffer = 1024;  // batches per client before a slow one is dropped
  int max_clients = 32;
  double clock_offset_s = 0;  // test hook: shift every timestamp the monitor reports
};

// "" when the options can be served, else the message for the user.
std::string validate(const MonitorOptions& o);

// Serves until `stop` is set (SIGINT/SIGTERM). Writes one line naming the
// bound addresses to `out` (tests read the ports from it when they pass 0).
// Throws std::runtime_error when a port cannot be bound or the telemetry spec
// is bad, ipw::UsageError when validate() fails.
void serve(const MonitorOptions& o, const std::atomic<bool>& stop, std::FILE* out);

// `ipw monitor --once`: one reading of every domain, as JSON. Sources are
// read twice, one update period apart, so counter-only sources show power too.
nlohmann::json read_once(const MonitorOptions& o);

}  // namespace ipw::monitor
