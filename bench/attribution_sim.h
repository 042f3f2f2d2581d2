#pragma once
// Simulated-time harness for the attribution-error benchmark
// (bench/attribution_error_bench.cpp, docs/BENCHMARKS.md). Header-only so the
// unit test tests/unit/bench_attribution_sim_test.cpp checks the very code the
// benchmark runs.
//
// A trial is a synthetic power profile whose exact energy over any window is
// known in closed form (piecewise-linear power plus sinusoidal ripple), one
// query window on it, and a sensor model (counter or power-only, with its
// update period and quantisation). Two measurers read that sensor:
//  * ipw: samples on a fixed-rate schedule at max(period, update period), stamps
//    each sample just before the read (as Sampler does), feeds ipw's own
//    DomainTrace, and takes the query's energy through run::attribute;
//  * the baseline, a re-implementation of the reference Python harness: a
//    `read; sleep(period)` loop whose samples are stamped on receipt, the energy
//    being the difference (counters) or sum (power) of the samples stamped
//    inside the window. It exists only here, as the yardstick.
// Everything runs on integer nanoseconds in simulated time, from one seeded RNG.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipw/run/attribution.h"
#include "ipw/telemetry/energy_window.h"

namespace ipw::bench {

inline constexpr double kPi = 3.14159265358979323846;

// Power P(t) = piecewise-linear through points + ripple terms; E(t) = ∫_0^t P exactly.
class PowerProfile {
 public:
  // Times must not decrease; two points at one time make a step. Before the
  // first point the first power holds, after the last the last one.
  void add(std::int64_t t_ns, double power_w) {
    if (!pts_.empty() && t_ns < pts_.back().t_ns) throw std::invalid_argument("profile: time went back");
    const double cum = pts_.empty() ? 0.0
                                    : cum_.back() + 0.5 * (pts_.back().p + power_w) *
                                                        static_cast<double>(t_ns - pts_.back().t_ns) * 1e-9;
    pts_.push_back({t_ns, power_w});
    cum_.push_back(cum);
  }
  // amp·sin(2πf(t−from)) added on [from, to] (per-token ripple of a decode phase).
  void add_ripple(std::int64_t from_ns, std::int64_t to_ns, double amp_w, double freq_hz) {
    ripples_.push_back({from_ns, to_ns, amp_w, freq_hz});
  }

  double power_at(std::int64_t t_ns) const {
    double p = linear_at(t_ns);
    for (const Ripple& r : ripples_) {
      if (t_ns >= r.from_ns && t_ns <= r.to_ns)
        p += r.amp_w * std::sin(2 * kPi * r.freq_hz * static_cast<double>(t_ns - r.from_ns) * 1e-9);
    }
    return p;
  }
  // ∫ P from t = 0 (the first point must be at 0) to t_ns.
  double energy_to(std::int64_t t_ns) const {
    if (pts_.empty()) return 0.0;
    double e;
    if (t_ns <= pts_.front().t_ns) {
      e = pts_.front().p * static_cast<double>(t_ns - pts_.front().t_ns) * 1e-9;
    } else if (t_ns >= pts_.back().t_ns) {
      e = cum_.back() + pts_.back().p * static_cast<double>(t_ns - pts_.back().t_ns) * 1e-9;
    } else {
      // last point with t <= t_ns (for a step, the later of the two: its power applies after)
      const auto it = std::upper_bound(pts_.begin(), pts_.end(), t_ns,
                                       [](std::int64_t t, const Pt& p) { return t < p.t_ns; });
      const std::size_t k = static_cast<std::size_t>(it - pts_.begin()) - 1;
      const double dt = static_cast<double>(t_ns - pts_[k].t_ns) * 1e-9;
      e = cum_[k] + dt * 0.5 * (pts_[k].p + linear_at(t_ns));
    }
    for (const Ripple& r : ripples_) {
      if (t_ns <= r.from_ns) continue;
      const double w = 2 * kPi * r.freq_hz;
      const double x = static_cast<double>(std::min(t_ns, r.to_ns) - r.from_ns) * 1e-9;
      e += r.amp_w / w * (1.0 - std::cos(w * x));
    }
    return e;
  }
  double energy_between(std::int64_t t0_ns, std::int64_t t1_ns) const {
    return energy_to(t1_ns) - energy_to(t0_ns);
  }

