#include "ipw/monitor/daemon.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/host_facts.h"
#include "ipw/common/json_null.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/version.h"
#include "ipw/common/access_policy.h"
#include "ipw/monitor/compat_reading.h"
#include "ipw/monitor/energy_total.h"
#include "ipw/monitor/grpc_server.h"
#include "ipw/monitor/metrics_server.h"
#include "ipw/monitor/sample_hub.h"
#include "ipw/telemetry/registry.h"

namespace ipw::monitor {
namespace {

std::int64_t ms_to_ns(double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); }

std::string version_string() { return fmt::format("{} (git {})", kVersion, kGitRevision); }

}  // namespace

std::string validate(const MonitorOptions& o) {
  if (std::string why = check_bind_policy(o.bind, o.token, o.insecure, "read this host's sensors"); !why.empty()) return why;
  if (o.port < 0 || o.port > 65535) return "--port must be in [0, 65535]";
  if (o.metrics_port < -1 || o.metrics_port > 65535) return "--metrics-port must be in [0, 65535] (or -1: none)";
  if (o.metrics_port > 0 && o.metrics_port == o.port) return "--port and --metrics-port must differ";
  if (!(o.min_interval_ms > 0)) return "--min-interval-ms must be > 0";
  if (!(o.interval_ms >= o.min_interval_ms)) return "--interval-ms must be >= --min-interval-ms";
  if (!(o.lease_s >= 0)) return "--scrape-lease-s must be >= 0";
  if (o.client_buffer < 1) return "--client-buffer must be >= 1";
  if (o.max_clients < 1) return "--max-clients must be >= 1";
  if (!std::isfinite(o.clock_offset_s)) return "--clock-offset-s must be a number";
  return {};
}

void serve(const MonitorOptions& o, const std::atomic<bool>& stop, std::FILE* out) {
  if (std::string why = validate(o); !why.empty()) throw UsageError(why);
  HubOptions h;
  h.default_interval_ns = ms_to_ns(o.interval_ms);
  h.min_interval_ns = ms_to_ns(o.min_interval_ms);
  h.always_sample = o.always_sample;
  h.lease_ns = ms_to_ns(o.lease_s * 1e3);
  h.client_buffer = o.client_buffer;
  h.clock_offset_ns = ms_to_ns(o.clock_offset_s * 1e3);
  SampleHub hub(telemetry::make_collectors(o.telemetry), h);
  if (!is_loopback_address(o.bind) && o.token.empty()) {
    spdlog::warn("ipw monitor: serving {} WITHOUT authentication (--insecure)", o.bind);
  }

  GrpcServerConfig g;
  g.bind = o.bind;
  g.port = o.port;
  g.token = o.token;
  g.max_clients = o.max_clients;
  g.telemetry_spec = o.telemetry;
  g.version = version_string();
  hub.start();
  GrpcServer grpc(hub, g);
  std::unique_ptr<MetricsServer> metrics;
  if (o.metrics_port >= 0) {
    metrics = std::make_unique<MetricsServer>(hub, MetricsServerConfig{o.bind, o.metrics_port, o.token, g.version});
  }

  std::string domains;
  for (const HubDomain& d : hub.domains()) {
    domains += (domains.empty() ? "" : ", ") + d.info.domain + " (" + d.collector + ", " +
               telemetry::to_string(d.info.source) + ")";
  }
  fmt::print(out, "ipw monitor: listening grpc={} metrics={} domains: {}\n", host_port(o.bind, grpc.port()),
             metrics ? "http://" + host_port(o.bind, metrics->port()) + "/metrics" : std::string("off"), domains);
  std::fflush(out);

  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("ipw monitor: stopping");
  hub.shutdown();  // wakes every streaming handler first
  if (metrics) metrics->shutdown();
  grpc.shutdown();
}

nlohmann::json read_once(const MonitorOptions& o) {
  auto collectors = telemetry::make_collectors(o.telemetry);
  const std::int64_t offset_ns = ms_to_ns(o.clock_offset_s * 1e3);
  const Clock& clock = steady_clock();
  std::vector<HubDomain> domains;
  std::vector<EnergyTotal> totals;
  std::int64_t gap_ns = ms_to_ns(std::max(o.interval_ms, 100.0));  // long enough for a counter to move
  for (const auto& c : collectors) {
    for (const auto& d : c->domains()) {
      domains.push_back({d, c->update_period_ns(), true, c->name()});
      totals.emplace_back(d);
    }
    gap_ns = std::max(gap_ns, c->update_period_ns());
  }
  const std::int64_t t0 = clock.now_ns();
  for (auto& c : collectors) c->start(t0);
  std::vector<std::vector<telemetry::Reading>> last(collectors.size());
  std::int64_t t_last = t0;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) std::this_thread::sleep_for(std::chrono::nanoseconds(gap_ns));
    t_last = clock.now_ns();
    std::size_t first = 0;
    for (std::size_t i = 0; i < collectors.size(); ++i) {
      last[i].assign(collectors[i]->domains().size(), telemetry::Reading{});
      collectors[i]->read(t_last, last[i]);
      for (std::size_t d = 0; d < last[i].size(); ++d) totals[first + d].add(t_last, last[i][d]);
      first += last[i].size();
    }
  }
  for (auto& c : collectors) c->stop();

  nlohmann::json list = nlohmann::json::array();
  std::size_t k = 0;
  for (std::size_t i = 0; i < collectors.size(); ++i) {
    for (std::size_t d = 0; d < last[i].size(); ++d, ++k) {
      const telemetry::Reading& r = last[i][d];
      const HubDomain& hd = domains[k];
      list.push_back({{"domain", hd.info.domain},
                      {"device", hd.info.device},
                      {"kind", hd.info.kind},
                      {"source", telemetry::to_string(hd.info.source)},
                      {"collector", hd.collector},
                      {"energy_j", json_or_null(r.energy_j)},
                      {"power_w", json_or_null(r.power_w ? r.power_w : totals[k].power_w())},
                      {"temperature_c", json_or_null(r.temperature_c)},
                      {"memory_mb", json_or_null(r.memory_mb)},
                      {"update_period_s", static_cast<double>(hd.update_period_ns) * 1e-9}});
    }
  }
  const HostFacts f = read_host_facts();
  return {{"json_schema_version", 1},
          {"ipw_version", version_string()},
          {"timestamp_nanos", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                      .count() +
                                  offset_ns},
          {"monotonic_ns", t_last + offset_ns},
          {"platform", compat_platform(domains)},
          {"host", {{"host_name", f.host_name}, {"os", f.os_name + " " + f.os_version},
                    {"kernel", f.kernel_version}, {"cpu", f.cpu_brand}, {"cpu_count", f.cpu_count}}},
          {"cpu_memory_used_mb", json_or_null(used_memory_mb())},
          {"domains", list}};
}

}  // namespace ipw::monitor
