// Energy between a task's requests (run/task_energy.h): hand-computed timelines, the
// ledger's idle spans, and conservation over random agent runs.
#include "ipw/run/task_energy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "ipw/run/energy_shares.h"
#include "time_units.h"

namespace ipw::run {
namespace {

IdleSpan span(double a_s, double b_s, std::optional<double> e) {
  return {static_cast<std::int64_t>(a_s * kS), static_cast<std::int64_t>(b_s * kS), e};
}
TaskLifetime life(const char* name, double a_s, double b_s) {
  return {name, static_cast<std::int64_t>(a_s * kS), static_cast<std::int64_t>(b_s * kS)};
}

TEST(TaskEnergy, IdleTimeIsSharedByTheTasksOpenInIt) {
  // A [0,10], B [4,14]. [2,3] A alone: 10 J. [5,6] both: 10 J each. [9,11] is cut by A's
  // end: [9,10] 3 J shared (1.5 each), [10,11] 3 J B's. [12,13] B alone: 4 J.
  // [15,16] after both: nobody's.
  const auto e = between_requests_j({life("A", 0, 10), life("B", 4, 14)},
                                    {span(2, 3, 10), span(5, 6, 20), span(9, 11, 6), span(12, 13, 4), span(15, 16, 7)});
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NEAR(*e[0], 10 + 10 + 1.5, 1e-9);
  EXPECT_NEAR(*e[1], 10 + 1.5 + 3 + 4, 1e-9);
}

TEST(TaskEnergy, AnUnknownPartMakesOnlyTheTasksSharingItUnknown) {
  const auto e = between_requests_j({life("A", 0, 4), life("B", 5, 9), life("C", 0, 9)},
                                    {span(1, 2, std::nullopt), span(6, 7, 8)});
  EXPECT_FALSE(e[0]);  // A shared the unknown span
  EXPECT_NEAR(*e[1], 4, 1e-9);
  EXPECT_FALSE(e[2]);
}

TEST(TaskEnergy, ATaskOfOneRequestHasNoneBetween) {
  const auto e = between_requests_j({life("solo", 3, 4)}, {span(0, 3, 30), span(4, 9, 50)});
  EXPECT_EQ(e[0], 0.0);
}

TEST(TaskEnergy, AdjacentIdleSpansMerge) {
  IdleSpans idle;
  idle.add(span(0, 1, 1));
  idle.add(span(1, 2, 2));
  idle.add(span(2, 2, 5));  // empty: dropped
  idle.add(span(3, 4, 4));
  idle.add(span(4, 5, std::nullopt));
  ASSERT_EQ(idle.spans().size(), 2u);
  EXPECT_EQ(idle.spans()[0].t_end_ns, 2 * kS);
  EXPECT_NEAR(*idle.spans()[0].energy_j, 3, 1e-12);
  EXPECT_FALSE(idle.spans()[1].energy_j);
}

// The ledger gives the spans with nothing in flight, their energy as measured.
TEST(TaskEnergy, TheLedgerReportsEveryIdleSpan) {
  EnergyLedger ledger(ShareRule::equal, 2, [](int d, std::int64_t t) -> std::optional<double> {
    return (d + 1) * 100.0 * static_cast<double>(t) * 1e-9;  // 100 W and 200 W
  }, {std::nullopt, std::nullopt});
  IdleSpans idle;
  ledger.on_idle_span([&](std::int64_t a, std::int64_t b, std::optional<double> e) { idle.add({a, b, e}); });
  ledger.begin(0);
  QueryActivity q1, q2;
  q1.t_start_ns = 1 * kS;
  q1.t_end_ns = 2 * kS;
  q2.t_start_ns = 4 * kS;
  q2.t_end_ns = 5 * kS;
  ledger.add(q1);
  ledger.add(q2);
  ledger.advance(3 * kS);  // the frontier cuts [2,4]: the pieces merge
  ledger.close(6 * kS);
  ASSERT_EQ(idle.spans().size(), 3u);  // [0,1], [2,4], [5,6]
  EXPECT_EQ(idle.spans()[1].t_start_ns, 2 * kS);
  EXPECT_EQ(idle.spans()[1].t_end_ns, 4 * kS);
  EXPECT_NEAR(*idle.spans()[1].energy_j, 600, 1e-9);
  EXPECT_NEAR(*ledger.totals().unattributed_j[0] + *ledger.totals().unattributed_j[1], 1200, 1e-9);
}

// Agents that take turns and overlap, on a power that varies: every joule of the stage
// is a request's share, a task's time between requests, or outside every task.
TEST(TaskEnergy, RequestsBetweenAndOutsideAddUpToTheStage) {
  std::mt19937 rng(7);
  const CumulativeFn f = [](int, std::int64_t t) -> std::optional<double> {
    const double s = static_cast<double>(t) * 1e-9;
    return 80 * s + 15 * std::sin(3 * s);
  };
  for (int trial = 0; trial < 200; ++trial) {
    EnergyLedger ledger(ShareRule::equal, 1, f, {std::nullopt});
    IdleSpans idle;
    ledger.on_idle_span([&](std::int64_t a, std::int64_t b, std::optional<double> e) { idle.add({a, b, e}); });
    const std::int64_t begin = 0;
    ledger.begin(begin);
    std::uniform_int_distribution<std::int64_t> gap(0, 3 * kS), len(1, 2 * kS);
    std::vector<QueryActivity> qs;
    std::vector<TaskLifetime> tasks;
    const int n_tasks = 1 + static_cast<int>(rng() % 5);
    for (int t = 0; t < n_tasks; ++t) {
      std::int64_t now = gap(rng) * 2;
      TaskLifetime l{"t" + std::to_string(t), now, 0};
      for (int turn = 0, turns = 1 + static_cast<int>(rng() % 4); turn < turns; ++turn) {
        QueryActivity q;
        q.t_start_ns = now;
        q.t_end_ns = now + len(rng);
        now = q.t_end_ns + gap(rng);
        l.t_end_ns = q.t_end_ns;
        qs.push_back(q);
      }
      tasks.push_back(l);
    }
    std::sort(qs.begin(), qs.end(), [](const auto& a, const auto& b) { return a.t_start_ns < b.t_start_ns; });
    std::int64_t end = begin;
    for (const auto& q : qs) {
      ledger.add(q);
      end = std::max(end, q.t_end_ns);
    }
    end += kS;
    double shares = 0;
    for (const QueryShare& s : ledger.close(end)) shares += *s.energy_j[0];
    const auto between = between_requests_j(tasks, idle.spans());
    double between_sum = 0;
    for (const auto& b : between) between_sum += *b;
    // Outside every task: the complement of the union of lifetimes in [begin, end].
    std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) { return a.t_start_ns < b.t_start_ns; });
    double outside = 0;
    std::int64_t covered = begin;
    for (const auto& l : tasks) {
      if (l.t_start_ns > covered) outside += *f(0, l.t_start_ns) - *f(0, covered);
      covered = std::max(covered, l.t_end_ns);
    }
    outside += *f(0, end) - *f(0, covered);
    const double measured = *f(0, end) - *f(0, begin);
    ASSERT_NEAR(shares + between_sum + outside, measured, 1e-6 * measured) << "trial " << trial;
  }
}

}  // namespace
}  // namespace ipw::run
