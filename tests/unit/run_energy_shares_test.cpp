// EnergyLedger: sharing measured energy among overlapping queries, by hand-computed
// schedules and, for conservation, as a property over random schedules.
#include "ipw/run/energy_shares.h"
#include "ipw/telemetry/energy_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "time_units.h"

namespace ipw::run {
namespace {

// Constant power on every domain: F(t) = power × t.
CumulativeFn constant_w(double power_w) {
  return [power_w](int, std::int64_t t) -> std::optional<double> { return power_w * static_cast<double>(t) * 1e-9; };
}

QueryActivity window(double start_s, double end_s, double first_s = 0, std::vector<double> pieces_s = {}) {
  QueryActivity q;
  q.t_start_ns = static_cast<std::int64_t>(start_s * kS);
  q.t_end_ns = static_cast<std::int64_t>(end_s * kS);
  q.t_first_ns = static_cast<std::int64_t>(first_s * kS);
  for (double p : pieces_s) q.token_times_ns.push_back(static_cast<std::int64_t>(p * kS));
  return q;
}

std::vector<QueryShare> run_all(EnergyLedger& ledger, double start_s, std::vector<QueryActivity> qs, double end_s) {
  ledger.begin(static_cast<std::int64_t>(start_s * kS));
  for (auto& q : qs) ledger.add(std::move(q));
  auto out = ledger.close(static_cast<std::int64_t>(end_s * kS));
  std::sort(out.begin(), out.end(), [](const QueryShare& a, const QueryShare& b) { return a.id < b.id; });
  return out;
}

TEST(EnergyShares, TwoOverlappingQueriesShareTheOverlapEqually) {
  EnergyLedger ledger(ShareRule::equal, 1, constant_w(100), {std::nullopt});
  const auto s = run_all(ledger, 0, {window(0, 4), window(2, 6)}, 6);
  ASSERT_EQ(s.size(), 2u);
  // [0,2] q0 alone 200 J; [2,4] both, 100 J each; [4,6] q1 alone 200 J.
  EXPECT_NEAR(*s[0].energy_j[0], 300, 1e-9);
  EXPECT_NEAR(*s[1].energy_j[0], 300, 1e-9);
  EXPECT_NEAR(*ledger.totals().measured_j[0], 600, 1e-9);
  EXPECT_NEAR(*ledger.totals().unattributed_j[0], 0, 1e-9);
  EXPECT_NEAR(ledger.totals().busy_s, 6, 1e-12);
  EXPECT_NEAR(ledger.totals().mean_in_flight, 8.0 / 6.0, 1e-12);
  EXPECT_FALSE(s[0].net_j[0]);  // no idle baseline: net unknown, never the gross
}

// A thinking model's decode splits at its first answer token: the thinking before it,
// the answer after; a reply without thinking (first answer = first token) has none,
// and one cut off while thinking (no answer token) is all thinking.
TEST(EnergyShares, DecodeEnergySplitsAtTheFirstAnswerToken) {
  EnergyLedger ledger(ShareRule::equal, 1, constant_w(100), {std::nullopt});
  QueryActivity thinker = window(0, 4, 1), plain = window(5, 7, 5.5), cut_off = window(8, 10, 9);
  thinker.t_first_answer_ns = 3 * kS;
  plain.t_first_answer_ns = plain.t_first_ns;
  const auto s = run_all(ledger, 0, {thinker, plain, cut_off}, 10);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(*s[0].decode_j[0], 300, 1e-9);
  EXPECT_NEAR(*s[0].reasoning_j[0], 200, 1e-9);  // [1, 3] at 100 W
  EXPECT_NEAR(*s[1].reasoning_j[0], 0, 1e-9);
  EXPECT_NEAR(*s[1].decode_j[0], 150, 1e-9);
  EXPECT_NEAR(*s[2].reasoning_j[0], *s[2].decode_j[0], 1e-9);
  EXPECT_NEAR(*s[2].reasoning_j[0], 100, 1e-9);
}

// Overlapping a second query, the thinking keeps its share of each span: the split
// point cuts the spans, so no span straddles it.
TEST(EnergyShares, TheReasoningSplitHoldsUnderOverlap) {
  EnergyLedger ledger(ShareRule::equal, 1, constant_w(100), {std::nullopt});
  QueryActivity thinker = window(0, 4, 1);
  thinker.t_first_answer_ns = 3 * kS;
  const auto s = run_all(ledger, 0, {thinker, window(2, 6)}, 6);
  // Thinking [1, 3]: [1, 2] alone 100 J + [2, 3] shared 50 J.
  EXPECT_NEAR(*s[0].reasoning_j[0], 150, 1e-9);
  EXPECT_NEAR(*s[0].decode_j[0], 100 + 50 + 50, 1e-9);
}

TEST(EnergyShares, AStageClosedBeforeItsFrontierEndsAtTheFrontier) {
  // `ipw proxy` shares idle spans while it waits: past the last request's end.
  EnergyLedger l(ShareRule::equal, 1, constant_w(10.0), {std::nullopt});
  l.begin(0);
  l.add(window(0, 0.1));
  ASSERT_EQ(l.advance(300'000'000).size(), 1u);
  (void)l.close(100'000'000);
  EXPECT_EQ(l.totals().t_end_ns, 300'000'000);
  EXPECT_NEAR(*l.totals().measured_j[0], 3.0, 1e-9);
  EXPECT_NEAR(*l.totals().unattributed_j[0], 2.0, 1e-9);
}

TEST(EnergyShares, ThreeQueriesAndAGapLeaveTheGapUnattributed) {
  EnergyLedger ledger(ShareRule::equal, 1, constant_w(100), {40.0});
  const auto s = run_all(ledger, 0, {window(0, 1), window(0.5, 1.5), window(2, 3)}, 3.5);
  // q0: [0,.5] 50 + [.5,1] 25; q1: [.5,1] 25 + [1,1.5] 50; gap [1.5,2] and [3,3.5]: 100 J.
  EXPECT_NEAR(*s[0].energy_j[0], 75, 1e-9);
  EXPECT_NEAR(*s[1].energy_j[0], 75, 1e-9);
  EXPECT_NEAR(*s[2].energy_j[0], 100, 1e-9);
  EXPECT_NEAR(*ledger.totals().unattributed_j[0], 100, 1e-9);
  EXPECT_NEAR(ledger.totals().conservation_error_j, 0, 1e-9);
  // Net of idle: the 40 W baseline once per span, split among those in flight:
  // q0 pays 40×0.5 + 40×0.5/2 = 30 J of idle.
  EXPECT_NEAR(*s[0].net_j[0], 75 - 30, 1e-9);
  EXPECT_NEAR(*s[2].net_j[0], 100 - 40, 1e-9);
}

TEST(EnergyShares, TokensSharePrefillByPromptAndDecodeByOutput) {
  EnergyLedger ledger(ShareRule::tokens, 1, constant_w(100), {std::nullopt});
  QueryActivity a = window(0, 3, 1, {1, 2, 3});
  QueryActivity b = window(0, 3, 1, {1, 3});
  a.prompt_tokens = b.prompt_tokens = 10;
  const auto s = run_all(ledger, 0, {a, b}, 3);
  // [0,1] both prefill 10 tokens: 50 J each. [1,3] 200 J: a made 2 pieces, b 1.
  EXPECT_NEAR(*s[0].prefill_j[0], 50, 1e-9);
  EXPECT_NEAR(*s[1].prefill_j[0], 50, 1e-9);
  EXPECT_NEAR(*s[0].decode_j[0], 200.0 * 2 / 3, 1e-9);
  EXPECT_NEAR(*s[1].decode_j[0], 200.0 / 3, 1e-9);
  EXPECT_NEAR(*s[0].energy_j[0], 50 + 400.0 / 3, 1e-9);
}

TEST(EnergyShares, IdenticalQueriesUnderIdenticalLoadGetIdenticalShares) {
  for (ShareRule rule : {ShareRule::equal, ShareRule::tokens, ShareRule::fitted}) {
    EnergyLedger ledger(rule, 1, constant_w(250), {50.0});
    std::vector<QueryActivity> qs;
    for (int i = 0; i < 4; ++i) {
      QueryActivity q = window(1, 5, 2, {2, 2.5, 3, 4, 5});
      q.prompt_tokens = 30;
      qs.push_back(q);
    }
    const auto s = run_all(ledger, 0, qs, 6);
    for (const auto& x : s) {
      EXPECT_NEAR(*x.energy_j[0], 250.0, 1e-9) << to_string(rule);
      EXPECT_NEAR(*x.net_j[0], 250.0 - 50.0, 1e-9) << to_string(rule);
    }
  }
}

TEST(EnergyShares, UnknownEnergyStaysUnknownAndSkipsTheCheck) {
  const CumulativeFn holes = [](int, std::int64_t t) -> std::optional<double> {
    if (t > 1 * kS && t < 3 * kS) return std::nullopt;
    return static_cast<double>(t) * 1e-7;
  };
  EnergyLedger ledger(ShareRule::equal, 1, holes, {std::nullopt});
  const auto s = run_all(ledger, 0, {window(0, 1), window(1.5, 2.5), window(3, 4)}, 4);
  EXPECT_TRUE(s[0].energy_j[0]);
  EXPECT_FALSE(s[1].energy_j[0]);  // never a silent zero
  EXPECT_FALSE(ledger.totals().unattributed_j[0]);
}

// A counter reset inside a window: the energy across it is the measured power's
// integral when the source reports power, and unknown (never the flat counter's 0
// or a partial sum) when it does not.
TEST(EnergyShares, ACounterResetIsBridgedByPowerOrLeftUnknown) {
  for (bool with_power : {true, false}) {
    telemetry::DomainTrace trace({"gpu0", "", "gpu", telemetry::EnergySource::counter, 0.0},
                                 telemetry::TraceTiming{0, 100'000'000, false});
    for (int i = 0; i <= 40; ++i) {
      telemetry::Sample smp;
      smp.t_ns = i * 100'000'000LL;  // 100 W for 4 s; the counter restarts from 0 at 2 s
      smp.energy_j = i < 20 ? 10.0 * i : 10.0 * (i - 20);
      if (with_power) smp.power_w = 100.0;
      trace.append(smp);
    }
    EnergyLedger ledger(
        ShareRule::equal, 1, [&](int, std::int64_t t) { return trace.cumulative_j(t); }, {std::nullopt},
        [&](int, std::int64_t a, std::int64_t b) { return trace.span_known(a, b); });
    const auto s = run_all(ledger, 0.5, {window(0.5, 1.5), window(1.5, 2.5), window(2.5, 3.5)}, 3.5);
    EXPECT_NEAR(*s[0].energy_j[0], 100, 1e-9);
    EXPECT_NEAR(*s[2].energy_j[0], 100, 1e-9);
    if (with_power) {
      EXPECT_NEAR(*s[1].energy_j[0], 100, 1e-9) << "bridged by the power integral";
      EXPECT_NEAR(*ledger.totals().measured_j[0], 300, 1e-9);
    } else {
      EXPECT_FALSE(s[1].energy_j[0]);
      EXPECT_FALSE(ledger.totals().measured_j[0]);
    }
  }
}

TEST(EnergyShares, RuleNamesRoundTripAndUnknownNamesAreRefused) {
  for (ShareRule r : {ShareRule::equal, ShareRule::tokens, ShareRule::fitted}) {
    EXPECT_EQ(share_rule_from_string(to_string(r)), r);
  }
  EXPECT_THROW(share_rule_from_string("shapley"), std::invalid_argument);
}

TEST(EnergyShares, AQueryStartingBeforeTheSharedFrontierIsACallerBug) {
  EnergyLedger ledger(ShareRule::equal, 1, constant_w(1), {std::nullopt});
  ledger.begin(0);
  ledger.add(window(0, 2));
  ledger.advance(1 * kS);
  EXPECT_THROW(ledger.add(window(0.5, 3)), std::logic_error);
}

TEST(EnergyShares, NonnegativeFitRecoversAKnownModel) {
  // y = 30·x0 + 0.5·x1 + 2·x2 on spans with varied features.
  double xx[3][3] = {}, xy[3] = {}, yy = 0;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 10);
  for (int i = 0; i < 50; ++i) {
    const double x[3] = {u(rng) * 0.1, u(rng) * 20, u(rng)};
    const double y = 30 * x[0] + 0.5 * x[1] + 2 * x[2];
    for (int r = 0; r < 3; ++r) {
      xy[r] += x[r] * y;
      for (int c = 0; c < 3; ++c) xx[r][c] += x[r] * x[c];
    }
    yy += y * y;
  }
  const auto beta = nonnegative_fit3(xx, xy, yy);
  ASSERT_TRUE(beta);
  EXPECT_NEAR((*beta)[0], 30, 1e-6);
  EXPECT_NEAR((*beta)[1], 0.5, 1e-6);
  EXPECT_NEAR((*beta)[2], 2, 1e-6);
  // A negative truth is clamped to zero, not returned.
  for (auto& v : xy) v = -v;
  const auto none = nonnegative_fit3(xx, xy, yy);
  if (none) {
    for (double b : *none) EXPECT_GE(b, 0.0);
  }
}

// Random schedules: Σ shares + unattributed = measured, per domain, for every rule,
// with the ledger advanced incrementally as a scheduler would.
TEST(EnergyShares, ConservationHoldsOverThousandsOfRandomSchedules) {
  std::mt19937_64 rng(20261205);
  std::uniform_real_distribution<double> u(0, 1);
  int checked = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    // Piecewise-constant power per domain on 50 ms steps (domain 1 is twice domain 0 plus noise).
    std::vector<double> steps(400);
    for (auto& p : steps) p = 20 + 300 * u(rng);
    const CumulativeFn f = [&steps](int d, std::int64_t t) -> std::optional<double> {
      const double ts = static_cast<double>(t) * 1e-9;
      double e = 0;
      const auto whole = static_cast<std::size_t>(ts / 0.05);
      for (std::size_t i = 0; i < whole && i < steps.size(); ++i) e += steps[i] * 0.05;
      if (whole < steps.size()) e += steps[whole] * (ts - static_cast<double>(whole) * 0.05);
      return d == 0 ? e : 2 * e + ts;
    };
    const int n = 1 + static_cast<int>(u(rng) * 20);
    std::vector<QueryActivity> qs;
    for (int i = 0; i < n; ++i) {
      const double start = u(rng) * 15, len = 0.001 + u(rng) * 4;
      const double first = start + u(rng) * len;
      std::vector<double> pieces;
      for (double t = first; t <= start + len; t += 0.01 + u(rng) * 0.2) pieces.push_back(t);
      QueryActivity q = window(start, start + len, u(rng) < 0.1 ? 0 : first, u(rng) < 0.1 ? std::vector<double>{} : pieces);
      q.prompt_tokens = static_cast<int>(u(rng) * 500);
      qs.push_back(q);
    }
    std::sort(qs.begin(), qs.end(), [](const auto& a, const auto& b) { return a.t_start_ns < b.t_start_ns; });
    const ShareRule rule = static_cast<ShareRule>(trial % 3);
    EnergyLedger ledger(rule, 2, f, {25.0, std::nullopt});
    ledger.begin(0);
    std::vector<QueryShare> settled;
    for (std::size_t i = 0; i < qs.size(); ++i) {
      ledger.add(qs[i]);
      // Everything before the next query's start is known now.
      const std::int64_t next = i + 1 < qs.size() ? qs[i + 1].t_start_ns : qs[i].t_end_ns;
      if (u(rng) < 0.5) {
        auto now = ledger.advance(next);
        settled.insert(settled.end(), now.begin(), now.end());
      }
    }
    auto rest = ledger.close(20 * kS);
    settled.insert(settled.end(), rest.begin(), rest.end());
    ASSERT_EQ(settled.size(), qs.size());
    const auto& t = ledger.totals();
    for (std::size_t d = 0; d < 2; ++d) {
      double sum = *t.unattributed_j[d];
      double phases = sum;
      for (const auto& s : settled) {
        sum += *s.energy_j[d];
        phases += *s.prefill_j[d] + *s.decode_j[d];
        EXPECT_GE(*s.energy_j[d], -1e-9);
      }
      const double measured = *f(static_cast<int>(d), t.t_end_ns);
      EXPECT_NEAR(sum, measured, 1e-9 * measured) << "trial " << trial << " domain " << d;
      EXPECT_NEAR(phases, measured, 1e-9 * measured) << "trial " << trial << " domain " << d;
    }
    EXPECT_LT(t.conservation_error_j, 1e-6);
    ++checked;
  }
  EXPECT_EQ(checked, 3000);
}

