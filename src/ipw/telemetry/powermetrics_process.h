#pragma once
// A child process whose stdout+stderr we read through a pipe: `/bin/sh -c CMD`
// in its own process group, so stopping it also stops what the shell started
// (powermetrics under sudo). Used by the powermetrics collector.
#include <sys/types.h>

#include <string>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

class ChildProcess {
 public:
  static Expected<ChildProcess, std::string> spawn(const std::string& command);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();  // stop()

  int fd() const { return fd_; }  // read end (non-blocking)
  pid_t pid() const { return pid_; }
  // SIGTERM to the group, then SIGKILL if it lingers; reaps it. Idempotent.
  void stop();

 private:
  ChildProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace ipw::telemetry
