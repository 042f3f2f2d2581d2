#include "ipw/telemetry/sysfs_counter.h"

namespace ipw::telemetry {

CounterPower::CounterPower(double wrap_j, std::int64_t window_ns, double max_plausible_w)
    : wrap_j_(wrap_j), window_ns_(window_ns), max_plausible_w_(max_plausible_w) {}

std::optional<double> CounterPower::update(std::int64_t t_ns, double raw_j) {
  if (last_raw_ && t_ns <= last_raw_->first) return std::nullopt;  // out of order: ignore
  if (last_raw_ && raw_j < last_raw_->second) {
    const double dt_s = static_cast<double>(t_ns - last_raw_->first) * 1e-9;
    const double wrapped_delta_j = raw_j + wrap_j_ - last_raw_->second;
    if (wrap_j_ > 0.0 && wrapped_delta_j >= 0.0 && wrapped_delta_j / dt_s <= max_plausible_w_) {
      offset_j_ += wrap_j_;
      ++wraps_;
    } else {
      ++resets_;
      history_.clear();
      offset_j_ = 0.0;
    }
  }
  last_raw_ = {t_ns, raw_j};
  history_.emplace_back(t_ns, raw_j + offset_j_);
  // Keep exactly one entry at or before the window's start, so the span is >= window.
  while (history_.size() >= 3 && history_[1].first <= t_ns - window_ns_) history_.pop_front();
  if (history_.size() < 2) return std::nullopt;
  const auto& [t0, e0] = history_.front();
  return (raw_j + offset_j_ - e0) / (static_cast<double>(t_ns - t0) * 1e-9);
}

}  // namespace ipw::telemetry
