#include "ipw/run/observed_queries.h"

#include <algorithm>
#include <chrono>
#include <iterator>

namespace ipw::run {

ObservedQueries::Ticket ObservedQueries::begin() {
  MutexLock l(mu_);
  Ticket t{next_id_++, clock_.now_ns()};
  in_flight_.emplace(t.id, t.t_send_ns);
  return t;
}

void ObservedQueries::end(const Ticket& ticket, ObservedQuery q) {
  {
    MutexLock l(mu_);
    in_flight_.erase(ticket.id);
    q.response.t_send_ns = ticket.t_send_ns;
    ended_.push_back(std::move(q));
  }
  cv_.notify_one();
}

void ObservedQueries::close() {
  {
    MutexLock l(mu_);
    closed_ = true;
  }
  cv_.notify_one();
}

std::vector<ObservedQuery> ObservedQueries::take(std::int64_t wait_ns) {
  MutexLock l(mu_);
  cv_.wait_for(l.native(), std::chrono::nanoseconds(wait_ns), [this]() IPW_REQUIRES(mu_) {
    return !ended_.empty() || closed_;
  });
  std::vector<ObservedQuery> out(std::make_move_iterator(ended_.begin()), std::make_move_iterator(ended_.end()));
  ended_.clear();
  return out;
}

std::int64_t ObservedQueries::frontier_ns() const {
  MutexLock l(mu_);
  std::int64_t t = clock_.now_ns();
  if (!in_flight_.empty()) t = std::min(t, in_flight_.begin()->second);  // ids are in send order
  for (const ObservedQuery& q : ended_) t = std::min(t, q.response.t_send_ns);
  return t;
}

bool ObservedQueries::drained() const {
  MutexLock l(mu_);
  return closed_ && in_flight_.empty() && ended_.empty();
}

}  // namespace ipw::run
