// widen_listen_backlog: finds this process's listening socket by its port and sets its
// queue anew (ss -ltn shows a listening socket's queue as its Send-Q).
#include "ipw/common/listen_backlog.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "loopback_socket.h"

namespace ipw {
namespace {

TEST(ListenBacklog, WidensTheListeningSocketOnThePortOnly) {
  const auto [fd, port] = nettest::bind_loopback();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(widen_listen_backlog(port), 0);  // bound, not listening yet: nothing to widen
  ASSERT_EQ(::listen(fd, 5), 0);
  EXPECT_EQ(widen_listen_backlog(port), 1);
  EXPECT_EQ(widen_listen_backlog(port == 65535 ? 1 : port + 1), 0);
  ::close(fd);
}

}  // namespace
}  // namespace ipw
