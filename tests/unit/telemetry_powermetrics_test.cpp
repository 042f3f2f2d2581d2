// powermetrics: the plist parser and stream splitter on fixture output
// (tests/fixtures/powermetrics), sample extraction, and the collector driving
// a stand-in command that replays a fixture through the production pipe.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "ipw/telemetry/powermetrics_collector.h"
#include "ipw/telemetry/powermetrics_parser.h"
#include "ipw/telemetry/powermetrics_plist.h"

namespace ipw::telemetry {
namespace {

std::string fixture_path(const std::string& name) {
  return std::string(IPW_SOURCE_DIR) + "/tests/fixtures/powermetrics/" + name;
}

std::string fixture(const std::string& name) {
  std::ifstream f(fixture_path(name), std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<PlistStream::Chunk> split(const std::string& bytes) {
  PlistStream s;
  s.feed(bytes);
  return s.take();
}

TEST(PowermetricsPlist, SplitsNulSeparatedDocuments) {
  const std::string bytes = fixture("m2_max_two_samples.plist");
  ASSERT_NE(bytes.find('\0'), std::string::npos);
  const auto chunks = split(bytes);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(chunks[0].is_plist);
  EXPECT_TRUE(chunks[1].is_plist);
  EXPECT_EQ(chunks[0].text.rfind("<?xml", 0), 0u);
}

TEST(PowermetricsPlist, SplittingIsIndependentOfReadBoundaries) {
  const std::string bytes = fixture("m2_max_two_samples.plist");
  const auto whole = split(bytes);
  for (std::size_t step : {1u, 7u, 512u}) {
    PlistStream s;
    std::vector<PlistStream::Chunk> got;
    for (std::size_t i = 0; i < bytes.size(); i += step) {
      s.feed(bytes.data() + i, std::min(step, bytes.size() - i));
      for (auto& c : s.take()) got.push_back(c);
    }
    ASSERT_EQ(got.size(), whole.size()) << "step " << step;
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k].text, whole[k].text);
  }
}

TEST(PowermetricsPlist, ParsesTypesNestingAndEntities) {
  const auto chunks = split(fixture("m2_max_two_samples.plist"));
  const auto j = parse_plist(chunks[0].text);
  ASSERT_TRUE(j.has_value()) << j.error();
  EXPECT_EQ((*j)["is_delta"], true);
  EXPECT_EQ((*j)["elapsed_ns"], 100400000);
  EXPECT_EQ((*j)["kern_bootargs"], "");
  EXPECT_EQ((*j)["processor"]["clusters"][0]["name"], "E-Cluster");
  EXPECT_DOUBLE_EQ((*j)["processor"]["clusters"][0]["cpus"][1]["freq_hz"].get<double>(), 9.7e8);
  EXPECT_TRUE((*j)["processor"]["clusters"][1]["cpus"].is_array());
  const auto intel = parse_plist(split(fixture("intel_package.plist"))[0].text);
  ASSERT_TRUE(intel.has_value());
  EXPECT_EQ((*intel)["hw_model"], "MacBookPro16,1 & co");
}

TEST(PowermetricsPlist, MalformedDocumentsNameTheLine) {
  const auto bad =
      parse_plist("<plist>\n<dict>\n<key>a</key>\n<integer>12x</integer>\n</dict></plist>");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("line 4"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("bad <integer>"), std::string::npos);
  EXPECT_FALSE(parse_plist("<plist><dict><string>x</string></dict></plist>").has_value());
  EXPECT_FALSE(parse_plist("<html></html>").has_value());
  EXPECT_FALSE(parse_plist("<plist><dict><key>a</key><integer>1</integer>").has_value());
}

TEST(PowermetricsPlist, ErrorTextIsAChunkNotSkipped) {
  const auto chunks = split(fixture("not_root.txt"));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_FALSE(chunks[0].is_plist);
  EXPECT_EQ(chunks[0].text, "powermetrics must be invoked as the superuser");
}

TEST(PowermetricsPlist, TruncatedStreamLeavesPendingBytes) {
  PlistStream s;
  s.feed(fixture("truncated.plist"));
  EXPECT_EQ(s.take().size(), 1u);
  EXPECT_NE(s.pending().find("<plist"), std::string::npos);
}

TEST(PowermetricsSample, AppleSiliconRailsInWattsAndJoules) {
  const auto chunks = split(fixture("m2_max_two_samples.plist"));
  const auto s = powermetrics_sample(*parse_plist(chunks[0].text));
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->elapsed_ns, 100400000);
  EXPECT_EQ(s->hw_model, "Mac14,6");
  EXPECT_DOUBLE_EQ(*s->cpu.power_w, 5.0996);
  EXPECT_DOUBLE_EQ(*s->cpu.energy_j, 0.512);
  EXPECT_DOUBLE_EQ(*s->gpu.energy_j, 2.210);
  EXPECT_DOUBLE_EQ(*s->ane.power_w, 0.0);  // a real 0 W reading, present in the plist
  EXPECT_DOUBLE_EQ(*s->combined.power_w, 27.1108);
  // combined has no energy key: power × elapsed.
  EXPECT_NEAR(*s->combined.energy_j, 27.1108 * 0.1004, 1e-12);
}

TEST(PowermetricsSample, GpuSectionAndIntelKeys) {
  const auto newer = powermetrics_sample(*parse_plist(split(fixture("gpu_section.plist"))[0].text));
  ASSERT_TRUE(newer.has_value());
  EXPECT_DOUBLE_EQ(*newer->gpu.power_w, 0.8005);
  EXPECT_NEAR(*newer->gpu.energy_j, 0.8005 * 0.05, 1e-12);
  EXPECT_FALSE(newer->combined.power_w.has_value());
  const auto intel =
      powermetrics_sample(*parse_plist(split(fixture("intel_package.plist"))[0].text));
  ASSERT_TRUE(intel.has_value());
  EXPECT_DOUBLE_EQ(*intel->cpu.energy_j, 12.5);
  EXPECT_NEAR(*intel->cpu.power_w, 12.5 / 1.000812, 1e-12);
  EXPECT_FALSE(intel->gpu.power_w.has_value());
}

TEST(PowermetricsSample, SamplesWithoutPowerAreErrors) {
  const auto no_proc = powermetrics_sample(nlohmann::json{{"elapsed_ns", 5}});
  ASSERT_FALSE(no_proc.has_value());
  EXPECT_NE(no_proc.error().find("processor"), std::string::npos);
  const auto no_power =
      powermetrics_sample(nlohmann::json{{"elapsed_ns", 5}, {"processor", {{"freq_hz", 1e9}}}});
  ASSERT_FALSE(no_power.has_value());
  EXPECT_NE(no_power.error().find("no CPU/GPU power"), std::string::npos);
  EXPECT_FALSE(
      powermetrics_sample(nlohmann::json{{"processor", {{"cpu_power", 1.0}}}}).has_value());
}

// The fuzzer's find: an elapsed_ns beyond int64's range was converted anyway (undefined
// behaviour, caught by UBSan). Now refused with a message, like a missing one.
TEST(PowermetricsSample, AnElapsedTimeOutOfRangeIsAnError) {
  for (double e : {1e31, 9.3e18, std::numeric_limits<double>::infinity()}) {
    const auto s = powermetrics_sample(nlohmann::json{{"elapsed_ns", e}, {"processor", {{"cpu_power", 1.0}}}});
    ASSERT_FALSE(s.has_value()) << e;
    EXPECT_NE(s.error().find("elapsed_ns"), std::string::npos);
  }
}

// ---- the collector, with a stand-in command replaying a fixture ----

PowermetricsOptions replay(const std::string& fixture_name, bool keep_running) {
  PowermetricsOptions o;
  // The flags ipw appends land after '#', i.e. in a shell comment.
  o.command =
      "cat '" + fixture_path(fixture_name) + "'" + (keep_running ? "; sleep 30" : "") + " #";
  o.first_sample_timeout_ns = 5'000'000'000;
  return o;
}

template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(PowermetricsCollector, AccumulatesIntervalEnergiesIntoCounters) {
  auto c = make_powermetrics_collector(replay("m2_max_two_samples.plist", true));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  ASSERT_TRUE(eventually([&] { return (*c)->samples() == 2; }));
  std::vector<std::string> names;
  for (const auto& d : (*c)->domains()) names.push_back(d.domain);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "gpu0", "ane", "soc"}));
  EXPECT_EQ((*c)->domains()[0].source, EnergySource::counter);
  EXPECT_EQ((*c)->update_period_ns(), 100400000);
  EXPECT_EQ((*c)->summable_domains(), (std::vector<std::size_t>{3}));
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_NEAR(*r[0].energy_j, 0.512 + 0.301, 1e-12);
  EXPECT_DOUBLE_EQ(*r[0].power_w, 3.004);  // the latest sample
  EXPECT_NEAR(*r[1].energy_j, 2.210 + 1.502, 1e-12);
  EXPECT_NEAR(*r[2].energy_j, 0.012, 1e-12);
  EXPECT_EQ((*c)->describe()["hw_model"], "Mac14,6");
}

