#include "pacer.h"

#include <time.h>

#include <algorithm>
#include <thread>

namespace ipw::mock {

using std::chrono::duration;
using std::chrono::duration_cast;

namespace {
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}
}  // namespace

// Counts this thread's CPU time, not wall time: on a busy machine the loop takes
// longer but still does the same work per token, so energy per token stays comparable.
void burn_cpu_us(double us) {
  if (us <= 0) return;
  const double until = thread_cpu_us() + us;
  // volatile keeps the arithmetic from being optimised away.
  volatile double sink = 1.0;
  while (thread_cpu_us() < until) {
    for (int i = 0; i < 256; ++i) sink = sink * 1.0000001 + 1e-9;
  }
}

Pacer::Pacer(Clock::time_point t_request, double ttft_ms, double tokens_per_s, double burn_us_per_token,
             const std::atomic<bool>& stopping, double batch_slowdown, const std::atomic<int>* in_flight)
    : t_request_(t_request),
      ttft_ms_(ttft_ms),
      tokens_per_s_(tokens_per_s),
      burn_us_(burn_us_per_token),
      stopping_(stopping),
      batch_slowdown_(batch_slowdown),
      in_flight_(in_flight),
      t_next_(t_request + duration_cast<Clock::duration>(duration<double>(ttft_ms / 1000.0))) {}

bool Pacer::sleep_until(Clock::time_point t) const {
  // Short slices so a SIGTERM does not wait for a slow reply to finish.
  constexpr auto kSlice = std::chrono::milliseconds(20);
  while (true) {
    if (stopping_.load()) return false;
    const auto now = Clock::now();
    if (now >= t) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(t - now, kSlice));
  }
}

bool Pacer::wait_for_token(std::size_t) {
  burn_cpu_us(burn_us_);
  // Each token is due one interval after the previous one was due (not after it was
  // sent), so a late wake-up does not shift the rest of the reply.
  if (!sleep_until(t_next_)) return false;
  t_last_ = Clock::now();
  if (!any_token_) t_first_ = t_last_;
  any_token_ = true;
  if (tokens_per_s_ > 0) {
    const int others = in_flight_ != nullptr ? std::max(0, in_flight_->load() - 1) : 0;
    const double interval_s = (1.0 + batch_slowdown_ * others) / tokens_per_s_;
    t_next_ += duration_cast<Clock::duration>(duration<double>(interval_s));
  }
  return true;
}

double Pacer::prompt_ms() const {
  const auto end = any_token_ ? t_first_ : Clock::now();
  return duration<double, std::milli>(end - t_request_).count();
}

double Pacer::predicted_ms() const {
  return any_token_ ? duration<double, std::milli>(t_last_ - t_first_).count() : 0.0;
}

}  // namespace ipw::mock
