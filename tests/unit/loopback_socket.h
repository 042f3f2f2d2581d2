#pragma once
// A TCP socket bound to a free loopback port, not yet listening: for tests that need a
// port in use, a listening socket of their own, or (closed again) a port nothing
// listens on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ipw::nettest {

struct LoopbackSocket {
  int fd = -1;   // -1 when no socket could be bound
  int port = 0;
};

inline LoopbackSocket bind_loopback() {
  LoopbackSocket s;
  s.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s.fd < 0) return s;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(s.fd);
    return {};
  }
  s.port = ntohs(addr.sin_port);
  return s;
}

}  // namespace ipw::nettest
