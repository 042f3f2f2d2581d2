#include "ipw/monitor/client_queue.h"

#include <thread>

#include <gtest/gtest.h>

namespace ipw::monitor {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const HubBatch> batch(std::uint64_t seq) {
  auto b = std::make_shared<HubBatch>();
  b->sequence = seq;
  return b;
}

TEST(MonitorClientQueue, DeliversInOrder) {
  ClientQueue q("peer", 4, 0);
  ASSERT_TRUE(q.offer(batch(1)));
  ASSERT_TRUE(q.offer(batch(2)));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.pop(0ms)->sequence, 1u);
  EXPECT_EQ(q.pop(0ms)->sequence, 2u);
  EXPECT_EQ(q.pop(1ms), nullptr);  // timeout
  EXPECT_FALSE(q.closed());
}

TEST(MonitorClientQueue, FullBufferDropsTheClientAndFreesIt) {
  ClientQueue q("slow", 3, 0);
  for (std::uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(q.offer(batch(i)));
  EXPECT_FALSE(q.offer(batch(4)));  // the fourth does not fit: dropped
  EXPECT_TRUE(q.dropped());
  EXPECT_TRUE(q.closed());
  EXPECT_EQ(q.size(), 0u);           // memory released at once
  EXPECT_EQ(q.pop(0ms), nullptr);
  EXPECT_FALSE(q.offer(batch(5)));  // stays dropped
}

TEST(MonitorClientQueue, CloseWakesAWaitingReader) {
  ClientQueue q("peer", 4, 0);
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    q.close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.pop(5s), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  t.join();
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.dropped());
  EXPECT_FALSE(q.offer(batch(1)));
}

}  // namespace
}  // namespace ipw::monitor
