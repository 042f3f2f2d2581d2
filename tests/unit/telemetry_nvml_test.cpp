// NVML collector against the fake libnvidia-ml.so.1 built by the test suite
// (tests/fake_nvml), loaded through the production dlopen path, plus the pure
// GPU-selection rules (the spec's GPUs, CUDA_VISIBLE_DEVICES).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "ipw/telemetry/nvml_collector.h"
#include "ipw/telemetry/nvml_devices.h"
#include "telemetry_hw_fakes.h"

#ifndef IPW_FAKE_NVML_LIBRARY
#error "IPW_FAKE_NVML_LIBRARY must name the fake NVML library (tests/fake_nvml/CMakeLists.txt)"
#endif

namespace ipw::telemetry {
namespace {

using hwtest::ScopedEnv;
using hwtest::TempTree;

// ---- selection rules (pure) ----

const std::vector<GpuIdentity> kFour = {
    {0, "GPU-aaaa1111"}, {1, "GPU-bbbb2222"}, {2, "GPU-bbbc3333"}, {3, "GPU-dddd4444"}};

TEST(NvmlSelect, EveryGpuWhenNothingIsSet) {
  EXPECT_EQ(*select_gpus(kFour, std::nullopt, std::nullopt), (std::vector<unsigned>{0, 1, 2, 3}));
}

TEST(NvmlSelect, DevicesByIndexUuidAndPrefix) {
  EXPECT_EQ(*select_gpus(kFour, "2,0", std::nullopt), (std::vector<unsigned>{2, 0}));
  EXPECT_EQ(*select_gpus(kFour, "GPU-dddd4444, aaaa", std::nullopt), (std::vector<unsigned>{3, 0}));
  EXPECT_EQ(*select_gpus(kFour, "all", "1"), (std::vector<unsigned>{0, 1, 2, 3}));
}

TEST(NvmlSelect, DevicesErrorsAreNeverSilent) {
  EXPECT_NE(select_gpus(kFour, "7", std::nullopt).error().find("does not exist"),
            std::string::npos);
  EXPECT_NE(select_gpus(kFour, "bbb", std::nullopt).error().find("matches 2 GPUs"),
            std::string::npos);
  // A MIG instance's UUID gets its own answer: NVML meters whole GPUs.
  EXPECT_NE(select_gpus(kFour, "MIG-5c9a1b2e-0d3f-5a6b-8c7d-0e1f2a3b4c5d", std::nullopt).error().find("MIG instance"),
            std::string::npos);
  EXPECT_NE(select_gpus(kFour, "GPU-ffff", std::nullopt).error().find("no GPU has UUID"),
            std::string::npos);
  EXPECT_NE(select_gpus(kFour, "1,1", std::nullopt).error().find("twice"), std::string::npos);
  EXPECT_NE(select_gpus(kFour, "1,,2", std::nullopt).error().find("empty entry"),
            std::string::npos);
}

TEST(NvmlSelect, DevicesOverrideCudaVisibleDevices) {
  EXPECT_EQ(*select_gpus(kFour, "3", "0,1"), (std::vector<unsigned>{3}));
}

TEST(NvmlSelect, CudaVisibleDevicesFollowsCudaRules) {
  EXPECT_EQ(*select_gpus(kFour, std::nullopt, "2,3"), (std::vector<unsigned>{2, 3}));
  EXPECT_EQ(*select_gpus(kFour, std::nullopt, "GPU-bbbb2222"), (std::vector<unsigned>{1}));
  // CUDA stops at the first invalid entry: "1,9,2" exposes only GPU 1.
  EXPECT_EQ(*select_gpus(kFour, std::nullopt, "1,9,2"), (std::vector<unsigned>{1}));
  EXPECT_EQ(*select_gpus(kFour, std::nullopt, "3,-1,0"), (std::vector<unsigned>{3}));
}

TEST(NvmlSelect, CudaVisibleDevicesHidingEverythingIsAnError) {
  const auto empty = select_gpus(kFour, std::nullopt, "");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().find("hides every GPU"), std::string::npos);
  EXPECT_FALSE(select_gpus(kFour, std::nullopt, "-1").has_value());
  const auto mig = select_gpus(kFour, std::nullopt, "MIG-0f1e2d3c");
  ASSERT_FALSE(mig.has_value());
  EXPECT_NE(mig.error().find("MIG"), std::string::npos);
}

// ---- the collector over the fake library ----

class NvmlFake : public ::testing::Test {
 protected:
  void SetUp() override { write(kTwoGpus); }
  void write(const std::string& text) { tree_.write("nvml.conf", text); }