 private:
  struct Pt {
    std::int64_t t_ns;
    double p;
  };
  struct Ripple {
    std::int64_t from_ns, to_ns;
    double amp_w, freq_hz;
  };
  double linear_at(std::int64_t t_ns) const {
    if (pts_.empty()) return 0.0;
    if (t_ns <= pts_.front().t_ns) return pts_.front().p;
    if (t_ns >= pts_.back().t_ns) return pts_.back().p;
    const auto it = std::upper_bound(pts_.begin(), pts_.end(), t_ns,
                                     [](std::int64_t t, const Pt& p) { return t < p.t_ns; });
    const Pt& b = *it;
    const Pt& a = *(it - 1);
    if (b.t_ns == a.t_ns) return b.p;
    return a.p + (b.p - a.p) * static_cast<double>(t_ns - a.t_ns) / static_cast<double>(b.t_ns - a.t_ns);
  }
  std::vector<Pt> pts_;
  std::vector<double> cum_;  // ∫ linear part from pts_[0] to pts_[i]
  std::vector<Ripple> ripples_;
};

// What the hardware shows when read at time t. Its value changes only at
// update instants u = phase + k·update_ns (the latest one ≤ t is what a read sees).
struct SensorModel {
  std::string name;
  bool counter = true;        // true: cumulative energy counter; false: power-only
  double quantum = 1e-6;      // counter: J per count (RAPL 1 µJ, NVML 1 mJ); power: W (1 mW)
  std::int64_t update_ns = 1'000'000;
  std::int64_t read_latency_ns = 20'000;  // a read reaches the sensor U(0, this) after it starts
  std::int64_t phase_ns = 0;  // set per trial
  double offset_j = 0;        // the counter's value at t = 0 (set per trial)

