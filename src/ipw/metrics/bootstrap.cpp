#include "ipw/metrics/bootstrap.h"

#include <algorithm>
#include <array>

#include "ipw/common/rng.h"

namespace ipw::metrics {
namespace {

// Per-replicate sums, one array per quantity so the Poisson pass vectorises.
struct ReplicateSums {
  explicit ReplicateSums(std::size_t reps)
      : scored(reps), correct(reps), ne(reps), e(reps), p(reps), nn(reps), nne(reps), nnp(reps) {}
  std::vector<double> scored, correct, ne, e, p, nn, nne, nnp;

  void add(std::size_t r, const EfficiencyPoint& q, double w) {
    if (q.correct >= 0) {
      scored[r] += w;
      correct[r] += w * q.correct;
    }
    if (q.has_energy) {
      ne[r] += w;
      e[r] += w * q.energy_j;
      p[r] += w * q.power_w;
    }
    if (q.has_net) {
      nn[r] += w;
      nne[r] += w * q.net_energy_j;
      nnp[r] += w * q.net_power_w;
    }
  }
};

void multinomial(const std::vector<EfficiencyPoint>& pts, std::size_t reps, SplitMix64& rng, ReplicateSums& s) {
  const std::size_t n = pts.size();
  for (std::size_t r = 0; r < reps; ++r) {
    for (std::size_t k = 0; k < n; ++k) s.add(r, pts[rng.below(n)], 1.0);
  }
}

// Poisson(1) weights from 16 random bits through a 64 KiB table: the weight
// is the number of CDF thresholds (scaled to 2^16) at or below the draw;
// P(k >= 8) < 1e-5 is folded into 7.
const std::array<std::uint8_t, 65536>& poisson1_table() {
  static const auto table = [] {
    static constexpr std::array<std::uint32_t, 7> kCdf = {24109, 48218, 60273, 64291, 65296, 65497, 65531};
    std::array<std::uint8_t, 65536> t{};
    for (std::uint32_t u = 0; u < 65536; ++u) {
      for (std::uint32_t c : kCdf) t[u] = static_cast<std::uint8_t>(t[u] + (u >= c));
    }
    return t;
  }();
  return table;
}

// acc[r] += w[r] * x over all replicates, n a multiple of kLanes: the fixed
// inner loop is vectorised even at -O2 (GCC's "very cheap" cost model).
constexpr std::size_t kLanes = 8;
void axpy(double* __restrict acc, const double* __restrict w, double x, std::size_t n) {
  for (std::size_t r = 0; r < n; r += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) acc[r + j] += w[r + j] * x;
  }
}
void add(double* __restrict acc, const double* __restrict w, std::size_t n) {
  for (std::size_t r = 0; r < n; r += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) acc[r + j] += w[r + j];
  }
}

void poisson(const std::vector<EfficiencyPoint>& pts, SplitMix64& rng, ReplicateSums& s) {
  const auto& table = poisson1_table();
  const std::size_t reps = s.scored.size();  // padded to kLanes by the caller
  std::vector<double> w(reps);
  for (const EfficiencyPoint& q : pts) {
    for (std::size_t r = 0; r < w.size(); r += 4) {
      const std::uint64_t bits = rng.next();
      w[r] = table[bits & 0xFFFF];
      w[r + 1] = table[(bits >> 16) & 0xFFFF];
      w[r + 2] = table[(bits >> 32) & 0xFFFF];
      w[r + 3] = table[bits >> 48];
    }
    if (q.correct >= 0) {
      add(s.scored.data(), w.data(), reps);
      if (q.correct > 0) add(s.correct.data(), w.data(), reps);
    }
    if (q.has_energy) {
      add(s.ne.data(), w.data(), reps);
      axpy(s.e.data(), w.data(), q.energy_j, reps);
      axpy(s.p.data(), w.data(), q.power_w, reps);
    }
    if (q.has_net) {
      add(s.nn.data(), w.data(), reps);
      axpy(s.nne.data(), w.data(), q.net_energy_j, reps);
      axpy(s.nnp.data(), w.data(), q.net_power_w, reps);
    }
  }
}

std::optional<Interval> percentile_interval(std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  std::sort(values.begin(), values.end());
  return Interval{*percentile(values, 2.5), *percentile(values, 97.5)};
}

nlohmann::json ci_json(const std::optional<Interval>& i) {
  return i ? nlohmann::json::array({i->lo, i->hi}) : nlohmann::json();
}

}  // namespace

EfficiencyIntervals bootstrap_efficiency(const std::vector<EfficiencyPoint>& points,
                                         const BootstrapOptions& opts) {
  EfficiencyIntervals out;
  out.seed = opts.seed;
  const std::size_t n = points.size();
  if (n < 2 || opts.replicates <= 0) return out;
  std::size_t reps = static_cast<std::size_t>(opts.replicates);
  if (reps * n > opts.max_draws) {
    reps = std::max(static_cast<std::size_t>(std::max(opts.min_replicates, 1)), opts.max_draws / n);
    reps = std::min(reps, static_cast<std::size_t>(opts.replicates));
  }
  out.replicates = static_cast<int>(reps);
  SplitMix64 rng(opts.seed);
  // Padded so the Poisson pass runs whole vector lanes; extra replicates are ignored.
  ReplicateSums s((reps + kLanes - 1) / kLanes * kLanes);
  if (n <= opts.multinomial_max_queries) {
    out.method = "multinomial";
    multinomial(points, reps, rng, s);
  } else {
    out.method = "poisson";
    poisson(points, rng, s);
  }
  std::vector<double> acc, ipw, ipj, ipw_net, ipj_net;
  for (std::size_t r = 0; r < reps; ++r) {
    if (s.scored[r] <= 0) continue;
    const double a = s.correct[r] / s.scored[r];
    acc.push_back(a);
    if (s.ne[r] > 0 && s.p[r] > 0) ipw.push_back(a * s.ne[r] / s.p[r]);
    if (s.ne[r] > 0 && s.e[r] > 0) ipj.push_back(a * s.ne[r] / s.e[r]);
    if (s.nn[r] > 0 && s.nnp[r] > 0) ipw_net.push_back(a * s.nn[r] / s.nnp[r]);
    if (s.nn[r] > 0 && s.nne[r] > 0) ipj_net.push_back(a * s.nn[r] / s.nne[r]);
  }
  out.accuracy = percentile_interval(acc);
  out.ipw = percentile_interval(ipw);
  out.ipj = percentile_interval(ipj);
  out.ipw_net = percentile_interval(ipw_net);
  out.ipj_net = percentile_interval(ipj_net);
  return out;
}

nlohmann::json to_json(const EfficiencyIntervals& ci) {
  return {{"method", ci.method.empty() ? "none" : "percentile bootstrap over queries (" + ci.method + ")"},
          {"replicates", ci.replicates},
          {"seed", ci.seed},
          {"accuracy", ci_json(ci.accuracy)},
          {"ipw", ci_json(ci.ipw)},
          {"ipj", ci_json(ci.ipj)},
          {"ipw_net", ci_json(ci.ipw_net)},
          {"ipj_net", ci_json(ci.ipj_net)}};
}

}  // namespace ipw::metrics
