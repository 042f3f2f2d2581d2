// RAPL collector against fake powercap trees: discovery, naming, overlap
// rules, wrap/reset handling, permission denied, missing files, update period.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>

#include "ipw/telemetry/rapl_collector.h"
#include "telemetry_hw_fakes.h"

namespace ipw::telemetry {
namespace {

using hwtest::FailingReader;
using hwtest::FakeClock;
using hwtest::TempTree;

void add_zone(const TempTree& t, const std::string& entry, const std::string& name,
              unsigned long long energy_uj, unsigned long long range_uj = 262143328850ULL) {
  const std::string d = "class/powercap/" + entry + "/";
  t.write(d + "name", name + "\n");
  t.write(d + "energy_uj", std::to_string(energy_uj) + "\n");
  t.write(d + "max_energy_range_uj", std::to_string(range_uj) + "\n");
  t.write(d + "enabled", "1\n");
}

// A laptop-style tree: package with core/uncore/dram, psys, and an MMIO duplicate.
void laptop_tree(const TempTree& t) {
  t.mkdir("class/powercap/intel-rapl");  // the control-type directory, not a zone
  add_zone(t, "intel-rapl:0", "package-0", 1000);
  add_zone(t, "intel-rapl:0:0", "core", 2000);
  add_zone(t, "intel-rapl:0:1", "uncore", 3000);
  add_zone(t, "intel-rapl:0:2", "dram", 4000);
  add_zone(t, "intel-rapl:1", "psys", 5000);
  add_zone(t, "intel-rapl-mmio:0", "package-0", 6000);
}

HardwareOptions no_detect(std::shared_ptr<const SysfsReader> fs) {
  HardwareOptions o;
  o.fs = std::move(fs);
  o.detect_update_period = false;
  return o;
}

std::vector<std::string> domain_names(const Collector& c) {
  std::vector<std::string> out;
  for (const auto& d : c.domains()) out.push_back(d.domain);
  return out;
}

TEST(RaplZones, LaptopTreeNamesEveryZoneAndDropsMmioDuplicate) {
  TempTree t;
  laptop_tree(t);
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  ASSERT_EQ(d.zones.size(), 5u);
  std::vector<std::string> names;
  for (const auto& z : d.zones) names.push_back(z.info.domain);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu-package0", "cpu-cores0", "cpu-uncore0", "dram0",
                                             "psys"}));
  EXPECT_EQ(d.zones[3].info.kind, "dram");
  EXPECT_EQ(d.zones[4].info.kind, "system");
  ASSERT_EQ(d.skipped.size(), 1u);
  EXPECT_NE(d.skipped[0].find("intel-rapl-mmio:0"), std::string::npos);
  EXPECT_DOUBLE_EQ(d.zones[0].wrap_j, 262143.32885);
  EXPECT_DOUBLE_EQ(d.zones[0].info.wrap_j, 262143.32885);
  EXPECT_EQ(d.zones[0].info.source, EnergySource::counter);
}

TEST(RaplZones, SummableIsPackagesPlusDramNeverPsysOrCores) {
  TempTree t;
  laptop_tree(t);
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  const auto idx = rapl_summable(d.zones);
  std::vector<std::string> names;
  for (auto i : idx) names.push_back(d.zones[i].info.domain);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu-package0", "dram0"}));
}

TEST(RaplZones, PsysAloneIsSummableWhenNoPackageExists) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "psys", 10);
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(rapl_summable(d.zones), (std::vector<std::size_t>{0}));
}

TEST(RaplZones, MultiSocketAndMultiDieServer) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 1);
  add_zone(t, "intel-rapl:0:0", "dram", 2);
  add_zone(t, "intel-rapl:1", "package-1", 3);
  add_zone(t, "intel-rapl:1:0", "dram", 4);
  add_zone(t, "intel-rapl:2", "package-1-die-1", 5);
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  std::vector<std::string> names;
  for (const auto& z : d.zones) names.push_back(z.info.domain);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu-package0", "dram0", "cpu-package1", "dram1",
                                             "cpu-package1-die1"}));
  EXPECT_EQ(d.zones[3].socket, 1);
  EXPECT_EQ(rapl_summable(d.zones).size(), 5u);
}

TEST(RaplZones, AmdRaplNamingAndMmioOnlyZonesAreUsed) {
  TempTree t;
  add_zone(t, "amd-rapl:0", "package-0", 7);
  add_zone(t, "intel-rapl-mmio:0", "package-1", 8);  // no MSR twin: keep it
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  ASSERT_EQ(d.zones.size(), 2u);
  EXPECT_EQ(d.zones[0].interface, "amd-rapl");
  EXPECT_EQ(d.zones[1].info.domain, "cpu-package1");
  EXPECT_TRUE(d.skipped.empty());
}

