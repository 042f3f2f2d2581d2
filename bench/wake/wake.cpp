// Cost of a periodic waking thread, per wait mechanism.
// Usage: wake <mech> <rate_hz> [measure_s=10] [warmup_ms=200]
// Prints one line: mech rate proc_cpu_pct thread_cpu_pct achieved_hz mean_late_us wakes
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

using SC = std::chrono::steady_clock;

static std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
static std::int64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
static std::int64_t rusage_ns() {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (std::int64_t(r.ru_utime.tv_sec) + r.ru_stime.tv_sec) * 1000000000 +
         (std::int64_t(r.ru_utime.tv_usec) + r.ru_stime.tv_usec) * 1000;
}
static timespec to_ts(std::int64_t ns) { return timespec{time_t(ns / 1000000000), long(ns % 1000000000)}; }

struct Shared {
  std::string mech;
  std::int64_t t0 = 0, period = 0, win_begin = 0, win_end = 0;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  bool stop_req = false;  // under mu
  int efd = -1;
  std::atomic<std::uint32_t> futex_word{0};
  // results (written by thread)
  std::int64_t cpu_begin = -1, cpu_end = -1, wakes = 0, late_sum = 0;
};

// Called by the thread after each wake with the scheduled time it woke for.
static inline void on_wake(Shared& s, std::int64_t scheduled) {
  const std::int64_t now = mono_ns();
  if (scheduled >= s.win_begin && s.cpu_begin < 0) s.cpu_begin = thread_cpu_ns();
  if (s.cpu_begin >= 0 && scheduled < s.win_end) {
    ++s.wakes;
    s.late_sum += now - scheduled;
    s.cpu_end = thread_cpu_ns();
  }
}

static void futex_wait_abs(std::atomic<std::uint32_t>* w, std::uint32_t val, std::int64_t abs_ns) {
  timespec ts = to_ts(abs_ns);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(w), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val, &ts,
          nullptr, FUTEX_BITSET_MATCH_ANY);
}

static bool has(const std::string& m, const char* s) { return m.find(s) != std::string::npos; }

