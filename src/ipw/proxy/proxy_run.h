#pragma once
// `ipw proxy` as a run (docs/agents.md): a run directory like a profile's, whose
// queries are the completion requests that passed through the proxy, each with its
// share of the energy measured while it was in flight (the same overlap rule as a
// concurrent profile), grouped into tasks and turns. It ends when `stop` is set
// (Ctrl-C): the exchanges in flight are ended and recorded, the store is closed.
#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "ipw/proxy/proxy_server.h"
#include "ipw/run/profile_config.h"
#include "ipw/run/profiler.h"

namespace ipw::proxy {

struct ProxyRunRequest {
  ProxyOptions server;
  // The telemetry and run settings of `ipw profile` that apply: telemetry, domains,
  // sample period, idle seconds, attribution, out, model (a label), api.
  run::ProfileConfig config;
  std::string command_line;
  // Parts of the manifest that replace the proxy's own ("workload": what `ipw agent` sent).
  nlohmann::json manifest_parts = nlohmann::json::object();
};

// Throws ipw::UsageError for bad options and std::runtime_error when the port cannot
// be bound, before anything is written where possible. `listening` is called once
// the proxy serves, with its port and the run directory.
run::ProfileOutcome run_proxy(const ProxyRunRequest& req, run::ProgressSink& progress,
                              const std::atomic<bool>& stop,
                              const std::function<void(int port, const std::string& run_dir)>& listening);

}  // namespace ipw::proxy