TEST(PowermetricsCollector, NotRootIsAClearErrorNeverZeroWatts) {
  PowermetricsOptions o = replay("not_root.txt", false);
  auto c = make_powermetrics_collector(o);
  ASSERT_FALSE(c.has_value());
  EXPECT_TRUE(c.error().found);
  EXPECT_FALSE(c.error().readable);
  EXPECT_NE(c.error().reason.find("must be invoked as the superuser"), std::string::npos);
  EXPECT_NE(c.error().how_to_fix.find("sudo"), std::string::npos);
}

TEST(PowermetricsCollector, MissingCommandIsNotFound) {
  PowermetricsOptions o;
  o.command = "/nonexistent/powermetrics";
  const auto st = probe_powermetrics(o);
  EXPECT_FALSE(st.found);
  EXPECT_NE(st.reason.find("not found"), std::string::npos) << st.reason;
}

TEST(PowermetricsCollector, StreamThatTurnsIntoErrorsStopsReporting) {
  auto c = make_powermetrics_collector(replay("sample_then_error.plist", true));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  ASSERT_TRUE(eventually([&] { return !(*c)->stream_error().empty(); }));
  EXPECT_NE((*c)->stream_error().find("stopped unexpectedly"), std::string::npos);
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 4u);
  for (const auto& x : r) {
    EXPECT_FALSE(x.energy_j.has_value());
    EXPECT_FALSE(x.power_w.has_value());
  }
}

