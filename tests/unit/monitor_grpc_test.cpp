// The real wire: SampleHub -> GrpcServer on loopback -> gRPC transport ->
// RemoteCollector -> Sampler, with the monitor's clock shifted by 3 s; plus
// bearer-token refusal on gRPC and on /metrics.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "energy.grpc.pb.h"

#include "ipw/monitor/grpc_server.h"
#include "ipw/monitor/grpc_transport.h"
#include "ipw/monitor/metrics_server.h"
#include "ipw/monitor/sample_hub.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/remote_collector.h"
#include "ipw/telemetry/sampler.h"
#include "ipw_monitor.grpc.pb.h"
#include "monitor_fakes.h"
#include "sample_gaps.h"

namespace ipw::monitor {
namespace {

// How long the threads of this process named `name` have waited for a CPU so far (the
// second field of their schedstat): what the scheduler, not the code, cost them.
std::int64_t thread_wait_ns(const std::string& name) {
  std::int64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string got;
    if (!std::getline(comm, got) || got != name) continue;
    std::ifstream stat(task.path() / "schedstat");
    std::int64_t run_ns = 0, wait_ns = 0;
    if (stat >> run_ns >> wait_ns) total += wait_ns;
  }
  return total;
}

using namespace std::chrono_literals;
using testing::LinearCollector;
using testing::LinearProfile;

constexpr std::int64_t kOffsetNs = 3'000'000'000;
const std::string kToken = "s3cret-token";

struct Monitor {
  explicit Monitor(LinearProfile p, std::string token = kToken, std::int64_t update_period_ns = 0) {
    std::vector<std::unique_ptr<telemetry::Collector>> cs;
    cs.push_back(std::make_unique<LinearCollector>(p, "fake0", 0, update_period_ns));
    HubOptions o;
    o.default_interval_ns = 5'000'000;
    o.clock_offset_ns = kOffsetNs;
    hub = std::make_unique<SampleHub>(std::move(cs), o);
    hub->start();
    GrpcServerConfig g;
    g.port = 0;
    g.token = token;
    g.version = "test";
    g.telemetry_spec = "fake";
    grpc = std::make_unique<GrpcServer>(*hub, g);
    metrics = std::make_unique<MetricsServer>(*hub, MetricsServerConfig{"127.0.0.1", 0, token, "test"});
  }
  ~Monitor() {
    hub->shutdown();
    metrics->shutdown();
    grpc->shutdown();
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(grpc->port()); }
  std::unique_ptr<SampleHub> hub;
  std::unique_ptr<GrpcServer> grpc;
  std::unique_ptr<MetricsServer> metrics;
};

TEST(MonitorGrpc, DescribeAndClockSyncOverTheWire) {
  LinearProfile p;
  Monitor m(p);
  auto t = make_grpc_transport(m.endpoint(), kToken);
  auto d = t->describe();
  ASSERT_TRUE(d) << d.error();
  ASSERT_EQ(d.value().domains.size(), 1u);
  EXPECT_EQ(d.value().domains[0].info.domain, "fake0");
  EXPECT_EQ(d.value().domains[0].info.kind, "gpu");
  EXPECT_EQ(d.value().domains[0].info.source, telemetry::EnergySource::counter);
  EXPECT_EQ(d.value().domains[0].collector, "fake");
  EXPECT_EQ(d.value().default_interval_ns, 5'000'000);
  EXPECT_EQ(d.value().telemetry_spec, "fake");
  EXPECT_TRUE(d.value().collectors.is_array());
  auto x = t->sync_clock(steady_clock());
  ASSERT_TRUE(x) << x.error();
  const telemetry::OffsetEstimate e = telemetry::estimate_offset(x.value());
  EXPECT_NEAR(static_cast<double>(e.offset_ns), static_cast<double>(kOffsetNs), 50e6);
  EXPECT_LE(std::llabs(e.offset_ns - kOffsetNs), e.uncertainty_ns + 1'000'000);
}

// What a failed energy check needs to be explained: the remote collector's account
// (clock sync, misses, reconnects) and each sample near the window beside the source's
// exact counter at its stamp.
std::string window_story(const telemetry::Sampler& sampler, std::int64_t a, std::int64_t b,
                         const LinearProfile& p) {
  std::string out = "details: " + sampler.describe()[0]["details"].dump() +
                    "\nsamples (ms from a: read J, exact J, read ms):\n";
  for (const telemetry::Sample& s : sampler.samples(0)) {
    if (s.t_ns < a - 30'000'000 || s.t_ns > b + 30'000'000) continue;
    out += fmt::format("  {:+.3f}: {} {:.4f} {:.3f}\n", static_cast<double>(s.t_ns - a) * 1e-6,
                       s.energy_j ? fmt::format("{:.4f}", *s.energy_j) : std::string("-"), p.energy_to(s.t_ns),
                       static_cast<double>(s.read_ns) * 1e-6);
  }
  return out;
}

TEST(MonitorGrpc, RemoteCollectorEnergyMatchesTheMonitorsSource) {
  LinearProfile p;
  Monitor m(p);
  telemetry::RemoteOptions o;
  o.endpoint = m.endpoint();
  o.token = kToken;
  o.interval_ns = 5'000'000;
  // The claim: a window not flagged `gap` is within 1 % of the source, on every try. An
  // unflagged window on one try of ten: beside the stress a starved stream left one
  // flagged window 4.4 % off, rightly, and an ASan stress run flagged three tries in a row.
  bool unflagged = false;
  for (int attempt = 0; attempt < 10 && !unflagged; ++attempt) {
    std::vector<std::unique_ptr<telemetry::Collector>> cs;
    cs.push_back(std::make_unique<telemetry::RemoteCollector>(make_grpc_transport(o.endpoint, o.token), o));
    telemetry::Sampler sampler(std::move(cs), 5'000'000);
    sampler.start();
    // The window starts once the stream delivers: under load connecting can take longer
    // than any fixed sleep, and a window that starts before the first stored reading is
    // `partial` (extrapolated: the open finding of session 12, 2.9 % off, flagged so).
    ASSERT_TRUE(telemetry::wait_for_stored_sample(sampler, steady_clock().now_ns(), 5'000'000'000));
    EXPECT_EQ(m.hub->clients(), 1);
    const std::int64_t a = steady_clock().now_ns();
    std::this_thread::sleep_for(300ms);
    const std::int64_t b = steady_clock().now_ns();
    ASSERT_TRUE(telemetry::wait_for_stored_sample(sampler, b, 5'000'000'000));
    sampler.stop();  // the traces are final: the flag and the samples below see the same ones
    const auto w = sampler.energy(0, a, b);
    ASSERT_TRUE(w.energy_j);
    const double exact = p.energy_between(a, b);
    EXPECT_EQ(w.flags & telemetry::kPartial, 0u) << "samples bracket the window";
    const bool gap = (w.flags & telemetry::kGap) != 0;
    if (!gap) {
      EXPECT_NEAR(*w.energy_j, exact, exact * 0.01)
          << "an unflagged window\n" << window_story(sampler, a, b, p);
    }
    EXPECT_EQ(gap, telemetry::samples_have_gap(sampler.samples(0), a, b, telemetry::sample_period_ns(sampler)));
    const auto details = sampler.describe()[0]["details"];
    EXPECT_NEAR(details["clock_sync"]["offset_s"].get<double>(), 3.0, 0.05);
    unflagged = !gap;
    // The next try's collector connects afresh: wait for this one's stream to end.
    for (int i = 0; i < 200 && m.hub->clients() > 0; ++i) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(unflagged) << "every try's window was flagged gap";
}

TEST(MonitorGrpc, RemoteSpecGoesThroughTheRegistry) {
  LinearProfile p;
  Monitor m(p, "");  // loopback without a token
  install_remote_transport();
  auto cs = telemetry::make_collectors("remote:" + m.endpoint());
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->name(), "remote");
  EXPECT_EQ(cs[0]->domains()[0].domain, "fake0");
  EXPECT_THROW(telemetry::make_collectors("remote:127.0.0.1:1"), telemetry::CollectorSpecError);
}

TEST(MonitorGrpc, RequestsWithoutTheTokenAreRefused) {
  LinearProfile p;
  Monitor m(p);
  auto none = make_grpc_transport(m.endpoint(), "");
  auto d = none->describe();
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("unauthenticated"), std::string::npos) << d.error();
  EXPECT_FALSE(none->sync_clock(steady_clock()));
  const std::string why = none->stream(0, [](telemetry::RemoteBatch&&) { FAIL() << "no batch without a token"; });
  EXPECT_NE(why.find("unauthenticated"), std::string::npos) << why;
  auto wrong = make_grpc_transport(m.endpoint(), "wrong");
  EXPECT_FALSE(wrong->describe());
  EXPECT_EQ(m.hub->clients(), 0);
}

TEST(MonitorGrpc, MetricsNeedTheTokenAndShowTheEnergyCounter) {
  LinearProfile p;
  Monitor m(p);
  httplib::Client http("127.0.0.1", m.metrics->port());
  auto refused = http.Get("/metrics");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->body.find("ipw_energy"), std::string::npos);
  auto wrong = http.Get("/metrics", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto ok = http.Get("/metrics", {{"Authorization", "Bearer " + kToken}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->get_header_value("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(ok->body.find("ipw_energy_joules_total{domain=\"fake0\""), std::string::npos) << ok->body;
  EXPECT_NE(ok->body.find("ipw_power_watts{domain=\"fake0\""), std::string::npos) << ok->body;
  EXPECT_NE(ok->body.find("ipw_monitor_sampling 1"), std::string::npos) << ok->body;
}

TEST(MonitorGrpc, CannotListenOnABusyPort) {
  LinearProfile p;
  Monitor m(p);
  SampleHub other([&] {
    std::vector<std::unique_ptr<telemetry::Collector>> cs;
    cs.push_back(std::make_unique<LinearCollector>(p));
    return cs;
  }(), HubOptions{});
  GrpcServerConfig g;
  g.port = m.grpc->port();
  EXPECT_THROW(GrpcServer(other, g), std::runtime_error);
  EXPECT_THROW(MetricsServer(other, MetricsServerConfig{"127.0.0.1", m.metrics->port(), "", "t"}),
               std::runtime_error);
}

// Reads n timestamps from each stream at once: the reference's StreamTelemetry
// (Unix ns) and IpwMonitor.StreamSamples (monitor ns, with its sequence).
struct StreamRun {
  std::vector<std::int64_t> compat_ns, ipw_ns;
  std::vector<std::uint64_t> sequence;
};

StreamRun read_both_streams(const Monitor& m, std::size_t n) {
  auto channel = grpc::CreateChannel(m.endpoint(), grpc::InsecureChannelCredentials());
  StreamRun run;
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer " + kToken);
    c->set_deadline(std::chrono::system_clock::now() + 30s);
    return c;
  };
  std::thread compat([&] {
    auto stub = energy::EnergyMonitor::NewStub(channel);
    auto c = context();
    auto reader = stub->StreamTelemetry(c.get(), energy::StreamRequest());
    energy::TelemetryReading r;
    while (run.compat_ns.size() < n && reader->Read(&r)) run.compat_ns.push_back(r.timestamp_nanos());
    c->TryCancel();
  });
  auto stub = v1::IpwMonitor::NewStub(channel);
  auto c = context();
  auto reader = stub->StreamSamples(c.get(), v1::SampleStreamRequest());
  v1::SampleBatch b;
  while (run.ipw_ns.size() < n && reader->Read(&b)) {
    run.ipw_ns.push_back(b.timestamp_nanos());
    run.sequence.push_back(b.sequence());
  }
  c->TryCancel();
  compat.join();
  return run;
}

std::int64_t max_gap_ns(const std::vector<std::int64_t>& t) {
  std::int64_t worst = 0;
  for (std::size_t i = 1; i < t.size(); ++i) worst = std::max(worst, t[i] - t[i - 1]);
  return worst;
}

TEST(MonitorGrpc, BothStreamsSendEachReadOnceAtTheSourcesPace) {
  // A source that updates every 50 ms, the reference stream's own period: the
  // case where a stream timer drifting against the source repeated a reading
  // (a zero gap) and later folded two (a 100 ms gap). Sending each read once,
  // in order, is the contract on every try; the gap bound (1.5 periods) can be
  // broken by a late wake-up of the sampler on a loaded machine (the read is
  // late, none is skipped), so it must hold on one try of three, and each try's
  // bound grows by the worst oversleep a probe thread saw meanwhile (on an
  // idle machine about 0: a folded reading's extra period still fails it).
  constexpr std::int64_t kPeriod = 50'000'000;
  constexpr std::size_t kReadings = 60;
  Monitor m(LinearProfile{}, kToken, kPeriod);
  bool paced = false;
  std::int64_t worst_gap = 0, bound = 0;
  for (int attempt = 0; attempt < 3 && !paced; ++attempt) {
    std::atomic<bool> done{false};
    std::int64_t oversleep_ns = 0;
    std::thread probe([&] {
      while (!done.load()) {
        const auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::nanoseconds(kPeriod));
        const auto late = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count() - kPeriod;
        oversleep_ns = std::max<std::int64_t>(oversleep_ns, late);
      }
    });
    const std::int64_t hub_waited_before = thread_wait_ns(SampleHub::kThreadName);
    const StreamRun run = read_both_streams(m, kReadings);
    const std::int64_t hub_waited_ns = thread_wait_ns(SampleHub::kThreadName) - hub_waited_before;
    done = true;
    probe.join();
    ASSERT_EQ(run.compat_ns.size(), kReadings);
    ASSERT_EQ(run.ipw_ns.size(), kReadings);
    for (std::size_t i = 1; i < kReadings; ++i) {
      EXPECT_GT(run.compat_ns[i], run.compat_ns[i - 1]) << "reference stream, reading " << i;
      EXPECT_GT(run.ipw_ns[i], run.ipw_ns[i - 1]) << "IpwMonitor stream, batch " << i;
      EXPECT_EQ(run.sequence[i], run.sequence[i - 1] + 1) << "IpwMonitor stream, batch " << i;
    }
    // Never faster than the source: the whole span holds one period per reading.
    EXPECT_GE(run.compat_ns.back() - run.compat_ns.front(), static_cast<std::int64_t>(kReadings - 1) * kPeriod * 9 / 10);
    EXPECT_GE(run.ipw_ns.back() - run.ipw_ns.front(), static_cast<std::int64_t>(kReadings - 1) * kPeriod * 9 / 10);
    worst_gap = std::max(max_gap_ns(run.compat_ns), max_gap_ns(run.ipw_ns));
    // The sampler's own wait for a CPU during the try (an ASan stress run saw a 359 ms gap
    // while the probe thread overslept only 45 ms): a late read, not a skipped one.
    bound = kPeriod * 3 / 2 + std::max(oversleep_ns, hub_waited_ns);
    paced = worst_gap <= bound;
  }
  EXPECT_TRUE(paced) << "a gap of " << worst_gap / 1'000'000 << " ms, beyond 1.5 update periods plus the scheduler's "
                     << "measured oversleep or the sampler's wait for a CPU (" << bound / 1'000'000 << " ms), on every try";
}

}  // namespace
}  // namespace ipw::monitor
