#include "ipw/telemetry/remote_clock.h"

#include <gtest/gtest.h>

#include "time_units.h"

namespace ipw::telemetry {
namespace {

// An exchange against a remote clock `offset` ahead of ours, with the given
// one-way delays and monitor processing time.
SyncExchange exchange(std::int64_t t1, std::int64_t offset, std::int64_t up, std::int64_t down,
                      std::int64_t proc = 0) {
  SyncExchange x;
  x.t1_local_ns = t1;
  x.t2_remote_ns = t1 + up + offset;
  x.t3_remote_ns = x.t2_remote_ns + proc;
  x.t4_local_ns = t1 + up + proc + down;
  return x;
}

TEST(MonitorClockSync, SymmetricPathGivesTheExactOffset) {
  const OffsetEstimate e = estimate_offset(exchange(100 * kS, 5 * kS, 2 * kMs, 2 * kMs, 1 * kMs));
  EXPECT_EQ(e.offset_ns, 5 * kS);
  EXPECT_EQ(e.rtt_ns, 4 * kMs);  // processing time excluded
  EXPECT_EQ(e.uncertainty_ns, 2 * kMs);
}

TEST(MonitorClockSync, AsymmetryErrorStaysWithinHalfTheRoundTrip) {
  const std::int64_t offset = -3 * kS;  // the monitor's clock is behind ours
  const OffsetEstimate e = estimate_offset(exchange(10 * kS, offset, 9 * kMs, 1 * kMs));
  EXPECT_EQ(e.rtt_ns, 10 * kMs);
  EXPECT_LE(std::llabs(e.offset_ns - offset), e.uncertainty_ns);
  EXPECT_EQ(e.offset_ns - offset, 4 * kMs);  // (up - down) / 2
}

TEST(MonitorClockSync, ClocksWithDifferentEpochsDoNotOverflow) {
  // Unix-epoch nanoseconds against a boot-time steady clock.
  const std::int64_t offset = 1'700'000'000LL * kS;
  const OffsetEstimate e = estimate_offset(exchange(5 * kS, offset, 1 * kMs, 1 * kMs));
  EXPECT_EQ(e.offset_ns, offset);
}

TEST(MonitorClockSync, ImpossibleExchangeThrows) {
  SyncExchange x = exchange(kS, 0, kMs, kMs);
  x.t4_local_ns = x.t1_local_ns - 1;
  EXPECT_THROW(estimate_offset(x), std::invalid_argument);
}

TEST(MonitorClockSync, BestOfABurstIsTheMinimumRoundTrip) {
  const std::int64_t offset = 7 * kS;
  const auto best = best_estimate({exchange(1 * kS, offset, 30 * kMs, 1 * kMs),  // congested, skewed
                                   exchange(2 * kS, offset, 1 * kMs, 1 * kMs),
                                   exchange(3 * kS, offset, 1 * kMs, 20 * kMs)});
  ASSERT_TRUE(best);
  EXPECT_EQ(best->offset_ns, offset);
  EXPECT_EQ(best->rtt_ns, 2 * kMs);
  EXPECT_FALSE(best_estimate({}));
}

TEST(MonitorClockSync, ClockMapFollowsDriftAndMapsStamps) {
  ClockMap m(4);
  EXPECT_FALSE(m.synced());
  EXPECT_THROW(m.current(), std::logic_error);
  EXPECT_FALSE(m.add_burst("before", {}));
  ASSERT_TRUE(m.add_burst("before", {exchange(1 * kS, 5 * kS, kMs, kMs)}));
  EXPECT_EQ(m.to_local_ns(5 * kS + 42), 42);
  // The remote clock drifts by 1 ms; four equally clean exchanges later the
  // old estimate has left the window and the newest one wins.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(m.add_burst("during", {exchange((10 + i) * kS, 5 * kS + kMs, kMs, kMs)}));
  }
  EXPECT_EQ(m.current().offset_ns, 5 * kS + kMs);
  const auto j = m.to_json();
  EXPECT_DOUBLE_EQ(j["offset_s"].get<double>(), 5.001);
  EXPECT_NEAR(j["drift_s"].get<double>(), 0.001, 1e-12);
  EXPECT_EQ(j["bursts"].size(), 5u);
  EXPECT_EQ(j["bursts"][0]["phase"], "before");
  EXPECT_EQ(j["bursts_total"], 5);
}

TEST(MonitorClockSync, LongRunsKeepTheFirstAndLatestBursts) {
  ClockMap m;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(m.add_burst(i == 0 ? "before" : "during", {exchange(i * kS, i, kMs, kMs)}));
  }
  EXPECT_EQ(m.bursts().size(), ClockMap::kMaxKeptBursts);
  EXPECT_EQ(m.bursts_total(), 200u);
  EXPECT_EQ(m.bursts().front().phase, "before");
  EXPECT_EQ(m.bursts().back().best.offset_ns, 199);
}

}  // namespace
}  // namespace ipw::telemetry
