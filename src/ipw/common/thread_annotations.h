#pragma once
// Clang thread-safety annotations and an annotated mutex, so that a clang build
// with -Wthread-safety proves every access to shared state holds its lock (the
// sampler, the remote collector, the monitor's hub, the query writer). Under g++
// the annotations compile to nothing.
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define IPW_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define IPW_THREAD_ANNOTATION(x)
#endif

#define IPW_CAPABILITY(x) IPW_THREAD_ANNOTATION(capability(x))
#define IPW_SCOPED_CAPABILITY IPW_THREAD_ANNOTATION(scoped_lockable)
#define IPW_GUARDED_BY(x) IPW_THREAD_ANNOTATION(guarded_by(x))
#define IPW_REQUIRES(...) IPW_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define IPW_ACQUIRE(...) IPW_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define IPW_RELEASE(...) IPW_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define IPW_EXCLUDES(...) IPW_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace ipw {

class IPW_CAPABILITY("mutex") Mutex {
 public:
  void lock() IPW_ACQUIRE() { mu_.lock(); }
  void unlock() IPW_RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Scoped lock; native() is for std::condition_variable waits (which release and
// re-acquire the same mutex, so the analysis' view stays right).
class IPW_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& m) IPW_ACQUIRE(m) : lock_(m.native()) {}
  ~MutexLock() IPW_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace ipw
