#pragma once
// The gRPC side of `--telemetry remote:HOST:PORT`: a RemoteTransport talking
// to ipw.monitor.v1.IpwMonitor. The collector logic is in
// src/ipw/telemetry/remote_collector.h; this is only the wire.
#include <memory>
#include <string>

#include "ipw/telemetry/remote_transport.h"

namespace ipw::monitor {

// endpoint "HOST:PORT"; token "" = send no authorization header.
std::unique_ptr<telemetry::RemoteTransport> make_grpc_transport(const std::string& endpoint,
                                                                const std::string& token);

// Makes `remote:` specs use gRPC in this process (call once at start-up).
void install_remote_transport();

}  // namespace ipw::monitor
