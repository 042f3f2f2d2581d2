#pragma once
// `ipw proxy`'s HTTP side (docs/agents.md): a reverse proxy between an agent (or any
// client) and an inference server. Every request is forwarded as it came, on every
// endpoint, and every reply is passed back byte for byte as it arrives; completion
// requests (/v1/chat/completions, /v1/completions, /api/chat, /api/generate) are
// also read as they pass and handed to a run::ObservedQueries, which the session
// turns into stored queries with their share of the measured energy.
#include <cstdint>
#include <memory>
#include <string>

#include "ipw/run/observed_queries.h"

namespace ipw::proxy {

struct ProxyOptions {
  std::string bind = "127.0.0.1";
  int port = 0;             // 0: any free port
  std::string token;        // required as "Proxy-Authorization: Bearer TOKEN" when set
  bool insecure = false;    // a non-loopback bind without a token
  std::string upstream;     // http://HOST:PORT[/PREFIX] of the inference server
  double connect_timeout_s = 10;
  double read_timeout_s = 600;  // the longest silence from upstream within a reply
  int threads = 256;            // connections served at once
};

// "" when the options can be served, else the message for the user.
std::string validate(const ProxyOptions& o);

class ProxyServer {
 public:
  ProxyServer(ProxyOptions options, run::ObservedQueries& feed);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds the address (connections wait in the listen queue) and returns the port.
  // Throws std::runtime_error when it cannot be bound.
  int bind();
  // Serves, on a thread of its own, from now on.
  void serve();
  // Stops accepting, ends the exchanges in flight (their clients get what had
  // arrived, then the connection closes; they are recorded as cancelled) and waits
  // for every connection. Idempotent.
  void stop();

  std::uint64_t requests() const;  // completion requests seen so far
  std::size_t tasks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipw::proxy
