// The `replay` and `estimated` collectors and the collector registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <unistd.h>

#include "ipw/telemetry/cpu_power_model.h"
#include "ipw/telemetry/estimated_collector.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/replay_collector.h"
#include "ipw/telemetry/replay_trace.h"
#include "telemetry_hw_fakes.h"
#include "time_units.h"

namespace ipw::telemetry {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using hwtest::ScopedEnv;

// A fresh temp directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            (std::string("ipw-tel-") + info->test_suite_name() + "-" + info->name() + "-" +
             std::to_string(::getpid()) + "-" + std::to_string(next_id_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& rel, const std::string& text) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  static inline int next_id_ = 0;  // several TempDirs in one test
  fs::path path_;
};

std::string expect_spec_error(const std::string& spec) {
  try {
    (void)make_collectors(spec);
  } catch (const CollectorSpecError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no CollectorSpecError for " << spec;
  return {};
}

// ---------------------------------------------------------------- replay

TEST(TelemetryReplay, PowerTraceIsLinearBetweenRowsAndHeldOutside) {
  TempDir dir;
  const std::string path = dir.write("p.csv", "t_s,power_w\n0,100\n1,200\n3,200\n");
  auto c = ReplayCollector::from_file(path);
  ASSERT_EQ(c->domains().size(), 1u);
  EXPECT_EQ(c->domains()[0].domain, "replay");
  EXPECT_EQ(c->domains()[0].kind, "system");
  EXPECT_EQ(c->domains()[0].source, EnergySource::integrated);
  const std::int64_t t0 = 5 * kS;  // the trace starts at the sampler's t0
  c->start(t0);
  std::vector<Reading> r;
  c->read(t0 + kS / 2, r);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(*r[0].power_w, 150.0, 1e-9);
  EXPECT_FALSE(r[0].energy_j);
  c->read(t0 + 10 * kS, r);
  EXPECT_NEAR(*r[0].power_w, 200.0, 1e-9);  // held after the end
  c->read(t0 - kS, r);
  EXPECT_NEAR(*r[0].power_w, 100.0, 1e-9);
  EXPECT_EQ(c->describe()["quantity"], "power_w");
}

TEST(TelemetryReplay, EnergyTraceIsACounter) {
  TempDir dir;
  const std::string path = dir.write("e.csv", "# recorded on a test rig\nt_s , energy_j\r\n0,10\r\n2,30\r\n\n");
  auto c = ReplayCollector::from_file(path);
  EXPECT_EQ(c->domains()[0].source, EnergySource::counter);
  c->start(0);
  std::vector<Reading> r;
  c->read(kS, r);
  EXPECT_NEAR(*r[0].energy_j, 20.0, 1e-9);
  EXPECT_FALSE(r[0].power_w);
  c->read(9 * kS, r);
  EXPECT_NEAR(*r[0].energy_j, 30.0, 1e-9);  // held: the counter stops after the trace
}

TEST(TelemetryReplay, DeviceColumnGivesOneDomainPerDevice) {
  const ReplayTrace t = parse_replay_csv(
      "device,t_s,power_w\ngpu0,0,100\ngpu1,0,50\ngpu0,1,300\ngpu1,1,50\nsystem-psu,0,400\n",
      "multi.csv");
  ReplayCollector c(t, "multi.csv");
  ASSERT_EQ(c.domains().size(), 3u);
  EXPECT_EQ(c.domains()[0].domain, "gpu0");
  EXPECT_EQ(c.domains()[1].domain, "gpu1");
  EXPECT_EQ(c.domains()[2].domain, "system-psu");
  EXPECT_EQ(c.domains()[0].kind, "gpu");
  EXPECT_EQ(c.domains()[2].kind, "system");
  c.start(0);
  std::vector<Reading> r;
  c.read(kS / 4, r);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_NEAR(*r[0].power_w, 150.0, 1e-9);
  EXPECT_NEAR(*r[1].power_w, 50.0, 1e-9);
  EXPECT_NEAR(*r[2].power_w, 400.0, 1e-9);
}

TEST(TelemetryReplay, EqualTimesMakeAStep) {
  const ReplayTrace t = parse_replay_csv("t_s,power_w\n0,100\n1,100\n1,300\n2,300\n", "s.csv");
  EXPECT_NEAR(replay_value_at(t.series[0], 0.999999), 100.0, 1e-3);
  EXPECT_NEAR(replay_value_at(t.series[0], 1.0), 300.0, 1e-9);
  EXPECT_NEAR(replay_value_at(t.series[0], 1.5), 300.0, 1e-9);
}

TEST(TelemetryReplay, MalformedLinesNameFileAndLine) {
  auto err = [](const std::string& text) {
    try {
      (void)parse_replay_csv(text, "trace.csv");
    } catch (const ReplayFormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(err("t_s,power_w\n0,1\n0.5,abc\n"), HasSubstr("trace.csv:3:"));
  EXPECT_THAT(err("t_s,power_w\n0,1\n1\n"), HasSubstr("trace.csv:3: expected 2 fields"));
  EXPECT_THAT(err("t_s,power_w\n1,1\n0,1\n"), HasSubstr("trace.csv:3: t_s goes backwards"));
  EXPECT_THAT(err("t_s,power_w\n0,-5\n"), HasSubstr("trace.csv:2: negative power"));
  EXPECT_THAT(err("t_s,watts\n0,1\n"), HasSubstr("trace.csv:1: unknown column \"watts\""));
  EXPECT_THAT(err("t_s,device\n0,a\n"), HasSubstr("trace.csv:1: header has neither"));
  EXPECT_THAT(err("t_s,power_w,energy_j\n"), HasSubstr("not both"));
  EXPECT_THAT(err("t_s,power_w\n"), HasSubstr("trace.csv: no data rows"));
  EXPECT_THAT(err(""), HasSubstr("trace.csv: empty trace"));
  EXPECT_THAT(err("t_s,power_w\n0,inf\n"), HasSubstr("trace.csv:2:"));
}

TEST(TelemetryReplay, RegistryReportsMalformedFileWithLine) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "t_s,power_w\n0,1\n1,2\nx,3\n");
  EXPECT_THAT(expect_spec_error("replay:" + path), HasSubstr(path + ":4:"));
  EXPECT_THAT(expect_spec_error("replay:" + dir.str() + "/missing.csv"),
              HasSubstr("missing.csv: cannot open"));
  EXPECT_THAT(expect_spec_error("replay"), HasSubstr("replay:PATH.csv"));
  EXPECT_THAT(expect_spec_error("replay:"), HasSubstr("replay:PATH.csv"));
}

// ---------------------------------------------------------------- estimated

const char* kCpuinfo =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7763 64-Core Processor\n\n"
    "processor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\n";

// /proc/stat with the given aggregate busy (in user) and idle ticks, two CPUs.
std::string proc_stat(std::uint64_t user, std::uint64_t idle, std::uint64_t steal = 0) {
  return "cpu  " + std::to_string(user) + " 0 0 " + std::to_string(idle) + " 0 0 0 " +
         std::to_string(steal) + " 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\n"
         "intr 12345\nctxt 999\n";
}

TEST(TelemetryEstimated, ParsesProcStatExcludingSteal) {
  const CpuTimes t = parse_proc_stat(
      "cpu  100 10 20 500 5 1 2 40 7 0\ncpu0 1 2 3 4\ncpu1 1 2 3 4\ncpu2 1 2 3 4\n");
  EXPECT_EQ(t.busy, 100u + 10 + 20 + 1 + 2);
  EXPECT_EQ(t.total, t.busy + 500 + 5);
  EXPECT_EQ(t.cpus, 3);
  EXPECT_THROW((void)parse_proc_stat("intr 5\n"), std::runtime_error);
  EXPECT_THROW((void)parse_proc_stat("cpu 1 2\n"), std::runtime_error);
}

TEST(TelemetryEstimated, FamilyTableAndGenericFallback) {
  EXPECT_EQ(parse_cpu_model_name(kCpuinfo), "AMD EPYC 7763 64-Core Processor");
  EXPECT_EQ(parse_cpu_model_name("processor : 0\nBogoMIPS : 50\n"), "");
  const CpuPowerModel epyc = cpu_power_model_for("AMD EPYC 7763 64-Core Processor", 2);
  EXPECT_EQ(epyc.family, "AMD EPYC");
  EXPECT_NEAR(epyc.tdp_w, 4.0, 1e-12);
  EXPECT_NEAR(epyc.idle_w, 1.2, 1e-12);
  EXPECT_EQ(cpu_power_model_for("Intel(R) Xeon(R) Platinum 8480+", 8).family, "Intel Xeon");
  EXPECT_EQ(cpu_power_model_for("AMD Ryzen 7 7840U w/ Radeon 780M Graphics", 16).family,
            "AMD Ryzen mobile");
  EXPECT_EQ(cpu_power_model_for("AMD Ryzen 9 7950X 16-Core Processor", 32).family, "AMD Ryzen");
  EXPECT_EQ(cpu_power_model_for("13th Gen Intel(R) Core(TM) i7-1365U", 12).family,
            "Intel Core mobile");
  EXPECT_EQ(cpu_power_model_for("13th Gen Intel(R) Core(TM) i9-13900K", 32).family, "Intel Core");
  const CpuPowerModel gen = cpu_power_model_for("", 4);
  EXPECT_EQ(gen.family, "generic");
  EXPECT_NEAR(gen.tdp_w, 16.0, 1e-12);
  EXPECT_NEAR(estimated_power_w(epyc, 0.5), 1.2 + 2.8 * 0.5, 1e-12);
  EXPECT_NEAR(estimated_power_w(epyc, 2.0), 4.0, 1e-12);  // clamped
  EXPECT_THROW((void)with_overrides(epyc, 10.0, 20.0), std::invalid_argument);
  const CpuPowerModel o = with_overrides(epyc, 65.0, std::nullopt);
  EXPECT_TRUE(o.overridden);
  EXPECT_NEAR(o.tdp_w, 65.0, 1e-12);
  EXPECT_NEAR(o.idle_w, 1.2, 1e-12);
}

TEST(TelemetryEstimated, PowerFromUtilisationOnAFakeProcTree) {
  TempDir proc;
  proc.write("cpuinfo", kCpuinfo);
  proc.write("stat", proc_stat(1000, 1000));
  EstimatedCollector c(EstimatorConfig{proc.str(), std::nullopt, std::nullopt});
  ASSERT_EQ(c.domains().size(), 1u);
  EXPECT_EQ(c.domains()[0].domain, "cpu");
  EXPECT_EQ(c.domains()[0].kind, "cpu");
  EXPECT_EQ(c.domains()[0].source, EnergySource::estimated);
  EXPECT_EQ(c.domains()[0].device, "AMD EPYC 7763 64-Core Processor");
  EXPECT_GE(c.update_period_ns(), 10'000'000);
  c.start(0);

  std::vector<Reading> r;
  c.read(1, r);  // no tick has passed: nothing measured yet, and never 0 W
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].power_w);

  proc.write("stat", proc_stat(1050, 1050));  // 50 busy of 100 ticks
  c.read(2, r);
  ASSERT_TRUE(r[0].power_w);
  EXPECT_NEAR(*r[0].power_w, 1.2 + 2.8 * 0.5, 1e-12);

  c.read(3, r);  // too soon again: the last estimate is repeated
  EXPECT_NEAR(*r[0].power_w, 2.6, 1e-12);

  // 100 busy of 200 counted ticks, plus 500 stolen that count as neither.
  proc.write("stat", proc_stat(1150, 1150, 500));
  c.read(4, r);
  EXPECT_NEAR(*r[0].power_w, 2.6, 1e-12);
  proc.write("stat", proc_stat(1250, 1150));
  c.read(5, r);
  EXPECT_NEAR(*r[0].power_w, 4.0, 1e-12);

  fs::remove(proc.str() + "/stat");
  c.read(6, r);  // unreadable: not measured
  EXPECT_FALSE(r[0].power_w);
  EXPECT_EQ(c.describe()["family"], "AMD EPYC");
}

