#include "ipw/monitor/grpc_transport.h"

#include <chrono>
#include <mutex>
#include <utility>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "ipw_monitor.grpc.pb.h"

namespace ipw::monitor {
namespace {

namespace v1 = ::ipw::monitor::v1;
constexpr auto kUnaryDeadline = std::chrono::seconds(3);

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated (set IPW_MONITOR_TOKEN)";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline exceeded";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource exhausted";
    case grpc::StatusCode::CANCELLED:
      return "cancelled";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented (not an ipw monitor?)";
    default:
      return "error";
  }
}

std::string describe_status(const grpc::Status& s) {
  return fmt::format("{}: {}", code_name(s.error_code()), s.error_message());
}

telemetry::EnergySource from_proto(v1::EnergySource s) {
  switch (s) {
    case v1::ENERGY_SOURCE_INTEGRATED:
      return telemetry::EnergySource::integrated;
    case v1::ENERGY_SOURCE_ESTIMATED:
      return telemetry::EnergySource::estimated;
    default:
      return telemetry::EnergySource::counter;
  }
}

class GrpcTransport final : public telemetry::RemoteTransport {
 public:
  GrpcTransport(const std::string& endpoint, std::string token) : token_(std::move(token)) {
    grpc::ChannelArguments args;
    // Reconnect quickly after the monitor comes back (gRPC's default backoff
    // grows to minutes), and notice a dead link within seconds. The minimum
    // "backoff" is not a backoff: gRPC uses it as the least time a connection
    // attempt gets to finish its TCP and HTTP/2 handshakes. At 100 ms a loaded
    // machine (the ASan suite beside busy loops) cut every handshake to a restarted
    // monitor short, and the stream was never restored; a refused connection still
    // fails at once, so retries keep the 100-500 ms pace.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20'000);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    stub_ = v1::IpwMonitor::NewStub(
        grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args));
  }

  Expected<telemetry::RemoteDescription, std::string> describe() override {
    grpc::ClientContext ctx;
    prepare(ctx, true);
    v1::MonitorDescription d;
    const grpc::Status s = stub_->Describe(&ctx, v1::DescribeRequest(), &d);
    if (!s.ok()) return unexpected(describe_status(s));
    telemetry::RemoteDescription out;
    for (const v1::Domain& p : d.domains()) {
      telemetry::RemoteDomain rd;
      rd.info.domain = p.name();
      rd.info.device = p.device();
      rd.info.kind = p.kind();
      rd.info.source = from_proto(p.source());
      rd.info.wrap_j = p.wrap_joules();
      rd.update_period_ns = p.update_period_nanos();
      rd.summable = p.summable();
      rd.collector = p.collector();
      out.domains.push_back(std::move(rd));
    }
    out.default_interval_ns = d.default_interval_nanos();
    out.min_interval_ns = d.min_interval_nanos();
    out.version = d.version();
    out.host_name = d.host_name();
    out.telemetry_spec = d.telemetry_spec();
    out.collectors = nlohmann::json::parse(d.collectors_json(), nullptr, false);
    if (out.collectors.is_discarded()) out.collectors = nlohmann::json::array();
    return out;
  }

  Expected<telemetry::SyncExchange, std::string> sync_clock(const Clock& clock) override {
    grpc::ClientContext ctx;
    prepare(ctx, true);
    v1::SyncRequest req;
    v1::SyncResponse resp;
    const std::int64_t t1 = clock.now_ns();
    req.set_client_send_nanos(t1);
    const grpc::Status s = stub_->SyncClock(&ctx, req, &resp);
    const std::int64_t t4 = clock.now_ns();
    if (!s.ok()) return unexpected(describe_status(s));
    if (resp.client_send_nanos() != t1) return unexpected(std::string("clock sync reply does not echo our request"));
    return telemetry::SyncExchange{t1, resp.server_receive_nanos(), resp.server_send_nanos(), t4};
  }

  std::string stream(std::int64_t interval_ns,
                     const std::function<void(telemetry::RemoteBatch&&)>& on_batch) override {
    auto ctx = std::make_shared<grpc::ClientContext>();
    prepare(*ctx, false);
    {
      std::lock_guard<std::mutex> l(mu_);
      if (cancelled_) return "cancelled";
      ctx_ = ctx;
    }
    v1::SampleStreamRequest req;
    req.set_interval_nanos(interval_ns);
    auto reader = stub_->StreamSamples(ctx.get(), req);
    v1::SampleBatch b;
    while (reader->Read(&b)) {
      telemetry::RemoteBatch out;
      out.t_remote_ns = b.timestamp_nanos();
      out.sequence = b.sequence();
      out.interval_ns = b.interval_nanos();
      for (const v1::DomainReading& r : b.readings()) {
        telemetry::RemoteReading rr;
        rr.domain = static_cast<int>(r.domain());
        if (r.has_energy_joules()) rr.reading.energy_j = r.energy_joules();
        if (r.has_power_watts()) rr.reading.power_w = r.power_watts();
        if (r.has_temperature_celsius()) rr.reading.temperature_c = r.temperature_celsius();
        if (r.has_memory_mb()) rr.reading.memory_mb = r.memory_mb();
        out.readings.push_back(std::move(rr));
      }
      on_batch(std::move(out));
    }
    const grpc::Status s = reader->Finish();
    std::lock_guard<std::mutex> l(mu_);
    ctx_.reset();
    if (cancelled_) return "cancelled";
    return s.ok() ? std::string("the monitor ended the stream") : describe_status(s);
  }

  void cancel_stream() override {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = true;
    if (ctx_) ctx_->TryCancel();
  }

  void reset_cancel() override {
    std::lock_guard<std::mutex> l(mu_);
    cancelled_ = false;
  }

 private:
  void prepare(grpc::ClientContext& ctx, bool unary) const {
    if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);
    if (unary) ctx.set_deadline(std::chrono::system_clock::now() + kUnaryDeadline);
  }

  std::string token_;
  std::unique_ptr<v1::IpwMonitor::Stub> stub_;
  std::mutex mu_;
  std::shared_ptr<grpc::ClientContext> ctx_;
  bool cancelled_ = false;
};

}  // namespace

std::unique_ptr<telemetry::RemoteTransport> make_grpc_transport(const std::string& endpoint,
                                                                const std::string& token) {
  return std::make_unique<GrpcTransport>(endpoint, token);
}

void install_remote_transport() { telemetry::set_remote_transport_factory(make_grpc_transport); }

}  // namespace ipw::monitor