TEST(RaplZones, EntriesThatAreNotRaplZonesAreIgnored) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 1);
  for (const char* junk :
       {"intel-rapl:x", "intel-rapl:0:0:0", "dtpm:0", "intel-rapl:", "intel-rapl:0:"})
    add_zone(t, junk, "package-9", 1);
  add_zone(t, "intel-rapl:1", "package-2-die-x", 1);  // malformed package name: kept as "other"
  DirSysfsReader fs(t.root());
  const auto d = discover_rapl_zones(fs);
  ASSERT_EQ(d.zones.size(), 2u);
  EXPECT_EQ(d.zones[0].info.domain, "cpu-package0");
  EXPECT_EQ(d.zones[1].kind, RaplKind::other);
  EXPECT_EQ(d.zones[1].info.domain, "rapl-package-2-die-x0");
  EXPECT_EQ(rapl_summable(d.zones), (std::vector<std::size_t>{0}));
}

TEST(RaplCollector, ReadsRawCountersAndDerivesPowerAcrossAWrap) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 999'000'000, 1'000'000'000);  // wraps at 1000 J
  auto c = make_rapl_collector(no_detect(std::make_shared<DirSysfsReader>(t.root())));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 999.0);
  EXPECT_FALSE(r[0].power_w.has_value());  // one reading: no power yet
  // 200 ms later the counter wrapped: 999 J -> 1000 J (wrap) -> 9 J, i.e. 10 J in 0.2 s.
  t.write("class/powercap/intel-rapl:0/energy_uj", "9000000\n");
  (*c)->read(200'000'000, r);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 9.0);  // raw, as read: DomainTrace unwraps
  ASSERT_TRUE(r[0].power_w.has_value());
  EXPECT_NEAR(*r[0].power_w, 50.0, 1e-9);
}

TEST(RaplCollector, ResetGivesNoPowerInsteadOfAHugeValue) {
  TempTree t;
  // wrap range 1000 J: a drop from 900 J to 500 J in 10 ms would be a wrap only
  // if 600 J had been used in 10 ms (60 kW): a reset.
  add_zone(t, "intel-rapl:0", "package-0", 900'000'000, 1'000'000'000);
  auto c = make_rapl_collector(no_detect(std::make_shared<DirSysfsReader>(t.root())));
  ASSERT_TRUE(c.has_value());
  std::vector<Reading> r;
  (*c)->read(0, r);
  t.write("class/powercap/intel-rapl:0/energy_uj", "500000000\n");
  (*c)->read(10'000'000, r);
  EXPECT_FALSE(r[0].power_w.has_value());
  t.write("class/powercap/intel-rapl:0/energy_uj", "501000000\n");
  (*c)->read(110'000'000, r);
  ASSERT_TRUE(r[0].power_w.has_value());
  EXPECT_NEAR(*r[0].power_w, 10.0, 1e-9);  // 1 J in 100 ms after the reset
}

TEST(RaplCollector, FileVanishingGivesEmptyReadingNotZero) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 5'000'000);
  add_zone(t, "intel-rapl:0:0", "dram", 6'000'000);
  auto fs = std::make_shared<FailingReader>(std::make_shared<DirSysfsReader>(t.root()));
  auto c = make_rapl_collector(no_detect(fs));
  ASSERT_TRUE(c.has_value());
  fs->fail("class/powercap/intel-rapl:0:0/energy_uj", ENODEV);
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 5.0);
  EXPECT_FALSE(r[1].energy_j.has_value());
}

TEST(RaplCollector, PermissionDeniedExplainsCveAndFix) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 1);
  auto fs = std::make_shared<FailingReader>(std::make_shared<DirSysfsReader>(t.root()));
  fs->fail("class/powercap/intel-rapl:0/energy_uj", EACCES);
  auto c = make_rapl_collector(no_detect(fs));
  ASSERT_FALSE(c.has_value());
  const SourceStatus& st = c.error();
  EXPECT_TRUE(st.found);
  EXPECT_FALSE(st.readable);
  EXPECT_NE(st.reason.find("intel-rapl:0/energy_uj"), std::string::npos) << st.reason;
  EXPECT_NE(st.reason.find("CVE-2020-8694"), std::string::npos) << st.reason;
  EXPECT_NE(st.how_to_fix.find("chmod"), std::string::npos);
  EXPECT_NE(st.how_to_fix.find("ipw monitor"), std::string::npos);
  const auto probed = probe_rapl(*fs);
  EXPECT_EQ(probed.reason, st.reason);
}

