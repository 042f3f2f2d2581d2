#include "ipw/monitor/sample_hub.h"

#include <thread>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "monitor_fakes.h"

namespace ipw::monitor {
namespace {

using namespace std::chrono_literals;
using testing::LinearCollector;
using testing::LinearProfile;

std::vector<std::unique_ptr<telemetry::Collector>> one_fake(LinearProfile p = {}, std::int64_t update_ns = 0) {
  std::vector<std::unique_ptr<telemetry::Collector>> cs;
  cs.push_back(std::make_unique<LinearCollector>(p, "fake0", 0, update_ns));
  return cs;
}

HubOptions fast() {
  HubOptions o;
  o.default_interval_ns = 2'000'000;
  o.min_interval_ns = 1'000'000;
  o.lease_ns = 200'000'000;
  return o;
}

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 10000ms) {  // long: a starved hub thread must not fail a test
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return p();
}

TEST(MonitorHub, SamplesOnlyWhileAClientListens) {
  SampleHub hub(one_fake(), fast());
  hub.start();
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(hub.status().sampling);
  EXPECT_EQ(hub.status().reads, 0u);  // nobody listening: sensors untouched
  auto q = hub.subscribe("test", 0);
  ASSERT_TRUE(eventually([&] { return hub.status().reads >= 5; }));
  EXPECT_TRUE(hub.status().sampling);
  EXPECT_EQ(hub.status().clients, 1);
  hub.unsubscribe(q);
  ASSERT_TRUE(eventually([&] { return !hub.status().sampling; }));
  const auto reads = hub.status().reads;
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(hub.status().reads, reads);
  hub.shutdown();
}

TEST(MonitorHub, ScrapeLeaseKeepsSamplingThenExpires) {
  SampleHub hub(one_fake(), fast());
  hub.start();
  // keep_alive waits for the first read, up to the wait given: the first scrape already
  // has values. A stress run's loaded machine (load average ~26) once kept the hub's
  // thread from reading for the 500 ms this test used to allow, so it allows 10 s; and
  // it asks that the lease still runs only when keep_alive returned within it.
  const auto t0 = std::chrono::steady_clock::now();
  hub.keep_alive(10s);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(hub.status().reads, 1u);
  if (waited < 150ms) {
    EXPECT_TRUE(hub.status().sampling);
  }
  ASSERT_TRUE(eventually([&] { return !hub.status().sampling; }));  // 200 ms lease
}

// The ASan stress run's failure of the test above: its 200 ms lease expired before the
// hub's thread woke, so the thread went back to sleep and keep_alive waited 10 s for a
// read that never came. Sampling now stays on while a scrape waits for the first read,
// here with a lease that has always expired by the time the thread wakes.
TEST(MonitorHub, AScrapeGetsItsFirstReadHoweverShortTheLease) {
  HubOptions o = fast();
  o.lease_ns = 1;
  SampleHub hub(one_fake(), o);
  hub.start();
  hub.keep_alive(10s);
  EXPECT_GE(hub.status().reads, 1u);
  ASSERT_TRUE(eventually([&] { return !hub.status().sampling; }));
}

// Tests read the sampling thread's scheduling by its name (monitor_grpc_test.cpp).
TEST(MonitorHub, TheSamplingThreadIsNamed) {
  SampleHub hub(one_fake(), fast());
  hub.start();
  bool found = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    found = found || (std::getline(comm, name) && name == SampleHub::kThreadName);
  }
  EXPECT_TRUE(found);
}

TEST(MonitorHub, AlwaysSampleNeedsNoClient) {
  HubOptions o = fast();
  o.always_sample = true;
  SampleHub hub(one_fake(), o);
  hub.start();
  ASSERT_TRUE(eventually([&] { return hub.status().reads >= 3; }));
}

TEST(MonitorHub, BatchesCarryReadingsStampedWithTheOffsetClock) {
  LinearProfile p;
  HubOptions o = fast();
  o.clock_offset_ns = 7'000'000'000;
  SampleHub hub(one_fake(p), o);
  hub.start();
  auto q = hub.subscribe("test", 0);
  auto b = q->pop(2s);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->readings.size(), 1u);
  const std::int64_t t_read = b->t_ns - o.clock_offset_ns;  // the steady instant of the read
  EXPECT_NEAR(static_cast<double>(b->t_ns - steady_clock().now_ns()), 7e9, 0.5e9);
  EXPECT_DOUBLE_EQ(*b->readings[0].second.energy_j, p.energy_to(t_read));
  EXPECT_DOUBLE_EQ(*b->readings[0].second.power_w, p.power_at(t_read));
  auto b2 = q->pop(2s);
  ASSERT_NE(b2, nullptr);
  EXPECT_EQ(b2->sequence, b->sequence + 1);
  EXPECT_GT(b2->t_ns, b->t_ns);
}

