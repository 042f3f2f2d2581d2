// Perplexity, PPW and PPJ on hand-computed values (docs/analysis.md).
#include "ipw/metrics/perplexity.h"

#include <cmath>

#include <gtest/gtest.h>

#include "ipw/metrics/run_metrics.h"

namespace ipw::metrics {
namespace {

// A scored query: NLL (nats) over `tokens`, and optionally energy over `seconds`.
run::QueryRecord scored(double nll, int tokens, std::optional<double> energy_j = {},
                        double seconds = 1.0, std::optional<double> net_j = {}) {
  run::QueryRecord q;
  q.reference_nll_nats = nll;
  q.reference_tokens = tokens;
  q.energy_j = energy_j;
  q.net_energy_j = net_j;
  q.t_start_ns = 0;
  q.t_first_token_ns = 1'000'000;
  q.t_end_ns = static_cast<std::int64_t>(seconds * 1e9);
  q.correct = false;
  return q;
}

TEST(Perplexity, PerQueryIsExpOfMeanNll) {
  EXPECT_DOUBLE_EQ(*perplexity(scored(2 * std::log(2.0), 2)), 2.0);
  EXPECT_NEAR(*perplexity(scored(3 * std::log(4.0), 3)), 4.0, 1e-12);
  EXPECT_DOUBLE_EQ(*perplexity(scored(0.0, 5)), 1.0);  // every token certain
  EXPECT_FALSE(perplexity(scored(1.0, 0)));            // nothing scored: no perplexity
  run::QueryRecord none;
  EXPECT_FALSE(perplexity(none));
}

TEST(Perplexity, PpwAndPpjAreInverseProductsOfMeans) {
  // A: ppl 2, E 4 J over 2 s (P 2 W), net 2 J (1 W).  B: ppl 4, E 8 J over 1 s (P 8 W), net 6 J (6 W).
  // C: ppl 1, no energy (counts for perplexity only).  D: not scored.
  PerplexityBuilder b;
  b.add(scored(2 * std::log(2.0), 2, 4.0, 2.0, 2.0));
  b.add(scored(3 * std::log(4.0), 3, 8.0, 1.0, 6.0));
  b.add(scored(0.0, 1));
  run::QueryRecord d;
  d.energy_j = 100.0;
  d.t_end_ns = 1'000'000'000;
  b.add(d);
  const PerplexitySummary s = b.finish();
  EXPECT_EQ(s.scored, 3u);
  EXPECT_EQ(s.reference_tokens, 6u);
  EXPECT_NEAR(*s.mean_perplexity, 7.0 / 3.0, 1e-12);
  // exp((2 ln2 + 3 ln4 + 0) / 6) = 2^(8/6)
  EXPECT_NEAR(*s.token_perplexity, std::pow(2.0, 4.0 / 3.0), 1e-12);
  // Means over A and B only: ppl 3, P 5 W, E 6 J; net P 3.5 W, net E 4 J.
  EXPECT_EQ(s.energy_queries, 2u);
  EXPECT_NEAR(*s.mean_power_w, 5.0, 1e-12);
  EXPECT_NEAR(*s.mean_energy_j, 6.0, 1e-12);
  EXPECT_NEAR(*s.ppw, 1.0 / 15.0, 1e-12);
  EXPECT_NEAR(*s.ppj, 1.0 / 18.0, 1e-12);
  EXPECT_NEAR(*s.ppw_net, 1.0 / 10.5, 1e-12);
  EXPECT_NEAR(*s.ppj_net, 1.0 / 12.0, 1e-12);
}

TEST(Perplexity, FailedQueriesAndNonPositiveNetEnergyGiveNoRatio) {
  PerplexityBuilder b;
  run::QueryRecord failed = scored(1.0, 1, 5.0);
  failed.error_kind = "protocol";
  b.add(failed);
  const auto only_failed = b.finish();
  EXPECT_EQ(only_failed.scored, 1u);  // its reference was scored...
  EXPECT_FALSE(only_failed.ppw);      // ...but a failed query's energy is not an answer's energy
  b.add(scored(0.0, 1, 2.0, 1.0, -0.5));  // net below the idle baseline
  const auto s = b.finish();
  EXPECT_NEAR(*s.ppw, 0.5, 1e-12);  // ppl 1, P 2 W
  EXPECT_FALSE(s.ppw_net);
  EXPECT_FALSE(s.ppj_net);
}

TEST(Perplexity, EmptyRunHasNoFiguresAndRunMetricsCarriesThem) {
  const auto empty = PerplexityBuilder{}.finish();
  EXPECT_EQ(empty.scored, 0u);
  EXPECT_FALSE(empty.mean_perplexity);
  EXPECT_FALSE(empty.ppw);
  EXPECT_TRUE(to_json(empty)["ppw"].is_null());

  const auto m = compute_run_metrics({scored(2 * std::log(2.0), 2, 4.0, 2.0)});
  EXPECT_NEAR(*m.perplexity.ppw, 1.0 / 4.0, 1e-12);  // ppl 2 · P 2 W
  EXPECT_NEAR(*m.perplexity.ppj, 1.0 / 8.0, 1e-12);  // ppl 2 · E 4 J
  EXPECT_NEAR(to_json(m)["perplexity"]["mean_perplexity"].get<double>(), 2.0, 1e-12);
}

}  // namespace
}  // namespace ipw::metrics
