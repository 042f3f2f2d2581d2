#include "ipw/run/query_writer.h"

#include <spdlog/spdlog.h>

namespace ipw::run {

QueryWriter::QueryWriter(const std::string& run_dir, int session)
    : store_(RunStore::open(run_dir)), session_(session), thread_([this] { loop(); }) {}

QueryWriter::~QueryWriter() {
  {
    MutexLock l(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
  MutexLock l(mu_);
  if (error_) {
    try {
      std::rethrow_exception(error_);
    } catch (const std::exception& e) {
      spdlog::error("storing queries failed: {}", e.what());
    }
  }
}

void QueryWriter::rethrow() {
  if (error_) std::rethrow_exception(error_);
}

void QueryWriter::push(QueryRecord q, std::vector<telemetry::Sample> samples) {
  {
    MutexLock l(mu_);
    rethrow();
    queue_.emplace_back(std::move(q), std::move(samples));
  }
  work_cv_.notify_one();
}

void QueryWriter::flush() {
  MutexLock l(mu_);
  idle_cv_.wait(l.native(), [this]() IPW_REQUIRES(mu_) { return (queue_.empty() && !writing_) || error_; });
  rethrow();
}

void QueryWriter::loop() {
  while (true) {
    std::vector<Item> batch;
    {
      MutexLock l(mu_);
      work_cv_.wait(l.native(), [this]() IPW_REQUIRES(mu_) { return !queue_.empty() || stopping_; });
      if (queue_.empty() || error_) {
        if (stopping_) return;
        queue_.clear();  // after a failure nothing more is written: the run stops
        idle_cv_.notify_all();
        continue;
      }
      // Everything queued goes in one transaction: under heavy load the writer keeps up
      // by committing more per transaction, not by delaying the loop.
      for (auto& item : queue_) batch.push_back(std::move(item));
      queue_.clear();
      writing_ = true;
    }
    std::exception_ptr failure;
    try {
      std::vector<QueryRecord> queries;
      std::vector<telemetry::Sample> samples;
      for (auto& [q, s] : batch) {
        queries.push_back(std::move(q));
        samples.insert(samples.end(), s.begin(), s.end());
      }
      store_.commit_queries(queries, session_, samples);
    } catch (...) {
      failure = std::current_exception();
    }
    {
      MutexLock l(mu_);
      writing_ = false;
      if (failure && !error_) error_ = failure;
    }
    idle_cv_.notify_all();
  }
}

}  // namespace ipw::run
