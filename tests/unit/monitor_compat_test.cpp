#include "ipw/monitor/compat_reading.h"

#include <gtest/gtest.h>

#include "time_units.h"

namespace ipw::monitor {
namespace {

using telemetry::EnergySource;

HubDomain dom(const std::string& name, const std::string& kind, const std::string& collector,
              bool summable = true) {
  return {{name, name + " device", kind, EnergySource::counter, 0}, 0, summable, collector};
}

HubBatch batch(std::int64_t t, std::vector<std::pair<int, telemetry::Reading>> r) {
  HubBatch b;
  b.t_ns = t;
  b.t_unix_ns = 1'700'000'000LL * kS + t;
  b.readings = std::move(r);
  return b;
}

telemetry::Reading rd(std::optional<double> e, std::optional<double> p, std::optional<double> temp = {},
                      std::optional<double> mem = {}) {
  telemetry::Reading r;
  r.energy_j = e;
  r.power_w = p;
  r.temperature_c = temp;
  r.memory_mb = mem;
  return r;
}

TEST(MonitorCompat, PlatformNamesFollowTheReference) {
  EXPECT_EQ(compat_platform({dom("gpu0", "gpu", "nvml"), dom("cpu-package0", "cpu", "rapl")}), "nvidia");
  EXPECT_EQ(compat_platform({dom("soc", "soc", "powermetrics")}), "macos");
  EXPECT_EQ(compat_platform({dom("cpu-package0", "cpu", "rapl"), dom("dram0", "dram", "rapl"),
                             dom("cpu", "cpu", "estimated")}),
            "rapl+estimated");
  EXPECT_EQ(compat_platform({}), "null");
}

TEST(MonitorCompat, GpuDomainsAreSummedAndOthersIgnored) {
  CompatAggregator agg({dom("gpu0", "gpu", "nvml"), dom("gpu1", "gpu", "nvml"), dom("cpu-package0", "cpu", "rapl")});
  EXPECT_EQ(agg.selected(), (std::vector<int>{0, 1}));
  EXPECT_FALSE(agg.has_data());
  agg.add(batch(0, {{0, rd(1000, 100, 50, 1000)}, {1, rd(2000, 200, 70, 3000)}, {2, rd(5, 40)}}));
  agg.add(batch(kS, {{0, rd(1100, 110, 52, 1000)}, {1, rd(2250, 240, 71, 3000)}, {2, rd(100, 40)}}));
  ASSERT_TRUE(agg.has_data());
  const CompatReading r = agg.reading(4096.0);
  EXPECT_DOUBLE_EQ(r.power_watts, 350);     // 110 + 240
  EXPECT_DOUBLE_EQ(r.energy_joules, 350);   // 100 + 250 since the first reading
  EXPECT_DOUBLE_EQ(r.temperature_celsius, 71);
  EXPECT_DOUBLE_EQ(r.gpu_memory_usage_mb, 4000);
  EXPECT_DOUBLE_EQ(r.cpu_memory_usage_mb, 4096);
  EXPECT_EQ(r.platform, "nvidia");
  EXPECT_EQ(r.timestamp_nanos, 1'700'000'000LL * kS + kS);
}

TEST(MonitorCompat, UnavailableIsMinusOneNotZero) {
  // CPU-only host: summable domains are used; no temperature or GPU memory.
  CompatAggregator agg({dom("cpu-package0", "cpu", "rapl"), dom("core0", "cpu", "rapl", false)});
  EXPECT_EQ(agg.selected(), (std::vector<int>{0}));
  agg.add(batch(0, {{0, rd(10, {})}}));
  CompatReading r = agg.reading(std::nullopt);
  EXPECT_DOUBLE_EQ(r.power_watts, kUnavailable);  // one counter reading: no power yet
  EXPECT_DOUBLE_EQ(r.energy_joules, 0);
  EXPECT_DOUBLE_EQ(r.temperature_celsius, kUnavailable);
  EXPECT_DOUBLE_EQ(r.gpu_memory_usage_mb, kUnavailable);
  EXPECT_DOUBLE_EQ(r.cpu_memory_usage_mb, kUnavailable);
  agg.add(batch(2 * kS, {{0, rd(70, {})}}));
  r = agg.reading(std::nullopt);
  EXPECT_DOUBLE_EQ(r.power_watts, 30);  // counter slope
  EXPECT_DOUBLE_EQ(r.energy_joules, 60);
  EXPECT_EQ(compat_gpu({dom("cpu-package0", "cpu", "rapl")}).name, "");
}

TEST(MonitorCompat, PartialSumsAreNotReported) {
  CompatAggregator agg({dom("gpu0", "gpu", "nvml"), dom("gpu1", "gpu", "nvml")});
  agg.add(batch(0, {{0, rd(0, 100)}}));  // gpu1 never read
  const CompatReading r = agg.reading(std::nullopt);
  EXPECT_DOUBLE_EQ(r.power_watts, kUnavailable);
  EXPECT_DOUBLE_EQ(r.energy_joules, kUnavailable);
}

TEST(MonitorCompat, GpuInfoNamesTheFirstGpu) {
  const CompatGpu g = compat_gpu({dom("cpu-package0", "cpu", "rapl"), dom("gpu0", "gpu", "nvml")});
  EXPECT_EQ(g.name, "gpu0 device");
  EXPECT_EQ(g.vendor, "NVIDIA");
  EXPECT_EQ(g.backend, "nvml");
}

}  // namespace
}  // namespace ipw::monitor

namespace ipw::monitor {
namespace {

// Feeds batches at the given times (ms) and returns the times of the batches a
// reading was sent for, as the stream loop does: add, then send if due.
std::vector<std::int64_t> sent_at(const std::vector<std::int64_t>& batch_ms, std::int64_t spacing_ms) {
  CompatPace pace(spacing_ms * kMs);
  std::vector<std::int64_t> sent;
  for (std::int64_t t : batch_ms) {
    pace.add(t * kMs);
    if (pace.due()) {
      sent.push_back(t);
      pace.sent();
    }
  }
  return sent;
}

TEST(MonitorCompatPace, EachReadOfAFiftyMsSourceIsSentOnceWhateverItsJitter) {
  // A 50 ms source read a little early and late (the old 50 ms timer drifted
  // against exactly this, repeating one reading and folding two).
  const std::vector<std::int64_t> reads = {0, 49, 101, 148, 203, 250, 296, 351, 400};
  EXPECT_EQ(sent_at(reads, 25), reads);
}

TEST(MonitorCompatPace, NoNewReadNoReading) {
  CompatPace pace(25 * kMs);
  pace.add(10 * kMs);
  ASSERT_TRUE(pace.due());
  pace.sent();
  EXPECT_FALSE(pace.due());  // nothing new: nothing to send (never a repeat)
  pace.add(10 * kMs);        // the same read again
  EXPECT_FALSE(pace.due());
  pace.add(5 * kMs);         // an older one
  EXPECT_FALSE(pace.due());
  pace.add(60 * kMs);
  EXPECT_TRUE(pace.due());
}

TEST(MonitorCompatPace, AFasterHubIsThinnedToHalfThePeriodAtMost) {
  // The hub reads every 5 ms (another client asked for it): a reading goes out
  // when its newest read is 25 ms or more after the last one sent.
  std::vector<std::int64_t> reads;
  for (std::int64_t t = 0; t <= 200; t += 5) reads.push_back(t);
  EXPECT_EQ(sent_at(reads, 25), (std::vector<std::int64_t>{0, 25, 50, 75, 100, 125, 150, 175, 200}));
}

TEST(MonitorCompatPace, ReadsOfSeveralSourcesBackToBackShareOneReading) {
  // Two sources read 0.1 ms apart each tick: the second waits for the next tick's reading.
  std::vector<std::int64_t> sent;
  CompatPace pace(25 * kMs);
  for (std::int64_t tick = 0; tick < 4; ++tick) {
    pace.add(tick * 50 * kMs);
    pace.add(tick * 50 * kMs + kMs / 10);  // queued together: one add loop, one decision
    if (pace.due()) {
      sent.push_back(tick);
      pace.sent();
    }
  }
  EXPECT_EQ(sent, (std::vector<std::int64_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace ipw::monitor