// A bounded advance (the scheduler's, so one call never holds up the streams) stops at
// a cut it would have made anyway: called again and again it shares exactly what one
// unbounded call does, bit for bit, for every rule.
TEST(EnergyShares, ABoundedAdvanceStopsAtACutAndGivesTheUnboundedShares) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<QueryActivity> qs;
  for (int i = 0; i < 40; ++i) {
    const double start = u(rng) * 10, len = 0.05 + u(rng) * 3, first = start + u(rng) * len;
    std::vector<double> pieces;
    for (double t = first; t <= start + len; t += 0.01 + u(rng) * 0.1) pieces.push_back(t);
    QueryActivity q = window(start, start + len, first, pieces);
    q.prompt_tokens = static_cast<int>(u(rng) * 300);
    qs.push_back(q);
  }
  const CumulativeFn f = [](int, std::int64_t t) -> std::optional<double> {
    const double ts = static_cast<double>(t) * 1e-9;
    return 80 * ts + 30 * std::sin(ts);  // power varies, so every cut matters
  };
  for (const ShareRule rule : {ShareRule::equal, ShareRule::tokens, ShareRule::fitted}) {
    EnergyLedger whole(rule, 1, f, {10.0}), sliced(rule, 1, f, {10.0});
    whole.begin(0);
    sliced.begin(0);
    for (const auto& q : qs) {
      whole.add(q);
      sliced.add(q);
    }
    const std::int64_t frontier = 14 * kS;  // every query has ended
    std::vector<QueryShare> a = whole.advance(frontier), b;
    EXPECT_EQ(whole.frontier_ns(), frontier);
    int calls = 0;
    std::int64_t last = 0;
    while (sliced.frontier_ns() < frontier) {
      auto now = sliced.advance(frontier, 1);  // one span a call
      b.insert(b.end(), now.begin(), now.end());
      ASSERT_GT(sliced.frontier_ns(), last) << "each call shares at least one span";
      last = sliced.frontier_ns();
      ASSERT_LT(++calls, 1000);
    }
    EXPECT_GT(calls, 100) << "40 queries make more than 100 spans";
    ASSERT_EQ(a.size(), qs.size());
    ASSERT_EQ(b.size(), qs.size());
    std::sort(b.begin(), b.end(), [](const QueryShare& x, const QueryShare& y) { return x.id < y.id; });
    std::sort(a.begin(), a.end(), [](const QueryShare& x, const QueryShare& y) { return x.id < y.id; });
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(*a[i].energy_j[0], *b[i].energy_j[0]) << to_string(rule) << " query " << i;
      EXPECT_EQ(*a[i].decode_j[0], *b[i].decode_j[0]) << to_string(rule) << " query " << i;
      EXPECT_EQ(*a[i].net_j[0], *b[i].net_j[0]) << to_string(rule) << " query " << i;
    }
  }
}

