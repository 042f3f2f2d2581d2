#pragma once
// Paces a reply like a model would: the first token --ttft-ms after the request
// arrived, then one every 1/--tokens-per-s, each preceded by --burn-us-per-token
// of real CPU work. With --batch-slowdown F a token's interval is stretched by
// 1 + F·(streams in flight − 1) at the time it is scheduled, as a batching server's
// per-stream decode slows while its total throughput grows.
#include <atomic>
#include <chrono>
#include <cstddef>

namespace ipw::mock {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  Pacer(Clock::time_point t_request, double ttft_ms, double tokens_per_s, double burn_us_per_token,
        const std::atomic<bool>& stopping, double batch_slowdown = 0, const std::atomic<int>* in_flight = nullptr);

  // Burns the token's CPU, then sleeps until its slot. False when the server is
  // shutting down (the caller abandons the reply).
  bool wait_for_token(std::size_t index);

  double prompt_ms() const;     // request -> first token (or now, if none was produced)
  double predicted_ms() const;  // first token -> latest token

 private:
  bool sleep_until(Clock::time_point t) const;

  Clock::time_point t_request_;
  double ttft_ms_;
  double tokens_per_s_;
  double burn_us_;
  const std::atomic<bool>& stopping_;
  double batch_slowdown_;
  const std::atomic<int>* in_flight_;
  Clock::time_point t_next_{};  // when the next token is due
  Clock::time_point t_first_{};
  Clock::time_point t_last_{};
  bool any_token_ = false;
};

// Keeps the calling thread busy for `us` microseconds of its own CPU time (a busy loop, not a sleep).
void burn_cpu_us(double us);

}  // namespace ipw::mock