TEST(PowermetricsCollector, ExitedProcessYieldsEmptyReadings) {
  auto c = make_powermetrics_collector(replay("gpu_section.plist", false));
  ASSERT_TRUE(c.has_value()) << c.error().reason;
  ASSERT_TRUE(eventually([&] { return !(*c)->stream_error().empty(); }));
  EXPECT_EQ((*c)->stream_error(), "powermetrics exited");
  std::vector<Reading> r;
  (*c)->read(0, r);
  ASSERT_EQ(r.size(), 3u);  // cpu, gpu0, ane (no combined in this sample)
  EXPECT_FALSE(r[0].power_w.has_value());
}

#ifndef __APPLE__
TEST(PowermetricsCollector, ProbeOffMacOsSaysMacOsOnlyWithoutSpawning) {
  const char* old = std::getenv("IPW_POWERMETRICS_COMMAND");
  const std::string saved = old ? old : "";
  ::unsetenv("IPW_POWERMETRICS_COMMAND");
  const auto st = probe_powermetrics();
  if (old) ::setenv("IPW_POWERMETRICS_COMMAND", saved.c_str(), 1);
  EXPECT_FALSE(st.found);
  EXPECT_EQ(st.reason, "powermetrics exists only on macOS");
}
#endif

TEST(PowermetricsCollector, CommandLineAsksForPlistAndInterval) {
  PowermetricsOptions o;
  o.command = "sudo -n powermetrics";
  o.interval_ms = 50;
  EXPECT_EQ(powermetrics_command_line(o),
            "sudo -n powermetrics -f plist -i 50 --samplers cpu_power,gpu_power");
}

}  // namespace
}  // namespace ipw::telemetry
