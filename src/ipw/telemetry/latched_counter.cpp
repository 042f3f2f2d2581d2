#include "ipw/telemetry/latched_counter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace ipw::telemetry {
namespace {

// Anchors for the grid are sought this many periods away at most (a grid point
// is used only while its own uncertainty stays under half a period, see place()).
constexpr std::int64_t kGridReachPeriods = 64;
// Until precise latches measure it better, the detected period is trusted to
// this fraction. Detection times it over >= 200 ms between tightly bounded changes
// (update_period.h): 0.03 % off on this VM under moderate load, but with the ASan
// suite running beside it (load average 26) 25 detections of a 10 ms counter read
// 9.53-11.78 ms, and a window whose edges were placed on a grid counted at the
// detected period then claimed 1 % and was off by half a period. So the grid is
// counted at the detected period only a step or two; precise latches measure the
// period (consecutive ones to a poll step or two, longer unambiguous spans finely)
// before longer counts are made.
constexpr double kDetectedPeriodUncertainty = 0.2;

}  // namespace

LatchedCounter::LatchedCounter(std::int64_t update_period_ns, std::int64_t period_uncertainty_ns)
    : period_ns_(update_period_ns),
      period_{static_cast<double>(update_period_ns),
              period_uncertainty_ns > 0 ? static_cast<double>(period_uncertainty_ns)
                                        : kDetectedPeriodUncertainty * static_cast<double>(update_period_ns)} {
  if (update_period_ns <= 0) throw std::invalid_argument("LatchedCounter: update period must be > 0");
}

void LatchedCounter::append(std::int64_t t_ns, double value_j, std::int64_t read_ns) {
  if (last_read_ns_ && t_ns < *last_read_ns_) {
    throw std::invalid_argument("LatchedCounter::append: reads out of time order");
  }
  if (read_ns < 0) throw std::invalid_argument("LatchedCounter::append: negative read duration");
  const bool changed = latches_.empty() || value_j != latches_.back().value_j;
  if (changed) {
    // The source updates every period, so the value seen at t was latched within
    // the last period even when the previous read is older than that. A read that
    // still showed the old value began before the latch: its start bounds it below.
    std::int64_t lo = t_ns - static_cast<std::int64_t>(std::ceil(period_.ns + period_.sigma_ns));
    if (last_read_ns_) lo = std::max(lo, *last_read_ns_);
    latches_.push_back({lo, t_ns + read_ns, value_j});
    const std::size_t k = latches_.size() - 1;
    if (precise(latches_[k])) {
      precise_.push_back(k);
      refine_period(k);
    }
  }
  last_read_ns_ = t_ns;
}

std::optional<LatchedCounter::Period> LatchedCounter::period_over(std::size_t a, std::size_t b, Period p) const {
  const double span = static_cast<double>(midpoint(latches_[b]) - midpoint(latches_[a]));
  const double x = span / p.ns;
  const double n = std::round(x);
  // Each latch is at least one update: fewer periods than latches is a miscount.
  if (n < static_cast<double>(b - a)) return std::nullopt;
  const double edges_ns = half_width(latches_[a]) + half_width(latches_[b]);
  // The true count lies within x ± this; it is unambiguous if no half-integer does.
  const double uncertainty = (n * p.sigma_ns + edges_ns) / p.ns;
  if (std::abs(x - n) + uncertainty >= 0.5) return std::nullopt;
  return Period{span / n, edges_ns / n};
}

void LatchedCounter::refine_period(std::size_t k) {
  // Back through the earlier precise latches: each longer span with an
  // unambiguous count measures the period more finely, and the finer period
  // makes the next, longer span's count unambiguous.
  const double reach = static_cast<double>(kGridReachPeriods * period_ns_);
  for (std::size_t i = precise_.size() - 1; i-- > 0;) {
    const std::size_t a = precise_[i];
    if (static_cast<double>(midpoint(latches_[k]) - midpoint(latches_[a])) > reach) break;
    const auto p = period_over(a, k, period_);
    if (p && p->sigma_ns < period_.sigma_ns) period_ = *p;
  }
}

std::int64_t LatchedCounter::instant_ns(std::size_t k) const { return place(k).ns; }

std::int64_t LatchedCounter::uncertainty_ns(std::size_t k) const { return place(k).uncertainty_ns; }

