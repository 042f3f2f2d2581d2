// AMD GPU collector: amdgpu hwmon discovery on fake trees, counter
// plausibility against power, SMI counters through a scripted fake, selection,
// and the defensive dlopen path of amdsmi / ROCm SMI.
#include <gtest/gtest.h>

#include "ipw/telemetry/amd_collector.h"
#include "telemetry_hw_fakes.h"

namespace ipw::telemetry {
namespace {

using hwtest::FakeClock;
using hwtest::TempTree;

void add_gpu(const TempTree& t, const std::string& hwmon, const std::string& slot,
             long long power_uw, const std::string& product = "") {
  const std::string d = "class/hwmon/" + hwmon + "/";
  t.write(d + "name", "amdgpu\n");
  t.write(d + "device/uevent", "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_SLOT_NAME=" + slot + "\n");
  if (!product.empty()) t.write(d + "device/product_name", product + "\n");
  t.write(d + "power1_average", std::to_string(power_uw) + "\n");
  t.write(d + "temp1_input", "45000\n");
  t.write(d + "temp2_input", "55000\n");
  t.write(d + "device/mem_info_vram_used", "1073741824\n");
}

// A scripted SMI library: energy = offset + watts × (fake time) × scale.
class FakeSmi final : public AmdEnergyCounters {
 public:
  FakeSmi(const FakeClock& clock, std::vector<unsigned long long> bdfs, double watts, double scale)
      : clock_(clock), bdfs_(std::move(bdfs)), watts_(watts), scale_(scale), t0_(clock.now_ns()) {}
  std::string library() const override { return "fake-smi"; }
  std::vector<unsigned long long> device_bdfs() const override { return bdfs_; }
  std::optional<double> energy_j(std::size_t i) const override {
    if (i >= bdfs_.size()) return std::nullopt;
    return 1000.0 + watts_ * static_cast<double>(clock_.now_ns() - t0_) * 1e-9 * scale_;
  }

 private:
  const FakeClock& clock_;
  std::vector<unsigned long long> bdfs_;
  double watts_, scale_;
  std::int64_t t0_;
};

AmdOptions opts(const TempTree& t, FakeClock& clock) {
  AmdOptions o;
  o.common.fs = std::make_shared<DirSysfsReader>(t.root());
  o.common.detect_update_period = false;
  o.common.clock = &clock;
  o.common.sleep = [&clock](std::int64_t ns) { clock.advance(ns); };
  o.read_visible_env = false;
  o.use_smi = false;
  return o;
}

TEST(AmdHwmon, DiscoversAmdgpuDevicesInPciOrder) {
  TempTree t;
  add_gpu(t, "hwmon5", "0000:c3:00.0", 1, "AMD Instinct MI300X");
  add_gpu(t, "hwmon2", "0000:43:00.0", 1);
  t.write("class/hwmon/hwmon0/name", "k10temp\n");
  DirSysfsReader fs(t.root());
  const auto g = discover_amd_hwmon(fs);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].pci_slot, "0000:43:00.0");
  EXPECT_EQ(g[0].product, "AMD GPU 0000:43:00.0");
  EXPECT_EQ(g[1].product, "AMD Instinct MI300X");
  EXPECT_EQ(g[1].temp_file, "class/hwmon/hwmon5/temp2_input");  // junction preferred
  EXPECT_TRUE(g[1].energy_file.empty());
}

TEST(AmdHwmon, PciSlotToBdf) {
  EXPECT_EQ(*pci_slot_to_bdf("0000:03:00.0"), 0x300ULL);
  EXPECT_EQ(*pci_slot_to_bdf("0001:c1:1f.7"),
            (1ULL << 32) | (0xc1ULL << 8) | (0x1fULL << 3) | 7ULL);
  EXPECT_FALSE(pci_slot_to_bdf("garbage").has_value());
  EXPECT_FALSE(pci_slot_to_bdf("0000:03:00.0x").has_value());
}

TEST(AmdPlausibility, FactorOfTwoOrTenWatts) {
  EXPECT_TRUE(check_counter_plausibility(210.0, 200.0).plausible);
  EXPECT_TRUE(check_counter_plausibility(399.0, 200.0).plausible);
  EXPECT_FALSE(check_counter_plausibility(3060.0, 200.0).plausible);  // 15.3x resolution error
  EXPECT_FALSE(check_counter_plausibility(0.0, 150.0).plausible);     // counter stuck
  EXPECT_TRUE(check_counter_plausibility(12.0, 4.0).plausible);       // idle noise
  EXPECT_FALSE(check_counter_plausibility(-5.0, 4.0).plausible);
  const auto unchecked = check_counter_plausibility(100.0, std::nullopt);
  EXPECT_TRUE(unchecked.plausible);
  EXPECT_NE(unchecked.note.find("not checked"), std::string::npos);
}

TEST(AmdCollector, PowerOnlyGpuIsIntegratedWithUnitsConverted) {
  TempTree t;
  FakeClock clock;
  add_gpu(t, "hwmon1", "0000:03:00.0", 150'000'000, "Radeon RX 7900 XTX");
  auto c = make_amd_collector(opts(t, clock));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  const auto& d = (*c)->domains();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].domain, "amdgpu0");
  EXPECT_EQ(d[0].device, "Radeon RX 7900 XTX");
  EXPECT_EQ(d[0].source, EnergySource::integrated);
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 150.0);
  EXPECT_FALSE(r[0].energy_j.has_value());
  EXPECT_DOUBLE_EQ(*r[0].temperature_c, 55.0);
  EXPECT_DOUBLE_EQ(*r[0].memory_mb, 1073.741824);  // 1 GiB in MB
  EXPECT_NE((*c)->describe()["gpus"][0]["energy_note"].get<std::string>().find("integrated"),
            std::string::npos);
}

