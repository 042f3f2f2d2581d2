#include "ipw/metrics/summary.h"

#include <gtest/gtest.h>

namespace ipw::metrics {
namespace {

run::QueryRecord query(bool correct, double energy_j, double seconds, int out_tokens) {
  run::QueryRecord q;
  q.correct = correct;
  q.energy_j = energy_j;
  q.net_energy_j = energy_j - 1.0;
  q.t_start_ns = 0;
  q.t_first_token_ns = 100'000'000;  // 0.1 s
  q.t_end_ns = static_cast<std::int64_t>(seconds * 1e9);
  q.output_tokens = out_tokens;
  q.energy_source = "counter";
  return q;
}

TEST(Stats, PercentileMatchesNumpyLinear) {
  // numpy.percentile([1,2,3,4], [50, 90, 99]) = 2.5, 3.7, 3.97
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_NEAR(*percentile({4, 1, 3, 2}, 90), 3.7, 1e-12);
  EXPECT_NEAR(*percentile({4, 1, 3, 2}, 99), 3.97, 1e-12);
  EXPECT_DOUBLE_EQ(*percentile({7}, 99), 7.0);
  EXPECT_FALSE(percentile({}, 50));
}

TEST(Stats, WilsonIntervalHandComputed) {
  // 8 of 10, z = 1.96: centre 0.71669, half-width 0.22568 (hand-computed).
  const auto ci = wilson_interval(8, 10);
  ASSERT_TRUE(ci);
  EXPECT_NEAR(ci->lo, 0.49016, 1e-4);
  EXPECT_NEAR(ci->hi, 0.94331, 1e-4);
  EXPECT_FALSE(wilson_interval(0, 0));
  EXPECT_NEAR(wilson_interval(0, 5)->lo, 0.0, 1e-12);
}

TEST(Summary, IpwAndIpjAreRatiosOfMeans) {
  // Energies 10 J over 2 s (5 W) and 30 J over 3 s (10 W); one correct of two.
  const std::vector<run::QueryRecord> qs = {query(true, 10, 2, 11), query(false, 30, 3, 21)};
  const RunSummary s = summarize(qs);
  EXPECT_EQ(s.queries, 2u);
  EXPECT_DOUBLE_EQ(*s.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(*s.mean_energy_j, 20.0);
  EXPECT_DOUBLE_EQ(*s.mean_power_w, 7.5);
  EXPECT_DOUBLE_EQ(*s.ipw, 0.5 / 7.5);   // not mean(acc_q / P_q)
  EXPECT_DOUBLE_EQ(*s.ipj, 0.5 / 20.0);
  EXPECT_DOUBLE_EQ(*s.mean_net_energy_j, 19.0);
  EXPECT_DOUBLE_EQ(*s.ipj_net, 0.5 / 19.0);
  EXPECT_DOUBLE_EQ(*s.j_per_output_token, 40.0 / 32.0);
  // TPOT: (2 - 0.1) / 10 and (3 - 0.1) / 20.
  EXPECT_NEAR(*s.tpot_s.mean, (0.19 + 0.145) / 2, 1e-12);
  EXPECT_EQ(s.energy_source, "counter");
}

TEST(Summary, ErrorsCountAsWrongAndCarryNoEnergy) {
  run::QueryRecord failed = query(false, 99, 1, 0);
  failed.error_kind = "http_status";
  failed.energy_j.reset();
  const RunSummary s = summarize({query(true, 10, 2, 5), failed});
  EXPECT_EQ(s.errors, 1u);
  EXPECT_DOUBLE_EQ(*s.accuracy, 0.5);
  EXPECT_EQ(s.energy_queries, 1u);
  EXPECT_DOUBLE_EQ(*s.mean_energy_j, 10.0);
}

TEST(Summary, EmptyRunHasNoFigures) {
  const RunSummary s = summarize({});
  EXPECT_EQ(s.queries, 0u);
  EXPECT_FALSE(s.accuracy);
  EXPECT_FALSE(s.ipw);
  EXPECT_EQ(s.energy_source, "none");
}

TEST(Summary, WeakestProvenanceWins) {
  auto a = query(true, 10, 2, 5);
  auto b = query(true, 10, 2, 5);
  b.energy_source = "estimated";
  EXPECT_EQ(summarize({a, b}).energy_source, "estimated");
}

}  // namespace
}  // namespace ipw::metrics
