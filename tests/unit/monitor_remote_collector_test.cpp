// The `remote` collector against a fake transport whose "monitor" runs on a
// clock 5 s ahead of ours: offsets are detected and undone, values are
// interpolated at the instants asked, outages become gaps, never zeros.
#include "ipw/telemetry/remote_collector.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "ipw/telemetry/energy_window.h"
#include "ipw/telemetry/sampler.h"
#include "monitor_fakes.h"
#include "sample_gaps.h"

namespace ipw::telemetry {
namespace {

using namespace std::chrono_literals;
using monitor::testing::LinearProfile;

constexpr std::int64_t kOffsetNs = 5'000'000'000;

// The fake monitor: samples `profile` every 2 ms, stamps on (steady + offset).
// Its stream can be broken (`fail_streams` refuses new ones) to simulate outages.
class FakeTransport final : public RemoteTransport {
 public:
  struct State {
    LinearProfile profile;
    double wrap_j = 0;
    std::atomic<bool> break_stream{false};
    std::atomic<bool> fail_streams{false};
    std::atomic<bool> unreachable{false};
    std::atomic<int> streams{0};
    std::atomic<int> pause_ms{0};  // once: the stream's next pause is this long (a delayed monitor)
  };
  explicit FakeTransport(std::shared_ptr<State> s) : s_(std::move(s)) {}

  Expected<RemoteDescription, std::string> describe() override {
    if (s_->unreachable) return unexpected(std::string("unavailable: connection refused"));
    RemoteDescription d;
    RemoteDomain rd;
    rd.info = {"gpu0", "Remote GPU", "gpu", EnergySource::counter, s_->wrap_j};
    rd.collector = "fake";
    d.domains.push_back(rd);
    d.min_interval_ns = 1'000'000;
    d.version = "test";
    return d;
  }
  Expected<SyncExchange, std::string> sync_clock(const Clock& clock) override {
    if (s_->unreachable) return unexpected(std::string("unavailable"));
    SyncExchange x;
    x.t1_local_ns = clock.now_ns();
    x.t2_remote_ns = steady_clock().now_ns() + kOffsetNs;
    x.t3_remote_ns = x.t2_remote_ns + 1000;
    x.t4_local_ns = clock.now_ns();
    return x;
  }
  std::string stream(std::int64_t, const std::function<void(RemoteBatch&&)>& on_batch) override {
    ++s_->streams;
    if (s_->fail_streams) return "unavailable: connection refused";
    std::uint64_t seq = 0;
    while (true) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (cancelled_) return "cancelled";
      }
      if (s_->break_stream.exchange(false)) return "unavailable: socket closed";
      const std::int64_t t = steady_clock().now_ns();
      RemoteBatch b;
      b.t_remote_ns = t + kOffsetNs;
      b.sequence = ++seq;
      b.interval_ns = 2'000'000;
      RemoteReading r;
      r.domain = 0;
      double e = s_->profile.energy_to(t);
      if (s_->wrap_j > 0) e = std::fmod(e, s_->wrap_j);
      r.reading.energy_j = e;
      r.reading.power_w = s_->profile.power_at(t);
      b.readings.push_back(r);
      on_batch(std::move(b));
      const int pause_ms = s_->pause_ms.exchange(0);
      std::this_thread::sleep_for(pause_ms > 0 ? std::chrono::milliseconds(pause_ms) : 2ms);
    }
  }
  void cancel_stream() override {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = true;
  }
  void reset_cancel() override {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = false;
  }

 private:
  std::shared_ptr<State> s_;
  std::mutex mu_;
  bool cancelled_ = false;
};

RemoteOptions fast_options() {
  RemoteOptions o;
  o.endpoint = "fake:1";
  o.interval_ns = 2'000'000;
  o.sync_every_ns = 50'000'000;
  o.reconnect_min_ns = 10'000'000;
  o.reconnect_max_ns = 20'000'000;
  o.read_slack_ns = 50'000'000;
  return o;
}

