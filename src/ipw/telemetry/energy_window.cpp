#include "ipw/telemetry/energy_window.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace ipw::telemetry {
namespace {

constexpr double kNsToS = 1e-9;

bool usable(const std::optional<double>& v) { return v && std::isfinite(*v); }

std::optional<double> max_of(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

}  // namespace

std::string flags_to_string(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {kShortWindow, "short_window"}, {kGap, "gap"},         {kWrap, "wrap"},
      {kReset, "reset"},              {kPartial, "partial"},     {kCoarseEdges, "coarse_edges"},
      {kStale, "stale"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

DomainTrace::DomainTrace(DomainInfo info, TraceTiming timing)
    : info_(std::move(info)), timing_(timing) {
  if (timing_.latched && timing_.update_period_ns >= kLatchedMinPeriodNs &&
      info_.source == EnergySource::counter) {
    latched_.emplace(timing_.update_period_ns, timing_.update_period_uncertainty_ns);
  }
}

std::optional<std::int64_t> DomainTrace::first_t_ns() const {
  if (sample_t_.empty()) return std::nullopt;
  return sample_t_.front();
}

std::optional<std::int64_t> DomainTrace::last_t_ns() const {
  if (sample_t_.empty()) return std::nullopt;
  return sample_t_.back();
}

void DomainTrace::append(const Sample& s) {
  if (!sample_t_.empty()) {
    const std::int64_t prev = sample_t_.back();
    if (s.t_ns < prev) {
      throw std::invalid_argument("DomainTrace::append: samples of " + info_.domain +
                                  " out of time order");
    }
    if (timing_.sample_period_ns > 0 && s.t_ns - prev > 3 * timing_.sample_period_ns) {
      gaps_.push_back({prev, s.t_ns});
    }
  }
  sample_t_.push_back(s.t_ns);
  ++sample_count_;

  if (usable(s.energy_j)) {
    const double raw = *s.energy_j;
    if (!last_raw_j_) {
      offset_j_ = -raw;  // start the unwrapped counter at 0 J: small numbers keep precision
    } else if (raw < *last_raw_j_) {
      const Span span{counter_.back().t_ns, s.t_ns};
      // A wrap between two samples advances the counter by (raw + wrap - last).
      // Samples are taken many times per wrap period (RAPL wraps every minutes),
      // so a genuine wrap advances less than half the range; anything else is a
      // reset (driver reload, counter re-init) and must not be read as a wrap.
      const double advance_j = raw + info_.wrap_j - *last_raw_j_;
      if (info_.wrap_j > 0 && advance_j >= 0 && advance_j <= info_.wrap_j / 2) {
        offset_j_ += info_.wrap_j;
        wraps_.push_back(span);
      } else {
        // Keep the unwrapped counter flat across the reset; windows spanning it
        // take their energy from power instead (see energy_between).
        offset_j_ = counter_.back().v - raw;
        resets_.push_back(span);
      }
    }
    const std::int64_t period_ns = timing_.update_period_ns > 0 ? timing_.update_period_ns : timing_.sample_period_ns;
    if (!last_raw_j_ || raw != *last_raw_j_) {
      last_change_ns_ = s.t_ns;
    } else if (period_ns > 0 && s.t_ns - last_change_ns_ > kStalePeriods * period_ns) {
      if (!stale_.empty() && stale_.back().from_ns == last_change_ns_) {
        stale_.back().to_ns = s.t_ns;
      } else {
        stale_.push_back({last_change_ns_, s.t_ns});
      }
    }
    last_raw_j_ = raw;
    counter_.push_back({s.t_ns, raw + offset_j_});
    if (latched_) latched_->append(s.t_ns, raw + offset_j_, s.read_ns);
  }
  if (usable(s.power_w)) {
    double cum = 0.0;
    if (!power_.empty()) {
      const Point& p = power_.back();
      cum = power_cum_j_.back() +
            static_cast<double>(s.t_ns - p.t_ns) * kNsToS * (p.v + *s.power_w) / 2.0;
    }
    power_.push_back({s.t_ns, *s.power_w});
    power_cum_j_.push_back(cum);
  }
  if (usable(s.temperature_c)) temperature_.push_back({s.t_ns, *s.temperature_c});
  if (usable(s.memory_mb)) memory_.push_back({s.t_ns, *s.memory_mb});
}

bool DomainTrace::overlaps(const std::vector<Span>& spans, std::int64_t t0, std::int64_t t1) {
  // Spans are disjoint and in time order, so both ends are sorted.
  auto it = std::partition_point(spans.begin(), spans.end(),
                                 [t0](const Span& s) { return s.to_ns <= t0; });
  return it != spans.end() && it->from_ns < t1;
}

std::optional<double> DomainTrace::interpolate(const std::vector<Point>& pts, std::int64_t t) {
  if (pts.empty()) return std::nullopt;
  if (t <= pts.front().t_ns) return pts.front().v;
  if (t >= pts.back().t_ns) return pts.back().v;
  auto hi = std::upper_bound(pts.begin(), pts.end(), t,
                             [](std::int64_t x, const Point& p) { return x < p.t_ns; });
  const Point& b = *hi;
  const Point& a = *(hi - 1);  // a.t <= t < b.t, so b.t > a.t
  const double f = static_cast<double>(t - a.t_ns) / static_cast<double>(b.t_ns - a.t_ns);
  return a.v + (b.v - a.v) * f;
}

std::optional<double> DomainTrace::counter_slope_at(std::int64_t t) const {
  if (counter_.size() < 2) return std::nullopt;
  std::size_t hi;
  if (t <= counter_.front().t_ns) {
    hi = 1;
  } else if (t >= counter_.back().t_ns) {
    hi = counter_.size() - 1;
  } else {
    hi = static_cast<std::size_t>(
        std::upper_bound(counter_.begin(), counter_.end(), t,
                         [](std::int64_t x, const Point& p) { return x < p.t_ns; }) -
        counter_.begin());
  }
  const Point& a = counter_[hi - 1];
  const Point& b = counter_[hi];
  if (b.t_ns <= a.t_ns) return std::nullopt;
  if (overlaps(resets_, a.t_ns, b.t_ns)) return std::nullopt;  // flat by construction
  return (b.v - a.v) / (static_cast<double>(b.t_ns - a.t_ns) * kNsToS);
}

std::optional<double> DomainTrace::power_at(std::int64_t t) const {
  if (!power_.empty()) return interpolate(power_, t);
  if (has_counter()) return counter_slope_at(t);
  return std::nullopt;
}

std::optional<double> DomainTrace::latest_power_w() const {
  if (sample_t_.empty()) return std::nullopt;
  return power_at(sample_t_.back());
}

std::optional<double> DomainTrace::cumulative_j(std::int64_t t_ns) const {
  if (!has_counter()) return power_integral_to(t_ns);
  const auto c = counter_at(t_ns);
  if (!c) return std::nullopt;
  // The unwrapped counter is held flat across a reset; what the source drew meanwhile
  // is its measured power's integral, when it reports power (span_known says if not).
  // The same for the stretches it was frozen (stale).
  double power_j = 0;
  for (const std::vector<Span>* spans : {&resets_, &stale_}) {
    for (const Span& r : *spans) {
      if (r.from_ns >= t_ns || power_.empty()) break;
      const auto p0 = power_integral_to(r.from_ns), p1 = power_integral_to(std::min(t_ns, r.to_ns));
      if (p0 && p1) power_j += *p1 - *p0;
    }
  }
  return *c + power_j;
}

bool DomainTrace::span_known(std::int64_t t0_ns, std::int64_t t1_ns) const {
  return !has_counter() || !power_.empty() || (!overlaps(resets_, t0_ns, t1_ns) && !overlaps(stale_, t0_ns, t1_ns));
}

std::optional<double> DomainTrace::counter_at(std::int64_t t) const {
  if (counter_.empty()) return std::nullopt;
  if (latched_) {
    if (auto v = latched_->at(t)) return v;
  }
  const Point& first = counter_.front();
  const Point& last = counter_.back();
  if (t >= first.t_ns && t <= last.t_ns) return interpolate(counter_, t);
  // Outside the sampled range: hold the edge power (the counter's own slope
  // first, measured power otherwise). The window is flagged kPartial.
  const Point& edge = t < first.t_ns ? first : last;
  std::optional<double> p = counter_slope_at(edge.t_ns);
  if (!p) p = interpolate(power_, edge.t_ns);
  if (!p) return std::nullopt;
  return edge.v + *p * static_cast<double>(t - edge.t_ns) * kNsToS;
}

std::optional<double> DomainTrace::power_integral_to(std::int64_t t) const {
  if (power_.empty()) return std::nullopt;
  const Point& first = power_.front();
  const Point& last = power_.back();
  if (t <= first.t_ns) return -static_cast<double>(first.t_ns - t) * kNsToS * first.v;
  if (t >= last.t_ns) {
    return power_cum_j_.back() + static_cast<double>(t - last.t_ns) * kNsToS * last.v;
  }
  auto hi = std::upper_bound(power_.begin(), power_.end(), t,
                             [](std::int64_t x, const Point& p) { return x < p.t_ns; });
  const auto a = static_cast<std::size_t>(hi - power_.begin()) - 1;
  const double p_t = *interpolate(power_, t);
  return power_cum_j_[a] +
         static_cast<double>(t - power_[a].t_ns) * kNsToS * (power_[a].v + p_t) / 2.0;
}

int DomainTrace::count_samples(std::int64_t t0, std::int64_t t1) const {
  auto lo = std::lower_bound(sample_t_.begin(), sample_t_.end(), t0);
  auto hi = std::upper_bound(sample_t_.begin(), sample_t_.end(), t1);
  return static_cast<int>(hi - lo);
}

std::optional<double> DomainTrace::peak_power(std::int64_t t0, std::int64_t t1) const {
  std::optional<double> peak = max_of(power_at(t0), power_at(t1));
  if (!power_.empty()) {
    for (const Point& p : power_) {
      if (p.t_ns > t0 && p.t_ns < t1) peak = max_of(peak, p.v);
    }
    return peak;
  }
  if (!has_counter()) return peak;
  // Counter only: the slope of every sampling interval overlapping the window.
  auto it = std::upper_bound(counter_.begin(), counter_.end(), t0,
                             [](std::int64_t x, const Point& p) { return x < p.t_ns; });
  auto i = static_cast<std::size_t>(std::max<std::ptrdiff_t>(1, it - counter_.begin()));
  for (; i < counter_.size() && counter_[i - 1].t_ns < t1; ++i) {
    const Point& a = counter_[i - 1];
    const Point& b = counter_[i];
    if (b.t_ns <= a.t_ns || overlaps(resets_, a.t_ns, b.t_ns)) continue;
    peak = max_of(peak, (b.v - a.v) / (static_cast<double>(b.t_ns - a.t_ns) * kNsToS));
  }
  return peak;
}

WindowEnergy DomainTrace::energy_between(std::int64_t t0, std::int64_t t1) const {
  if (t1 < t0) {
    throw std::invalid_argument("DomainTrace::energy_between: t1 < t0 for " + info_.domain);
  }
  WindowEnergy w;
  w.source = info_.source;
  w.samples = count_samples(t0, t1);
  if (sample_t_.empty()) return w;

  const std::int64_t dur_ns = t1 - t0;
  const double dur_s = static_cast<double>(dur_ns) * kNsToS;
  if (overlaps(gaps_, t0, t1)) w.flags |= kGap;
  const std::int64_t resolution_ns =
      timing_.update_period_ns > 0 ? timing_.update_period_ns : timing_.sample_period_ns;
  const bool short_window = resolution_ns > 0 && dur_ns < resolution_ns;
  if (short_window) w.flags |= kShortWindow;
  auto mark_partial = [&](const std::vector<Point>& series) {
    if (series.empty() || t0 < series.front().t_ns || t1 > series.back().t_ns) {
      w.flags |= kPartial;
    }
  };
  auto integrate_power = [&] {
    mark_partial(power_);
    const auto f0 = power_integral_to(t0);
    const auto f1 = power_integral_to(t1);
    if (f0 && f1) w.energy_j = *f1 - *f0;
  };

  if (has_counter()) {
    if (overlaps(wraps_, t0, t1)) w.flags |= kWrap;
    const bool reset = overlaps(resets_, t0, t1), stale = overlaps(stale_, t0, t1);
    if (reset || stale) {
      if (reset) w.flags |= kReset;
      if (stale) w.flags |= kStale;
      w.source = EnergySource::integrated;
      if (!power_.empty()) integrate_power();  // else unknown: never invent energy
    } else if (short_window) {
      // Too short for the counter to have moved reliably: power at the midpoint
      // (measured if the source reports it, else the counter's slope) x duration.
      mark_partial(counter_);
      const std::int64_t mid = t0 + dur_ns / 2;
      std::optional<double> p;
      if (!power_.empty()) {
        p = interpolate(power_, mid);
        w.source = EnergySource::integrated;
      } else {
        p = counter_slope_at(mid);
      }
      if (p) {
        w.energy_j = *p * dur_s;
      } else {  // no slope (one sample): the counter itself, if it brackets the window
        const auto c0 = counter_at(t0);
        const auto c1 = counter_at(t1);
        if (c0 && c1) w.energy_j = *c1 - *c0;
      }
    } else {
      mark_partial(counter_);
      const auto c0 = counter_at(t0);
      const auto c1 = counter_at(t1);
      if (c0 && c1) w.energy_j = *c1 - *c0;
      if (latched_) {
        // Polls starved by a loaded machine leave the latches at the edges known
        // only within their bounds (up to a period): say so rather than look exact.
        const auto u0 = latched_->uncertainty_at(t0), u1 = latched_->uncertainty_at(t1);
        if (u0 && u1 && (*u0 + *u1) * 100 > dur_ns) w.flags |= kCoarseEdges;
      }
    }
  } else if (!power_.empty()) {
    if (w.source == EnergySource::counter) w.source = EnergySource::integrated;
    integrate_power();
  } else {
    w.flags |= kPartial;  // samples exist but none carries energy or power
  }

  if (w.energy_j && dur_ns > 0) {
    w.mean_power_w = *w.energy_j / dur_s;
  } else if (dur_ns == 0) {
    w.mean_power_w = power_at(t0);
  }
  w.peak_power_w = peak_power(t0, t1);

  // Temperature: mean of the readings inside; a window between two readings
  // gets the interpolated value at its midpoint.
  {
    auto lo = std::lower_bound(temperature_.begin(), temperature_.end(), t0,
                               [](const Point& p, std::int64_t x) { return p.t_ns < x; });
    double sum = 0.0;
    int n = 0;
    for (auto it = lo; it != temperature_.end() && it->t_ns <= t1; ++it, ++n) sum += it->v;
    w.mean_temperature_c = n > 0 ? std::optional<double>(sum / n)
                                 : interpolate(temperature_, t0 + dur_ns / 2);
  }
  {
    std::optional<double> mx = max_of(interpolate(memory_, t0), interpolate(memory_, t1));
    auto lo = std::lower_bound(memory_.begin(), memory_.end(), t0,
                               [](const Point& p, std::int64_t x) { return p.t_ns < x; });
    for (auto it = lo; it != memory_.end() && it->t_ns <= t1; ++it) mx = max_of(mx, it->v);
    w.max_memory_mb = mx;
  }
  return w;
}

}  // namespace ipw::telemetry
