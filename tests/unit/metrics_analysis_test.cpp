// Hand-computed fixtures for the analysis metrics: trimmed means, the energy
// model, bootstrap intervals, per-group breakdowns, and degenerate runs.
#include <gtest/gtest.h>

#include "ipw/metrics/bootstrap.h"
#include "ipw/metrics/breakdown.h"
#include "ipw/metrics/energy_model.h"
#include "ipw/metrics/run_metrics.h"
#include "ipw/metrics/stats.h"

namespace ipw::metrics {
namespace {

run::QueryRecord q(std::optional<bool> correct, std::optional<double> energy_j, double seconds,
                   int in_tokens = 10, int out_tokens = 10, std::string category = "maths") {
  run::QueryRecord r;
  r.correct = correct;
  r.energy_j = energy_j;
  if (energy_j) r.net_energy_j = *energy_j / 2;
  r.t_start_ns = 1'000'000'000;
  r.t_first_token_ns = r.t_start_ns + 100'000'000;
  r.t_end_ns = r.t_start_ns + static_cast<std::int64_t>(seconds * 1e9);
  r.input_tokens = in_tokens;
  r.output_tokens = out_tokens;
  r.category = std::move(category);
  r.source = "builtin";
  r.energy_source = "counter";
  return r;
}

run::QueryRecord failed() {
  run::QueryRecord r = q(false, std::nullopt, 1.0);
  r.error_kind = "timeout";
  return r;
}

TEST(MetricsTrimmedMean, MatchesScipyTrimMean) {
  // scipy.stats.trim_mean(range(20), 0.05) drops 1 from each end: mean(1..18) = 9.5
  std::vector<double> xs;
  for (int i = 19; i >= 0; --i) xs.push_back(i);
  EXPECT_DOUBLE_EQ(*trimmed_mean(xs, 0.05), 9.5);
  xs.back() = 1000;  // an outlier at the low end... now the largest: still cut
  EXPECT_DOUBLE_EQ(*trimmed_mean(xs, 0.05), (9.5 * 18 - 1 + 19) / 18);
  // Fewer than 20 values: floor(0.05 n) = 0, nothing is cut.
  EXPECT_DOUBLE_EQ(*trimmed_mean({1, 2, 100}, 0.05), 103.0 / 3);
  EXPECT_FALSE(trimmed_mean({}, 0.05));
  EXPECT_DOUBLE_EQ(*trimmed_mean({1, 2, 3, 4}, 0.5), 2.5);  // all cut: the median
}

TEST(MetricsEnergyModel, RecoversExactCoefficients) {
  // E = 2 + 0.01 in + 0.05 out, exactly: R^2 = 1.
  EnergyModelFit f;
  const int in[] = {100, 200, 50, 400, 120};
  const int out[] = {10, 80, 200, 30, 5};
  for (int i = 0; i < 5; ++i) f.add(in[i], out[i], 2 + 0.01 * in[i] + 0.05 * out[i]);
  const auto m = f.fit();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->terms, "full");
  EXPECT_NEAR(m->a_j, 2.0, 1e-9);
  EXPECT_NEAR(m->b_j_per_in_token, 0.01, 1e-12);
  EXPECT_NEAR(m->c_j_per_out_token, 0.05, 1e-12);
  EXPECT_NEAR(m->r2, 1.0, 1e-12);
}

TEST(MetricsEnergyModel, HandComputedNoisyFit) {
  // Points (in, out, E): (0,0,1) (1,0,2) (0,1,3) (1,1,5). Least squares by hand:
  // centred sums Sxx = Syy = 1, Sxy = 0, SxE = 1.5, SyE = 2.5 -> b = 1.5, c = 2.5,
  // a = 2.75 - 0.75 - 1.25 = 0.75; SStot = 8.75, SSres = 8.75 - 1.5*1.5 - 2.5*2.5 = 0.25.
  EnergyModelFit f;
  f.add(0, 0, 1);
  f.add(1, 0, 2);
  f.add(0, 1, 3);
  f.add(1, 1, 5);
  const auto m = f.fit();
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->a_j, 0.75, 1e-12);
  EXPECT_NEAR(m->b_j_per_in_token, 1.5, 1e-12);
  EXPECT_NEAR(m->c_j_per_out_token, 2.5, 1e-12);
  EXPECT_NEAR(m->r2, 1.0 - 0.25 / 8.75, 1e-12);
}

