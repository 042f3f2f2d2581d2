#include "ipw/monitor/client_queue.h"

#include <algorithm>
#include <utility>

namespace ipw::monitor {

ClientQueue::ClientQueue(std::string peer, std::size_t capacity, std::int64_t interval_ns)
    : peer_(std::move(peer)), capacity_(std::max<std::size_t>(1, capacity)), interval_ns_(interval_ns) {}

bool ClientQueue::offer(std::shared_ptr<const HubBatch> batch) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_ || dropped_) return false;
    if (q_.size() >= capacity_) {
      dropped_ = true;
      q_.clear();  // a dropped client gets nothing more: free its memory now
    } else {
      q_.push_back(std::move(batch));
    }
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> l(mu_);
  return !dropped_;
}

std::shared_ptr<const HubBatch> ClientQueue::pop(std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [this] { return !q_.empty() || closed_ || dropped_; });
  if (q_.empty() || dropped_) return nullptr;
  auto b = std::move(q_.front());
  q_.pop_front();
  return b;
}

void ClientQueue::close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool ClientQueue::dropped() const {
  std::lock_guard<std::mutex> l(mu_);
  return dropped_;
}

bool ClientQueue::closed() const {
  std::lock_guard<std::mutex> l(mu_);
  return closed_ || dropped_;
}

std::size_t ClientQueue::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return q_.size();
}

}  // namespace ipw::monitor
