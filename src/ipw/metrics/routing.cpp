#include "ipw/metrics/routing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/json_null.h"
#include "ipw/common/rng.h"
#include "ipw/common/usage_error.h"

namespace ipw::metrics {
namespace {

// What sending item i to run r costs. NaN marks a figure that is not known.
struct Route {
  double energy_j = NAN, compute = NAN, cost_usd = NAN;
  int correct = -1;
  double latency_s = NAN;
};

Route route(const OutcomeTable& t, const RoutingOptions& o, std::size_t i, std::size_t r) {
  const bool cloud = r + 1 == t.runs.size();
  const ItemOutcome& it = t.runs[r][i];
  Route out;
  out.correct = it.correct;
  out.latency_s = it.latency_s;
  const double tokens = it.input_tokens + it.output_tokens;  // NaN propagates
  out.energy_j = it.energy_j;
  if (cloud && std::isnan(out.energy_j) && o.cloud_j_per_token) out.energy_j = tokens * *o.cloud_j_per_token;
  if (r < o.parameters.size() && o.parameters[r]) out.compute = *o.parameters[r] * tokens;
  if (cloud) {
    out.cost_usd = (it.input_tokens * o.cloud_usd_per_mtok_in + it.output_tokens * o.cloud_usd_per_mtok_out) * 1e-6;
  } else {
    out.cost_usd = (it.input_tokens * o.local_usd_per_mtok_in + it.output_tokens * o.local_usd_per_mtok_out) * 1e-6 +
                   (o.usd_per_kwh > 0 ? out.energy_j / 3.6e6 * o.usd_per_kwh : 0.0);
  }
  return out;
}

// Weighted sums where a zero weight never touches the sum (0 x NaN would).
struct Sum {
  double v = 0;
  void add(double w, double x) {
    if (w != 0) v += w * x;
  }
  std::optional<double> get() const {
    if (std::isnan(v)) return std::nullopt;
    return v;
  }
};

std::optional<double> saved(const std::optional<double>& router, const std::optional<double>& base) {
  if (!router || !base || *base <= 0) return std::nullopt;
  return 1.0 - *router / *base;
}

RouterResult run_router(const OutcomeTable& t, const RoutingOptions& o, const std::vector<int>& choice,
                        const std::string& name, double p, bool all_cloud) {
  const std::size_t cloud = t.runs.size() - 1;
  RouterResult r;
  r.name = name;
  r.p = p;
  r.per_run_queries.assign(t.runs.size(), 0.0);
  Sum energy, compute, cost;
  double acc_num = 0, acc_den = 0, local = 0;
  for (std::size_t i = 0; i < t.items.size(); ++i) {
    const int c = all_cloud ? -1 : choice[i];
    const double w_local = c >= 0 ? p : 0.0;
    const double w_cloud = 1.0 - w_local;
    const Route rc = route(t, o, i, cloud);
    energy.add(w_cloud, rc.energy_j);
    compute.add(w_cloud, rc.compute);
    cost.add(w_cloud, rc.cost_usd);
    if (rc.correct >= 0) {
      acc_num += w_cloud * rc.correct;
      acc_den += w_cloud;
    }
    r.per_run_queries[cloud] += w_cloud;
    if (w_local > 0) {
      const Route rl = route(t, o, i, static_cast<std::size_t>(c));
      energy.add(w_local, rl.energy_j);
      compute.add(w_local, rl.compute);
      cost.add(w_local, rl.cost_usd);
      if (rl.correct >= 0) {
        acc_num += w_local * rl.correct;
        acc_den += w_local;
      }
      r.per_run_queries[static_cast<std::size_t>(c)] += w_local;
      local += w_local;
    }
  }
  if (acc_den > 0) r.accuracy = acc_num / acc_den;
  r.energy_j = energy.get();
  r.compute_param_tokens = compute.get();
  r.cost_usd = cost.get();
  if (!t.items.empty()) r.local_share = local / static_cast<double>(t.items.size());
  return r;
}

}  // namespace

RoutingResult simulate_routing(const OutcomeTable& t, const RoutingOptions& o) {
  RoutingResult res;
  if (t.runs.size() < 2) throw UsageError("routing needs at least one local run and a cloud run");
  const std::size_t cloud = t.runs.size() - 1;
  res.items = t.items.size();
  res.oracle_choice.assign(t.items.size(), -1);
  for (std::size_t i = 0; i < t.items.size(); ++i) {
    if (!std::isnan(t.runs[cloud][i].energy_j)) ++res.cloud_energy_measured;
    // Least-energy correct local run; runs without an energy figure only when
    // no measured one is correct.
    int best = -1;
    double best_e = INFINITY;
    for (std::size_t m = 0; m < cloud; ++m) {
      const ItemOutcome& it = t.runs[m][i];
      if (it.correct != 1) continue;
      const double e = std::isnan(it.energy_j) ? HUGE_VAL : it.energy_j;
      if (best < 0 || e < best_e) {
        best = static_cast<int>(m);
        best_e = e;
      }
    }
    res.oracle_choice[i] = best;
  }
  res.cloud_energy_assumed = res.cloud_energy_measured < t.items.size() && o.cloud_j_per_token.has_value();
  res.all_cloud = run_router(t, o, res.oracle_choice, "all-cloud", 0.0, true);
  res.routers.push_back(run_router(t, o, res.oracle_choice, "oracle", 1.0, false));
  for (double p : o.accuracy_levels) {
    res.routers.push_back(run_router(t, o, res.oracle_choice, fmt::format("p={:.2f}", p), p, false));
  }
  for (auto& r : res.routers) {
    r.energy_saved = saved(r.energy_j, res.all_cloud.energy_j);
    r.compute_saved = saved(r.compute_param_tokens, res.all_cloud.compute_param_tokens);
    r.cost_saved = saved(r.cost_usd, res.all_cloud.cost_usd);
  }
  return res;
}

std::vector<double> poisson_arrivals(double rate_per_s, std::size_t count, std::uint64_t seed) {
  if (!(rate_per_s > 0)) throw UsageError("the arrival rate must be > 0 per second");
  SplitMix64 rng(seed);
  std::vector<double> out;
  out.reserve(count);
  double t = 0;
  for (std::size_t k = 0; k < count; ++k) {
    t += -std::log(1.0 - rng.uniform()) / rate_per_s;  // exponential inter-arrival gaps
    out.push_back(t);
  }
  return out;
}

std::vector<LoadResult> simulate_load(const OutcomeTable& t, const RoutingResult& routing,
                                      const RoutingOptions& o, const LoadOptions& load) {
  std::vector<LoadResult> out;
  if (t.items.empty() || load.arrivals_s.empty()) return out;
  const std::size_t cloud = t.runs.size() - 1;
  std::vector<const RouterResult*> routers = {&routing.all_cloud};
  for (const auto& r : routing.routers) routers.push_back(&r);
  for (const RouterResult* router : routers) {
    const bool all_cloud = router == &routing.all_cloud;
    SplitMix64 rng(load.seed);  // same item sequence and coins for every router
    LoadResult lr;
    lr.router = router->name;
    double local_free = 0, busy = 0, end = 0, energy = 0, cost = 0;
    std::vector<double> latency;
    latency.reserve(load.arrivals_s.size());
    for (double at : load.arrivals_s) {
      const std::size_t i = rng.below(t.items.size());
      const bool coin = rng.uniform() < router->p;
      ++lr.arrivals;
      int target = all_cloud || !coin ? -1 : routing.oracle_choice[i];
      if (target >= 0) {
        const Route rl = route(t, o, i, static_cast<std::size_t>(target));
        const double service = std::isnan(rl.latency_s) ? 0.0 : rl.latency_s;
        const double start = std::max(at, local_free);
        if (start - at > load.max_queue_s) {
          ++lr.overflow;
          target = -1;
        } else {
          local_free = start + service;
          busy += service;
          latency.push_back(local_free - at);
          end = std::max(end, local_free);
          energy += rl.energy_j;
          cost += rl.cost_usd;
          ++lr.local;
        }
      }
      if (target < 0) {
        const Route rc = route(t, o, i, cloud);
        const double service = std::isnan(rc.latency_s) ? 0.0 : rc.latency_s;
        latency.push_back(service);
        end = std::max(end, at + service);
        energy += rc.energy_j;
        cost += rc.cost_usd;
        ++lr.cloud;
      }
    }
    lr.duration_s = end - load.arrivals_s.front();
    lr.local_utilisation = lr.duration_s > 0 ? busy / lr.duration_s : 0.0;
    lr.latency_s = describe(latency);
    if (!std::isnan(energy)) lr.energy_j = energy;
    if (!std::isnan(cost)) lr.cost_usd = cost;
    out.push_back(std::move(lr));
  }
  return out;
}

nlohmann::json to_json(const RoutingResult& r, const std::vector<std::string>& labels) {
  auto router_json = [&](const RouterResult& x) {
    nlohmann::json per = nlohmann::json::object();
    for (std::size_t m = 0; m < x.per_run_queries.size(); ++m) {
      per[m < labels.size() ? labels[m] : std::to_string(m)] = x.per_run_queries[m];
    }
    return nlohmann::json{{"name", x.name}, {"p", x.p}, {"accuracy", json_or_null(x.accuracy)},
                          {"energy_j", json_or_null(x.energy_j)}, {"energy_saved", json_or_null(x.energy_saved)},
                          {"compute_param_tokens", json_or_null(x.compute_param_tokens)},
                          {"compute_saved", json_or_null(x.compute_saved)}, {"cost_usd", json_or_null(x.cost_usd)},
                          {"cost_saved", json_or_null(x.cost_saved)}, {"local_share", x.local_share},
                          {"queries_per_run", per}};
  };
  nlohmann::json routers = nlohmann::json::array();
  for (const auto& x : r.routers) routers.push_back(router_json(x));
  return {{"items", r.items},
          {"cloud_energy_measured_items", r.cloud_energy_measured},
          {"cloud_energy_assumed", r.cloud_energy_assumed},
          {"all_cloud", router_json(r.all_cloud)},
          {"routers", routers}};
}

nlohmann::json to_json(const std::vector<LoadResult>& load) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& l : load) {
    arr.push_back({{"router", l.router}, {"arrivals", l.arrivals}, {"local", l.local},
                   {"overflow", l.overflow}, {"cloud", l.cloud}, {"duration_s", l.duration_s},
                   {"local_utilisation", l.local_utilisation},
                   {"latency_s", {{"mean", json_or_null(l.latency_s.mean)}, {"p50", json_or_null(l.latency_s.p50)},
                                  {"p90", json_or_null(l.latency_s.p90)}, {"p99", json_or_null(l.latency_s.p99)}}},
                   {"energy_j", json_or_null(l.energy_j)}, {"cost_usd", json_or_null(l.cost_usd)}});
  }
  return arr;
}

}  // namespace ipw::metrics
