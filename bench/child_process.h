#pragma once
// Runs a command as a child process and measures it (wall time, CPU time, peak RSS from
// wait4): how the scale benchmarks time ipw's own commands, each in a fresh process
// as a user runs them.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace ipw::bench {

struct Measured {
  double wall_s = 0;
  double cpu_s = 0;  // user + system: meaningful even on a shared, loaded machine
  double peak_mib = 0;
  int status = -1;
};

// Runs argv with stdout redirected to `out` (or inherited when empty).
inline Measured run_child(const std::vector<std::string>& argv, const std::string& out) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    if (!out.empty() && !std::freopen(out.c_str(), "w", stdout)) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Measured m;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.peak_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  m.cpu_s = secs(ru.ru_utime) + secs(ru.ru_stime);
  m.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

// `runs` measurements (`before` runs ahead of each, unmeasured: e.g. removing an output):
// the median wall and CPU time, the largest peak RSS and exit status.
inline Measured median_of_runs(int runs, const std::function<Measured()>& measure,
                               const std::function<void()>& before = {}) {
  std::vector<double> wall, cpu;
  Measured m;
  for (int i = 0; i < runs; ++i) {
    if (before) before();
    const Measured x = measure();
    wall.push_back(x.wall_s);
    cpu.push_back(x.cpu_s);
    m.peak_mib = std::max(m.peak_mib, x.peak_mib);
    m.status = std::max(m.status, x.status);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  m.wall_s = wall[static_cast<std::size_t>(runs / 2)];
  m.cpu_s = cpu[static_cast<std::size_t>(runs / 2)];
  return m;
}

}  // namespace ipw::bench
