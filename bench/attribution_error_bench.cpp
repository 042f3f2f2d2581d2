// Attribution error against known energy (docs/BENCHMARKS.md), in simulated
// time: synthetic power profiles with exact integrals (steps, ramps, spikes,
// LLM prefill-spike/decode-plateau), query windows of 20 ms – 60 s, sampling
// periods of 1 – 100 ms, counter and power-only sensors. For each configuration
// it prints the median and p95 |error| of ipw (DomainTrace + run::attribute) and
// of the receipt-stamped baseline (attribution_sim.h), as Markdown tables.
//
// usage: attribution_error_bench [--seed N] [--quick]
// Deterministic for a seed; --quick runs a tenth of the trials.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "attribution_sim.h"

namespace {

using ipw::bench::PowerProfile;
using ipw::bench::ReadTiming;
using ipw::bench::SensorModel;
using ipw::bench::Trial;

constexpr std::int64_t kMs = 1'000'000;

enum class Shape { step, ramp, spikes, llm };
constexpr Shape kShapes[] = {Shape::step, Shape::ramp, Shape::spikes, Shape::llm};
const char* name(Shape s) {
  switch (s) {
    case Shape::step: return "steps";
    case Shape::ramp: return "ramps";
    case Shape::spikes: return "spikes";
    case Shape::llm: return "prefill+decode";
  }
  return "?";
}

double uni(std::mt19937_64& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
std::int64_t uni_ns(std::mt19937_64& rng, double a_ms, double b_ms) {
  return static_cast<std::int64_t>(uni(rng, a_ms, b_ms) * 1e6);
}

// A query of length tau on an idle machine. The load starts a little after the
// request is sent (lag) and ends a little before its last byte arrives.
Trial make_trial(Shape shape, std::int64_t tau, std::mt19937_64& rng) {
  Trial tr;
  tr.t_start_ns = 500 * kMs + uni_ns(rng, 0, 100);
  tr.t_end_ns = tr.t_start_ns + tau;
  tr.t_trace_end_ns = tr.t_end_ns + 500 * kMs;
  const double idle = uni(rng, 40, 80);
  const std::int64_t on = tr.t_start_ns + uni_ns(rng, 0, 2), off = tr.t_end_ns - uni_ns(rng, 0, 2);
  PowerProfile& p = tr.profile;
  p.add(0, idle);
  p.add(on, idle);
  switch (shape) {
    case Shape::step: {  // levels changing at 1–3 random instants
      const int changes = 1 + static_cast<int>(rng() % 3);
      std::vector<std::int64_t> at;
      for (int i = 0; i < changes; ++i) at.push_back(on + static_cast<std::int64_t>(uni(rng, 0, 1) * static_cast<double>(off - on)));
      std::sort(at.begin(), at.end());
      double level = uni(rng, 100, 400);
      p.add(on, level);
      for (std::int64_t t : at) {
        p.add(t, level);
        level = uni(rng, 100, 400);
        p.add(t, level);
      }
      p.add(off, level);
      p.add(off, idle);
      break;
    }
    case Shape::ramp: {  // ramp up over 10–50 % of the query, then drift to another level
      const std::int64_t top = on + static_cast<std::int64_t>(uni(rng, 0.1, 0.5) * static_cast<double>(off - on));
      p.add(top, uni(rng, 150, 400));
      p.add(off, uni(rng, 100, 400));
      p.add(off + 5 * kMs, idle);
      break;
    }
    case Shape::spikes: {  // a plateau with 1–10 ms triangular spikes, about one per 100 ms
      const double base = uni(rng, 100, 250);
      p.add(on, base);
      const std::int64_t n = std::clamp<std::int64_t>(tau / (100 * kMs), 1, 600);
      const std::int64_t slot = (off - on) / n;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t w = std::min(uni_ns(rng, 1, 10), slot / 2);
        const std::int64_t a = on + i * slot + static_cast<std::int64_t>(uni(rng, 0, 1) * static_cast<double>(slot - w));
        p.add(a, base);
        p.add(a + w / 2, base + uni(rng, 100, 300));
        p.add(a + w, base);
      }
      p.add(off, base);
      p.add(off, idle);
      break;
    }
    case Shape::llm: {  // prefill spike, then a decode plateau with per-token ripple
      const std::int64_t rise = on + std::min<std::int64_t>(2 * kMs, (off - on) / 10);
      const std::int64_t prefill_end = std::min(rise + uni_ns(rng, 10, 250), on + (off - on) * 3 / 10);
      const std::int64_t settle = prefill_end + std::min<std::int64_t>(2 * kMs, (off - prefill_end) / 10);
      const double pre = uni(rng, 300, 450), dec = uni(rng, 180, 280);
      p.add(rise, pre);
      p.add(prefill_end, pre);
      p.add(settle, dec);
      p.add(off, dec);
      p.add(off + 3 * kMs, idle);
      p.add_ripple(settle, off, uni(rng, 5, 25), uni(rng, 20, 60));
      break;
    }
  }
  return tr;
}

struct Source {
  SensorModel model;
  std::string label;
};

std::vector<Source> sources() {
  SensorModel rapl{"rapl", true, 1e-6, 976'000, 20'000};
  SensorModel nvml{"nvml", true, 1e-3, 10 * kMs, 200'000};
  SensorModel power{"power", false, 1e-3, 10 * kMs, 100'000};
  return {{rapl, "counter µJ, updates every 0.976 ms (RAPL-like)"},
          {nvml, "counter mJ, updates every 10 ms (NVML-like)"},
          {power, "power-only, mean over its 10 ms update interval, 1 mW (INA3221/NVML-power-like)"}};
}

// ipw's sampler thread (C++, steady_clock) and the reference harness's Python loop.
ReadTiming ipw_timing(std::int64_t period) { return {period, 100'000, 0.001, 5 * kMs, 0, 0}; }
ReadTiming baseline_timing(std::int64_t period) { return {period, 200'000, 0.001, 5 * kMs, 500'000, 1'000'000}; }

struct Cell {
  ipw::bench::Stats ipw, edges, baseline;
  std::size_t n = 0;
};

Cell run_config(const Source& src, std::int64_t period, std::int64_t tau, int per_shape,
                const std::vector<Shape>& shapes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> e_ipw, e_edges, e_base;
  for (Shape sh : shapes) {
    for (int i = 0; i < per_shape; ++i) {
      const Trial tr = make_trial(sh, tau, rng);
      SensorModel s = src.model;
      s.phase_ns = static_cast<std::int64_t>(uni(rng, 0, 1) * static_cast<double>(s.update_ns));
      s.offset_j = std::floor(uni(rng, 1e3, 1e5));
      const auto r = ipw::bench::run_trial(tr, s, ipw_timing(period), baseline_timing(period), rng);
      e_ipw.push_back(ipw::bench::rel_error_pct(r.ipw_j, r.truth_j));
      e_edges.push_back(ipw::bench::rel_error_pct(r.ipw_edges_j, r.truth_j));
      e_base.push_back(ipw::bench::rel_error_pct(r.baseline_j, r.truth_j));
    }
  }
  return {ipw::bench::stats(e_ipw), ipw::bench::stats(e_edges), ipw::bench::stats(e_base), e_ipw.size()};
}

std::string pct(double v) { return v < 0.01 ? fmt::format("{:.4f}", v) : v < 10 ? fmt::format("{:.3f}", v) : fmt::format("{:.1f}", v); }
std::string ratio(double base, double ipw) { return ipw > 0 ? fmt::format("{:.1f}×", base / ipw) : "∞"; }
std::string dur(std::int64_t ns) { return ns < 1'000'000'000 ? fmt::format("{} ms", ns / kMs) : fmt::format("{} s", ns / 1'000'000'000); }

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 20261125;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--quick]\n", argv[0]);
      return 2;
    }
  }
  const std::vector<std::int64_t> periods = {1 * kMs, 10 * kMs, 50 * kMs, 100 * kMs};
  const std::vector<std::int64_t> taus = {20 * kMs, 100 * kMs, 1000 * kMs, 10'000 * kMs, 60'000 * kMs};
  const std::vector<Shape> all(std::begin(kShapes), std::end(kShapes));
  auto per_shape = [&](std::int64_t tau) {
    const int n = tau <= 1000 * kMs ? 100 : tau <= 10'000 * kMs ? 25 : 10;
    return quick ? std::max(2, n / 10) : n;
  };

