// The hardware collectors as the registry builds them from a --telemetry spec,
// against fake sysfs trees (IPW_SYSFS_ROOT) and the fake NVML library.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "ipw/telemetry/registry.h"
#include "telemetry_hw_fakes.h"

namespace ipw::telemetry {
namespace {

using hwtest::ScopedEnv;
using hwtest::TempTree;

// Keeps a fake counter file ticking every millisecond, as a real RAPL counter
// does, so the registry's update-period detection finishes in milliseconds.
// Fixed-width values written in place with one pwrite, so a concurrent reader
// never sees an empty (truncated) file.
class TickingCounter {
 public:
  TickingCounter(const TempTree& t, const std::string& rel) {
    t.write(rel, "000001000000\n");
    fd_ = ::open(t.path(rel).c_str(), O_WRONLY);
    thread_ = std::thread([this] {
      for (long long uj = 1'000'000; !stop_; uj += 1000) {
        char buf[32];
        const int n = std::snprintf(buf, sizeof buf, "%012lld\n", uj);
        if (::pwrite(fd_, buf, static_cast<std::size_t>(n), 0) != n) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ~TickingCounter() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  TickingCounter(const TickingCounter&) = delete;
  TickingCounter& operator=(const TickingCounter&) = delete;

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool has_name(const std::string& n) {
  const auto names = collector_names();
  return std::find(names.begin(), names.end(), n) != names.end();
}

TEST(HwRegistry, EveryHardwareSourceIsRegisteredAndInAuto) {
  for (const char* n : {"nvml", "amd", "rapl", "jetson", "powermetrics"}) {
    EXPECT_TRUE(has_name(n)) << n;
    for (const auto& e : collector_registry()) {
      if (e.name != n) continue;
      EXPECT_TRUE(e.in_auto) << n;
      EXPECT_TRUE(static_cast<bool>(e.probe)) << n;
    }
  }
}

TEST(HwRegistry, RaplFromSpecReadsTheFakeTree) {
  TempTree t;
  t.write("class/powercap/intel-rapl:0/name", "package-0\n");
  t.write("class/powercap/intel-rapl:0/energy_uj", "7000000\n");
  t.write("class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
  ScopedEnv root("IPW_SYSFS_ROOT", t.root());
  std::vector<std::unique_ptr<Collector>> cs;
  {
    TickingCounter tick(t, "class/powercap/intel-rapl:0/energy_uj");
    cs = make_collectors("rapl");
  }
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->name(), "rapl");
  EXPECT_EQ(cs[0]->domains()[0].domain, "cpu-package0");
  EXPECT_GT(cs[0]->update_period_ns(), 0);  // measured while the counter ticked
  t.write("class/powercap/intel-rapl:0/energy_uj", "7000000\n");
  std::vector<Reading> r;
  cs[0]->read(0, r);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 7.0);
}

TEST(HwRegistry, UnavailableSourceNamedExplicitlyIsAClearError) {
  TempTree t;  // empty sysfs: no RAPL, no Jetson, no AMD GPU
  ScopedEnv root("IPW_SYSFS_ROOT", t.root());
  try {
    make_collectors("rapl");
    FAIL() << "expected CollectorSpecError";
  } catch (const CollectorSpecError& e) {
    EXPECT_NE(std::string(e.what()).find("rapl: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_collectors("jetson"), CollectorSpecError);
  EXPECT_THROW(make_collectors("amd"), CollectorSpecError);
  EXPECT_THROW(make_collectors("powermetrics:abc"), CollectorSpecError);
}

TEST(HwRegistry, NvmlSpecSelectsDevicesJoinedWithPlus) {
  TempTree t;
  // Counters ticking every millisecond keep update-period detection short.
  t.write("nvml.conf",
          "gpu uuid=GPU-a rate_mw=1000 step_ms=1\ngpu uuid=GPU-b rate_mw=1000 step_ms=1\n"
          "gpu uuid=GPU-c rate_mw=1000 step_ms=1\n");
  ScopedEnv lib("IPW_NVML_LIBRARY", IPW_FAKE_NVML_LIBRARY);
  ScopedEnv conf("IPW_FAKE_NVML_CONFIG", t.path("nvml.conf"));
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "1");
  auto cs = make_collectors("nvml:2+0");
  ASSERT_EQ(cs.size(), 1u);
  std::vector<std::string> names;
  for (const auto& d : cs[0]->domains()) names.push_back(d.domain);
  EXPECT_EQ(names, (std::vector<std::string>{"gpu2", "gpu0"}));
  auto from_env = make_collectors("nvml");  // no argument: CUDA_VISIBLE_DEVICES applies
  ASSERT_EQ(from_env[0]->domains().size(), 1u);
  EXPECT_EQ(from_env[0]->domains()[0].domain, "gpu1");
  ScopedEnv devices("IPW_DEVICES", "GPU-c");  // wins over CUDA_VISIBLE_DEVICES
  EXPECT_EQ(make_collectors("nvml")[0]->domains()[0].domain, "gpu2");
}

TEST(HwRegistry, AutoTakesReadableHardwareAndNotTheEstimator) {
  TempTree t;
  t.write("class/powercap/intel-rapl:0/name", "package-0\n");
  t.write("class/powercap/intel-rapl:0/energy_uj", "1\n");
  ScopedEnv root("IPW_SYSFS_ROOT", t.root());
  ScopedEnv lib("IPW_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  TickingCounter tick(t, "class/powercap/intel-rapl:0/energy_uj");
  auto cs = make_collectors("auto");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->name(), "rapl");
}

}  // namespace
}  // namespace ipw::telemetry
