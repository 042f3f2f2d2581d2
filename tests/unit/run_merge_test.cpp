// Shards (`ipw profile --shard I/N`) and their merge (`ipw merge`): the split covers
// every item once, and the merged shards are the unsharded run, query for query and
// figure for figure; what cannot be one run is refused before anything is written.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ipw/common/usage_error.h"
#include "ipw/report/run_analysis.h"
#include "ipw/run/merge.h"
#include "ipw/run/profiler.h"
#include "ipw/run/store.h"
#include "ipw/workload/shard.h"
#include "report_test_dir.h"
#include "synthetic_run.h"

namespace ipw::run {
namespace {

namespace fs = std::filesystem;
using report::testing::TempDir;
using synthetic::SyntheticRunSpec;
using synthetic::write_synthetic_run;

struct QuietProgress final : ProgressSink {
  void begin(std::size_t, std::size_t) override {}
  void update(std::size_t, std::size_t, std::optional<double>, const QueryRecord&) override { ++updates; }
  void note(const std::string&) override {}
  void end() override {}
  int updates = 0;
};

TEST(Shard, ParsesIOverNAndRefusesEverythingElse) {
  EXPECT_TRUE(workload::parse_shard("").whole());
  const auto s = workload::parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(workload::to_string(s), "2/5");
  for (const char* bad : {"5/5", "-1/4", "1", "1/0", "a/4", "1/4x", "1.5/4", "/4", "1/"}) {
    EXPECT_THROW((void)workload::parse_shard(bad), UsageError) << bad;
  }
  try {
    (void)workload::parse_shard("4/4");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("between 0 and 3"), std::string::npos) << e.what();
  }
}

TEST(Shard, EveryIdFallsInExactlyOneShardAndTheShardsAreBalanced) {
  constexpr int kIds = 4000;
  for (int n : {1, 2, 3, 8}) {
    std::vector<int> counts(static_cast<std::size_t>(n));
    for (int i = 0; i < kIds; ++i) {
      const int s = workload::shard_of(fmt::format("item-{}", i), n);
      ASSERT_GE(s, 0);
      ASSERT_LT(s, n);
      ++counts[static_cast<std::size_t>(s)];
      EXPECT_EQ(s, workload::shard_of(fmt::format("item-{}", i), n));  // the same every time
    }
    for (int c : counts) {
      // A fair split's count is binomial: within 5 standard deviations of kIds / n.
      const double mean = static_cast<double>(kIds) / n, sd = std::sqrt(mean * (1 - 1.0 / n));
      EXPECT_NEAR(c, mean, 5 * sd + 1e-9) << n;
    }
  }
}

SyntheticRunSpec spec_for(int shard, int count) {
  SyntheticRunSpec s;
  s.queries = 240;
  s.items = 80;  // three repeats of each item
  s.seed = 11;
  s.token_times = true;
  s.shard_index = shard;
  s.shard_count = count;
  return s;
}

MergeOutcome merge(const std::vector<std::string>& runs, const std::string& out, bool partial = false) {
  QuietProgress progress;
  std::atomic<bool> stop{false};
  MergeOptions opts;
  opts.partial = partial;
  opts.command_line = "ipw merge (test)";
  return merge_runs(runs, out, opts, progress, stop);
}

std::string refusal(const std::vector<std::string>& runs, const std::string& out) {
  try {
    (void)merge(runs, out);
  } catch (const UsageError& e) {
    EXPECT_FALSE(fs::exists(out)) << "a refused merge wrote " << out;
    return e.what();
  }
  ADD_FAILURE() << "the merge was not refused";
  return {};
}

TEST(Merge, TheMergedShardsAreTheUnshardedRunQueryForQueryAndFigureForFigure) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("whole"), spec_for(0, 1));
  std::vector<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back(tmp.sub(fmt::format("shard-{}", i)));
    write_synthetic_run(shards.back(), spec_for(i, 3));
  }
  // The shards really split the work: none is empty or whole.
  std::size_t sum = 0;
  for (const auto& s : shards) {
    const std::size_t n = RunStore::open(s, true).query_count();
    EXPECT_GT(n, 0u);
    EXPECT_LT(n, 240u);
    sum += n;
  }
  EXPECT_EQ(sum, 240u);

  const MergeOutcome out = merge({shards[2], shards[0], shards[1]}, tmp.sub("merged"));
  EXPECT_EQ(out.queries, 240u);
  EXPECT_EQ(out.runs, 3u);
  EXPECT_EQ(out.sessions, 3u);
  EXPECT_TRUE(out.warnings.empty());

  const auto whole = RunStore::open(tmp.sub("whole"), true).queries();
  const auto merged_store = RunStore::open(tmp.sub("merged"), true);
  const auto merged = merged_store.queries();
  ASSERT_EQ(merged.size(), whole.size());
  std::set<int> sessions;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const QueryRecord &a = whole[i], &b = merged[i];
    EXPECT_EQ(a.key(), b.key());
    EXPECT_EQ(a.item_id, b.item_id);
    EXPECT_EQ(a.response, b.response);
    EXPECT_EQ(a.correct, b.correct);
    EXPECT_EQ(a.energy_j, b.energy_j);
    EXPECT_EQ(a.t_start_ns, b.t_start_ns);
    EXPECT_EQ(a.token_times_ns, b.token_times_ns);
    ASSERT_EQ(a.domains.size(), b.domains.size());
    if (!a.domains.empty()) {
      EXPECT_EQ(a.domains[0].energy_j, b.domains[0].energy_j);
    }
    sessions.insert(b.session);
  }
  EXPECT_EQ(sessions, (std::set<int>{1, 2, 3}));  // each shard's session, renumbered
  // Each shard's telemetry came along under its own session.
  std::map<int, std::size_t> samples;
  merged_store.for_each_sample([&](int session, const telemetry::Sample&) { ++samples[session]; });
  EXPECT_EQ(samples.size(), 3u);
  EXPECT_EQ(out.samples, samples[1] + samples[2] + samples[3]);

  // Provenance: which run (and shard) each merged session came from, in the order given.
  const auto m = merged_store.manifest();
  ASSERT_EQ(m["merged"]["runs"].size(), 3u);
  EXPECT_EQ(m["merged"]["runs"][0]["shard"], "2/3");
  EXPECT_EQ(m["merged"]["runs"][0]["sessions"]["1"], 1);
  EXPECT_EQ(m["merged"]["runs"][1]["shard"], "0/3");
  EXPECT_EQ(m["merged"]["runs"][1]["sessions"]["1"], 2);
  EXPECT_EQ(m["merged"]["shard_count"], 3);
  EXPECT_FALSE(m["merged"]["partial"].get<bool>());
  EXPECT_EQ(m["config"]["shard"], "");

  // analyze sees one run: the unsharded run's figures. Compared as text: a figure that is
  // NaN in both (written as null) is unequal to itself as a JSON value.
  const auto a = report::to_json(report::analyze_run(tmp.sub("whole")));
  const auto b = report::to_json(report::analyze_run(tmp.sub("merged")));
  for (const char* part : {"summary", "analysis", "stages", "idle_power_w"}) {
    EXPECT_EQ(a.at(part).dump(1), b.at(part).dump(1)) << part;
  }
}

