#include "ipw/monitor/grpc_server.h"

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "energy.grpc.pb.h"
#include "ipw/common/host_facts.h"
#include "ipw/common/access_policy.h"
#include "ipw/monitor/compat_reading.h"
#include "ipw_monitor.grpc.pb.h"

namespace ipw::monitor {
namespace {

namespace v1 = ::ipw::monitor::v1;
using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

constexpr std::int64_t kCompatPeriodNs = 50'000'000;  // the reference's fixed period
constexpr auto kPollPeriod = std::chrono::milliseconds(200);    // how often a waiting handler checks cancellation

v1::EnergySource to_proto(telemetry::EnergySource s) {
  switch (s) {
    case telemetry::EnergySource::counter:
      return v1::ENERGY_SOURCE_COUNTER;
    case telemetry::EnergySource::integrated:
      return v1::ENERGY_SOURCE_INTEGRATED;
    case telemetry::EnergySource::estimated:
      return v1::ENERGY_SOURCE_ESTIMATED;
  }
  return v1::ENERGY_SOURCE_UNSPECIFIED;
}

// Shared by both services: the hub, auth, the client limit, and the map that
// lets a dropped client's queue cancel its call.
class Shared {
 public:
  Shared(SampleHub& hub, GrpcServerConfig config) : hub_(hub), config_(std::move(config)) {
    facts_ = read_host_facts(config_.host_root);
    hub_.set_drop_callback([this](const std::shared_ptr<ClientQueue>& q) {
      std::lock_guard<std::mutex> l(mu_);
      auto it = calls_.find(q.get());
      if (it != calls_.end()) it->second->TryCancel();
    });
  }
  ~Shared() { hub_.set_drop_callback(nullptr); }

  SampleHub& hub() { return hub_; }
  const GrpcServerConfig& config() const { return config_; }
  const HostFacts& facts() const { return facts_; }

  Status authorize(ServerContext* ctx) const {
    if (config_.token.empty()) return Status::OK;
    const auto& md = ctx->client_metadata();
    const auto it = md.find("authorization");
    if (it != md.end() && bearer_matches(std::string(it->second.data(), it->second.size()), config_.token)) {
      return Status::OK;
    }
    spdlog::warn("ipw monitor: refused {}: missing or wrong bearer token", ctx->peer());
    return Status(StatusCode::UNAUTHENTICATED, "missing or wrong bearer token (authorization: Bearer <token>)");
  }

  // A streaming client: subscribed to the hub and cancellable when dropped.
  // Null (with `refused` set) when the monitor already serves max_clients.
  std::shared_ptr<ClientQueue> join(ServerContext* ctx, std::int64_t interval_ns, Status& refused) {
    if (hub_.clients() >= config_.max_clients) {
      refused = Status(StatusCode::RESOURCE_EXHAUSTED,
                       "ipw monitor already serves " + std::to_string(config_.max_clients) + " clients");
      return nullptr;
    }
    auto q = hub_.subscribe(ctx->peer(), interval_ns);
    std::lock_guard<std::mutex> l(mu_);
    calls_[q.get()] = ctx;
    return q;
  }
  void leave(const std::shared_ptr<ClientQueue>& q) {
    {
      std::lock_guard<std::mutex> l(mu_);
      calls_.erase(q.get());
    }
    hub_.unsubscribe(q);
  }

 private:
  SampleHub& hub_;
  const GrpcServerConfig config_;
  HostFacts facts_;
  std::mutex mu_;
  std::map<const ClientQueue*, ServerContext*> calls_;
};

// Why a stream ended, as the client should see it.
Status end_status(const ClientQueue& q) {
  if (q.dropped()) {
    return Status(StatusCode::RESOURCE_EXHAUSTED,
                  "client too slow: " + std::to_string(q.capacity()) + " batches unread; dropped");
  }
  return Status(StatusCode::UNAVAILABLE, "ipw monitor is shutting down");
}

// The next batch for a streaming call; nullptr once the stream is over: the
// client cancelled, or its queue closed (`ended` then says why).
std::shared_ptr<const HubBatch> next_batch(ServerContext* ctx, ClientQueue& q, Status& ended) {
  while (!ctx->IsCancelled()) {
    if (auto b = q.pop(kPollPeriod)) return b;
    if (q.closed()) {
      ended = end_status(q);
      return nullptr;
    }
  }
  return nullptr;
}

class EnergyMonitorService final : public energy::EnergyMonitor::Service {
 public:
  explicit EnergyMonitorService(Shared& s) : s_(s) {}