TEST(MetricsEnergyModel, ConstantInputFallsBackToOutputOnly) {
  EnergyModelFit f;
  for (int o : {1, 2, 3, 4}) f.add(50, o, 1 + 2.0 * o);
  const auto m = f.fit();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->terms, "output_only");
  EXPECT_DOUBLE_EQ(m->b_j_per_in_token, 0.0);
  EXPECT_NEAR(m->c_j_per_out_token, 2.0, 1e-12);
  EXPECT_NEAR(m->a_j, 1.0, 1e-12);
}

TEST(MetricsEnergyModel, TooFewOrConstantPointsGiveNoModel) {
  EnergyModelFit f;
  f.add(1, 1, 1);
  f.add(2, 3, 2);
  EXPECT_FALSE(f.fit());  // two points, three unknowns
  EnergyModelFit g;
  for (int i = 0; i < 5; ++i) g.add(7, 7, i);
  EXPECT_FALSE(g.fit());
}

TEST(MetricsBootstrap, SeededAndBracketsThePointEstimate) {
  std::vector<EfficiencyPoint> pts;
  for (int i = 0; i < 200; ++i) {
    EfficiencyPoint p;
    p.correct = i % 4 == 0 ? 0 : 1;  // accuracy 0.75
    p.has_energy = true;
    p.energy_j = 10 + i % 7;
    p.power_w = 5 + i % 3;
    pts.push_back(p);
  }
  const auto a = bootstrap_efficiency(pts, {.replicates = 500, .seed = 7});
  const auto b = bootstrap_efficiency(pts, {.replicates = 500, .seed = 7});
  const auto c = bootstrap_efficiency(pts, {.replicates = 500, .seed = 8});
  ASSERT_TRUE(a.ipw && a.accuracy && a.ipj);
  EXPECT_EQ(a.replicates, 500);
  EXPECT_DOUBLE_EQ(a.ipw->lo, b.ipw->lo);  // same seed, same interval
  EXPECT_DOUBLE_EQ(a.ipw->hi, b.ipw->hi);
  EXPECT_NE(a.ipw->lo, c.ipw->lo);
  EXPECT_LT(a.accuracy->lo, 0.75);
  EXPECT_GT(a.accuracy->hi, 0.75);
  double sum_p = 0;
  for (const auto& p : pts) sum_p += p.power_w;
  const double ipw = 0.75 / (sum_p / 200);
  EXPECT_LT(a.ipw->lo, ipw);
  EXPECT_GT(a.ipw->hi, ipw);
  EXPECT_FALSE(a.ipw_net);  // no net figures in the input
}

TEST(MetricsBootstrap, WorkCapLowersReplicatesButNotBelowTheFloor) {
  std::vector<EfficiencyPoint> pts(1000);
  for (auto& p : pts) p.correct = 1;
  const auto r = bootstrap_efficiency(pts, {.replicates = 1000, .seed = 1, .max_draws = 300'000,
                                            .min_replicates = 200});
  EXPECT_EQ(r.replicates, 300);
  const auto floor = bootstrap_efficiency(pts, {.replicates = 1000, .seed = 1, .max_draws = 1000,
                                                .min_replicates = 200});
  EXPECT_EQ(floor.replicates, 200);
  ASSERT_TRUE(floor.accuracy);
  EXPECT_DOUBLE_EQ(floor.accuracy->lo, 1.0);  // every replicate is all-correct
}