TEST(TelemetryEstimated, EnvironmentChoosesRootAndOverrides) {
  TempDir proc;
  proc.write("stat", proc_stat(10, 10));  // no cpuinfo: generic model, unknown CPU
  ScopedEnv root("IPW_PROC_ROOT", proc.str());
  {
    ScopedEnv tdp("IPW_CPU_TDP_W", "100");
    ScopedEnv idle("IPW_CPU_IDLE_W", "20");
    auto cs = make_collectors("estimated");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0]->name(), "estimated");
    EXPECT_EQ(cs[0]->domains()[0].device, "unknown CPU");
    const auto d = cs[0]->describe();
    EXPECT_EQ(d["family"], "generic");
    EXPECT_EQ(d["tdp_w"], 100.0);
    EXPECT_EQ(d["idle_w"], 20.0);
    EXPECT_EQ(d["overridden"], true);
  }
  {
    ScopedEnv tdp("IPW_CPU_TDP_W", "lots");
    EXPECT_THAT(expect_spec_error("estimated"), HasSubstr("IPW_CPU_TDP_W"));
  }
  {
    ScopedEnv idle("IPW_CPU_IDLE_W", "500");
    EXPECT_THAT(expect_spec_error("estimated"), HasSubstr("idle <= TDP"));
  }
  ScopedEnv missing("IPW_PROC_ROOT", proc.str() + "/nope");
  EXPECT_THAT(expect_spec_error("estimated"), HasSubstr("/nope/stat: cannot read"));
}