TEST(AmdCollector, PlausibleHwmonEnergyCounterIsUsed) {
  TempTree t;
  FakeClock clock;
  add_gpu(t, "hwmon1", "0000:03:00.0", 200'000'000);
  t.write("class/hwmon/hwmon1/energy1_input", "5000000\n");
  AmdOptions o = opts(t, clock);
  o.common.sleep = [&](std::int64_t ns) {  // 200 W for the 0.5 s window: +100 J
    clock.advance(ns);
    t.write("class/hwmon/hwmon1/energy1_input", "105000000\n");
  };
  auto c = make_amd_collector(o);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->domains()[0].source, EnergySource::counter);
  EXPECT_EQ((*c)->gpus()[0].energy, AmdEnergy::hwmon_counter);
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 105.0);
}

TEST(AmdCollector, SmiCounterMatchedByBdfIsPreferred) {
  TempTree t;
  FakeClock clock;
  add_gpu(t, "hwmon1", "0000:03:00.0", 300'000'000);
  add_gpu(t, "hwmon2", "0000:83:00.0", 100'000'000);
  AmdOptions o = opts(t, clock);
  o.use_smi = true;
  // SMI enumerates the second GPU first; matching must go by BDF, not order.
  o.load_smi = [&]() -> Expected<std::unique_ptr<AmdEnergyCounters>, std::string> {
    return std::unique_ptr<AmdEnergyCounters>(std::make_unique<FakeSmi>(
        clock, std::vector<unsigned long long>{0x8300, 0x300}, 300.0, 1.0));
  };
  auto c = make_amd_collector(o);
  ASSERT_TRUE(c.has_value());
  const auto& g = (*c)->gpus();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].smi_index, std::optional<std::size_t>(1));
  EXPECT_EQ(g[1].smi_index, std::optional<std::size_t>(0));
  EXPECT_EQ(g[0].energy, AmdEnergy::smi);         // 300 W counter vs 300 W power
  EXPECT_EQ(g[1].energy, AmdEnergy::integrated);  // 300 W counter vs 100 W power: implausible
  EXPECT_NE(g[1].energy_note.find("implausible"), std::string::npos) << g[1].energy_note;
  EXPECT_EQ((*c)->describe()["smi"], "fake-smi");
}

TEST(AmdCollector, WrongSmiResolutionFallsBackToIntegration) {
  TempTree t;
  FakeClock clock;
  add_gpu(t, "hwmon1", "0000:03:00.0", 200'000'000);
  AmdOptions o = opts(t, clock);
  o.use_smi = true;
  o.load_smi = [&]() -> Expected<std::unique_ptr<AmdEnergyCounters>, std::string> {
    return std::unique_ptr<AmdEnergyCounters>(
        std::make_unique<FakeSmi>(clock, std::vector<unsigned long long>{0x300}, 200.0, 15.3));
  };
  auto c = make_amd_collector(o);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->domains()[0].source, EnergySource::integrated);
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_FALSE(r[0].energy_j.has_value());
  EXPECT_DOUBLE_EQ(*r[0].power_w, 200.0);
}

TEST(AmdCollector, MissingSmiLibraryIsNotedNotFatal) {
  TempTree t;
  FakeClock clock;
  add_gpu(t, "hwmon1", "0000:03:00.0", 1'000'000);
  AmdOptions o = opts(t, clock);
  o.use_smi = true;
  o.load_smi = []() -> Expected<std::unique_ptr<AmdEnergyCounters>, std::string> {
    return load_amdsmi("/nonexistent/libamd_smi.so");
  };
  auto c = make_amd_collector(o);
  ASSERT_TRUE(c.has_value());
  const std::string note = (*c)->describe()["smi_note"];
  EXPECT_NE(note.find("/nonexistent/libamd_smi.so"), std::string::npos) << note;
}

TEST(AmdCollector, SelectionByIndexSlotAndVisibleDevices) {
  TempTree t;
  add_gpu(t, "hwmon1", "0000:03:00.0", 1);
  add_gpu(t, "hwmon2", "0000:43:00.0", 1);
  add_gpu(t, "hwmon3", "0000:83:00.0", 1);
  DirSysfsReader fs(t.root());
  const auto g = discover_amd_hwmon(fs);
  EXPECT_EQ(*select_amd_gpus(g, std::nullopt, std::nullopt), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_EQ(*select_amd_gpus(g, "2,0", std::nullopt), (std::vector<unsigned>{2, 0}));
  EXPECT_EQ(*select_amd_gpus(g, "0000:43", "0"), (std::vector<unsigned>{1}));
  EXPECT_EQ(*select_amd_gpus(g, std::nullopt, "1,7,0"), (std::vector<unsigned>{1}));
  EXPECT_FALSE(select_amd_gpus(g, "5", std::nullopt).has_value());
  EXPECT_FALSE(select_amd_gpus(g, std::nullopt, "").has_value());
}

TEST(AmdCollector, NoAmdGpuIsNotFound) {
  TempTree t;
  DirSysfsReader fs(t.root());
  const auto st = probe_amd(fs);
  EXPECT_FALSE(st.found);
  EXPECT_NE(st.reason.find("no amdgpu hwmon"), std::string::npos);
}

TEST(AmdSmiLoad, DefensiveAgainstMissingOrForeignLibraries) {
  const auto missing = load_rocm_smi("/nonexistent/librocm_smi64.so");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("/nonexistent/librocm_smi64.so"), std::string::npos);
  const auto foreign = load_amdsmi("libm.so.6");
  ASSERT_FALSE(foreign.has_value());
  EXPECT_NE(foreign.error().find("lacks an amdsmi function"), std::string::npos);
}

}  // namespace
}  // namespace ipw::telemetry
