#include "cli/progress_bar.h"

#include <fmt/format.h>

namespace ipw::cli {
namespace {

std::string format_duration(double s) {
  if (s < 0) return "--:--";
  const auto total = static_cast<long>(s + 0.5);
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
  return fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::FILE* out, bool is_tty, std::size_t plain_every, std::string unit)
    : out_(out), tty_(is_tty), plain_every_(plain_every == 0 ? 1 : plain_every), unit_(std::move(unit)) {}

void ProgressBar::begin(std::size_t total, std::size_t already_done) {
  start_done_ = already_done;
  t_begin_ = std::chrono::steady_clock::now();
  if (already_done > 0) fmt::print(out_, "resuming: {} of {} {} already done\n", already_done, total, unit_);
  std::fflush(out_);
}

std::string ProgressBar::line(std::size_t done, std::size_t total, std::optional<double> power_w) const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_begin_).count();
  const std::size_t session_done = done - start_done_;
  const double eta = session_done > 0 ? elapsed / static_cast<double>(session_done) *
                                            static_cast<double>(total - done)
                                      : -1.0;
  const std::string watts = power_w ? fmt::format("{:6.1f} W", *power_w) : std::string("   -- W");
  const std::string errs = errors_ ? fmt::format("  {} errors", errors_) : std::string();
  if (total == 0) {  // open-ended (ipw proxy): a count, no bar
    return fmt::format("{} requests  elapsed {}  {}{}", done, format_duration(elapsed), watts, errs);
  }
  if (!tty_) {
    return fmt::format("{} {}/{}  elapsed {}  eta {}  {}{}", unit_, done, total,
                       format_duration(elapsed), format_duration(eta), watts, errs);
  }
  constexpr int kWidth = 30;
  const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  return fmt::format("[{}{}] {}/{}  ETA {}  {}{}", std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kWidth - filled), '.'), done, total,
                     format_duration(eta), watts, errs);
}

void ProgressBar::update(std::size_t done, std::size_t total, std::optional<double> power_w,
                         const run::QueryRecord& last) {
  if (!last.ok()) ++errors_;
  if (tty_) {
    fmt::print(out_, "\r\033[K{}", line(done, total, power_w));
    drawn_ = true;
  } else if ((done - start_done_) % plain_every_ == 0 || done == total) {
    fmt::print(out_, "{}\n", line(done, total, power_w));
  }
  std::fflush(out_);
}

void ProgressBar::note(const std::string& message) {
  if (tty_ && drawn_) fmt::print(out_, "\n");
  drawn_ = false;
  fmt::print(out_, "{}\n", message);
  std::fflush(out_);
}

void ProgressBar::end() {
  if (tty_ && drawn_) fmt::print(out_, "\n");
  drawn_ = false;
  std::fflush(out_);
}

}  // namespace ipw::cli
