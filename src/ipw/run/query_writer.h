#pragma once
// Commits settled queries on a thread of its own, through a connection of its own,
// so that a load stage's event loop never waits for SQLite: a commit on the loop
// thread delayed every token read queued behind it (docs/BENCHMARKS.md, "Load: the
// client at scale"). Used when more than one query is in flight; one at a time the
// session commits each query itself, before the next is sent.
#include <deque>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ipw/run/query_record.h"
#include "ipw/run/store.h"
#include "ipw/telemetry/sample.h"
#include "ipw/common/thread_annotations.h"

namespace ipw::run {

class QueryWriter {
 public:
  // Opens the run's store a second time (SQLite WAL: the session's own connection
  // keeps working; a write waits for the other's at most the store's busy timeout).
  QueryWriter(const std::string& run_dir, int session);
  ~QueryWriter();  // commits what is queued, then stops (errors are logged, not thrown)
  QueryWriter(const QueryWriter&) = delete;
  QueryWriter& operator=(const QueryWriter&) = delete;

  // Queues a query with the samples taken since the previous one. Throws the writer's
  // first failure (e.g. a full disk), so the run stops at the next query.
  void push(QueryRecord q, std::vector<telemetry::Sample> samples) IPW_EXCLUDES(mu_);
  // Returns once everything queued is committed; throws the writer's first failure.
  void flush() IPW_EXCLUDES(mu_);

 private:
  using Item = std::pair<QueryRecord, std::vector<telemetry::Sample>>;
  void loop() IPW_EXCLUDES(mu_);
  void rethrow() IPW_REQUIRES(mu_);

  RunStore store_;
  const int session_;
  Mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<Item> queue_ IPW_GUARDED_BY(mu_);
  bool writing_ IPW_GUARDED_BY(mu_) = false;
  bool stopping_ IPW_GUARDED_BY(mu_) = false;
  std::exception_ptr error_ IPW_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace ipw::run
