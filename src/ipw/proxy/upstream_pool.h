#pragma once
// The proxy's connections to the inference server, kept open between requests
// (docs/agents.md, "What the proxy adds"): a request that finds an idle connection
// skips the TCP handshake and the server's accept, which were most of what the proxy
// added to a request's time to first token. Each httplib::Client holds one socket and
// serves one request at a time, so the pool lends whole clients.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/common/thread_annotations.h"

namespace httplib {
class Client;
}

namespace ipw::proxy {

struct UpstreamSettings {
  std::string scheme_host_port;  // http://HOST:PORT, as httplib::Client takes it
  double connect_timeout_s = 10;
  double read_timeout_s = 600;
  // A connection idle longer than this is closed rather than reused: servers close
  // idle ones after a few seconds (llama.cpp's and httplib's default is 5 s), and a
  // request sent on a connection the server is closing fails without an answer.
  double max_idle_s = 2;
  std::size_t max_idle = 256;  // idle connections kept; more are closed
};

class UpstreamPool {
 public:
  explicit UpstreamPool(UpstreamSettings settings, const Clock& clock = steady_clock());
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // The most recently returned idle client (its connection is the likeliest to be
  // open), or a new one.
  std::unique_ptr<httplib::Client> take();
  // For a client whose exchange ended whole: its connection may serve the next request.
  // A client after a failed or cut exchange must be dropped instead, its socket closed.
  void give_back(std::unique_ptr<httplib::Client> client);
  std::size_t idle() const;

 private:
  struct Idle {
    std::unique_ptr<httplib::Client> client;
    std::int64_t since_ns = 0;
  };
  const UpstreamSettings settings_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::vector<Idle> idle_ IPW_GUARDED_BY(mu_);  // oldest first
};

}  // namespace ipw::proxy
