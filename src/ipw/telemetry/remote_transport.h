#pragma once
// The seam between the `remote` collector and the network. The collector's
// logic (clock mapping, interpolation, reconnects, gap flags) lives in the core
// library and is tested with a fake transport; the gRPC implementation lives in
// src/ipw/monitor/ (library ipw_monitor) and installs itself with
// set_remote_transport_factory(), so the core library never links gRPC.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/common/clock.h"
#include "ipw/common/expected.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/remote_clock.h"

namespace ipw::telemetry {

struct RemoteDomain {
  DomainInfo info;
  std::int64_t update_period_ns = 0;  // the source's own; 0 = unknown
  bool summable = true;
  std::string collector;  // the monitor's source name ("nvml", "rapl", "replay", …)
};

struct RemoteDescription {
  std::vector<RemoteDomain> domains;
  std::int64_t default_interval_ns = 0;
  std::int64_t min_interval_ns = 0;
  std::string version;
  std::string host_name;
  std::string telemetry_spec;
  nlohmann::json collectors = nlohmann::json::array();  // the monitor's describe() per source
};

struct RemoteReading {
  int domain = 0;  // index into RemoteDescription::domains
  Reading reading;
};

// One read of one source on the monitor, stamped on the monitor's clock.
struct RemoteBatch {
  std::int64_t t_remote_ns = 0;
  std::uint64_t sequence = 0;
  std::int64_t interval_ns = 0;
  std::vector<RemoteReading> readings;
};

// One connection to a monitor. describe() and sync_clock() may be called from
// any thread, also while stream() runs on another; cancel_stream() from any thread.
class RemoteTransport {
 public:
  virtual ~RemoteTransport() = default;
  virtual Expected<RemoteDescription, std::string> describe() = 0;
  // One exchange: t1/t4 are stamped with `clock` immediately around the call.
  virtual Expected<SyncExchange, std::string> sync_clock(const Clock& clock) = 0;
  // Streams batches to on_batch until the stream ends; returns why it ended
  // ("cancelled" after cancel_stream(), else the transport's error text).
  virtual std::string stream(std::int64_t interval_ns,
                             const std::function<void(RemoteBatch&&)>& on_batch) = 0;
  // Ends a running stream() promptly; also makes the next stream() end at once
  // until reset_cancel() is called.
  virtual void cancel_stream() = 0;
  virtual void reset_cancel() = 0;
};

// endpoint: "HOST:PORT"; token: bearer token, "" for none.
using RemoteTransportFactory =
    std::function<std::unique_ptr<RemoteTransport>(const std::string& endpoint, const std::string& token)>;

// Installed by the gRPC layer at start-up (ipw::monitor::install_remote_transport()).
void set_remote_transport_factory(RemoteTransportFactory factory);
// Empty when none is installed (a binary built without the monitor library).
RemoteTransportFactory remote_transport_factory();

}  // namespace ipw::telemetry
