#pragma once
// The power timeline of the HTML report: the selected domains' power summed and
// down-sampled into at most `max_points` buckets, in one streaming pass over the
// samples with O(max_points) memory. Buckets start narrow and double in width
// (merging pairs) whenever the run outgrows them, so the pass needs no prior
// knowledge of the run's length. Energy between two samples is spread evenly
// over the time between them and split across the buckets it overlaps.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ipw/telemetry/sample.h"

namespace ipw::report {

class PowerTimeline {
 public:
  // `wrap_j[d]`: counter wrap range of local domain d (0: none).
  PowerTimeline(std::vector<double> wrap_j, std::size_t max_points = 2000,
                std::int64_t initial_width_ns = 10'000'000);

  // Samples of local domain d, in time order per domain, on the timeline's
  // absolute clock (ns). Call end_segment() between sessions: samples of
  // different sessions are never differenced.
  void add(int d, const telemetry::Sample& s);
  void end_segment();

  struct Point {
    double t_s;      // bucket centre, seconds since origin_ns()
    double power_w;  // summed over domains (domains without data in the bucket add nothing)
  };
  std::vector<Point> points() const;
  std::int64_t bucket_width_ns() const { return width_ns_; }
  std::int64_t origin_ns() const { return origin_ns_; }
  std::size_t intervals_skipped() const { return skipped_; }  // counter resets

  // Time-weighted shares of [t0, t1] falling in each bucket (used for phases).
  template <typename F>
  void for_each_bucket_overlap(std::int64_t t0, std::int64_t t1, F&& fn);

 private:
  struct Cell {
    double energy_j = 0;
    double covered_ns = 0;
  };
  void spread(int d, std::int64_t t0, std::int64_t t1, double energy_j);
  void grow_to(std::int64_t t);
  std::vector<double> wrap_j_;
  std::size_t max_points_;
  std::int64_t width_ns_;
  std::int64_t origin_ns_ = 0;
  bool has_origin_ = false;
  std::vector<std::vector<Cell>> cells_;  // [bucket][domain]
  std::vector<std::optional<telemetry::Sample>> last_;
  std::size_t skipped_ = 0;
};

template <typename F>
void PowerTimeline::for_each_bucket_overlap(std::int64_t t0, std::int64_t t1, F&& fn) {
  if (!has_origin_ || t1 <= t0) return;
  grow_to(t1);
  for (std::int64_t b = std::max<std::int64_t>(0, (t0 - origin_ns_) / width_ns_);
       origin_ns_ + b * width_ns_ < t1; ++b) {
    const std::int64_t lo = std::max(t0, origin_ns_ + b * width_ns_);
    const std::int64_t hi = std::min(t1, origin_ns_ + (b + 1) * width_ns_);
    if (hi > lo) fn(static_cast<std::size_t>(b), static_cast<double>(hi - lo));
  }
}

}  // namespace ipw::report
