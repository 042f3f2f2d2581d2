#include "ipw/monitor/prometheus.h"

#include <gtest/gtest.h>

namespace ipw::monitor {
namespace {

HubStatus sample_status() {
  HubStatus s;
  DomainStatus gpu;
  gpu.domain = {{"gpu0", "NVIDIA \"H100\"", "gpu", telemetry::EnergySource::counter, 0}, 20'000'000, true, "nvml"};
  gpu.energy_j = 1234.5;
  gpu.has_energy = true;
  gpu.power_w = 300.25;
  gpu.temperature_c = 61;
  gpu.memory_mb = 2;
  DomainStatus dram;  // no reading yet: no gauge lines, no energy line
  dram.domain = {{"dram0", "DRAM", "dram", telemetry::EnergySource::counter, 262143.0}, 0, true, "rapl"};
  s.domains = {gpu, dram};
  s.reads = 42;
  s.read_seconds = 0.5;
  s.read_rate_hz = 99.5;
  s.interval_s = 0.01;
  s.sampling = true;
  s.clients = 2;
  s.clients_dropped = 1;
  return s;
}

TEST(MonitorPrometheus, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_label_value("plain"), "plain");
}

TEST(MonitorPrometheus, RendersCountersAndGaugesWithLabels) {
  const std::string text = render_prometheus(sample_status(), {12.5, "0.1.0 (git abc)", std::nullopt});
  const std::string gpu = "domain=\"gpu0\",device=\"NVIDIA \\\"H100\\\"\",kind=\"gpu\",source=\"counter\",collector=\"nvml\"";
  EXPECT_NE(text.find("# TYPE ipw_energy_joules_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_energy_joules_total{" + gpu + "} 1234.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ipw_power_watts{" + gpu + "} 300.25\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_temperature_celsius{" + gpu + "} 61\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_memory_used_bytes{" + gpu + "} 2097152\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_domain_update_period_seconds{" + gpu + "} 0.02\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_reads_total 42\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_read_seconds_total 0.5\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_read_rate_hertz 99.5\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_sample_interval_seconds 0.01\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_sampling 1\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_clients 2\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_clients_dropped_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total 12.5\n"), std::string::npos);
  EXPECT_NE(text.find("ipw_monitor_info{version=\"0.1.0 (git abc)\"} 1\n"), std::string::npos);
}

// An energy counter carries the Unix time of its read (ms), so Prometheus places the
// value where it was measured, not where a late scrape found it.
TEST(MonitorPrometheus, EnergyCountersCarryTheirReadsUnixTime) {
  HubStatus s = sample_status();
  s.domains[0].energy_t_ns = 5'000'000'123;  // the hub's clock
  const std::string text = render_prometheus(s, {std::nullopt, "v", 1'796'554'167'000'000'000 - 5'000'000'000});
  EXPECT_NE(text.find("ipw_energy_joules_total{domain=\"gpu0\"") , std::string::npos);
  EXPECT_NE(text.find("} 1234.5 1796554167000\n"), std::string::npos) << text;
  // Gauges stay unstamped (the latest value is the current one).
  EXPECT_NE(text.find("} 300.25\n"), std::string::npos) << text;
  // Without the clock mapping (or a read), no stamp.
  EXPECT_NE(render_prometheus(s, {std::nullopt, "v", std::nullopt}).find("} 1234.5\n"), std::string::npos);
}

TEST(MonitorPrometheus, UnknownValuesAreAbsentNeverZero) {
  const std::string text = render_prometheus(sample_status(), {std::nullopt, "v", std::nullopt});
  EXPECT_EQ(text.find("ipw_energy_joules_total{domain=\"dram0\""), std::string::npos);
  EXPECT_EQ(text.find("ipw_power_watts{domain=\"dram0\""), std::string::npos);
  EXPECT_EQ(text.find("process_cpu_seconds_total"), std::string::npos);
  // Every family has HELP and TYPE, and every line ends with a newline.
  std::size_t types = 0, helps = 0;
  for (std::size_t p = text.find("# TYPE"); p != std::string::npos; p = text.find("# TYPE", p + 1)) ++types;
  for (std::size_t p = text.find("# HELP"); p != std::string::npos; p = text.find("# HELP", p + 1)) ++helps;
  EXPECT_EQ(types, helps);
  EXPECT_GE(types, 12u);
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace ipw::monitor