  Status Health(ServerContext* ctx, const energy::HealthRequest*, energy::HealthResponse* out) override {
    if (Status a = s_.authorize(ctx); !a.ok()) return a;
    out->set_healthy(true);
    out->set_platform(compat_platform(s_.hub().domains()));
    return Status::OK;
  }

  Status StreamTelemetry(ServerContext* ctx, const energy::StreamRequest*,
                         grpc::ServerWriter<energy::TelemetryReading>* writer) override {
    if (Status a = s_.authorize(ctx); !a.ok()) return a;
    Status refused;
    // Ask the hub for the reference's period; it never reads a source faster
    // than the source updates, and another client may make it read faster.
    auto q = s_.join(ctx, kCompatPeriodNs, refused);
    if (!q) return refused;
    CompatAggregator agg(s_.hub().domains());
    CompatPace pace(kCompatPeriodNs / 2);
    energy::TelemetryReading msg;
    fill_static(msg);
    Status result = Status::OK;
    while (auto b = next_batch(ctx, *q, result)) {
      // Batches already queued (the hub reads its sources back to back) go
      // into the same reading.
      for (; b; b = q->pop(std::chrono::nanoseconds(0))) {
        if (agg.add(*b)) pace.add(b->t_ns);
      }
      if (!pace.due()) continue;
      const CompatReading r = agg.reading(used_memory_mb(s_.config().host_root));
      msg.set_power_watts(r.power_watts);
      msg.set_energy_joules(r.energy_joules);
      msg.set_temperature_celsius(r.temperature_celsius);
      msg.set_gpu_memory_usage_mb(r.gpu_memory_usage_mb);
      msg.set_cpu_memory_usage_mb(r.cpu_memory_usage_mb);
      msg.set_platform(r.platform);
      msg.set_timestamp_nanos(r.timestamp_nanos);
      if (!writer->Write(msg)) break;  // the client left
      pace.sent();
    }
    s_.leave(q);
    return result;
  }

 private:
  void fill_static(energy::TelemetryReading& msg) const {
    const HostFacts& f = s_.facts();
    auto* si = msg.mutable_system_info();
    si->set_os_name(f.os_name);
    si->set_os_version(f.os_version);
    si->set_kernel_version(f.kernel_version);
    si->set_host_name(f.host_name);
    si->set_cpu_count(f.cpu_count);
    si->set_cpu_brand(f.cpu_brand);
    const CompatGpu g = compat_gpu(s_.hub().domains());
    if (!g.name.empty()) {
      auto* gi = msg.mutable_gpu_info();
      gi->set_name(g.name);
      gi->set_vendor(g.vendor);
      gi->set_device_id(g.device_id);
      gi->set_device_type(g.device_type);
      gi->set_backend(g.backend);
    }
  }

  Shared& s_;
};

class IpwMonitorService final : public v1::IpwMonitor::Service {
 public:
  explicit IpwMonitorService(Shared& s) : s_(s) {}

  Status Describe(ServerContext* ctx, const v1::DescribeRequest*, v1::MonitorDescription* out) override {
    if (Status a = s_.authorize(ctx); !a.ok()) return a;
    const auto& domains = s_.hub().domains();
    for (std::size_t i = 0; i < domains.size(); ++i) {
      const HubDomain& d = domains[i];
      v1::Domain* p = out->add_domains();
      p->set_index(static_cast<std::uint32_t>(i));
      p->set_name(d.info.domain);
      p->set_device(d.info.device);
      p->set_kind(d.info.kind);
      p->set_source(to_proto(d.info.source));
      p->set_wrap_joules(d.info.wrap_j);
      p->set_update_period_nanos(d.update_period_ns);
      p->set_summable(d.summable);
      p->set_collector(d.collector);
    }
    const HubOptions& o = s_.hub().options();
    out->set_default_interval_nanos(o.default_interval_ns);
    out->set_min_interval_nanos(o.min_interval_ns);
    out->set_version(s_.config().version);
    out->set_host_name(s_.facts().host_name);
    out->set_telemetry_spec(s_.config().telemetry_spec);
    out->set_collectors_json(s_.hub().describe_collectors().dump());
    return Status::OK;
  }