TEST(MetricsBootstrap, PoissonSchemeAgreesWithTheClassicOne) {
  std::vector<EfficiencyPoint> pts;
  for (int i = 0; i < 3000; ++i) {
    EfficiencyPoint p;
    p.correct = i % 5 < 3 ? 1 : 0;  // accuracy 0.6
    p.has_energy = true;
    p.energy_j = 20 + (i * 7919) % 31;
    p.power_w = 100 + (i * 104729) % 41;
    pts.push_back(p);
  }
  BootstrapOptions classic{.replicates = 1000, .seed = 3};
  BootstrapOptions poisson = classic;
  poisson.multinomial_max_queries = 100;  // force the Poisson scheme
  const auto a = bootstrap_efficiency(pts, classic);
  const auto b = bootstrap_efficiency(pts, poisson);
  EXPECT_EQ(a.method, "multinomial");
  EXPECT_EQ(b.method, "poisson");
  EXPECT_EQ(b.replicates, 1000);
  ASSERT_TRUE(a.ipw && b.ipw && b.accuracy);
  // Same sampling distribution: the interval ends agree to a few percent of the width.
  const double width = a.ipw->hi - a.ipw->lo;
  EXPECT_NEAR(b.ipw->lo, a.ipw->lo, 0.15 * width);
  EXPECT_NEAR(b.ipw->hi, a.ipw->hi, 0.15 * width);
  EXPECT_LT(b.accuracy->lo, 0.6);
  EXPECT_GT(b.accuracy->hi, 0.6);
  const auto again = bootstrap_efficiency(pts, poisson);
  EXPECT_DOUBLE_EQ(again.ipw->lo, b.ipw->lo);  // seeded
  // The replicate count is padded internally for vector lanes, never reported padded.
  poisson.replicates = 203;
  EXPECT_EQ(bootstrap_efficiency(pts, poisson).replicates, 203);
}

TEST(MetricsBootstrap, FewerThanTwoQueriesGiveNoInterval) {
  EXPECT_EQ(bootstrap_efficiency({}).replicates, 0);
  EXPECT_FALSE(bootstrap_efficiency({EfficiencyPoint{}}).ipw);
}

TEST(MetricsBreakdown, PerCategoryRatiosOfMeans) {
  GroupBuilder g;
  g.add("maths", q(true, 10, 2));   // 5 W
  g.add("maths", q(false, 30, 3));  // 10 W
  g.add("", q(true, 4, 1));
  g.add("maths", failed());
  const auto groups = g.finish();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].key, "(none)");
  const GroupStats& m = groups[1];
  EXPECT_EQ(m.key, "maths");
  EXPECT_EQ(m.queries, 3u);
  EXPECT_EQ(m.errors, 1u);
  EXPECT_EQ(m.scored, 3u);
  EXPECT_DOUBLE_EQ(*m.accuracy, 1.0 / 3);
  EXPECT_DOUBLE_EQ(*m.mean_energy_j, 20.0);
  EXPECT_DOUBLE_EQ(*m.mean_power_w, 7.5);
  EXPECT_DOUBLE_EQ(*m.ipw, (1.0 / 3) / 7.5);
  EXPECT_DOUBLE_EQ(*m.ipj, (1.0 / 3) / 20.0);
  EXPECT_DOUBLE_EQ(*m.mean_net_energy_j, 10.0);
  EXPECT_DOUBLE_EQ(*m.mean_latency_s, 2.5);
}

TEST(MetricsRunMetrics, EmptyRunHasNoFigures) {
  const RunMetrics m = compute_run_metrics({});
  EXPECT_EQ(m.summary.queries, 0u);
  EXPECT_FALSE(m.error_rate);
  EXPECT_FALSE(m.trimmed.ipw);
  EXPECT_FALSE(m.energy_model);
  EXPECT_EQ(m.ci95.replicates, 0);
  EXPECT_TRUE(m.by_category.empty());
  EXPECT_EQ(m.itl_s.n, 0u);
  // The JSON still has every key (null where unknown), so consumers need no special case.
  const auto j = to_json(m);
  EXPECT_TRUE(j["trimmed"]["ipw"].is_null());
  EXPECT_TRUE(j["energy_model"].is_null());
}

