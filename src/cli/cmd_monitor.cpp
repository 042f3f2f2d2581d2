// `ipw monitor`: the telemetry daemon for the inference host (gRPC + Prometheus).
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/token_flag.h"
#include "ipw/common/usage_error.h"
#include "ipw/monitor/daemon.h"

namespace ipw::cli {

Handler setup_monitor(CLI::App& app) {
  struct Flags {
    monitor::MonitorOptions o;
    std::string token_file;
    bool once = false;
    bool no_metrics = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n"
      "  ipw monitor                                   # loopback: gRPC :50053, /metrics :9464\n"
      "  ipw monitor --bind 0.0.0.0 --token-file /etc/ipw/monitor.token\n"
      "  ipw monitor --once | jq '.domains[] | {domain, power_w}'\n"
      "  ipw profile --telemetry remote:gpu-box:50053 ...   # on the benchmark host\n"
      "Clients send the token as 'authorization: Bearer <token>' (ipw profile reads IPW_MONITOR_TOKEN).\n"
      "See docs/monitor.md.");
  auto& o = f->o;
  app.add_option("--port", o.port, "gRPC port (energy.EnergyMonitor + ipw.monitor.v1.IpwMonitor); 0 = any")
      ->capture_default_str();
  app.add_option("--metrics-port", o.metrics_port, "Prometheus /metrics port; 0 = any")->capture_default_str();
  app.add_flag("--no-metrics", f->no_metrics, "Serve no /metrics endpoint");
  app.add_option("--bind", o.bind, "Address to listen on; anything but loopback needs --token or --insecure")
      ->capture_default_str();
  app.add_option("--token", o.token, "Bearer token required on every RPC and on /metrics (prefer --token-file)");
  app.add_option("--token-file", f->token_file, "File whose first line is the token (else $IPW_MONITOR_TOKEN)");
  app.add_flag("--insecure", o.insecure, "Allow a non-loopback --bind without a token");
  app.add_option("--telemetry", o.telemetry, "Energy sources, as for ipw profile (auto, estimated, replay:FILE.csv, ...)")
      ->capture_default_str();
  app.add_option("--interval-ms", o.interval_ms, "Sampling interval when no client asks for one")
      ->capture_default_str();
  app.add_option("--min-interval-ms", o.min_interval_ms, "Fastest interval a client may ask for")
      ->capture_default_str();
  app.add_flag("--always-sample", o.always_sample,
               "Sample continuously (default: only while a client streams or /metrics was scraped recently)");
  app.add_option("--scrape-lease-s", o.lease_s, "How long a /metrics scrape keeps sampling on")
      ->capture_default_str();
  app.add_option("--client-buffer", o.client_buffer, "Batches buffered per client before a slow one is dropped")
      ->capture_default_str();
  app.add_option("--max-clients", o.max_clients, "Streaming clients served at once")->capture_default_str();
  app.add_option("--clock-offset-s", o.clock_offset_s,
                 "Test hook: shift every timestamp the monitor reports (clients must detect and undo it)");
  app.add_flag("--once", f->once, "Print one reading of every domain as JSON and exit");

  return [f](const std::string&) {
    if (f->once) {
      fmt::print("{}\n", monitor::read_once(f->o).dump(2));
      return kExitOk;
    }
    f->o.token = read_token(f->o.token, f->token_file, "IPW_MONITOR_TOKEN");
    if (f->no_metrics) f->o.metrics_port = -1;
    if (std::string why = monitor::validate(f->o); !why.empty()) {
      fmt::print(stderr, "ipw monitor: {}\n", why);
      return kExitUsage;
    }
    if (spdlog::get_level() > spdlog::level::info) spdlog::set_level(spdlog::level::info);
    const std::atomic<bool>& stop = install_stop_handlers();
    monitor::serve(f->o, stop, stdout);
    return stop.load() ? kExitOk : kExitFailure;
  };
}

}  // namespace ipw::cli