TEST(RaplCollector, PartlyReadableTreeKeepsReadableZonesAndSaysWhichAreNot) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 1);
  add_zone(t, "intel-rapl:1", "psys", 1);
  auto fs = std::make_shared<FailingReader>(std::make_shared<DirSysfsReader>(t.root()));
  fs->fail("class/powercap/intel-rapl:1/energy_uj", EACCES);
  auto c = make_rapl_collector(no_detect(fs));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(domain_names(**c), (std::vector<std::string>{"cpu-package0"}));
  const auto skipped = (*c)->describe()["skipped"];
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].get<std::string>().find("intel-rapl:1"), std::string::npos);
}

TEST(RaplCollector, NoPowercapTreeIsNotFoundWithReason) {
  TempTree t;
  DirSysfsReader fs(t.root());
  const auto st = probe_rapl(fs);
  EXPECT_FALSE(st.found);
  EXPECT_FALSE(st.readable);
  EXPECT_NE(st.reason.find("class/powercap does not exist"), std::string::npos) << st.reason;
  EXPECT_FALSE(st.how_to_fix.empty());
}

TEST(RaplCollector, MalformedCounterIsUnreadable) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 1);
  t.write("class/powercap/intel-rapl:0/energy_uj", "garbage\n");
  DirSysfsReader fs(t.root());
  const auto st = probe_rapl(fs);
  EXPECT_TRUE(st.found);
  EXPECT_FALSE(st.readable);
  EXPECT_NE(st.reason.find("garbage"), std::string::npos);
}

TEST(RaplCollector, SysfsRootComesFromEnvironment) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 42'000'000);
  hwtest::ScopedEnv env("IPW_SYSFS_ROOT", t.root());
  HardwareOptions o;
  o.detect_update_period = false;
  auto c = make_rapl_collector(o);  // no fs given: production default path
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  std::vector<Reading> r;
  (*c)->read(0, r);
  EXPECT_DOUBLE_EQ(*r[0].energy_j, 42.0);
  EXPECT_NE((*c)->describe()["zones"][0]["path"].get<std::string>().find(t.root()),
            std::string::npos);
}

TEST(RaplCollector, MeasuresUpdatePeriodOnAScriptedCounter) {
  TempTree t;
  add_zone(t, "intel-rapl:0", "package-0", 0);
  FakeClock clock;
  const std::int64_t start = clock.now_ns();
  // The counter ticks every 1 ms of fake time; each poll sleeps 100 µs.
  HardwareOptions o;
  o.fs = std::make_shared<DirSysfsReader>(t.root());
  o.clock = &clock;
  o.period.min_span_ns = 0;  // 6 changes, not 200 ms of 100 µs polls
  o.sleep = [&](std::int64_t ns) {
    clock.advance(ns);
    const auto ticks = (clock.now_ns() - start) / 1'000'000;
    t.write("class/powercap/intel-rapl:0/energy_uj", std::to_string(ticks * 25) + "\n");
  };
  auto c = make_rapl_collector(o);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->update_period_ns(), 1'000'000);
  // Six changes at least, and on until the period is bounded to 0.5 %: 100 µs polls
  // time it over 20 updates.
  EXPECT_GE((*c)->describe()["zones"][0]["update_period"]["changes_seen"].get<int>(), 6);
  EXPECT_LE((*c)->update_period_uncertainty_ns(), 5'000);
  EXPECT_GT((*c)->update_period_uncertainty_ns(), 0);
}

}  // namespace
}  // namespace ipw::telemetry

namespace ipw::telemetry {
namespace {

// The reliability issue's frozen counter: energy_uj replaced by a new file (same path,
// new inode) while the reader kept the old one open read the old value forever.
TEST(SysfsReader, AHotFileReplacedUnderTheReaderIsReopened) {
  hwtest::TempTree t;
  t.write("class/powercap/intel-rapl:0/energy_uj", "1000\n");
  DirSysfsReader fs(t.root());
  const std::string rel = "class/powercap/intel-rapl:0/energy_uj";
  ASSERT_EQ(fs.read_hot(rel).value(), "1000\n");
  // Written beside it and renamed over it: the old inode stays open in the reader.
  t.write("class/powercap/intel-rapl:0/energy_uj.new", "2000\n");
  ASSERT_EQ(std::rename((t.root() + "/" + rel + ".new").c_str(), (t.root() + "/" + rel).c_str()), 0);
  EXPECT_EQ(fs.read_hot(rel).value(), "2000\n");
  // Same inode, new content: read through the open descriptor as before.
  t.write(rel, "3000\n");
  EXPECT_EQ(fs.read_hot(rel).value(), "3000\n");
  // Removed: a clear error naming the path, then back when it reappears.
  std::remove((t.root() + "/" + rel).c_str());
  const auto gone = fs.read_hot(rel);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().errno_value, ENOENT);
  t.write(rel, "4000\n");
  EXPECT_EQ(fs.read_hot(rel).value(), "4000\n");
}

}  // namespace
}  // namespace ipw::telemetry