  fmt::print("Seed {}; |error| in % of the exact energy; n trials per row, equally many of each shape "
             "(steps, ramps, spikes, prefill+decode).\n\n", seed);
  for (const Source& src : sources()) fmt::print("* `{}`: {}\n", src.model.name, src.label);
  fmt::print("\n| source | period | query | n | ipw median | ipw p95 | +edge reads median | +edge reads p95 | "
             "baseline median | baseline p95 | ipw better by (median, p95) | target ipw / +edges |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::uint64_t config = 0;
  for (const Source& src : sources()) {
    for (std::int64_t period : periods) {
      for (std::int64_t tau : taus) {
        const Cell c = run_config(src, period, tau, per_shape(tau), all, seed * 1000003 + ++config);
        std::string target = "";
        auto met = [](const ipw::bench::Stats& st) { return st.median <= 0.5 && st.p95 <= 2.0 ? "met" : "MISSED"; };
        if (src.model.counter && period == 10 * kMs && tau >= 100 * kMs)
          target = fmt::format("{} / {}", met(c.ipw), met(c.edges));
        fmt::print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}, {} | {} |\n", src.model.name, dur(period),
                   dur(tau), c.n, pct(c.ipw.median), pct(c.ipw.p95), pct(c.edges.median), pct(c.edges.p95),
                   pct(c.baseline.median), pct(c.baseline.p95), ratio(c.baseline.median, c.ipw.median),
                   ratio(c.baseline.p95, c.ipw.p95), target);
        std::fflush(stdout);
      }
    }
  }

  fmt::print("\nBy shape, 10 ms sampling (median / p95 |error| %):\n\n| source | query | shape | ipw | +edge reads | baseline |\n"
             "|---|---|---|---|---|---|\n");
  for (const Source& src : sources()) {
    for (std::int64_t tau : {100 * kMs, 1000 * kMs}) {
      for (Shape sh : kShapes) {
        const Cell c = run_config(src, 10 * kMs, tau, per_shape(tau) * 2, {sh}, seed * 1000003 + ++config);
        fmt::print("| {} | {} | {} | {} / {} | {} / {} | {} / {} |\n", src.model.name, dur(tau), name(sh),
                   pct(c.ipw.median), pct(c.ipw.p95), pct(c.edges.median), pct(c.edges.p95), pct(c.baseline.median),
                   pct(c.baseline.p95));
      }
    }
  }
  return 0;
}
