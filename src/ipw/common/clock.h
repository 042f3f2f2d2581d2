#pragma once
// One monotonic clock for everything ipw stamps: samples, request send, first
// token, every token, last byte. Components take a Clock& so tests can drive time.
#include <chrono>
#include <cstdint>

namespace ipw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ns() const = 0;
};

// steady_clock in nanoseconds; the production clock.
class SteadyClock final : public Clock {
 public:
  std::int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// The process-wide steady clock (stateless, so sharing it is safe).
inline const Clock& steady_clock() {
  static const SteadyClock clock;
  return clock;
}

inline double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) * 1e-9; }
inline std::int64_t s_to_ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

}  // namespace ipw
