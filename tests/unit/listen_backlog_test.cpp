// widen_listen_backlog: finds this process's listening socket by its port and sets its
// queue anew (ss -ltn shows a listening socket's queue as its Send-Q).
#include "ipw/common/listen_backlog.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace ipw {
namespace {

TEST(ListenBacklog, WidensTheListeningSocketOnThePortOnly) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  EXPECT_EQ(widen_listen_backlog(port), 0);  // bound, not listening yet: nothing to widen
  ASSERT_EQ(::listen(fd, 5), 0);
  EXPECT_EQ(widen_listen_backlog(port), 1);
  EXPECT_EQ(widen_listen_backlog(port == 65535 ? 1 : port + 1), 0);
  ::close(fd);
}

}  // namespace
}  // namespace ipw
