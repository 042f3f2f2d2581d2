#pragma once
// The monitor's gRPC endpoint: the reference-compatible energy.EnergyMonitor
// (Health, StreamTelemetry at its fixed 50 ms) and ipw's own
// ipw.monitor.v1.IpwMonitor (Describe, StreamSamples, SyncClock) on one port.
// Every RPC checks the bearer token when one is set. The generated types stay
// inside grpc_server.cpp (slow to compile; one translation unit includes them).
#include <memory>
#include <string>

#include "ipw/monitor/sample_hub.h"

namespace ipw::monitor {

struct GrpcServerConfig {
  std::string bind = "127.0.0.1";
  int port = 50053;             // 0 = any free port (see port())
  std::string token;            // "" = no authentication
  int max_clients = 32;         // streaming clients at once; more are refused
  std::string telemetry_spec;   // reported by Describe
  std::string version;          // reported by Describe
  std::string host_root;        // "" = this machine (host facts, /proc/meminfo)
};

class GrpcServer {
 public:
  // Starts serving; throws std::runtime_error when it cannot listen.
  GrpcServer(SampleHub& hub, GrpcServerConfig config);
  ~GrpcServer();  // shutdown()
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const;  // the port really bound
  // Ends every stream and stops accepting; returns within ~1 s. Idempotent.
  // Call SampleHub::shutdown() first so streaming handlers wake up.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "HOST:PORT", bracketing IPv6 literals ("[::1]:50053").
std::string host_port(const std::string& host, int port);

}  // namespace ipw::monitor