  std::int64_t latch(std::int64_t t_ns) const {
    const std::int64_t k = (t_ns - phase_ns) >= 0 ? (t_ns - phase_ns) / update_ns
                                                  : -((phase_ns - t_ns + update_ns - 1) / update_ns);
    return phase_ns + k * update_ns;
  }
  // Counter: the cumulative energy at the last update, floored to the quantum.
  // Power-only: the mean power over the sensor's last update interval (sensors
  // that average internally), rounded to the quantum.
  double value_at(const PowerProfile& p, std::int64_t t_ns) const {
    const std::int64_t u = latch(t_ns);
    if (counter) return std::floor((offset_j + p.energy_to(u)) / quantum) * quantum;
    const double mean_w = p.energy_between(u - update_ns, u) / (static_cast<double>(update_ns) * 1e-9);
    return std::round(mean_w / quantum) * quantum;
  }
};

// Timing of one measurer's reads.
struct ReadTiming {
  std::int64_t period_ns = 10'000'000;
  double jitter_ns = 100'000;        // wake-up lateness: |N(0, jitter)|
  double stall_probability = 0.001;  // a descheduled wake-up…
  std::int64_t stall_ns = 5'000'000;  // …this much later
  // Baseline only: receipt delay after the read = min + Exp(mean extra).
  std::int64_t receipt_min_ns = 0;
  double receipt_mean_extra_ns = 0;
};

struct Trial {
  PowerProfile profile;
  std::int64_t t_start_ns = 0, t_end_ns = 0;  // the query window
  std::int64_t t_trace_end_ns = 0;            // sampling continues until here
};

struct TrialResult {
  double truth_j = 0, ipw_j = 0, ipw_edges_j = 0, baseline_j = 0;
  std::uint32_t ipw_flags = 0;
};

inline double rel_error_pct(double est, double truth) { return 100.0 * std::abs(est - truth) / truth; }

// Reads that ipw's profiler could add at a query's edges (Sampler::sample_now()
// right before the request is sent and right after its last byte, as
// docs/attribution.md describes): the read is stamped `pre` before t_send (the time
// the reads of every collector and the request set-up take) and `post` after
// t_last_byte. Off: only the periodic samples, which is what `ipw profile` does today.
struct EdgeReads {
  bool on = false;
  std::int64_t pre_min_ns = 50'000, pre_max_ns = 500'000;
  std::int64_t post_min_ns = 20'000, post_max_ns = 200'000;
};

// ipw: fixed-rate schedule at max(period, update period) that skips ahead after
// a stall (Sampler::run), stamps taken right before each read, DomainTrace +
// run::attribute over [t_start, t_end].
inline double ipw_energy(const Trial& tr, const SensorModel& s, const ReadTiming& rt, std::mt19937_64& rng,
                         std::uint32_t* flags_out = nullptr, const EdgeReads& edges = {}) {
  const std::int64_t period = std::max(rt.period_ns, s.update_ns);
  std::normal_distribution<double> jitter(0.0, std::max(rt.jitter_ns, 1e-9));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto between = [&](std::int64_t a, std::int64_t b) {
    return a + static_cast<std::int64_t>(unit(rng) * static_cast<double>(b - a));
  };
  // Each read: its stamp, the instant it reaches the sensor (a little later) and
  // the instant it returns (as much again at most): Sample::read_ns.
  struct Read {
    std::int64_t t_ns, at_ns, end_ns;
    bool operator<(const Read& o) const { return t_ns < o.t_ns; }
  };
  std::vector<Read> reads;
  auto read_at = [&](std::int64_t t) {
    const std::int64_t at = t + between(0, s.read_latency_ns);
    return Read{t, at, at + between(0, s.read_latency_ns)};
  };
  std::int64_t due = between(0, period);
  for (std::int64_t prev = -1; prev <= tr.t_trace_end_ns;) {
    std::int64_t t = due + static_cast<std::int64_t>(std::abs(jitter(rng)));
    if (unit(rng) < rt.stall_probability) t += rt.stall_ns;
    if (t <= prev) t = prev + 1000;
    reads.push_back(read_at(t));
    prev = t;
    due += period;
    if (due <= t) due = t + period;
  }
  const bool latched = s.counter && s.update_ns >= telemetry::kLatchedMinPeriodNs;
  SensorModel sensor = s;
  if (edges.on && latched) {
    // Sampler::sample_latches(1) before the request: polls every poll step until the
    // counter changes, then the request goes out. So a latch falls between the
    // sensor accesses of the last two polls: the phase is conditioned on that.
    const std::int64_t poll = telemetry::latch_poll_step_ns(s.update_ns);
    const Read seen = read_at(tr.t_start_ns - between(edges.pre_min_ns, edges.pre_max_ns));
    const Read before = read_at(seen.t_ns - poll);
    const std::int64_t latch = between(before.at_ns + 1, seen.at_ns);
    sensor.phase_ns = ((latch % s.update_ns) + s.update_ns) % s.update_ns;
    reads.push_back(before);
    reads.push_back(seen);
    // Sampler::sample_latches(2) after the last byte: poll until two new latches,
    // keeping only the reads on either side of each change.
    Read r = read_at(tr.t_end_ns + between(edges.post_min_ns, edges.post_max_ns));
    reads.push_back(r);
    for (int changes = 0; changes < 2;) {
      const Read next = read_at(r.t_ns + poll);
      if (sensor.value_at(tr.profile, next.at_ns) != sensor.value_at(tr.profile, r.at_ns)) {
        reads.push_back(r);
        reads.push_back(next);
        ++changes;
      }
      r = next;
    }
  } else if (edges.on) {
    reads.push_back(read_at(tr.t_start_ns - between(edges.pre_min_ns, edges.pre_max_ns)));
    reads.push_back(read_at(tr.t_end_ns + between(edges.post_min_ns, edges.post_max_ns)));
  }
  std::sort(reads.begin(), reads.end());
  // Reads are serialised: one per stamp.
  reads.erase(std::unique(reads.begin(), reads.end(),
                          [](const Read& x, const Read& y) { return x.t_ns == y.t_ns; }),
              reads.end());
  telemetry::DomainInfo info{"sim", "simulated sensor", "gpu",
                             s.counter ? telemetry::EnergySource::counter : telemetry::EnergySource::integrated,
                             0.0};
  telemetry::DomainTrace trace(info, telemetry::TraceTiming{s.update_ns, period, latched, s.update_ns / 200});
  for (const Read& rd : reads) {
    telemetry::Sample smp;
    smp.t_ns = rd.t_ns;
    smp.read_ns = rd.end_ns - rd.t_ns;
    if (s.counter)
      smp.energy_j = sensor.value_at(tr.profile, rd.at_ns);
    else
      smp.power_w = sensor.value_at(tr.profile, rd.at_ns);
    trace.append(smp);
  }
  // As ipw profile does it: the query alone in its stage, its energy the ledger's
  // share (the cumulative counter's difference), its provenance from the window.
  run::EnergyLedger ledger(
      run::ShareRule::fitted, 1, [&](int, std::int64_t t) { return trace.cumulative_j(t); }, {0.0},
      [&](int, std::int64_t a, std::int64_t b) { return trace.span_known(a, b); });
  ledger.begin(tr.t_start_ns);
  run::QueryActivity activity;
  activity.t_start_ns = tr.t_start_ns;
  activity.t_end_ns = tr.t_end_ns;
  ledger.add(activity);
  const auto shares = ledger.close(tr.t_end_ns);
  run::QueryRecord q;
  run::fill_energy([&](int, std::int64_t a, std::int64_t b) { return trace.energy_between(a, b); }, {0},
                   shares.at(0), tr.t_start_ns, 0, tr.t_end_ns, q);
  if (flags_out) *flags_out = q.energy_flags;
  if (!q.energy_j) throw std::runtime_error("ipw gave no energy for a bracketed window");
  return *q.energy_j;
}

// The reference harness: `while True: v = read(); samples.append((now(), v)); sleep(period)`.
// Samples are stamped on receipt; the window's energy is the last counter sample
// inside it minus the first (counters) or Σ P_i·(s_i − s_{i−1}) over the samples
// stamped inside it (power). With too few samples inside it falls back, more
// charitably than a plain harness would, to the nearest power × duration.
inline double baseline_energy(const Trial& tr, const SensorModel& s, const ReadTiming& rt,
                              std::mt19937_64& rng) {
  std::normal_distribution<double> jitter(0.0, std::max(rt.jitter_ns, 1e-9));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::exponential_distribution<double> extra(rt.receipt_mean_extra_ns > 0 ? 1.0 / rt.receipt_mean_extra_ns
                                                                            : 1.0);
  struct Stamped {
    std::int64_t t_ns;
    double v;
  };
  std::vector<Stamped> xs;
  std::int64_t wake = static_cast<std::int64_t>(unit(rng) * static_cast<double>(rt.period_ns));
  while (xs.empty() || xs.back().t_ns <= tr.t_trace_end_ns) {
    const std::int64_t at = wake + static_cast<std::int64_t>(unit(rng) * static_cast<double>(s.read_latency_ns));
    const double v = s.value_at(tr.profile, at);
    std::int64_t receipt = at + rt.receipt_min_ns;
    if (rt.receipt_mean_extra_ns > 0) receipt += static_cast<std::int64_t>(extra(rng));
    xs.push_back({receipt, v});
    wake = receipt + rt.period_ns + static_cast<std::int64_t>(std::abs(jitter(rng)));
    if (unit(rng) < rt.stall_probability) wake += rt.stall_ns;
  }
  std::size_t first = xs.size(), last = xs.size();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].t_ns < tr.t_start_ns || xs[i].t_ns > tr.t_end_ns) continue;
    if (first == xs.size()) first = i;
    last = i;
  }
  const double dur_s = static_cast<double>(tr.t_end_ns - tr.t_start_ns) * 1e-9;
  if (s.counter) {
    if (first != xs.size() && last > first) return xs[last].v - xs[first].v;
    // Fewer than two samples inside: the slope across the window × its length.
    std::size_t a = 0, b = xs.size() - 1;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (xs[i].t_ns < tr.t_start_ns) a = i;
      if (xs[i].t_ns > tr.t_end_ns) {
        b = i;
        break;
      }
    }
    return (xs[b].v - xs[a].v) / (static_cast<double>(xs[b].t_ns - xs[a].t_ns) * 1e-9) * dur_s;
  }
  if (first == xs.size()) {  // no sample inside: the last power before the window × its length
    double p = xs.front().v;
    for (const auto& x : xs)
      if (x.t_ns < tr.t_start_ns) p = x.v;
    return p * dur_s;
  }
  double e = 0;
  for (std::size_t i = std::max<std::size_t>(first, 1); i <= last; ++i)
    e += xs[i].v * static_cast<double>(xs[i].t_ns - xs[i - 1].t_ns) * 1e-9;
  return e;
}

inline TrialResult run_trial(const Trial& tr, const SensorModel& s, const ReadTiming& ipw_timing,
                             const ReadTiming& baseline_timing, std::mt19937_64& rng) {
  TrialResult r;
  r.truth_j = tr.profile.energy_between(tr.t_start_ns, tr.t_end_ns);
  r.ipw_j = ipw_energy(tr, s, ipw_timing, rng, &r.ipw_flags);
  EdgeReads edges;
  edges.on = true;
  r.ipw_edges_j = ipw_energy(tr, s, ipw_timing, rng, nullptr, edges);
  r.baseline_j = baseline_energy(tr, s, baseline_timing, rng);
  return r;
}

struct Stats {
  double median = 0, p95 = 0;
};
// Nearest-rank percentiles of |errors|.
inline Stats stats(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
  };
  return {rank(0.5), rank(0.95)};
}

}  // namespace ipw::bench