  NvmlOptions options() const {
    NvmlOptions o;  // library path left empty: taken from IPW_NVML_LIBRARY like production
    o.read_cuda_env = false;
    o.common.detect_update_period = false;
    return o;
  }

  static constexpr const char* kTwoGpus =
      "driver 550.54.15\n"
      "gpu name=NVIDIA_H100_80GB_HBM3 uuid=GPU-aaaa energy_mj=5000 instant_mw=312000 "
      "power_mw=300000 temp_c=41 mem_used_mib=2048 mem_total_mib=81559\n"
      "gpu name=NVIDIA_H100_80GB_HBM3 uuid=GPU-bbbb energy_mj=7000 instant_mw=70000 "
      "power_mw=71000 temp_c=35 mem_used_mib=0\n";

  TempTree tree_;
  ScopedEnv lib_{"IPW_NVML_LIBRARY", IPW_FAKE_NVML_LIBRARY};
  ScopedEnv conf_{"IPW_FAKE_NVML_CONFIG", tree_.path("nvml.conf")};
};

TEST_F(NvmlFake, ReadsEnergyPowerTemperatureMemoryPerGpu) {
  auto c = make_nvml_collector(options());
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  const auto& d = (*c)->domains();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].domain, "gpu0");
  EXPECT_EQ(d[1].domain, "gpu1");
  EXPECT_EQ(d[0].device, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d[0].kind, "gpu");
  EXPECT_EQ(d[0].source, EnergySource::counter);

  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 5.0);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 312.0);  // the instantaneous field, not the 1 s average
  EXPECT_DOUBLE_EQ(*r[0].temperature_c, 41.0);
  EXPECT_DOUBLE_EQ(*r[0].memory_mb, 2048.0 * 1.048576);  // 2048 MiB in MB
  EXPECT_DOUBLE_EQ(*r[1].energy_j, 7.0);

  write("gpu uuid=GPU-aaaa energy_mj=6500 instant_mw=100\ngpu uuid=GPU-bbbb energy_mj=7001\n");
  (*c)->read(1, r);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 6.5);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 0.1);
  EXPECT_DOUBLE_EQ(*r[1].energy_j, 7.001);
}

