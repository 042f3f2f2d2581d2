#pragma once
// The profile progress display: a one-line bar (done/total, ETA, live watts) on a
// terminal, plain log lines when stdout is a pipe or file (CI logs, nohup). A total
// of 0 is open-ended work (`ipw proxy`): a running count instead of a bar.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "ipw/run/profiler.h"

namespace ipw::cli {

class ProgressBar final : public run::ProgressSink {
 public:
  // is_tty: draw a redrawn bar; otherwise print a line every `plain_every` units of
  // work; `unit` names them ("queries", "tasks").
  ProgressBar(std::FILE* out, bool is_tty, std::size_t plain_every = 10, std::string unit = "queries");
  void begin(std::size_t total, std::size_t already_done) override;
  void update(std::size_t done, std::size_t total, std::optional<double> power_w,
              const run::QueryRecord& last) override;
  void note(const std::string& message) override;
  void end() override;

 private:
  std::string line(std::size_t done, std::size_t total, std::optional<double> power_w) const;
  std::FILE* out_;
  bool tty_;
  std::size_t plain_every_;
  std::string unit_;
  std::size_t start_done_ = 0;
  std::size_t errors_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point t_begin_;
};

}  // namespace ipw::cli
