#include "ipw/monitor/prometheus.h"

#include <sys/resource.h>

#include <fmt/format.h>

namespace ipw::monitor {
namespace {

// Values in exposition syntax; %g-style would lose precision on big counters.
std::string num(double v) { return fmt::format("{}", v); }

std::string domain_labels(const HubDomain& d) {
  return fmt::format("domain=\"{}\",device=\"{}\",kind=\"{}\",source=\"{}\",collector=\"{}\"",
                     escape_label_value(d.info.domain), escape_label_value(d.info.device),
                     escape_label_value(d.info.kind), escape_label_value(telemetry::to_string(d.info.source)),
                     escape_label_value(d.collector));
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_prometheus(const HubStatus& s, const ProcessFacts& p) {
  std::string out;
  family(out, "ipw_energy_joules_total", "counter",
         "Energy used by the domain while the monitor sampled it (counter difference, or integrated power).");
  for (const DomainStatus& d : s.domains) {
    if (!d.has_energy) continue;
    std::string stamp;
    if (p.unix_minus_hub_ns && d.energy_t_ns) stamp = fmt::format(" {}", (*d.energy_t_ns + *p.unix_minus_hub_ns) / 1'000'000);
    out += fmt::format("ipw_energy_joules_total{{{}}} {}{}\n", domain_labels(d.domain), num(d.energy_j), stamp);
  }
  family(out, "ipw_power_watts", "gauge", "Latest power of the domain (measured, or the counter's slope).");
  for (const DomainStatus& d : s.domains) {
    if (d.power_w) out += fmt::format("ipw_power_watts{{{}}} {}\n", domain_labels(d.domain), num(*d.power_w));
  }
  family(out, "ipw_temperature_celsius", "gauge", "Latest temperature of the domain.");
  for (const DomainStatus& d : s.domains) {
    if (d.temperature_c) {
      out += fmt::format("ipw_temperature_celsius{{{}}} {}\n", domain_labels(d.domain), num(*d.temperature_c));
    }
  }
  family(out, "ipw_memory_used_bytes", "gauge", "Latest memory in use on the device (MiB as read, times 2^20).");
  for (const DomainStatus& d : s.domains) {
    if (d.memory_mb) {
      out += fmt::format("ipw_memory_used_bytes{{{}}} {}\n", domain_labels(d.domain), num(*d.memory_mb * 1048576.0));
    }
  }
  family(out, "ipw_energy_resets_total", "counter",
         "Times the domain's energy counter went backwards beyond any wrap (charged from power, or not at all).");
  for (const DomainStatus& d : s.domains) {
    out += fmt::format("ipw_energy_resets_total{{{}}} {}\n", domain_labels(d.domain), d.counter_resets);
  }
  family(out, "ipw_domain_update_period_seconds", "gauge",
         "The source's own update period (0 = unknown); the monitor never samples faster.");
  for (const DomainStatus& d : s.domains) {
    out += fmt::format("ipw_domain_update_period_seconds{{{}}} {}\n", domain_labels(d.domain),
                       num(static_cast<double>(d.domain.update_period_ns) * 1e-9));
  }
  family(out, "ipw_monitor_reads_total", "counter", "Source reads since the monitor started.");
  out += fmt::format("ipw_monitor_reads_total {}\n", s.reads);
  family(out, "ipw_monitor_read_seconds_total", "counter", "Wall time spent inside source reads (sampling overhead).");
  out += fmt::format("ipw_monitor_read_seconds_total {}\n", num(s.read_seconds));
  family(out, "ipw_monitor_read_rate_hertz", "gauge", "Source reads per second over the last 10 seconds.");
  if (s.read_rate_hz) out += fmt::format("ipw_monitor_read_rate_hertz {}\n", num(*s.read_rate_hz));
  family(out, "ipw_monitor_sample_interval_seconds", "gauge", "The sampling interval in use (fastest client request).");
  out += fmt::format("ipw_monitor_sample_interval_seconds {}\n", num(s.interval_s));
  family(out, "ipw_monitor_sampling", "gauge", "1 while the monitor samples (a client or a recent scrape), else 0.");
  out += fmt::format("ipw_monitor_sampling {}\n", s.sampling ? 1 : 0);
  family(out, "ipw_monitor_clients", "gauge", "Connected streaming clients.");
  out += fmt::format("ipw_monitor_clients {}\n", s.clients);
  family(out, "ipw_monitor_clients_dropped_total", "counter", "Clients dropped because their buffer filled.");
  out += fmt::format("ipw_monitor_clients_dropped_total {}\n", s.clients_dropped);
  if (p.cpu_seconds) {
    family(out, "process_cpu_seconds_total", "counter", "User and system CPU time of the monitor process.");
    out += fmt::format("process_cpu_seconds_total {}\n", num(*p.cpu_seconds));
  }
  family(out, "ipw_monitor_info", "gauge", "Constant 1, labelled with the monitor's version.");
  out += fmt::format("ipw_monitor_info{{version=\"{}\"}} 1\n", escape_label_value(p.version));
  return out;
}

std::optional<double> process_cpu_seconds() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return std::nullopt;
  const auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

}  // namespace ipw::monitor