TEST(MetricsRunMetrics, AllErrorsRun) {
  const RunMetrics m = compute_run_metrics({failed(), failed(), failed()});
  EXPECT_DOUBLE_EQ(*m.error_rate, 1.0);
  EXPECT_DOUBLE_EQ(*m.summary.accuracy, 0.0);
  EXPECT_FALSE(m.summary.ipw);  // no energy: IPW undefined, not 0 and not infinite
  EXPECT_FALSE(m.trimmed.ipw);
  ASSERT_TRUE(m.ci95.accuracy);
  EXPECT_DOUBLE_EQ(m.ci95.accuracy->hi, 0.0);
  EXPECT_FALSE(m.ci95.ipw);
  ASSERT_EQ(m.by_category.size(), 1u);
  EXPECT_EQ(m.by_category[0].errors, 3u);
}

TEST(MetricsRunMetrics, OneQuery) {
  auto one = q(true, 12, 3, 40, 9);
  one.token_times_ns = {0, 100'000'000, 300'000'000};  // gaps 0.1 s and 0.2 s
  one.prefill_energy_j = 2;
  one.decode_energy_j = 10;
  const RunMetrics m = compute_run_metrics({one});
  EXPECT_DOUBLE_EQ(*m.summary.ipw, 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(*m.trimmed.ipw, 1.0 / 4.0);  // nothing to trim from one value
  EXPECT_DOUBLE_EQ(*m.trimmed.ipj_net, 1.0 / 6.0);
  EXPECT_EQ(m.ci95.replicates, 0);  // one query cannot be resampled meaningfully
  EXPECT_FALSE(m.energy_model);
  EXPECT_EQ(m.itl_s.n, 2u);
  EXPECT_NEAR(*m.itl_s.mean, 0.15, 1e-12);
  EXPECT_NEAR(*m.itl_s.p50, 0.15, 1e-12);
  EXPECT_DOUBLE_EQ(*m.mean_prefill_energy_j, 2.0);
  EXPECT_DOUBLE_EQ(*m.mean_decode_energy_j, 10.0);
}

TEST(MetricsRunMetrics, TrimmedIpwDropsTheOutlierWindow) {
  std::vector<run::QueryRecord> qs;
  for (int i = 0; i < 19; ++i) qs.push_back(q(true, 10, 1, 10 + i, 5 + 2 * i));  // 10 W each
  qs.push_back(q(true, 1000, 1, 50, 50));  // one 1000 W outlier (a bad window)
  const RunMetrics m = compute_run_metrics(qs);
  EXPECT_DOUBLE_EQ(*m.summary.mean_power_w, (19 * 10 + 1000) / 20.0);
  // 20 values, 5%: one cut from each end (a 10 W and the 1000 W): 18 x 10 W.
  EXPECT_DOUBLE_EQ(*m.trimmed.mean_power_w, 10.0);
  EXPECT_DOUBLE_EQ(*m.trimmed.ipw, 0.1);
  ASSERT_TRUE(m.energy_model);
  EXPECT_EQ(m.energy_model->n, 20u);
}

TEST(MetricsRunMetrics, ReservoirKeepsItlMeanExact) {
  RunMetricsOptions opts;
  opts.max_itl_values = 10;
  auto one = q(true, 12, 3);
  for (int i = 0; i <= 100; ++i) one.token_times_ns.push_back(i * 1'000'000LL);
  const RunMetrics m = compute_run_metrics({one}, opts);
  EXPECT_TRUE(m.itl_sampled);
  EXPECT_EQ(m.itl_s.n, 100u);
  EXPECT_NEAR(*m.itl_s.mean, 0.001, 1e-12);
}

}  // namespace
}  // namespace ipw::metrics