TEST(MonitorRemoteCollector, SpecParsing) {
  RemoteOptions o = remote_options_from_spec("gpu-box:50053");
  EXPECT_EQ(o.endpoint, "gpu-box:50053");
  EXPECT_EQ(o.interval_ns, 10'000'000);
  o = remote_options_from_spec("[::1]:7000?interval_ms=5");
  EXPECT_EQ(o.endpoint, "[::1]:7000");
  EXPECT_EQ(o.interval_ns, 5'000'000);
  EXPECT_THROW(remote_options_from_spec("gpu-box"), std::invalid_argument);
  EXPECT_THROW(remote_options_from_spec(":50053"), std::invalid_argument);
  EXPECT_THROW(remote_options_from_spec("host:port"), std::invalid_argument);
  EXPECT_THROW(remote_options_from_spec("host:1?interval_ms=0"), std::invalid_argument);
  EXPECT_THROW(remote_options_from_spec("host:1?token=x"), std::invalid_argument);
}

TEST(MonitorRemoteCollector, UnreachableMonitorNamesTheEndpoint) {
  auto s = std::make_shared<FakeTransport::State>();
  s->unreachable = true;
  try {
    RemoteCollector c(std::make_unique<FakeTransport>(s), fast_options());
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("fake:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("connection refused"), std::string::npos) << e.what();
  }
}

TEST(MonitorRemoteCollector, OffsetIsDetectedAndValuesAreInterpolatedAtLocalInstants) {
  auto s = std::make_shared<FakeTransport::State>();
  RemoteCollector c(std::make_unique<FakeTransport>(s), fast_options());
  EXPECT_NEAR(static_cast<double>(c.offset().offset_ns), static_cast<double>(kOffsetNs), 1e6);
  ASSERT_EQ(c.domains().size(), 1u);
  EXPECT_EQ(c.domains()[0].domain, "gpu0");
  EXPECT_EQ(c.update_period_ns(), 4'000'000);  // twice the stream's period

  std::vector<Reading> out;
  c.read(steady_clock().now_ns(), out);  // before start(): nothing, and no wait
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].energy_j);

  c.start(steady_clock().now_ns());
  for (int i = 0; i < 400 && !c.streaming(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(c.streaming());
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(3ms);
    const std::int64_t t = steady_clock().now_ns();
    c.read(t, out);
    ASSERT_TRUE(out[0].energy_j) << "read " << i;
    ASSERT_TRUE(out[0].power_w);
    // Exact up to the offset estimate's error (< 1 ms here) times the power.
    EXPECT_NEAR(*out[0].energy_j, s->profile.energy_to(t), 0.2) << "read " << i;
    EXPECT_NEAR(*out[0].power_w, s->profile.power_at(t), 0.05);
  }
  c.stop();
  const auto j = c.describe();
  EXPECT_NEAR(j["clock_sync"]["offset_s"].get<double>(), 5.0, 1e-3);
  EXPECT_EQ(j["clock_sync"]["bursts"].front()["phase"], "before");
  EXPECT_EQ(j["clock_sync"]["bursts"].back()["phase"], "after");
  EXPECT_GT(j["stream"]["batches"].get<int>(), 5);
}

TEST(MonitorRemoteCollector, WrappingCounterIsInterpolatedAcrossTheWrap) {
  auto s = std::make_shared<FakeTransport::State>();
  // 100 W wrapping at 5 J: a wrap every 50 ms, 25 stream periods, so consecutive samples are
  // unambiguous even when a loaded (or sanitised) machine delays the fake monitor's thread.
  s->profile.base_w = 100;
  s->profile.slope_w_per_s = 0;
  s->wrap_j = 5;
  RemoteCollector c(std::make_unique<FakeTransport>(s), fast_options());
  c.start(steady_clock().now_ns());
  for (int i = 0; i < 400 && !c.streaming(); ++i) std::this_thread::sleep_for(5ms);
  // The offset estimate is good to rtt/2; at 100 W each ms of it is 0.1 J.
  const double tolerance_j = 0.1 + 100.0 * static_cast<double>(c.offset().uncertainty_ns) * 1e-9;
  // A read waits for the sample after it for a period plus slack; when the fake monitor's
  // thread is held up longer (a stress run's loaded machine did it), the read is not
  // bracketed and its value is unknown, never guessed, and counted. So: every known value
  // is right (modulo the wrap), every unknown one is counted, and reads go on (a bounded
  // number) until 40 known ones span two wraps.
  std::vector<Reading> out;
  std::uint64_t unknown = 0;
  int known = 0;
  std::int64_t first_known = 0, last_known = 0;
  for (int i = 0; i < 2000 && (known < 40 || last_known - first_known < 120'000'000); ++i) {
    std::this_thread::sleep_for(3ms);
    const std::int64_t t = steady_clock().now_ns();
    c.read(t, out);
    if (!out[0].energy_j) {
      ++unknown;
      continue;
    }
    if (known++ == 0) first_known = t;
    last_known = t;
    EXPECT_GE(*out[0].energy_j, 0);
    EXPECT_LT(*out[0].energy_j, 5);
    double want = std::fmod(s->profile.energy_to(t), 5.0);
    double diff = std::fabs(*out[0].energy_j - want);
    EXPECT_LT(std::min(diff, 5 - diff), tolerance_j) << "read " << i;  // distance modulo the wrap
  }
  EXPECT_GE(known, 40);
  EXPECT_GE(last_known - first_known, 120'000'000);  // two wraps crossed by known values
  EXPECT_EQ(c.describe()["stream"]["unbracketed_reads"].get<std::uint64_t>(), unknown);
}