// ---------------------------------------------------------------- registry

TEST(TelemetryRegistry, NamesAndSpecs) {
  const auto names = collector_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "auto");
  EXPECT_THAT(names, ::testing::Contains("estimated"));
  EXPECT_THAT(names, ::testing::Contains("replay"));

  TempDir dir;
  const std::string trace = dir.write("t.csv", "t_s,power_w\n0,1\n");
  TempDir proc;
  proc.write("stat", proc_stat(10, 10));
  ScopedEnv root("IPW_PROC_ROOT", proc.str());
  auto cs = make_collectors(" estimated , replay:" + trace);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]->name(), "estimated");
  EXPECT_EQ(cs[1]->name(), "replay");

  EXPECT_THAT(expect_spec_error("nvml-typo"), HasSubstr("unknown telemetry source \"nvml-typo\""));
  EXPECT_THAT(expect_spec_error("nvml-typo"), HasSubstr("estimated"));
  EXPECT_THAT(expect_spec_error(""), HasSubstr("empty"));
  EXPECT_THAT(expect_spec_error("estimated,,replay:x"), HasSubstr("empty entry"));
  EXPECT_THAT(expect_spec_error("estimated:x"), HasSubstr("takes no argument"));
  EXPECT_THAT(expect_spec_error("estimated,estimated"), HasSubstr("measured twice"));
}

