// Attribution under load, in simulation: how close each sharing rule comes to
// each query's marginal energy when queries overlap, and whether the shares add
// up to the measured energy.
//
// The machine's power is P(t) = c + a·(prompt tokens/s) + b(t)·(output tokens/s):
// a static part c (idle and overheads), a marginal cost per prompt token (a) and
// per output token (b). With --batching, b(t) falls as more queries decode at once
// (b·(0.4 + 0.6/n), as a batched decode step shares its weight reads), which no
// rule models: then the fitted rule is fitting the wrong shape. A query's true
// energy is its own tokens' cost at the time each was made, plus its share of the
// static power while it is in flight (split equally among the queries in flight:
// the static part is nobody's in particular). Schedules are closed loops
// at concurrency N, with prompt lengths, output lengths, prefill and decode times
// drawn per query, and prefill and decode slowing as more queries are in flight.
//
//   build/bin/load_attribution_bench [--queries N] [--seed S] [--batching]
//
// Prints per concurrency and rule the median and p90 of |share − truth| / truth
// over queries and the worst conservation error; docs/BENCHMARKS.md has the table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ipw/run/energy_shares.h"

namespace {

using ipw::run::CumulativeFn;
using ipw::run::EnergyLedger;
using ipw::run::QueryActivity;
using ipw::run::ShareRule;

constexpr double kStaticW = 60, kPromptJ = 0.004, kOutputJ = 0.35;

double work_prompt(const QueryActivity& q, std::int64_t t) {
  const double f = std::clamp(static_cast<double>(t - q.t_start_ns) / static_cast<double>(q.t_first_ns - q.t_start_ns), 0.0, 1.0);
  return q.prompt_tokens * f;
}

double work_output(const QueryActivity& q, std::int64_t t) {
  const auto& ts = q.token_times_ns;
  if (t <= ts.front()) return 0;
  if (t >= ts.back()) return static_cast<double>(ts.size() - 1);
  const auto it = std::upper_bound(ts.begin(), ts.end(), t);
  const std::size_t k = static_cast<std::size_t>(it - ts.begin());
  return static_cast<double>(k - 1) + static_cast<double>(t - ts[k - 1]) / static_cast<double>(ts[k] - ts[k - 1]);
}

// A closed loop at concurrency n: each query starts when a slot frees.
std::vector<QueryActivity> schedule(int n, int count, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::int64_t> slot_free(static_cast<std::size_t>(n), 0);
  std::vector<QueryActivity> qs;
  // Per-stream speeds slow with load: a batching server's decode step grows with its batch.
  const double slow = 1.0 + 0.08 * (n - 1);
  for (int i = 0; i < count; ++i) {
    auto slot = std::min_element(slot_free.begin(), slot_free.end());
    QueryActivity q;
    q.t_start_ns = *slot + static_cast<std::int64_t>(u(rng) * 2e6);
    q.prompt_tokens = 50 + static_cast<int>(u(rng) * 1500);
    const double prefill_s = slow * q.prompt_tokens / 4000.0;
    q.t_first_ns = q.t_start_ns + static_cast<std::int64_t>(prefill_s * 1e9);
    const int outputs = 10 + static_cast<int>(u(rng) * 300);
    std::int64_t t = q.t_first_ns;
    for (int k = 0; k < outputs; ++k) {
      q.token_times_ns.push_back(t);
      t += static_cast<std::int64_t>(slow * (0.015 + 0.01 * u(rng)) * 1e9);
    }
    q.t_end_ns = q.token_times_ns.back();
    q.output_tokens = outputs;
    *slot = q.t_end_ns;
    qs.push_back(std::move(q));
  }
  std::sort(qs.begin(), qs.end(), [](const auto& a, const auto& b) { return a.t_start_ns < b.t_start_ns; });
  return qs;
}

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) {
  int count = 400;
  std::uint64_t seed = 20261205;
  bool batching = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--batching") == 0) batching = true;
    if (i + 1 < argc && std::strcmp(argv[i], "--queries") == 0) count = std::atoi(argv[i + 1]);
    if (i + 1 < argc && std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::printf("power = %.0f W + %.3f J/prompt token + %.2f J/output token%s; %d queries per concurrency, seed %llu\n",
              kStaticW, kPromptJ, kOutputJ, batching ? " x (0.4 + 0.6/decoding)" : "", count,
              static_cast<unsigned long long>(seed));
  std::printf("%-12s %-8s %14s %14s %18s\n", "concurrency", "rule", "median |err|", "p90 |err|", "conservation (J)");
  for (int n : {1, 4, 16, 64}) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(n));
    const auto qs = schedule(n, count, rng);
    // The dynamic energy on a 1 ms grid: per step, each query's prompt and output work
    // at the step's cost; the cumulative total and each query's own sum.
    constexpr std::int64_t kStep = 1'000'000;
    const std::int64_t end_ns = qs.back().t_end_ns;
    std::int64_t last_end = 0;
    for (const auto& q : qs) last_end = std::max(last_end, q.t_end_ns);
    const std::size_t steps = static_cast<std::size_t>(last_end / kStep) + 2;
    std::vector<double> cum(steps + 1, 0.0), own(qs.size(), 0.0);
    for (std::size_t k = 0; k < steps; ++k) {
      const std::int64_t a = static_cast<std::int64_t>(k) * kStep, b = a + kStep;
      int decoding = 0;
      for (const auto& q : qs) decoding += q.t_first_ns < b && q.t_end_ns > a ? 1 : 0;
      const double out_cost = batching ? kOutputJ * (0.4 + 0.6 / std::max(1, decoding)) : kOutputJ;
      double step = 0;
      for (std::size_t i = 0; i < qs.size(); ++i) {
        const auto& q = qs[i];
        if (q.t_start_ns >= b || q.t_end_ns <= a) continue;
        const double e = kPromptJ * (work_prompt(q, b) - work_prompt(q, a)) + out_cost * (work_output(q, b) - work_output(q, a));
        own[i] += e;
        step += e;
      }
      cum[k + 1] = cum[k] + step;
    }
    (void)end_ns;
    const CumulativeFn f = [&](int, std::int64_t t) -> std::optional<double> {
      const double x = static_cast<double>(t) / kStep;
      const auto k = std::min(static_cast<std::size_t>(x), steps - 1);
      const double dyn = cum[k] + (cum[k + 1] - cum[k]) * (x - static_cast<double>(k));
      return kStaticW * static_cast<double>(t) * 1e-9 + dyn;
    };
    // The truth's static part: the static power split equally among those in flight.
    EnergyLedger statics(ShareRule::equal, 1,
                         [](int, std::int64_t t) -> std::optional<double> { return kStaticW * static_cast<double>(t) * 1e-9; },
                         {std::nullopt});
    statics.begin(0);
    for (const auto& q : qs) statics.add(q);
    auto st = statics.close(qs.back().t_end_ns);
    std::sort(st.begin(), st.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (ShareRule rule : {ShareRule::equal, ShareRule::tokens, ShareRule::fitted}) {
      EnergyLedger ledger(rule, 1, f, {std::nullopt});
      ledger.begin(0);
      for (const auto& q : qs) ledger.add(q);
      auto shares = ledger.close(qs.back().t_end_ns);
      std::sort(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
      std::vector<double> err;
      for (std::size_t i = 0; i < qs.size(); ++i) {
        const double truth = *st[i].energy_j[0] + own[i];
        err.push_back(std::abs(*shares[i].energy_j[0] - truth) / truth);
      }
      std::printf("%-12d %-8s %13.2f%% %13.2f%% %18.2e\n", n, ipw::run::to_string(rule), 100 * quantile(err, 0.5),
                  100 * quantile(err, 0.9), ledger.totals().conservation_error_j);
    }
  }
  return 0;
}
