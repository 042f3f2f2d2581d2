#include "ipw/proxy/upstream_pool.h"

#include <httplib.h>

#include <chrono>

namespace ipw::proxy {

UpstreamPool::UpstreamPool(UpstreamSettings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {}

UpstreamPool::~UpstreamPool() = default;

std::unique_ptr<httplib::Client> UpstreamPool::take() {
  std::vector<Idle> stale;  // closed outside the lock
  {
    MutexLock l(mu_);
    const std::int64_t oldest_ns = clock_.now_ns() - s_to_ns(settings_.max_idle_s);
    std::size_t fresh_from = 0;
    while (fresh_from < idle_.size() && idle_[fresh_from].since_ns < oldest_ns) ++fresh_from;
    stale.assign(std::make_move_iterator(idle_.begin()), std::make_move_iterator(idle_.begin() + fresh_from));
    idle_.erase(idle_.begin(), idle_.begin() + fresh_from);
    if (!idle_.empty()) {
      std::unique_ptr<httplib::Client> c = std::move(idle_.back().client);
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<httplib::Client>(settings_.scheme_host_port);
  c->set_connection_timeout(std::chrono::microseconds(static_cast<std::int64_t>(settings_.connect_timeout_s * 1e6)));
  c->set_read_timeout(std::chrono::microseconds(static_cast<std::int64_t>(settings_.read_timeout_s * 1e6)));
  c->set_decompress(false);  // bytes pass as they are
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);  // a request's headers and body go out at once, not a round trip apart
  return c;
}

void UpstreamPool::give_back(std::unique_ptr<httplib::Client> client) {
  if (!client || !client->is_socket_open()) return;  // the server said "Connection: close"
  std::unique_ptr<httplib::Client> dropped;
  MutexLock l(mu_);
  if (idle_.size() >= settings_.max_idle) {
    dropped = std::move(idle_.front().client);
    idle_.erase(idle_.begin());
  }
  idle_.push_back({std::move(client), clock_.now_ns()});
}

std::size_t UpstreamPool::idle() const {
  MutexLock l(mu_);
  return idle_.size();
}

}  // namespace ipw::proxy