// Under power = c + a·(prompt tokens/s) + b·(output tokens/s) the fitted rule
// recovers each query's marginal energy once the model is fitted.
TEST(EnergyShares, FittedRuleRecoversTheMarginalTruthOfALinearPowerModel) {
  constexpr double c = 60, a = 0.02, b = 1.5;  // W, J per prompt token, J per output token
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<QueryActivity> qs;
  for (int i = 0; i < 60; ++i) {
    const double start = i * 0.25 + u(rng) * 0.2;
    const double first = start + 0.05 + u(rng) * 0.3;
    std::vector<double> pieces;
    const int outputs = 5 + static_cast<int>(u(rng) * 40);
    for (int k = 0; k < outputs; ++k) pieces.push_back(first + k * (0.02 + u(rng) * 0.01));
    QueryActivity q = window(start, pieces.back(), first, pieces);
    q.prompt_tokens = 50 + static_cast<int>(u(rng) * 2000);
    qs.push_back(q);
  }
  // The ledger's own work functions define the truth's rates, so F is exact.
  const auto work = [&](std::int64_t t, bool prompt) {
    double w = 0;
    for (const auto& q : qs) {
      const double total = std::max(q.prompt_tokens, 1);
      if (prompt) {
        w += total * std::clamp(static_cast<double>(t - q.t_start_ns) / static_cast<double>(q.t_first_ns - q.t_start_ns), 0.0, 1.0);
      } else {
        const auto& ts = q.token_times_ns;
        if (t <= ts.front()) continue;
        if (t >= ts.back()) { w += static_cast<double>(ts.size() - 1); continue; }
        const auto it = std::upper_bound(ts.begin(), ts.end(), t);
        const std::size_t k = static_cast<std::size_t>(it - ts.begin());
        w += static_cast<double>(k - 1) + static_cast<double>(t - ts[k - 1]) / static_cast<double>(ts[k] - ts[k - 1]);
      }
    }
    return w;
  };
  const CumulativeFn f = [&](int, std::int64_t t) -> std::optional<double> {
    return c * static_cast<double>(t) * 1e-9 + a * work(t, true) + b * work(t, false);
  };
  EnergyLedger ledger(ShareRule::fitted, 1, f, {std::nullopt});
  const auto s = run_all(ledger, 0, qs, 16);
  // Truth: the static power by time among those in flight, plus each query's own tokens.
  EnergyLedger static_part(ShareRule::equal, 1, constant_w(c), {std::nullopt});
  const auto st = run_all(static_part, 0, qs, 16);
  double worst = 0;
  for (std::size_t i = 5; i < qs.size(); ++i) {  // the first spans are shared before the fit exists
    const double truth = *st[i].energy_j[0] + a * qs[i].prompt_tokens + b * static_cast<double>(qs[i].token_times_ns.size() - 1);
    worst = std::max(worst, std::abs(*s[i].energy_j[0] - truth) / truth);
  }
  EXPECT_LT(worst, 1e-6);
}

}  // namespace
}  // namespace ipw::run