static void worker(Shared* sp) {
  Shared& s = *sp;
  const std::string& m = s.mech;
  if (has(m, "+slack50u")) prctl(PR_SET_TIMERSLACK, 50000UL);  // 50 us is the default
  if (has(m, "+slack1n")) prctl(PR_SET_TIMERSLACK, 1UL);
  if (has(m, "+slack500u")) prctl(PR_SET_TIMERSLACK, 500000UL);
  if (has(m, "+slack5m")) prctl(PR_SET_TIMERSLACK, 5000000UL);
  if (has(m, "+idle")) {
    sched_param p{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &p);
  }
  if (has(m, "+batch")) {
    sched_param p{};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &p);
  }
  const std::int64_t P = s.period;
  std::int64_t next = s.t0;
  if (m == "none") {
    return;
  } else if (m.rfind("sleep_until", 0) == 0) {
    while (!s.stop.load(std::memory_order_relaxed)) {
      next += P;
      std::this_thread::sleep_until(SC::time_point(std::chrono::nanoseconds(next)));
      on_wake(s, next);
    }
  } else if (m.rfind("cv", 0) == 0) {
    while (true) {
      next += P;
      const auto tp = SC::time_point(std::chrono::nanoseconds(next));
      {
        std::unique_lock<std::mutex> l(s.mu);
        while (!s.stop_req) {
          if (s.cv.wait_until(l, tp) == std::cv_status::timeout) break;
        }
        if (s.stop_req) return;
      }
      on_wake(s, next);
    }
  } else if (m.rfind("clock_nanosleep", 0) == 0) {
    while (!s.stop.load(std::memory_order_relaxed)) {
      next += P;
      timespec ts = to_ts(next);
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      on_wake(s, next);
    }
  } else if (m.rfind("futex", 0) == 0) {
    // Direct FUTEX_WAIT_BITSET with absolute CLOCK_MONOTONIC timeout; stop = word 1 + FUTEX_WAKE.
    while (s.futex_word.load() == 0) {
      next += P;
      while (s.futex_word.load() == 0 && mono_ns() < next) futex_wait_abs(&s.futex_word, 0, next);
      if (s.futex_word.load()) return;
      on_wake(s, next);
    }
  } else if (m.rfind("timerfd", 0) == 0) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    itimerspec its{to_ts(P), to_ts(s.t0 + P)};
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
    const bool use_poll = has(m, "poll");
    std::int64_t k = 0;
    while (!s.stop.load(std::memory_order_relaxed)) {
      if (use_poll) {
        pollfd fds[2] = {{tfd, POLLIN, 0}, {s.efd, POLLIN, 0}};
        poll(fds, 2, -1);
        if (fds[1].revents) break;
      }
      std::uint64_t exp = 0;
      if (read(tfd, &exp, sizeof exp) != sizeof exp) continue;
      k += std::int64_t(exp);
      on_wake(s, s.t0 + k * P);
    }
    close(tfd);
  } else if (m.rfind("epoll_ms", 0) == 0 || m.rfind("epoll_pwait2", 0) == 0) {
    const bool ns = m.rfind("epoll_pwait2", 0) == 0;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = s.efd;
    epoll_ctl(ep, EPOLL_CTL_ADD, s.efd, &ev);
    while (true) {
      next += P;
      bool stop = false;
      std::int64_t now;
      while ((now = mono_ns()) < next) {
        epoll_event out;
        int n;
        if (ns) {
          timespec ts = to_ts(next - now);
          n = epoll_pwait2(ep, &out, 1, &ts, nullptr);
        } else {
          int ms = int((next - now + 999999) / 1000000);  // round up: never early
          n = epoll_wait(ep, &out, 1, ms);
        }
        if (n > 0) { stop = true; break; }
      }
      if (stop) break;
      on_wake(s, next);
    }
    close(ep);
  } else if (m.rfind("poll_ms", 0) == 0 || m.rfind("ppoll", 0) == 0) {
    const bool ns = m.rfind("ppoll", 0) == 0;
    while (true) {
      next += P;
      bool stop = false;
      std::int64_t now;
      while ((now = mono_ns()) < next) {
        pollfd fd{s.efd, POLLIN, 0};
        int n;
        if (ns) {
          timespec ts = to_ts(next - now);
          n = ppoll(&fd, 1, &ts, nullptr);
        } else {
          n = poll(&fd, 1, int((next - now + 999999) / 1000000));
        }
        if (n > 0) { stop = true; break; }
      }
      if (stop) break;
      on_wake(s, next);
    }
  } else {
    std::fprintf(stderr, "unknown mech %s\n", m.c_str());
    std::exit(2);
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <mech>[+slack1n|+slack500u|+slack5m|+idle|+batch|+pin] <rate_hz> [measure_s] [warmup_ms]\n", argv[0]);
    return 2;
  }
  Shared s;
  s.mech = argv[1];
  const double rate = std::atof(argv[2]);
  const double measure_s = argc > 3 ? std::atof(argv[3]) : 10.0;
  const double warm_ms = argc > 4 ? std::atof(argv[4]) : 200.0;
  s.period = std::int64_t(1e9 / rate);
  s.efd = eventfd(0, EFD_CLOEXEC);
  if (has(s.mech, "+pin")) {  // main and worker on the same CPU
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);  // inherited by the thread
  }
  s.t0 = mono_ns() + 5000000;
  s.win_begin = s.t0 + std::int64_t(warm_ms * 1e6);
  s.win_end = s.win_begin + std::int64_t(measure_s * 1e9);
  std::thread th(worker, &s);

  timespec ts = to_ts(s.win_begin);
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  const std::int64_t r0 = rusage_ns(), w0 = mono_ns();
  ts = to_ts(s.win_end);
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  const std::int64_t r1 = rusage_ns(), w1 = mono_ns();

  s.stop = true;
  {
    std::lock_guard<std::mutex> l(s.mu);
    s.stop_req = true;
  }
  s.cv.notify_all();
  std::uint64_t one = 1;
  (void)!write(s.efd, &one, sizeof one);
  s.futex_word.store(1);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&s.futex_word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr,
          nullptr, 0);
  th.join();

  const double wall = double(w1 - w0) / 1e9;
  const double proc_pct = 100.0 * double(r1 - r0) / double(w1 - w0);
  const double thr_pct = 100.0 * double(s.cpu_end - s.cpu_begin) / double(w1 - w0);
  const double achieved = double(s.wakes) / (double(s.win_end - s.win_begin) / 1e9);
  const double late_us = s.wakes ? double(s.late_sum) / double(s.wakes) / 1e3 : 0;
  std::printf("%s %g %.4f %.4f %.2f %.1f %lld %.3f\n", s.mech.c_str(), rate, proc_pct, thr_pct, achieved, late_us,
              (long long)s.wakes, wall);
  return 0;
}