LatchedCounter::Placed LatchedCounter::place(std::size_t k) const {
  const Latch& l = latches_.at(k);
  // Bounds wider than a period may hold several updates: the value then jumped in
  // steps the one instant cannot show, and C(t) between them may be off by the whole
  // width, not half of it.
  const std::int64_t width_ns = l.hi_ns - l.lo_ns;
  const bool several = static_cast<double>(width_ns) > period_.ns - period_.sigma_ns;
  const Placed mid{midpoint(l), several ? width_ns : (width_ns + 1) / 2};
  if (precise(l)) return mid;

  // The nearest precise latches on each side, if within the grid's reach.
  const auto it = std::lower_bound(precise_.begin(), precise_.end(), k);
  const std::int64_t reach = kGridReachPeriods * period_ns_;
  auto anchor_of = [&](auto pos) -> std::optional<std::size_t> {
    if (std::llabs(midpoint(latches_[*pos]) - l.hi_ns) > reach) return std::nullopt;
    return *pos;
  };
  const std::optional<std::size_t> before = it != precise_.begin() ? anchor_of(it - 1) : std::nullopt;
  const std::optional<std::size_t> after = it != precise_.end() ? anchor_of(it) : std::nullopt;
  if (!before && !after) return mid;

  // Between two precise latches the period is measured across them when the
  // count is unambiguous: the source's clock and ours drift apart by tens of ppm.
  Period period = period_;
  if (before && after) {
    const auto p = period_over(*before, *after, period_);
    if (p && p->sigma_ns < period.sigma_ns) period = *p;
  }
  const std::size_t a = (before && after) ? (l.hi_ns - midpoint(latches_[*before]) <=
                                                     midpoint(latches_[*after]) - l.hi_ns
                                                 ? *before
                                                 : *after)
                                          : (before ? *before : *after);
  const double anchor = static_cast<double>(midpoint(latches_[a]));
  const double lo = static_cast<double>(l.lo_ns), hi = static_cast<double>(l.hi_ns);
  // Grid points near the bounds. One inside them is the latch. With none inside,
  // one within its uncertainty (the anchor's half-width plus the period's error
  // times the steps counted) is clamped into them: the bounds are certain.
  std::optional<double> inside, near;
  double inside_tol = 0, near_tol = 0;
  int inside_count = 0, near_count = 0;
  bool too_far = false;
  const auto m_lo = static_cast<long long>(std::floor((lo - anchor) / period.ns)) - 1;
  const auto m_hi = static_cast<long long>(std::ceil((hi - anchor) / period.ns)) + 1;
  for (long long m = m_lo; m <= m_hi; ++m) {
    if (m == 0) continue;
    const double g = anchor + static_cast<double>(m) * period.ns;
    const double tol = half_width(latches_[a]) + static_cast<double>(std::llabs(m)) * period.sigma_ns;
    // So far out the grid could be a whole step off: a candidate that may then lie in
    // the bounds makes every other one there ambiguous too (skipping it alone once
    // left its neighbour looking unique, 9 ms off with a 5 ms claim).
    if (tol >= period.ns / 2) {
      too_far = too_far || (g + tol > lo && g - tol <= hi);
      continue;
    }
    if (g > lo && g <= hi) {
      inside = g;
      inside_tol = tol;
      ++inside_count;
    } else if (g + tol > lo && g - tol <= hi) {
      near = g;
      near_tol = tol;
      ++near_count;
    }
  }
  std::optional<double> fit;
  double tol = 0;
  // A grid point just outside the bounds is as plausible as one inside when the
  // grid's own error spans the gap: bounds wider than a period (a read a period or
  // more after the last) can then hold two updates, and which one the value shows
  // is unknown. The one inside is still the likelier instant, but its error bound
  // reaches the other candidate, so a window edge that rests on it is flagged.
  if (too_far) {
    // the grid is no better than the bounds here
  } else if (inside_count == 1) {
    fit = inside;
    tol = inside_tol;
    if (near_count > 0) tol = std::max(tol, std::abs(*near - *inside) + near_tol);
  } else if (inside_count == 0 && near_count == 1) {
    fit = near;
    tol = near_tol;
  }
  if (!fit) return mid;  // the source slipped, or the bounds hold several updates: they are all we know
  const std::int64_t ns = std::clamp(static_cast<std::int64_t>(std::llround(*fit)), l.lo_ns + 1, l.hi_ns);
  // The bounds cap the error, from where the instant was put: a point near one bound
  // may be almost the whole width off (half the width bounds only the midpoint).
  const std::int64_t bounded_ns = several ? width_ns : std::max(ns - l.lo_ns, l.hi_ns - ns);
  return {ns, std::min(bounded_ns, static_cast<std::int64_t>(std::ceil(tol)))};
}

