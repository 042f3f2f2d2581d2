#include "ipw/telemetry/latched_counter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace ipw::telemetry {
namespace {

// A grid is trusted this many periods away from the precise latch it starts
// from: the period is known to ~0.1 %, so 64 periods drift by well under T/8.
constexpr std::int64_t kGridReachPeriods = 64;

}  // namespace

LatchedCounter::LatchedCounter(std::int64_t update_period_ns) : period_ns_(update_period_ns) {
  if (update_period_ns <= 0) throw std::invalid_argument("LatchedCounter: update period must be > 0");
}

void LatchedCounter::append(std::int64_t t_ns, double value_j) {
  if (last_read_ns_ && t_ns < *last_read_ns_) {
    throw std::invalid_argument("LatchedCounter::append: reads out of time order");
  }
  const bool changed = latches_.empty() || value_j != latches_.back().value_j;
  if (changed) {
    // The source updates every period, so the value seen at t was latched within
    // the last period even when the previous read is older than that.
    std::int64_t lo = t_ns - period_ns_;
    if (last_read_ns_) lo = std::max(lo, *last_read_ns_);
    latches_.push_back({lo, t_ns, value_j});
    if (precise(latches_.back())) precise_.push_back(latches_.size() - 1);
  }
  last_read_ns_ = t_ns;
}

std::int64_t LatchedCounter::instant_ns(std::size_t k) const {
  const Latch& l = latches_.at(k);
  const std::int64_t mid = l.lo_ns + (l.hi_ns - l.lo_ns) / 2;
  if (precise(l)) return mid;

  // The nearest precise latches on each side, if within the grid's reach.
  const auto it = std::lower_bound(precise_.begin(), precise_.end(), k);
  const std::int64_t reach = kGridReachPeriods * period_ns_;
  auto anchor_of = [&](std::size_t idx) -> std::optional<std::int64_t> {
    const Latch& p = latches_[idx];
    const std::int64_t u = p.lo_ns + (p.hi_ns - p.lo_ns) / 2;
    if (std::llabs(u - l.hi_ns) > reach) return std::nullopt;
    return u;
  };
  const std::optional<std::int64_t> before = it != precise_.begin() ? anchor_of(*(it - 1)) : std::nullopt;
  const std::optional<std::int64_t> after = it != precise_.end() ? anchor_of(*it) : std::nullopt;
  if (!before && !after) return mid;

  // Between two precise latches the period is measured, not assumed: the
  // source's clock and ours drift apart by tens of ppm.
  double period = static_cast<double>(period_ns_);
  if (before && after) {
    const double span = static_cast<double>(*after - *before);
    const double n = std::round(span / period);
    if (n >= 1) period = span / n;
  }
  const std::int64_t anchor =
      (before && after) ? (l.hi_ns - *before <= *after - l.hi_ns ? *before : *after) : (before ? *before : *after);
  const double steps = std::floor(static_cast<double>(l.hi_ns - anchor) / period);
  const auto grid = anchor + static_cast<std::int64_t>(std::llround(steps * period));
  if (grid > l.lo_ns && grid <= l.hi_ns) return grid;
  return mid;  // the source skipped or slipped an update: the bounds are all we know
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
    const auto p = n >= 2 ? power_between(0, 1) : std::nullopt;
    if (!p) return std::nullopt;
    return latches_[0].value_j - *p * static_cast<double>(first - t_ns);
  }
  // The last latch whose instant is <= t. Every latch before the first one with
  // lo >= t has lo < t, and its instant may still fall after t.
  auto j = static_cast<std::size_t>(
      std::partition_point(latches_.begin(), latches_.end(), [&](const Latch& l) { return l.lo_ns < t_ns; }) -
      latches_.begin());
  std::size_t k = j - 1;  // j >= 1: latch 0's lo < its instant <= t
  if (k > 0 && instant_ns(k) > t_ns) --k;

  const double v0 = latches_[k].value_j;
  const std::int64_t u0 = instant_ns(k);
  if (k + 1 == n) {  // after the last latch: hold the last interval's power
    const auto p = n >= 2 ? power_between(n - 2, n - 1) : std::nullopt;
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