TEST(Merge, RefusesRunsOfDifferentExperimentsListingEachDifference) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("a"), spec_for(0, 2));
  SyntheticRunSpec other = spec_for(1, 2);
  other.model = "another-model";
  write_synthetic_run(tmp.sub("b"), other);
  const std::string why = refusal({tmp.sub("a"), tmp.sub("b")}, tmp.sub("m"));
  EXPECT_NE(why.find("server model"), std::string::npos) << why;
  EXPECT_NE(why.find("another-model"), std::string::npos) << why;
  EXPECT_NE(why.find(tmp.sub("b")), std::string::npos) << why;
}

TEST(Merge, RefusesAShardTwiceOverlappingQueriesAndSplitsOfDifferentSizes) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("s0"), spec_for(0, 2));
  write_synthetic_run(tmp.sub("s0-again"), spec_for(0, 2));
  write_synthetic_run(tmp.sub("t0"), spec_for(0, 3));
  write_synthetic_run(tmp.sub("whole"), spec_for(0, 1));
  write_synthetic_run(tmp.sub("whole-again"), spec_for(0, 1));
  EXPECT_NE(refusal({tmp.sub("s0"), tmp.sub("s0-again")}, tmp.sub("m")).find("shard 0/2 is given twice"),
            std::string::npos);
  EXPECT_NE(refusal({tmp.sub("s0"), tmp.sub("t0")}, tmp.sub("m")).find("share N"), std::string::npos);
  const std::string dup = refusal({tmp.sub("whole"), tmp.sub("whole-again")}, tmp.sub("m"));
  EXPECT_NE(dup.find("240 queries are stored in more than one run"), std::string::npos) << dup;
  EXPECT_NE(refusal({tmp.sub("s0"), tmp.sub("s0")}, tmp.sub("m")).find("given twice"), std::string::npos);
  fs::create_directories(tmp.sub("exists"));
  EXPECT_THROW((void)merge({tmp.sub("s0")}, tmp.sub("exists")), UsageError);
  EXPECT_TRUE(fs::is_empty(tmp.sub("exists")));
}

