#include "ipw/report/power_timeline.h"

#include <algorithm>

namespace ipw::report {

PowerTimeline::PowerTimeline(std::vector<double> wrap_j, std::size_t max_points, std::int64_t initial_width_ns)
    : wrap_j_(std::move(wrap_j)),
      max_points_(std::max<std::size_t>(max_points, 2)),
      width_ns_(std::max<std::int64_t>(initial_width_ns, 1)),
      last_(wrap_j_.size()) {}

void PowerTimeline::grow_to(std::int64_t t) {
  while (t - origin_ns_ >= static_cast<std::int64_t>(max_points_) * width_ns_) {
    // Merge pairs: the bucket grid doubles, history keeps its energy.
    std::vector<std::vector<Cell>> merged((cells_.size() + 1) / 2, std::vector<Cell>(wrap_j_.size()));
    for (std::size_t b = 0; b < cells_.size(); ++b) {
      for (std::size_t d = 0; d < wrap_j_.size(); ++d) {
        merged[b / 2][d].energy_j += cells_[b][d].energy_j;
        merged[b / 2][d].covered_ns += cells_[b][d].covered_ns;
      }
    }
    cells_ = std::move(merged);
    width_ns_ *= 2;
  }
  const auto need = static_cast<std::size_t>((t - origin_ns_) / width_ns_) + 1;
  if (cells_.size() < need) cells_.resize(need, std::vector<Cell>(wrap_j_.size()));
}

void PowerTimeline::spread(int d, std::int64_t t0, std::int64_t t1, double energy_j) {
  const double per_ns = energy_j / static_cast<double>(t1 - t0);
  for_each_bucket_overlap(t0, t1, [&](std::size_t b, double overlap_ns) {
    cells_[b][static_cast<std::size_t>(d)].energy_j += per_ns * overlap_ns;
    cells_[b][static_cast<std::size_t>(d)].covered_ns += overlap_ns;
  });
}

void PowerTimeline::add(int d, const telemetry::Sample& s) {
  if (d < 0 || static_cast<std::size_t>(d) >= last_.size()) return;
  if (!has_origin_) {
    origin_ns_ = s.t_ns;
    has_origin_ = true;
  }
  auto& prev = last_[static_cast<std::size_t>(d)];
  if (prev && s.t_ns > prev->t_ns) {
    std::optional<double> e;
    if (s.energy_j && prev->energy_j) {
      double de = *s.energy_j - *prev->energy_j;
      const double wrap = wrap_j_[static_cast<std::size_t>(d)];
      if (de < 0 && wrap > 0) de += wrap;
      if (de >= 0) e = de;  // still negative: a counter reset, the interval is unknown
    } else if (s.power_w && prev->power_w) {
      e = (*s.power_w + *prev->power_w) / 2 * static_cast<double>(s.t_ns - prev->t_ns) * 1e-9;
    }
    if (e) {
      spread(d, prev->t_ns, s.t_ns, *e);
    } else {
      ++skipped_;
    }
  }
  if (s.t_ns >= origin_ns_) prev = s;
}

void PowerTimeline::end_segment() {
  for (auto& l : last_) l.reset();
}

std::vector<PowerTimeline::Point> PowerTimeline::points() const {
  std::vector<Point> out;
  out.reserve(cells_.size());
  for (std::size_t b = 0; b < cells_.size(); ++b) {
    double p = 0;
    bool any = false;
    for (const Cell& c : cells_[b]) {
      if (c.covered_ns <= 0) continue;
      p += c.energy_j / (c.covered_ns * 1e-9);
      any = true;
    }
    if (!any) continue;
    // Seconds since the timeline's origin (its first sample).
    out.push_back({(static_cast<double>(b) + 0.5) * static_cast<double>(width_ns_) * 1e-9, p});
  }
  return out;
}

}  // namespace ipw::report
