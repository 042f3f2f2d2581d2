// The proxy's upstream connections are reused while fresh, and a reused one the server
// has closed still carries the next request.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "inference_test_server.h"
#include "ipw/proxy/upstream_pool.h"
#include "telemetry_hw_fakes.h"

namespace ipw::proxy {
namespace {

using inference::testing::Script;
using inference::testing::TestServer;

Script plain_reply() { return Script{200, "text/plain", {{0, "ok"}}, 0}; }

bool post(httplib::Client& c) {
  const httplib::Result r = c.Post("/v1/chat/completions", "{}", "application/json");
  return r && r->status == 200 && r->body == "ok";
}

UpstreamSettings settings_for(const TestServer& server, double max_idle_s) {
  UpstreamSettings s;
  s.scheme_host_port = server.base_url();
  s.max_idle_s = max_idle_s;
  s.max_idle = 2;
  return s;
}

TEST(UpstreamPool, AWholeExchangesConnectionCarriesTheNextRequest) {
  TestServer server;
  server.set_script(plain_reply());
  hwtest::FakeClock clock;
  UpstreamPool pool(settings_for(server, 2), clock);
  auto a = pool.take();
  ASSERT_TRUE(post(*a));
  pool.give_back(std::move(a));
  EXPECT_EQ(pool.idle(), 1u);
  clock.advance(s_to_ns(1.9));
  auto b = pool.take();
  EXPECT_EQ(pool.idle(), 0u);
  ASSERT_TRUE(post(*b));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port) << "the second request came on a new connection";
}

TEST(UpstreamPool, ConnectionsIdleTooLongOrBeyondTheCapAreClosed) {
  TestServer server;
  server.set_script(plain_reply());
  hwtest::FakeClock clock;
  UpstreamPool pool(settings_for(server, 2), clock);
  std::vector<std::unique_ptr<httplib::Client>> lent;
  for (int i = 0; i < 3; ++i) {
    lent.push_back(pool.take());
    ASSERT_TRUE(post(*lent.back()));
  }
  for (auto& c : lent) pool.give_back(std::move(c));
  EXPECT_EQ(pool.idle(), 2u) << "the cap is 2";
  clock.advance(s_to_ns(2.1));
  auto fresh = pool.take();
  EXPECT_EQ(pool.idle(), 0u) << "both idle connections were older than max_idle_s";
  ASSERT_TRUE(post(*fresh));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_NE(seen[3].remote_port, seen[i].remote_port);
}

// The server ends an idle connection (the test server after 1 s); the pool's client
// finds it closed when it is reused and connects again, so the request is not lost.
TEST(UpstreamPool, AConnectionTheServerClosedIsReplacedNotFailed) {
  TestServer server;
  server.set_script(plain_reply());
  UpstreamPool pool(settings_for(server, 3600));
  auto a = pool.take();
  ASSERT_TRUE(post(*a));
  const int fd = static_cast<int>(a->socket());
  ASSERT_GE(fd, 0);
  pool.give_back(std::move(a));
  // Wait (up to 30 s on a starved machine) until the server's close has arrived.
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 30'000), 1) << "the server kept the idle connection open";
  char byte;
  ASSERT_EQ(::recv(fd, &byte, 1, MSG_PEEK), 0) << "expected the server's close, not data";
  auto b = pool.take();
  ASSERT_TRUE(post(*b));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].remote_port, seen[1].remote_port);
}

// A reply that ends with "Connection: close" leaves nothing to reuse.
TEST(UpstreamPool, AClosedConnectionIsNotKept) {
  TestServer server;
  server.set_script(plain_reply());
  UpstreamPool pool(settings_for(server, 3600));
  auto a = pool.take();
  httplib::Headers close{{"Connection", "close"}};
  const httplib::Result r = a->Post("/v1/chat/completions", close, "{}", "application/json");
  ASSERT_TRUE(r);
  pool.give_back(std::move(a));
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace ipw::proxy