std::optional<std::int64_t> LatchedCounter::uncertainty_at(std::int64_t t_ns) const {
  const std::size_t n = latches_.size();
  if (n == 0) return std::nullopt;
  const std::size_t k = latch_before(t_ns);
  const Placed a = place(k);
  if (k + 1 == n || t_ns <= a.ns) {
    // Outside the latches at() holds the edge interval's power, measured between two
    // placed instants: each misplacement tilts it, and the tilt grows with the
    // distance held (a latch off by u at each end of a period T is 2u/T of the power).
    if (n < 2) return a.uncertainty_ns;
    const Placed other = place(k + 1 == n ? edge_partner(true) : edge_partner(false));
    const std::int64_t span_ns = std::abs(a.ns - other.ns);
    if (span_ns == 0) return a.uncertainty_ns;
    const double held_ns = static_cast<double>(std::abs(t_ns - a.ns));
    return std::llround(static_cast<double>(a.uncertainty_ns) +
                        held_ns * static_cast<double>(a.uncertainty_ns + other.uncertainty_ns) /
                            static_cast<double>(span_ns));
  }
  // Interpolated between the two instants, C(t) moves with each in proportion
  // to its weight: the latch just before t decides a value just after it.
  const Placed b = place(k + 1);
  if (b.ns <= a.ns || t_ns >= b.ns) return std::max(a.uncertainty_ns, b.uncertainty_ns);
  const double wb = static_cast<double>(t_ns - a.ns) / static_cast<double>(b.ns - a.ns);
  const double placement_ns = (1.0 - wb) * static_cast<double>(a.uncertainty_ns) + wb * static_cast<double>(b.uncertainty_ns);
  // Inside the interval at() may bend the line into a two-level step fitted to the
  // neighbours' power, which rest on their own placements: how far it bends is as
  // uncertain as anything else here, so it counts too (as time at the mean power).
  const double v0 = latches_[k].value_j, v1 = latches_[k + 1].value_j;
  const double mean = (v1 - v0) / static_cast<double>(b.ns - a.ns);
  const auto v = at(t_ns);
  const double bend_ns = (v && mean > 0) ? std::abs(*v - (v0 + (v1 - v0) * wb)) / mean : 0.0;
  return std::llround(placement_ns + bend_ns);
}

std::size_t LatchedCounter::latch_before(std::int64_t t_ns) const {
  // The last latch whose instant is <= t (0 when t is before them all). Every
  // latch before the first one with lo >= t has lo < t, and its instant may
  // still fall after t.
  const auto j = static_cast<std::size_t>(
      std::partition_point(latches_.begin(), latches_.end(), [&](const Latch& l) { return l.lo_ns < t_ns; }) -
      latches_.begin());
  std::size_t k = j == 0 ? 0 : j - 1;
  if (k > 0 && instant_ns(k) > t_ns) --k;
  return k;
}

std::size_t LatchedCounter::edge_partner(bool last) const {
  // The power held outside the latches is measured over a period or more of placed
  // instants: two placed close together (a bounds' midpoint beside a precise latch)
  // would otherwise make it arbitrarily large (a stress run's `ipw energy` read 208 J
  // for 150 W x 1 s from such a pair).
  const std::size_t n = latches_.size();
  if (last) {
    std::size_t a = n - 2;
    const std::int64_t ub = instant_ns(n - 1);
    while (a > 0 && ub - instant_ns(a) < period_ns_) --a;
    return a;
  }
  std::size_t b = 1;
  const std::int64_t ua = instant_ns(0);
  while (b + 1 < n && instant_ns(b) - ua < period_ns_) ++b;
  return b;
}

std::optional<double> LatchedCounter::power_between(std::size_t a, std::size_t b) const {
  const std::int64_t ua = instant_ns(a);
  const std::int64_t ub = instant_ns(b);
  if (ub <= ua) return std::nullopt;
  return (latches_[b].value_j - latches_[a].value_j) / static_cast<double>(ub - ua);
}

std::optional<double> LatchedCounter::at(std::int64_t t_ns) const {
  const std::size_t n = latches_.size();
  if (n == 0) return std::nullopt;
  const std::int64_t first = instant_ns(0);
  if (t_ns < first) {
    // Before the first latch: hold the first interval's power backwards.
    const auto p = n >= 2 ? power_between(0, edge_partner(false)) : std::nullopt;
    if (!p) return std::nullopt;
    return latches_[0].value_j - *p * static_cast<double>(first - t_ns);
  }
  const std::size_t k = latch_before(t_ns);  // t >= latch 0's instant here

  const double v0 = latches_[k].value_j;
  const std::int64_t u0 = instant_ns(k);
  if (k + 1 == n) {  // after the last latch: hold the last interval's power
    const auto p = n >= 2 ? power_between(edge_partner(true), n - 1) : std::nullopt;
    return v0 + p.value_or(0.0) * static_cast<double>(t_ns - u0);
  }
  const std::int64_t u1 = instant_ns(k + 1);
  const double v1 = latches_[k + 1].value_j;
  if (u1 <= u0) return v1;
  const double mean = (v1 - v0) / static_cast<double>(u1 - u0);
  const auto left = k >= 1 ? power_between(k - 1, k) : std::nullopt;
  const auto right = k + 2 < n ? power_between(k + 1, k + 2) : std::nullopt;
  if (left.has_value() && right.has_value()) {
    const double pl = *left, pr = *right;
    if ((mean - pl) * (mean - pr) < 0) {
      // Power pl until s, pr after, with the interval's increase exact:
      // pl·(s − u0) + pr·(u1 − s) = v1 − v0.
      const double s = static_cast<double>(u0) + static_cast<double>(u1 - u0) * (mean - pr) / (pl - pr);
      const double t = static_cast<double>(t_ns);
      if (t <= s) return v0 + pl * (t - static_cast<double>(u0));
      return v0 + pl * (s - static_cast<double>(u0)) + pr * (t - s);
    }
  }
  return v0 + mean * static_cast<double>(t_ns - u0);
}

}  // namespace ipw::telemetry
