#include "ipw/proxy/proxy_run.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/utc_time.h"
#include "ipw/common/version.h"
#include "ipw/run/manifest_head.h"
#include "ipw/run/run_dir.h"
#include "ipw/run/session.h"
#include "ipw/run/store.h"
#include "ipw/telemetry/registry.h"

namespace ipw::proxy {
namespace {

nlohmann::json build_manifest(const ProxyRunRequest& req) {
  nlohmann::json m = run::manifest_head(req.command_line, req.server.upstream, req.config);
  m["workload"] = {{"name", "proxy"}, {"items", nullptr}};  // the requests are whatever the clients sent
  m["proxy"] = {{"bind", req.server.bind}, {"upstream", redact_url(req.server.upstream)}};
  m.update(req.manifest_parts);
  return m;
}

}  // namespace

run::ProfileOutcome run_proxy(const ProxyRunRequest& req, run::ProgressSink& progress, const std::atomic<bool>& stop,
                              const std::function<void(int, const std::string&)>& listening) {
  if (std::string why = validate(req.server); !why.empty()) throw UsageError(why);
  run::ProfileConfig cfg = req.config;
  cfg.server = req.server.upstream;
  cfg.warmup = 0;  // the clients' requests are the workload: nothing is sent of ipw's own
  (void)run::share_rule_from_string(cfg.attribution);
  auto collectors = telemetry::make_collectors(cfg.telemetry);
  {
    std::vector<telemetry::DomainInfo> all;
    for (const auto& c : collectors) all.insert(all.end(), c->domains().begin(), c->domains().end());
    (void)run::select_domains(all, cfg.domains);
  }
  // Bound before the run directory exists: a port in use leaves nothing behind.
  run::ObservedQueries feed;
  ProxyServer server(req.server, feed);
  const int port = server.bind();

  const std::string dir = run::create_run_dir(cfg.out, cfg.model.empty() ? "proxy" : cfg.model);
  run::RunStore store = run::RunStore::create(dir);
  run::Session session(cfg, store, progress, stop, std::move(collectors));
  session.open(build_manifest(req), req.command_line);
  run::ProfileOutcome out;
  out.run_dir = dir;
  // Clients that connect during the idle baseline wait in the listen queue: the stage
  // starts before the first request is taken.
  workload::Item none;
  if (!session.prepare(none, out)) {
    server.stop();
    return session.close(out);
  }
  const std::int64_t t_open_ns = feed.frontier_ns();  // now: nothing is in flight yet
  server.serve();
  listening(port, dir);
  run::StagePlan plan;
  plan.setting = {{"proxy", redact_url(req.server.upstream)}};
  plan.concurrency = 0;
  plan.rule = run::share_rule_from_string(cfg.attribution);
  std::size_t done = 0;
  const run::SettledFn settled = [&](run::QueryRecord& q, run::ProfileOutcome& o) {
    session.commit(q);
    ++o.queries_run;
    ++done;
    progress.update(done, 0, session.live_power_w(), q);
    return true;
  };
  progress.begin(0, 0);
  std::thread observer([&] { (void)session.observe(feed, plan, t_open_ns, settled, out); });
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.stop();
  feed.close();
  observer.join();
  out.status = run::RunStatus::completed;  // Ctrl-C is how a proxy run ends
  return session.close(out);
}

}  // namespace ipw::proxy