TEST(TelemetryRegistry, SpecEntriesAreTrimmedInOrderAndEmptyOnesKept) {
  EXPECT_EQ(telemetry_spec_entries("nvml, rapl ,replay:/a,b.csv"),
            (std::vector<std::string>{"nvml", "rapl", "replay:/a", "b.csv"}));
  EXPECT_EQ(telemetry_spec_entries("nvml,,rapl"), (std::vector<std::string>{"nvml", "", "rapl"}));
  EXPECT_EQ(telemetry_spec_entries(""), (std::vector<std::string>{""}));
}

TEST(TelemetryRegistry, AutoFallsBackToTheEstimatorWithoutHardware) {
  TempDir proc, sys;
  proc.write("stat", proc_stat(10, 10));
  ScopedEnv root("IPW_PROC_ROOT", proc.str());
  ScopedEnv sysfs("IPW_SYSFS_ROOT", sys.str());  // an empty sysfs: no RAPL, no hwmon
  ScopedEnv nvml("IPW_NVML_LIBRARY", sys.str() + "/no-libnvidia-ml.so.1");
  auto cs = make_collectors("auto");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->name(), "estimated");
  EXPECT_EQ(cs[0]->domains()[0].source, EnergySource::estimated);
  EXPECT_THAT(expect_spec_error("auto:x"), HasSubstr("auto takes no argument"));
  // Every registry row can be built or probed without throwing out of the probe.
  for (const CollectorEntry& e : collector_registry()) {
    EXPECT_FALSE(e.name.empty());
    EXPECT_TRUE(static_cast<bool>(e.make)) << e.name;
    if (e.probe) {
      EXPECT_EQ(e.probe().source, e.name);
    }
  }
}

}  // namespace
}  // namespace ipw::telemetry