  Status StreamSamples(ServerContext* ctx, const v1::SampleStreamRequest* req,
                       grpc::ServerWriter<v1::SampleBatch>* writer) override {
    if (Status a = s_.authorize(ctx); !a.ok()) return a;
    if (req->interval_nanos() < 0) return Status(StatusCode::INVALID_ARGUMENT, "interval_nanos < 0");
    Status refused;
    auto q = s_.join(ctx, req->interval_nanos(), refused);
    if (!q) return refused;
    std::uint64_t sequence = 0;
    v1::SampleBatch msg;
    Status result = Status::OK;
    while (auto b = next_batch(ctx, *q, result)) {
      msg.Clear();
      msg.set_timestamp_nanos(b->t_ns);
      msg.set_sequence(++sequence);
      msg.set_interval_nanos(s_.hub().current_interval_ns());
      for (const auto& [d, r] : b->readings) {
        v1::DomainReading* p = msg.add_readings();
        p->set_domain(static_cast<std::uint32_t>(d));
        if (r.energy_j) p->set_energy_joules(*r.energy_j);
        if (r.power_w) p->set_power_watts(*r.power_w);
        if (r.temperature_c) p->set_temperature_celsius(*r.temperature_c);
        if (r.memory_mb) p->set_memory_mb(*r.memory_mb);
      }
      if (!writer->Write(msg)) break;
    }
    s_.leave(q);
    return result;
  }

  Status SyncClock(ServerContext* ctx, const v1::SyncRequest* req, v1::SyncResponse* out) override {
    const std::int64_t received = s_.hub().now_ns();  // first: the exchange's t2
    if (Status a = s_.authorize(ctx); !a.ok()) return a;
    out->set_client_send_nanos(req->client_send_nanos());
    out->set_server_receive_nanos(received);
    out->set_server_send_nanos(s_.hub().now_ns());  // last: t3
    return Status::OK;
  }

 private:
  Shared& s_;
};

}  // namespace

std::string host_port(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct GrpcServer::Impl {
  Impl(SampleHub& hub, GrpcServerConfig cfg) : shared(hub, std::move(cfg)), compat(shared), ipw(shared) {}
  Shared shared;
  EnergyMonitorService compat;
  IpwMonitorService ipw;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::once_flag shut;
};

GrpcServer::GrpcServer(SampleHub& hub, GrpcServerConfig config) {
  const std::string address = host_port(config.bind, config.port);
  impl_ = std::make_unique<Impl>(hub, std::move(config));
  grpc::ServerBuilder b;
  b.AddListeningPort(address, grpc::InsecureServerCredentials(), &impl_->port);
  b.RegisterService(&impl_->compat);
  b.RegisterService(&impl_->ipw);
  // Find clients that vanished without closing (their stream would otherwise
  // hold a thread), and let remote collectors probe a quiet link every second.
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  b.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1'000);
  b.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // Without this a second monitor on the same port would silently share it (SO_REUSEPORT).
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  impl_->server = b.BuildAndStart();
  if (!impl_->server || impl_->port == 0) {
    throw std::runtime_error("ipw monitor: cannot listen for gRPC on " + address +
                             " (port in use, or not an address of this host?)");
  }
}

GrpcServer::~GrpcServer() { shutdown(); }

int GrpcServer::port() const { return impl_->port; }

void GrpcServer::shutdown() {
  std::call_once(impl_->shut, [this] {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    impl_->server->Wait();
  });
}

}  // namespace ipw::monitor