TEST(MonitorHub, EnergyTotalsFollowTheCounter) {
  LinearProfile p;
  SampleHub hub(one_fake(p), fast());
  hub.start();
  auto q = hub.subscribe("test", 0);
  auto first = q->pop(2s);
  ASSERT_NE(first, nullptr);
  // A rate is reported from 5 reads on: wait for them rather than a fixed 50 ms, which a
  // starved hub thread once spent on fewer (stress, normal pass at 315a055).
  ASSERT_TRUE(eventually([&] { return hub.status().reads >= 5; }));
  hub.unsubscribe(q);
  ASSERT_TRUE(eventually([&] { return !hub.status().sampling; }));
  const HubStatus s = hub.status();
  ASSERT_EQ(s.domains.size(), 1u);
  EXPECT_TRUE(s.domains[0].has_energy);
  EXPECT_GT(s.domains[0].energy_j, 0);
  ASSERT_TRUE(s.domains[0].power_w);
  ASSERT_TRUE(s.read_rate_hz);
  // Reads every 2 ms (500 Hz) at most: never faster than asked. How much slower is the
  // scheduler's (a stress run's load average of 36 gave 17 Hz), so only that it read.
  EXPECT_GT(*s.read_rate_hz, 0);
  EXPECT_LT(*s.read_rate_hz, 500 * 1.5);
  EXPECT_GT(s.read_seconds, 0);
}

TEST(MonitorHub, NoReadRateFromTheFirstReads) {
  // One slow subscriber: the hub reads at start and then waits 5 s. The reads so far are
  // too few to give a rate (two back-to-back start-up reads once showed 11,861 Hz).
  SampleHub hub(one_fake({}), fast());
  hub.start();
  auto q = hub.subscribe("slow", 5'000'000'000);
  ASSERT_NE(q->pop(2s), nullptr);
  std::this_thread::sleep_for(100ms);
  const HubStatus s = hub.status();
  EXPECT_GE(s.reads, 1u);
  EXPECT_LT(s.reads, 5u);
  EXPECT_FALSE(s.read_rate_hz) << *s.read_rate_hz << " Hz from " << s.reads << " reads";
  hub.unsubscribe(q);
}

TEST(MonitorHub, FastestClientSetsTheIntervalButNeverBelowTheSourcePeriod) {
  SampleHub hub(one_fake({}, 20'000'000), fast());  // the source updates every 20 ms
  hub.start();
  auto slow = hub.subscribe("slow", 50'000'000);
  EXPECT_EQ(hub.current_interval_ns(), 50'000'000);
  auto quick = hub.subscribe("quick", 100'000);  // below min_interval: clamped
  EXPECT_EQ(hub.current_interval_ns(), 1'000'000);
  // Enough reads for a rate (about 200 ms at 50 Hz; longer on a loaded, sanitised machine,
  // which only lowers the rate this test bounds from above).
  ASSERT_TRUE(eventually([&] { return hub.status().reads >= 10; }));
  const HubStatus s = hub.status();
  ASSERT_TRUE(s.read_rate_hz);
  EXPECT_LT(*s.read_rate_hz, 60);  // ~50 Hz: the source's 20 ms period wins over the 1 ms request
  hub.unsubscribe(quick);
  EXPECT_EQ(hub.current_interval_ns(), 50'000'000);
  hub.unsubscribe(slow);
}

TEST(MonitorHub, SlowClientIsDroppedWithItsBufferBounded) {
  HubOptions o = fast();
  o.client_buffer = 8;
  SampleHub hub(one_fake(), o);
  std::vector<std::string> dropped;
  std::mutex mu;
  hub.set_drop_callback([&](const std::shared_ptr<ClientQueue>& q) {
    std::lock_guard<std::mutex> l(mu);
    dropped.push_back(q->peer());
  });
  hub.start();
  auto reader = hub.subscribe("reader", 0);
  auto stuck = hub.subscribe("stuck", 0);  // never pops
  for (int i = 0; i < 20; ++i) ASSERT_NE(reader->pop(2s), nullptr);
  ASSERT_TRUE(eventually([&] { return stuck->dropped(); }));
  EXPECT_EQ(stuck->size(), 0u);
  EXPECT_EQ(hub.clients(), 1);  // the reader stays
  EXPECT_EQ(hub.status().clients_dropped, 1u);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(dropped, std::vector<std::string>{"stuck"});
}

TEST(MonitorHub, ShutdownClosesClientQueues) {
  SampleHub hub(one_fake(), fast());
  hub.start();
  auto q = hub.subscribe("test", 0);
  hub.shutdown();
  EXPECT_TRUE(q->closed());
  EXPECT_FALSE(q->dropped());
  EXPECT_TRUE(hub.subscribe("late", 0)->closed());
}

TEST(MonitorHub, RejectsDuplicateDomains) {
  std::vector<std::unique_ptr<telemetry::Collector>> cs;
  cs.push_back(std::make_unique<LinearCollector>(LinearProfile{}, "gpu0"));
  cs.push_back(std::make_unique<LinearCollector>(LinearProfile{}, "gpu0"));
  EXPECT_THROW(SampleHub(std::move(cs), fast()), std::invalid_argument);
}

}  // namespace
}  // namespace ipw::monitor