// A monitor delayed for longer than a whole wrap period: the raw readings around the
// gap differ by less than the energy drawn, and only the power they carry says how many
// wraps lie between them. Before power settled it, this read was 5 J off (one wrap).
TEST(MonitorRemoteCollector, PowerCountsTheWrapsAcrossADelayedStream) {
  auto s = std::make_shared<FakeTransport::State>();
  s->profile.base_w = 100;  // 5 J wraps every 50 ms
  s->profile.slope_w_per_s = 0;
  s->wrap_j = 5;
  RemoteCollector c(std::make_unique<FakeTransport>(s), fast_options());
  c.start(steady_clock().now_ns());
  for (int i = 0; i < 400 && !c.streaming(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(c.streaming());
  std::this_thread::sleep_for(10ms);
  s->pause_ms = 120;  // after its next batch the fake pauses 2.4 wrap periods
  std::this_thread::sleep_for(40ms);  // inside the pause
  const std::int64_t t = steady_clock().now_ns();
  std::this_thread::sleep_for(150ms);  // past it: t is bracketed by the samples around the gap
  std::vector<Reading> out;
  c.read(t, out);
  c.stop();
  ASSERT_TRUE(out[0].energy_j);
  const double want = std::fmod(s->profile.energy_to(t), 5.0);
  const double diff = std::fabs(*out[0].energy_j - want);
  const double tolerance_j = 0.1 + 100.0 * static_cast<double>(c.offset().uncertainty_ns) * 1e-9;
  EXPECT_LT(std::min(diff, 5 - diff), tolerance_j) << "read " << *out[0].energy_j << " J, exact " << want << " J";
}

// Two monitors in one run (remote:h1:…,remote:h2:…): each host's domains are named after it,
// so the two hosts' gpu0 are two domains, not a clash (make_collectors sets qualify_domains).
TEST(MonitorRemoteCollector, SeveralMonitorsNameTheirDomainsAfterTheirHost) {
  auto s1 = std::make_shared<FakeTransport::State>();
  auto s2 = std::make_shared<FakeTransport::State>();
  RemoteOptions o1 = fast_options(), o2 = fast_options();
  o1.endpoint = "h1:50053";
  o2.endpoint = "h2:50053";
  o1.qualify_domains = o2.qualify_domains = true;
  RemoteCollector a(std::make_unique<FakeTransport>(s1), o1);
  RemoteCollector b(std::make_unique<FakeTransport>(s2), o2);
  ASSERT_FALSE(a.domains().empty());
  ASSERT_EQ(a.domains().size(), b.domains().size());
  for (std::size_t i = 0; i < a.domains().size(); ++i) {
    EXPECT_EQ(a.domains()[i].domain.rfind("h1:50053/", 0), 0u) << a.domains()[i].domain;
    EXPECT_EQ(b.domains()[i].domain.rfind("h2:50053/", 0), 0u) << b.domains()[i].domain;
    EXPECT_NE(a.domains()[i].domain, b.domains()[i].domain);
    EXPECT_EQ(a.domains()[i].kind, b.domains()[i].kind);  // --domains gpu still takes both hosts' GPUs
  }
  RemoteCollector plain(std::make_unique<FakeTransport>(std::make_shared<FakeTransport::State>()), fast_options());
  EXPECT_EQ(plain.domains()[0].domain.find('/'), std::string::npos);  // one monitor: names as the host gave them
}

TEST(MonitorRemoteCollector, SamplerEnergyMatchesTheExactIntegralThroughTheRemotePath) {
  auto s = std::make_shared<FakeTransport::State>();
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<RemoteCollector>(std::make_unique<FakeTransport>(s), fast_options()));
  Sampler sampler(std::move(cs), 2'000'000);
  sampler.start();
  // Stored readings on both sides of the window (a loaded machine can take longer than
  // any fixed sleep to connect the stream; a window beyond them is `partial`).
  ASSERT_TRUE(wait_for_stored_sample(sampler, steady_clock().now_ns(), 5'000'000'000));
  const std::int64_t a = steady_clock().now_ns();
  std::this_thread::sleep_for(150ms);
  const std::int64_t b = steady_clock().now_ns();
  ASSERT_TRUE(wait_for_stored_sample(sampler, b, 5'000'000'000));
  sampler.stop();  // the traces are final: the flag and the samples below see the same ones
  const WindowEnergy w = sampler.energy(0, a, b);
  ASSERT_TRUE(w.energy_j);
  const double exact = s->profile.energy_between(a, b);
  EXPECT_NEAR(*w.energy_j, exact, exact * 0.01);
  EXPECT_EQ((w.flags & kGap) != 0, samples_have_gap(sampler.samples(0), a, b, sample_period_ns(sampler)));
}

TEST(MonitorRemoteCollector, OutageIsAGapNotZeroAndTheStreamReconnects) {
  auto s = std::make_shared<FakeTransport::State>();
  // A read that waited for data would wait its whole slack (2 s here): "at once" is then
  // told apart from it by a bound (1 s) no scheduler delay on a loaded machine reaches.
  RemoteOptions o = fast_options();
  o.read_slack_ns = 2'000'000'000;
  auto owned = std::make_unique<RemoteCollector>(std::make_unique<FakeTransport>(s), o);
  RemoteCollector* c = owned.get();
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::move(owned));
  Sampler sampler(std::move(cs), 2'000'000);
  sampler.start();
  // The window must start with the stream delivering, so that the outage lies between
  // stored readings (a loaded machine can take longer than any fixed sleep to get there;
  // with none before the outage the window is `partial`, not `gap`).
  ASSERT_TRUE(wait_for_stored_sample(sampler, steady_clock().now_ns(), 5'000'000'000));
  const std::int64_t a = steady_clock().now_ns();
  s->fail_streams = true;
  s->break_stream = true;
  for (int i = 0; i < 2000 && c->streaming(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_FALSE(c->streaming());
  std::vector<Reading> out;
  const auto before = std::chrono::steady_clock::now();
  c->read(steady_clock().now_ns(), out);  // during the outage: nothing, at once
  EXPECT_FALSE(out[0].energy_j);
  EXPECT_FALSE(out[0].power_w);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  std::this_thread::sleep_for(100ms);
  s->fail_streams = false;  // the monitor is back
  // Reconnecting is the contract, not how fast a loaded machine gets to it.
  for (int i = 0; i < 2000 && !c->streaming(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(c->streaming());
  EXPECT_GE(c->reconnects(), 1);
  std::this_thread::sleep_for(30ms);
  const std::int64_t b = steady_clock().now_ns();
  ASSERT_TRUE(wait_for_stored_sample(sampler, b, 5'000'000'000));
  const WindowEnergy w = sampler.energy(0, a, b);
  ASSERT_TRUE(w.energy_j);
  EXPECT_NE(w.flags & kGap, 0u) << flags_to_string(w.flags);
  // The counter kept counting on the monitor: the window's total is still right.
  const double exact = s->profile.energy_between(a, b);
  EXPECT_NEAR(*w.energy_j, exact, exact * 0.01);
  sampler.stop();
  const auto j = sampler.describe()[0]["details"];
  ASSERT_GE(j["stream"]["outages"].size(), 1u);
  EXPECT_TRUE(j["stream"]["outages"][0]["to_s"].is_number());
}

}  // namespace
}  // namespace ipw::telemetry
