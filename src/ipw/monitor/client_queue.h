#pragma once
// One connected client's buffer of batches: the sampling thread offers, the
// client's RPC thread pops and writes. Bounded: a client that does not keep up
// (slow network, stopped reader) is dropped when its buffer is full rather
// than let the daemon's memory grow; the caller logs it and ends the RPC.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "ipw/monitor/hub_types.h"

namespace ipw::monitor {

class ClientQueue {
 public:
  // capacity >= 1 batches; interval_ns is the sampling interval the client asked for (0 = any).
  ClientQueue(std::string peer, std::size_t capacity, std::int64_t interval_ns);

  // False when the buffer is full: the queue is then dropped (it keeps
  // nothing more and pop() returns nullptr). Also false once closed.
  bool offer(std::shared_ptr<const HubBatch> batch);
  // The next batch; nullptr on timeout, or once closed or dropped and empty.
  std::shared_ptr<const HubBatch> pop(std::chrono::nanoseconds timeout);
  void close();  // the hub is shutting down, or the client left

  bool dropped() const;
  bool closed() const;  // closed or dropped
  std::size_t size() const;
  const std::string& peer() const { return peer_; }
  std::size_t capacity() const { return capacity_; }
  std::int64_t interval_ns() const { return interval_ns_; }

 private:
  const std::string peer_;
  const std::size_t capacity_;
  const std::int64_t interval_ns_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const HubBatch>> q_;
  bool closed_ = false;
  bool dropped_ = false;
};

}  // namespace ipw::monitor
