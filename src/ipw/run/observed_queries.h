#pragma once
// Requests another program made, as `ipw proxy` sees them pass (docs/agents.md): the
// hand-over between the proxy's connection threads and the session that shares the
// energy out (Session::observe). A request is registered when it is about to go
// upstream and handed over once it ended; while it is in flight no span after its send
// can be shared, exactly as for the profiler's own queries.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/common/thread_annotations.h"
#include "ipw/inference/client.h"
#include "ipw/run/query_record.h"

namespace ipw::run {

struct ObservedQuery {
  // What the proxy knows of the request: seq, item_id, task, turn, prompt, tool_calls,
  // and error_kind/error_message when it failed.
  QueryRecord record;
  inference::Response response;  // what came back, on the monotonic clock (t_send_ns from begin())
  std::int64_t t_end_ns = 0;     // monotonic: the last byte, or when the failure was seen
};

class ObservedQueries {
 public:
  explicit ObservedQueries(const Clock& clock = steady_clock()) : clock_(clock) {}

  struct Ticket {
    std::uint64_t id = 0;
    std::int64_t t_send_ns = 0;  // stamped under the lock: no frontier taken before it passes it
  };
  // A request is about to go upstream.
  Ticket begin();
  // It ended (however it ended).
  void end(const Ticket& ticket, ObservedQuery q);
  // No request will begin any more (the proxy stopped listening and its connections ended).
  void close();

  // The session's side. Waits up to wait_ns for ended requests and takes them.
  std::vector<ObservedQuery> take(std::int64_t wait_ns);
  // Every span before this instant involves taken requests only: the earliest send
  // still in flight or not yet taken, or now.
  std::int64_t frontier_ns() const;
  // Closed, nothing in flight, nothing left to take.
  bool drained() const;

 private:
  const Clock& clock_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_id_ IPW_GUARDED_BY(mu_) = 0;
  std::map<std::uint64_t, std::int64_t> in_flight_ IPW_GUARDED_BY(mu_);  // id -> t_send_ns (ids in send order)
  std::deque<ObservedQuery> ended_ IPW_GUARDED_BY(mu_);
  bool closed_ IPW_GUARDED_BY(mu_) = false;
};

}  // namespace ipw::run
