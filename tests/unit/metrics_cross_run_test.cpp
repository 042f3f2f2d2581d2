// Cross-run metrics against hand-computed fixtures: Pareto frontier, coverage,
// routing (oracle and p-accurate), arrival load, and trends.
#include <cmath>

#include <gtest/gtest.h>

#include "ipw/metrics/coverage.h"
#include "ipw/metrics/pareto.h"
#include "ipw/metrics/routing.h"
#include "ipw/metrics/trend.h"

namespace ipw::metrics {
namespace {

ItemOutcome outcome(int correct, double energy_j, double in = 10, double out = 20, double latency_s = 1,
                    std::string category = "a") {
  ItemOutcome o;
  o.correct = static_cast<std::int8_t>(correct);
  o.energy_j = energy_j;
  o.input_tokens = in;
  o.output_tokens = out;
  o.latency_s = latency_s;
  o.category = std::move(category);
  return o;
}

TEST(MetricsPareto, DominatedRunsAreOffTheFrontier) {
  const auto on = pareto_frontier({{0.8, 10.0}, {0.7, 12.0}, {0.6, 5.0}, {0.8, 10.0}, {std::nullopt, 1.0}, {0.9, 30.0}});
  EXPECT_EQ(on, (std::vector<bool>{true, false, true, true, false, true}));
  EXPECT_TRUE(pareto_frontier({}).empty());
}

TEST(MetricsItemOutcomes, MajorityOverRepeatsAndMeanEnergy) {
  ItemOutcomeBuilder b;
  run::QueryRecord q;
  q.item_id = "x";
  q.category = "c";
  q.t_end_ns = 2'000'000'000;
  q.input_tokens = 4;
  q.output_tokens = 6;
  for (bool c : {true, true, false}) {
    q.correct = c;
    q.energy_j = c ? 10.0 : 40.0;
    b.add(q);
  }
  run::QueryRecord tie = q;
  tie.item_id = "y";
  tie.correct = true;
  b.add(tie);
  tie.correct = false;
  b.add(tie);
  const auto m = b.finish();
  EXPECT_EQ(m.at("x").correct, 1);
  EXPECT_DOUBLE_EQ(m.at("x").energy_j, 20.0);
  EXPECT_DOUBLE_EQ(m.at("x").latency_s, 2.0);
  EXPECT_EQ(m.at("x").category, "c");
  EXPECT_EQ(m.at("y").correct, 0);  // a tie is not a majority
}

// Three runs over items i1..i4 (the third run lacks i4):
//          i1  i2  i3  i4
//   A       1   0   0   1
//   B       1   1   0   0
//   C       0   0   1   -
OutcomeTable three_runs() {
  std::unordered_map<std::string, ItemOutcome> a = {{"i1", outcome(1, 1)}, {"i2", outcome(0, 1)},
                                                    {"i3", outcome(0, 1, 10, 20, 1, "b")}, {"i4", outcome(1, 1)}};
  std::unordered_map<std::string, ItemOutcome> b = {{"i1", outcome(1, 2)}, {"i2", outcome(1, 2)},
                                                    {"i3", outcome(0, 2, 10, 20, 1, "b")}, {"i4", outcome(0, 2)}};
  std::unordered_map<std::string, ItemOutcome> c = {{"i1", outcome(0, 3)}, {"i2", outcome(0, 3)},
                                                    {"i3", outcome(1, 3, 10, 20, 1, "b")}};
  return align_outcomes({a, b, c});
}

TEST(MetricsCoverage, BestOfNAndMarginalContribution) {
  const OutcomeTable t = three_runs();
  ASSERT_EQ(t.items, (std::vector<std::string>{"i1", "i2", "i3"}));
  EXPECT_EQ(t.union_items, 4u);
  const CoverageResult c = compute_coverage(t);
  EXPECT_EQ(c.all.items, 3u);
  EXPECT_EQ(c.all.covered, 3u);
  EXPECT_DOUBLE_EQ(*c.all.coverage, 1.0);
  // i1: A and B; i2: only B; i3: only C.
  EXPECT_EQ(c.all.models[0].unique, 0u);
  EXPECT_EQ(c.all.models[1].unique, 1u);
  EXPECT_EQ(c.all.models[2].unique, 1u);
  EXPECT_DOUBLE_EQ(*c.all.models[1].marginal, 1.0 / 3);
  EXPECT_DOUBLE_EQ(*c.all.models[0].accuracy, 1.0 / 3);
  // Greedy: B (2 items), then C (+1), then A (+0).
  EXPECT_EQ(c.greedy_order, (std::vector<std::size_t>{1, 2, 0}));
  EXPECT_DOUBLE_EQ(c.greedy_coverage[0], 2.0 / 3);
  EXPECT_DOUBLE_EQ(c.greedy_coverage[1], 1.0);
  ASSERT_EQ(c.by_category.size(), 2u);
  EXPECT_EQ(c.by_category[1].key, "b");
  EXPECT_EQ(c.by_category[1].items, 1u);
  EXPECT_EQ(c.by_category[1].models[2].unique, 1u);
}

TEST(MetricsCoverage, UnscoredItemsAreLeftOut) {
  std::unordered_map<std::string, ItemOutcome> a = {{"i1", outcome(1, 1)}, {"i2", outcome(-1, 1)}};
  std::unordered_map<std::string, ItemOutcome> b = {{"i1", outcome(0, 1)}, {"i2", outcome(1, 1)}};
  const auto c = compute_coverage(align_outcomes({a, b}));
  EXPECT_EQ(c.all.items, 1u);
  EXPECT_DOUBLE_EQ(*c.all.coverage, 1.0);
}

// Locals L1 (small) and L2 (large) and a cloud run over four items.
//           i1        i2        i3        i4
//   L1   1 @ 2 J   0 @ 2 J   1 @ 4 J   0 @ 2 J
//   L2   1 @ 5 J   1 @ 6 J   1 @ 3 J   0 @ 6 J
//   cloud 1 @ 50 J 1 @ 50 J  1 @ 50 J  0 @ 50 J
OutcomeTable routing_table() {
  std::unordered_map<std::string, ItemOutcome> l1 = {{"i1", outcome(1, 2)}, {"i2", outcome(0, 2)},
                                                     {"i3", outcome(1, 4)}, {"i4", outcome(0, 2)}};
  std::unordered_map<std::string, ItemOutcome> l2 = {{"i1", outcome(1, 5)}, {"i2", outcome(1, 6)},
                                                     {"i3", outcome(1, 3)}, {"i4", outcome(0, 6)}};
  std::unordered_map<std::string, ItemOutcome> cloud = {{"i1", outcome(1, 50)}, {"i2", outcome(1, 50)},
                                                        {"i3", outcome(1, 50)}, {"i4", outcome(0, 50)}};
  return align_outcomes({l1, l2, cloud});
}

TEST(MetricsRouting, OracleSendsEachQueryToTheCheapestCorrectLocal) {
  RoutingOptions o;
  o.accuracy_levels = {0.5};
  o.parameters = {1e9, 8e9, 1e12};
  o.cloud_usd_per_mtok_in = 1;
  o.cloud_usd_per_mtok_out = 10;
  const RoutingResult r = simulate_routing(routing_table(), o);
  EXPECT_EQ(r.oracle_choice, (std::vector<int>{0, 1, 1, -1}));
  // All-cloud: 4 x 50 J; compute 4 x 1e12 x 30; cost 4 x (10 x 1 + 20 x 10) / 1e6.
  EXPECT_DOUBLE_EQ(*r.all_cloud.energy_j, 200.0);
  EXPECT_DOUBLE_EQ(*r.all_cloud.compute_param_tokens, 4 * 1e12 * 30);
  EXPECT_NEAR(*r.all_cloud.cost_usd, 4 * 210e-6, 1e-15);
  EXPECT_DOUBLE_EQ(*r.all_cloud.accuracy, 0.75);
  const RouterResult& oracle = r.routers[0];
  EXPECT_EQ(oracle.name, "oracle");
  // Oracle: 2 J (L1) + 6 J (L2) + 3 J (L2) + 50 J (cloud) = 61 J.
  EXPECT_DOUBLE_EQ(*oracle.energy_j, 61.0);
  EXPECT_DOUBLE_EQ(*oracle.energy_saved, 1.0 - 61.0 / 200.0);
  EXPECT_DOUBLE_EQ(*oracle.compute_param_tokens, 30 * (1e9 + 8e9 + 8e9 + 1e12));
  EXPECT_NEAR(*oracle.cost_usd, 210e-6, 1e-15);  // local tokens are free here
  EXPECT_DOUBLE_EQ(oracle.local_share, 0.75);
  EXPECT_DOUBLE_EQ(*oracle.accuracy, 0.75);
  EXPECT_EQ(oracle.per_run_queries, (std::vector<double>{1, 2, 1}));
  // p = 0.5: each local decision is right half the time, else the cloud answers.
  const RouterResult& half = r.routers[1];
  EXPECT_EQ(half.name, "p=0.50");
  EXPECT_DOUBLE_EQ(*half.energy_j, 0.5 * 11 + 0.5 * 150 + 50);
  EXPECT_DOUBLE_EQ(half.local_share, 0.375);
  EXPECT_DOUBLE_EQ(*half.accuracy, 0.75);
}

TEST(MetricsRouting, UnmeasuredCloudEnergyNeedsAnAssumption) {
  OutcomeTable t = routing_table();
  for (auto& o : t.runs.back()) o.energy_j = NAN;
  RoutingOptions o;
  o.accuracy_levels = {};
  const RoutingResult r = simulate_routing(t, o);
  EXPECT_FALSE(r.all_cloud.energy_j);
  EXPECT_FALSE(r.routers[0].energy_j);  // i4 still goes to the cloud
  EXPECT_FALSE(r.routers[0].compute_param_tokens);  // no parameter counts given
  o.cloud_j_per_token = 0.5;  // 30 tokens per item: 15 J
  const RoutingResult a = simulate_routing(t, o);
  EXPECT_TRUE(a.cloud_energy_assumed);
  EXPECT_DOUBLE_EQ(*a.all_cloud.energy_j, 60.0);
  EXPECT_DOUBLE_EQ(*a.routers[0].energy_j, 2 + 6 + 3 + 15);
}

TEST(MetricsRouting, LoadOverflowsToTheCloudWhenTheQueueIsLong) {
  const OutcomeTable t = routing_table();  // local latency 1 s per query
  RoutingOptions o;
  o.accuracy_levels = {};
  const RoutingResult r = simulate_routing(t, o);
  LoadOptions load;
  load.arrivals_s = std::vector<double>(10, 0.0);  // ten queries at once
  load.max_queue_s = 2.5;                          // at most 3 wait their turn
  const auto results = simulate_load(t, r, o, load);
  ASSERT_EQ(results.size(), 2u);  // all-cloud, oracle
  EXPECT_EQ(results[0].router, "all-cloud");
  EXPECT_EQ(results[0].cloud, 10u);
  EXPECT_EQ(results[0].local, 0u);
  const LoadResult& oracle = results[1];
  EXPECT_EQ(oracle.arrivals, 10u);
  EXPECT_EQ(oracle.local + oracle.cloud, 10u);
  EXPECT_LE(oracle.local, 4u);  // waits 0, 1, 2 are allowed; 3 s is not
  EXPECT_GT(oracle.overflow, 0u);
  EXPECT_LE(*oracle.latency_s.p99, 4.0);
}

TEST(MetricsRouting, PoissonArrivalsAreSeededWithTheRightRate) {
  const auto a = poisson_arrivals(2.0, 20000, 5);
  EXPECT_EQ(a, poisson_arrivals(2.0, 20000, 5));
  EXPECT_NEAR(a.back() / 20000, 0.5, 0.02);  // mean gap 1 / rate
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_THROW(poisson_arrivals(0, 1, 1), std::invalid_argument);
}

TEST(MetricsTrend, DatesParseAndInvalidOnesAreRejected) {
  EXPECT_EQ(*days_from_date("1970-01-01"), 0);
  EXPECT_EQ(*days_from_date("2024-03-01") - *days_from_date("2024-02-28"), 2);  // leap year
  EXPECT_FALSE(days_from_date("2024-13-01"));
  EXPECT_FALSE(days_from_date("2024-1-01"));
  EXPECT_THROW(compute_trend({{"x", "m", "h", "soon", "", 0.5, 0.1, 0.01}}), std::invalid_argument);
}

TEST(MetricsTrend, DecomposesTheGainIntoModelAndHardware) {
  // old model 0.01 on old GPU, new model 0.03 on old GPU, new model 0.06 on new GPU:
  // total 6x = model 3x x hardware 2x.
  std::vector<TrendPoint> pts = {
      {"new@B", "new", "B", "2025-01-01", "2022-01-01", 0.6, 0.06, 0.002},
      {"old@A", "old", "A", "2023-01-01", "2020-01-01", 0.5, 0.01, 0.001},
      {"new@A", "new", "A", "2025-01-01", "2020-01-01", 0.6, 0.03, 0.0015},
  };
  const TrendResult t = compute_trend(pts);
  EXPECT_EQ(t.points.front().label, "old@A");
  ASSERT_TRUE(t.decomposition);
  EXPECT_EQ(t.decomposition->start, "old@A");
  EXPECT_EQ(t.decomposition->end, "new@B");
  EXPECT_DOUBLE_EQ(t.decomposition->total, 6.0);
  EXPECT_DOUBLE_EQ(*t.decomposition->model_factor, 3.0);
  EXPECT_DOUBLE_EQ(*t.decomposition->hardware_factor, 2.0);
  // Sorted by (date, label): old@A, new@A, new@B; each sets a new best IPW.
  EXPECT_EQ(t.frontier, (std::vector<std::size_t>{0, 1, 2}));
  ASSERT_TRUE(t.ipw_growth_per_year);
  EXPECT_GT(*t.ipw_growth_per_year, 1.0);
}

TEST(MetricsTrend, OneAcceleratorAttributesEverythingToTheModel) {
  const TrendResult t = compute_trend({{"a", "a", "H", "2024-01-01", "", 0.5, 0.02, 0.001},
                                       {"b", "b", "H", "2025-01-01", "", 0.6, 0.05, 0.002}});
  ASSERT_TRUE(t.decomposition);
  EXPECT_DOUBLE_EQ(t.decomposition->total, 2.5);
  EXPECT_DOUBLE_EQ(*t.decomposition->model_factor, 2.5);
  EXPECT_DOUBLE_EQ(*t.decomposition->hardware_factor, 1.0);
  EXPECT_NEAR(*t.ipw_growth_per_year, 2.5, 0.01);  // one year apart (2024 is 366 days)
}

TEST(MetricsTrend, ALatestIpwOfZeroSaysWhyThereIsNoGain) {
  const TrendResult t = compute_trend({{"a", "a", "H", "2024-01-01", "", 0.5, 0.02, 0.001},
                                       {"b", "b", "H", "2025-01-01", "", 0.0, 0.0, 0.0}});
  EXPECT_FALSE(t.decomposition);
  EXPECT_NE(t.no_decomposition.find("1 of 2 have IPW 0 or unknown (b)"), std::string::npos) << t.no_decomposition;
  EXPECT_EQ(to_json(t)["decomposition_note"], t.no_decomposition);
  const TrendResult ok = compute_trend({{"a", "a", "H", "2024-01-01", "", 0.5, 0.02, 0.001},
                                        {"b", "b", "H", "2025-01-01", "", 0.6, 0.05, 0.002}});
  EXPECT_TRUE(ok.no_decomposition.empty());
  EXPECT_TRUE(to_json(ok)["decomposition_note"].is_null());
}

TEST(MetricsTrend, MissingCrossRunLeavesTheSplitOpen) {
  const TrendResult t = compute_trend({{"old@A", "old", "A", "2023-01-01", "2020-01-01", 0.5, 0.01, 0.001},
                                       {"new@B", "new", "B", "2025-01-01", "2022-01-01", 0.6, 0.06, 0.002}});
  ASSERT_TRUE(t.decomposition);
  EXPECT_DOUBLE_EQ(t.decomposition->total, 6.0);
  EXPECT_FALSE(t.decomposition->model_factor);
  EXPECT_NE(t.decomposition->fixed.find("needs a run"), std::string::npos);
}

}  // namespace
}  // namespace ipw::metrics