TEST(Merge, AMissingShardIsRefusedUnlessPartialAndThenRecorded) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("s0"), spec_for(0, 3));
  write_synthetic_run(tmp.sub("s2"), spec_for(2, 3));
  const std::string why = refusal({tmp.sub("s0"), tmp.sub("s2")}, tmp.sub("m"));
  EXPECT_NE(why.find("shard 1 of 3 missing"), std::string::npos) << why;
  EXPECT_NE(why.find("--partial"), std::string::npos) << why;
  const MergeOutcome out = merge({tmp.sub("s0"), tmp.sub("s2")}, tmp.sub("m"), /*partial=*/true);
  ASSERT_EQ(out.warnings.size(), 1u);
  const auto m = RunStore::open(tmp.sub("m"), true).manifest();
  EXPECT_EQ(m["merged"]["missing_shards"], nlohmann::json::array({1}));
  EXPECT_TRUE(m["merged"]["partial"].get<bool>());
}

// Two shards that measured the same domains in another order: each query's per-domain
// energies stay with the domain they measured.
TEST(Merge, DomainsAreMatchedByWhatTheyMeasureNotByTheirIndex) {
  TempDir tmp;
  const telemetry::DomainInfo gpu{"gpu0", "GPU", "gpu", telemetry::EnergySource::counter, 0.0};
  const telemetry::DomainInfo cpu{"cpu0", "CPU", "cpu", telemetry::EnergySource::counter, 0.0};
  for (int shard = 0; shard < 2; ++shard) {
    const std::string dir = tmp.sub(fmt::format("s{}", shard));
    fs::create_directories(dir);
    auto store = RunStore::create(dir);
    store.write_manifest({{"config", {{"shard", fmt::format("{}/2", shard)}}}});
    // Shard 0 lists the GPU first, shard 1 the CPU.
    store.write_domains(shard == 0 ? std::vector<DomainRow>{{0, gpu, 0}, {1, cpu, 0}}
                                   : std::vector<DomainRow>{{0, cpu, 0}, {1, gpu, 0}});
    SessionInfo session;
    session.status = "completed";
    session.id = store.begin_session(session);
    QueryRecord q;
    q.seq = shard;
    q.item_id = fmt::format("item-{}", shard);
    // Shard 0: GPU 10 J, CPU 1 J; shard 1: GPU 20 J, CPU 2 J.
    const double gpu_j = 10.0 * (shard + 1), cpu_j = 1.0 * (shard + 1);
    q.domains = shard == 0 ? std::vector<DomainEnergy>{{0, gpu_j, {}, {}, "counter", 0, 3}, {1, cpu_j, {}, {}, "counter", 0, 3}}
                           : std::vector<DomainEnergy>{{0, cpu_j, {}, {}, "counter", 0, 3}, {1, gpu_j, {}, {}, "counter", 0, 3}};
    telemetry::Sample s;
    s.domain_index = 0;  // shard 0: the GPU's sample, shard 1: the CPU's
    s.energy_j = 100.0 + shard;
    store.commit_query(q, session.id, {s});
  }
  (void)merge({tmp.sub("s0"), tmp.sub("s1")}, tmp.sub("m"));
  const auto store = RunStore::open(tmp.sub("m"), true);
  const auto domains = store.domains();
  ASSERT_EQ(domains.size(), 2u);
  std::map<int, std::string> name;
  for (const auto& d : domains) name[d.index] = d.info.domain;
  for (const QueryRecord& q : store.queries()) {
    for (const DomainEnergy& d : q.domains) {
      const double scale = q.seq + 1;
      EXPECT_DOUBLE_EQ(*d.energy_j, (name[d.domain_index] == "gpu0" ? 10.0 : 1.0) * scale) << name[d.domain_index];
    }
  }
  std::map<int, std::string> sample_domain;
  store.for_each_sample([&](int session, const telemetry::Sample& s) { sample_domain[session] = name[s.domain_index]; });
  EXPECT_EQ(sample_domain[1], "gpu0");
  EXPECT_EQ(sample_domain[2], "cpu0");
}

TEST(Merge, AnInterruptedMergeLeavesNothing) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("s0"), spec_for(0, 2));
  write_synthetic_run(tmp.sub("s1"), spec_for(1, 2));
  QuietProgress progress;
  std::atomic<bool> stop{true};  // Ctrl-C already pressed
  const MergeOutcome out = merge_runs({tmp.sub("s0"), tmp.sub("s1")}, tmp.sub("m"), {}, progress, stop);
  EXPECT_TRUE(out.dir.empty());
  EXPECT_FALSE(fs::exists(tmp.sub("m")));
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().string().find(".merging"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace ipw::run