TEST_F(NvmlFake, DescribeCarriesManifestFacts) {
  auto c = make_nvml_collector(options());
  ASSERT_TRUE(c.has_value());
  const auto j = (*c)->describe();
  EXPECT_EQ(j["driver_version"], "550.54.15");
  EXPECT_EQ(j["library"], IPW_FAKE_NVML_LIBRARY);
  EXPECT_EQ(j["selection"], "all GPUs");
  ASSERT_EQ(j["gpus"].size(), 2u);
  EXPECT_EQ(j["gpus"][0]["uuid"], "GPU-aaaa");
  EXPECT_EQ(j["gpus"][0]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(j["gpus"][0]["power_reading"], "instant");
  EXPECT_EQ(j["gpus"][0]["energy"], "counter");
  EXPECT_DOUBLE_EQ(j["gpus"][0]["memory_total_mib"].get<double>(), 81559.0);
}

TEST_F(NvmlFake, GpuWithoutEnergyCounterIsIntegratedAndSaysWhy) {
  write("gpu uuid=GPU-old energy_rc=3 instant_rc=3 power_mw=150000\n");
  auto c = make_nvml_collector(options());
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  EXPECT_EQ((*c)->domains()[0].source, EnergySource::integrated);
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_FALSE(r[0].energy_j.has_value());
  EXPECT_DOUBLE_EQ(*r[0].power_w, 150.0);  // the 1 s average: the only power there is
  const auto j = (*c)->describe()["gpus"][0];
  EXPECT_EQ(j["energy"], "integrated");
  EXPECT_EQ(j["power_reading"], "average_1s");
  EXPECT_NE(j["energy_note"].get<std::string>().find("no total-energy counter"), std::string::npos);
  const auto st = probe_nvml(options());
  EXPECT_TRUE(st.readable);
  EXPECT_NE(st.reason.find("power is integrated"), std::string::npos);
}

TEST_F(NvmlFake, GpuWithNeitherEnergyNorPowerIsRefused) {
  write("gpu uuid=GPU-x energy_rc=3 instant_rc=3 power_rc=3\n");
  auto c = make_nvml_collector(options());
  ASSERT_FALSE(c.has_value());
  EXPECT_TRUE(c.error().found);
  EXPECT_NE(c.error().reason.find("neither energy nor power"), std::string::npos);
}

TEST_F(NvmlFake, CudaVisibleDevicesFromEnvironmentSelectsGpus) {
  ScopedEnv cvd("CUDA_VISIBLE_DEVICES", "GPU-bbbb");
  NvmlOptions o = options();
  o.read_cuda_env = true;
  auto c = make_nvml_collector(o);
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  ASSERT_EQ((*c)->domains().size(), 1u);
  EXPECT_EQ((*c)->domains()[0].domain, "gpu1");
  EXPECT_EQ((*c)->describe()["selection"], "CUDA_VISIBLE_DEVICES=GPU-bbbb");
  o.devices = "0";  // the spec's selection wins
  auto c0 = make_nvml_collector(o);
  ASSERT_TRUE(c0.has_value());
  EXPECT_EQ((*c0)->domains()[0].domain, "gpu0");
}

TEST_F(NvmlFake, EmptyCudaVisibleDevicesIsAClearError) {
  NvmlOptions o = options();
  o.cuda_visible_devices = "";
  const auto st = probe_nvml(o);
  EXPECT_TRUE(st.found);
  EXPECT_FALSE(st.readable);
  EXPECT_NE(st.reason.find("hides every GPU"), std::string::npos);
}

TEST_F(NvmlFake, DriverNotLoadedIsFoundButUnreadable) {
  write("init_rc 9\n");
  const auto st = probe_nvml(options());
  EXPECT_TRUE(st.found);
  EXPECT_FALSE(st.readable);
  EXPECT_NE(st.reason.find("Driver Not Loaded"), std::string::npos) << st.reason;
  EXPECT_NE(st.how_to_fix.find("kernel driver"), std::string::npos);
}

TEST_F(NvmlFake, ShutdownIsCalledWhenTheCollectorGoes) {
  void* h = ::dlopen(IPW_FAKE_NVML_LIBRARY, RTLD_NOW);
  ASSERT_NE(h, nullptr);
  auto live = reinterpret_cast<int (*)()>(::dlsym(h, "ipw_fake_nvml_live_inits"));
  ASSERT_NE(live, nullptr);
  const int before = live();
  {
    auto c = make_nvml_collector(options());
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(live(), before + 1);
  }
  EXPECT_EQ(live(), before);
  ::dlclose(h);
}

TEST_F(NvmlFake, MeasuresTheCountersUpdatePeriod) {
  // The fake counter advances every 20 ms of real time.
  write("gpu uuid=GPU-a energy_mj=0 rate_mw=300000 step_ms=20 instant_mw=300000\n");
  NvmlOptions o = options();
  o.common.detect_update_period = true;
  o.common.period.changes = 5;
  // Never faster than the truth and at least 5 changes on every try; within 1.5x of it on
  // one of three (a poller the scheduler starved sees changes late: 69 ms once, under the
  // ASan stress).
  bool close = false;
  for (int attempt = 0; attempt < 3 && !close; ++attempt) {
    auto c = make_nvml_collector(o);
    ASSERT_TRUE(c.has_value());
    EXPECT_GE((*c)->update_period_ns(), 15'000'000);
    // At least 5 changes, and as many as fit in UpdatePeriodOptions::min_span_ns.
    EXPECT_GE((*c)->describe()["gpus"][0]["update_period"]["changes_seen"], 5);
    close = (*c)->update_period_ns() <= 30'000'000;
  }
  EXPECT_TRUE(close) << "the measured period was over 30 ms on 3 tries";
}

TEST(NvmlLoad, MissingLibraryIsNotFoundWithFix) {
  NvmlOptions o;
  o.library_path = "/nonexistent/libnvidia-ml.so.1";
  const auto st = probe_nvml(o);
  EXPECT_FALSE(st.found);
  EXPECT_NE(st.reason.find("cannot load /nonexistent/libnvidia-ml.so.1"), std::string::npos);
  EXPECT_NE(st.how_to_fix.find("IPW_NVML_LIBRARY"), std::string::npos);
}

TEST(NvmlLoad, LibraryWithoutNvmlSymbolsIsRejected) {
  NvmlOptions o;
  o.library_path = "libm.so.6";
  const auto st = probe_nvml(o);
  EXPECT_FALSE(st.found);
  EXPECT_NE(st.reason.find("lacks nvmlInit_v2"), std::string::npos) << st.reason;
}

}  // namespace
}  // namespace ipw::telemetry
