// Jetson INA3221 rails against fake sysfs trees in both kernel layouts.
#include <gtest/gtest.h>

#include <cerrno>

#include "ipw/telemetry/jetson_collector.h"
#include "telemetry_hw_fakes.h"

namespace ipw::telemetry {
namespace {

using hwtest::FailingReader;
using hwtest::TempTree;

// Orin-style hwmon: VDD_IN 5000 mV × 2000 mA = 10 W; VDD_CPU_GPU_CV 5000 × 800 = 4 W;
// VDD_SOC 5000 × 400 = 2 W.
void orin_tree(const TempTree& t) {
  const std::string d = "class/hwmon/hwmon1/";
  t.write("class/hwmon/hwmon0/name", "thermal\n");  // another hwmon device: ignored
  t.write(d + "name", "ina3221\n");
  const char* labels[] = {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"};
  const int ma[] = {2000, 800, 400};
  for (int k = 1; k <= 3; ++k) {
    const std::string ch = std::to_string(k);
    t.write(d + "in" + ch + "_label", std::string(labels[k - 1]) + "\n");
    t.write(d + "in" + ch + "_input", "5000\n");
    t.write(d + "curr" + ch + "_input", std::to_string(ma[k - 1]) + "\n");
  }
  t.write(d + "in4_input", "12\n");  // shunt voltage channels: not rails
}

// Nano-style iio: power in mW directly, no input rail named *_IN on channel 2.
void nano_tree(const TempTree& t) {
  const std::string d = "bus/iio/devices/iio:device0/";
  t.write(d + "name", "ina3221x\n");
  t.write(d + "rail_name_0", "POM_5V_IN\n");
  t.write(d + "in_power0_input", "3500\n");
  t.write(d + "rail_name_1", "POM_5V_GPU\n");
  t.write(d + "in_power1_input", "900\n");
  t.write(d + "rail_name_2", "POM_5V_CPU\n");
  t.write(d + "in_current2_input", "200\n");  // no in_power2: current × voltage
  t.write(d + "in_voltage2_input", "5000\n");
}

HardwareOptions opts(std::shared_ptr<const SysfsReader> fs) {
  HardwareOptions o;
  o.fs = std::move(fs);
  o.detect_update_period = false;
  return o;
}

TEST(Jetson, OrinHwmonRailsAndInputRailAsTotal) {
  TempTree t;
  orin_tree(t);
  auto c = make_jetson_collector(opts(std::make_shared<DirSysfsReader>(t.root())));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  const auto& d = (*c)->domains();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].domain, "jetson-vdd-in");
  EXPECT_EQ(d[0].kind, "system");
  EXPECT_EQ(d[1].domain, "jetson-vdd-cpu-gpu-cv");
  EXPECT_EQ(d[1].kind, "gpu");
  EXPECT_EQ(d[2].kind, "soc");
  EXPECT_EQ(d[3].domain, "system");
  for (const auto& x : d) EXPECT_EQ(x.source, EnergySource::integrated);
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 10.0);
  EXPECT_DOUBLE_EQ(*r[1].power_w, 4.0);
  EXPECT_DOUBLE_EQ(*r[2].power_w, 2.0);
  EXPECT_DOUBLE_EQ(*r[3].power_w, 10.0);  // the input rail, not 16 W of double counting
  EXPECT_FALSE(r[0].energy_j.has_value());
  EXPECT_EQ((*c)->summable_domains(), (std::vector<std::size_t>{3}));
}

TEST(Jetson, NanoIioRailsInMilliwattsAndCurrentTimesVoltage) {
  TempTree t;
  nano_tree(t);
  auto c = make_jetson_collector(opts(std::make_shared<DirSysfsReader>(t.root())));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 3.5);
  EXPECT_DOUBLE_EQ(*r[1].power_w, 0.9);
  EXPECT_DOUBLE_EQ(*r[2].power_w, 1.0);  // 200 mA × 5000 mV
  EXPECT_DOUBLE_EQ(*r[3].power_w, 3.5);
  EXPECT_EQ((*c)->domains()[2].kind, "cpu");
}

TEST(Jetson, WithoutInputRailTheTotalIsTheSumAndNeverPartial) {
  TempTree t;
  const std::string d = "class/hwmon/hwmon3/";
  t.write(d + "name", "ina3221\n");
  t.write(d + "in1_label", "GPU\n");
  t.write(d + "in1_input", "1000\n");
  t.write(d + "curr1_input", "3000\n");
  t.write(d + "in2_label", "CPU\n");
  t.write(d + "in2_input", "1000\n");
  t.write(d + "curr2_input", "1500\n");
  auto fs = std::make_shared<FailingReader>(std::make_shared<DirSysfsReader>(t.root()));
  auto c = make_jetson_collector(opts(fs));
  ASSERT_TRUE(c.has_value());
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_DOUBLE_EQ(*r[2].power_w, 4.5);
  EXPECT_EQ((*c)->domains()[2].device, "Jetson rails summed (no input rail)");
  fs->fail(d + "curr2_input", EIO);
  (*c)->read(1, r);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 3.0);
  EXPECT_FALSE(r[1].power_w.has_value());
  EXPECT_FALSE(r[2].power_w.has_value());  // a partial sum would under-report
}

TEST(Jetson, NotAJetson) {
  TempTree t;
  t.write("class/hwmon/hwmon0/name", "coretemp\n");
  DirSysfsReader fs(t.root());
  const auto st = probe_jetson(fs);
  EXPECT_FALSE(st.found);
  EXPECT_NE(st.reason.find("not a Jetson"), std::string::npos);
}

TEST(Jetson, UnreadableRailIsReported) {
  TempTree t;
  orin_tree(t);
  auto fs = std::make_shared<FailingReader>(std::make_shared<DirSysfsReader>(t.root()));
  fs->fail("class/hwmon/hwmon1/curr2_input", EACCES);
  auto c = make_jetson_collector(opts(fs));
  ASSERT_FALSE(c.has_value());
  EXPECT_TRUE(c.error().found);
  EXPECT_NE(c.error().reason.find("VDD_CPU_GPU_CV"), std::string::npos);
}

TEST(Jetson, DuplicateRailNamesStayDistinct) {
  TempTree t;
  for (const char* dev : {"hwmon1", "hwmon2"}) {
    const std::string d = std::string("class/hwmon/") + dev + "/";
    t.write(d + "name", "ina3221\n");
    t.write(d + "in1_label", "VDD_GPU\n");
    t.write(d + "in1_input", "1000\n");
    t.write(d + "curr1_input", "1000\n");
  }
  DirSysfsReader fs(t.root());
  const auto rails = discover_jetson_rails(fs);
  ASSERT_EQ(rails.size(), 2u);
  EXPECT_EQ(rails[0].info.domain, "jetson-vdd-gpu");
  EXPECT_EQ(rails[1].info.domain, "jetson-vdd-gpu-2");
}

}  // namespace
}  // namespace ipw::telemetry
