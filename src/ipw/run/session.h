#pragma once
// One profiling session of a run (a run has several when it is resumed): the
// telemetry sampler, the inference client, the idle baseline, and the store
// bookkeeping that makes every finished query durable at once.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/inference/client.h"
#include "ipw/inference/engine_launcher.h"
#include "ipw/inference/reference_likelihood.h"
#include "ipw/run/energy_shares.h"
#include "ipw/run/observed_queries.h"
#include "ipw/run/profile_config.h"
#include "ipw/run/profiler.h"
#include "ipw/run/query_writer.h"
#include "ipw/run/store.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/sampler.h"
#include "ipw/workload/item.h"

namespace ipw::run {

// A window's end must be bracketed by telemetry before its energy is shared out:
// this long (real time) is waited for a sample after it, at most.
inline constexpr std::int64_t kSampleWaitNs = 2'000'000'000;

// Indices of the domains named by a --domains spec: "all", a kind ("gpu",
// "cpu", …) or a comma list of domain names. Throws ipw::UsageError for a
// name no collector reports.
std::vector<int> select_domains(const std::vector<telemetry::DomainInfo>& domains,
                                const std::string& spec);

// One request of a stage, made by the profiler.
struct StageQuery {
  QueryRecord record;          // the item's fields (seq, repeat, item_id, prompt, …)
  inference::Request request;
  double arrival_s = 0;        // open loop: seconds after the stage starts
};

// How a stage sends its queries (docs/load.md).
struct StagePlan {
  int stage = 0;
  nlohmann::json setting;      // what the stage ran at, e.g. {"concurrency": 4}
  bool open_loop = false;      // arrivals at StageQuery::arrival_s, else a closed loop
  int concurrency = 1;         // closed loop: queries in flight; open loop: the cap (0: none)
  double duration_s = 0;       // stop sending after this long (0: when the queries run out)
  ShareRule rule = ShareRule::fitted;
  // The steady state (--warmup-s/--cooldown-s): the stage's time less its first and last
  // seconds, whose measured energy is recorded apart for the steady-state figures.
  double warmup_s = 0, cooldown_s = 0;
};

// Called with each query once its energy is shared out, in the order queries
// settle. False ends the stage (the callee sets out.status and out.message).
using SettledFn = std::function<bool(QueryRecord&, ProfileOutcome&)>;

class Session {
 public:
  Session(const ProfileConfig& cfg, RunStore& store, ProgressSink& progress,
          const std::atomic<bool>& stop_requested,
          std::vector<std::unique_ptr<telemetry::Collector>> collectors);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Writes the manifest (null on resume: the stored one is kept and extended).
  void open(nlohmann::json manifest, const std::string& command_line);
  // Starts telemetry, warms the server up and measures the idle baseline.
  // Returns false (with out.status/message set) when the run cannot start.
  bool prepare(const workload::Item& warmup_item, ProfileOutcome& out);
  // Runs one stage: sends its queries as the plan says (one code path for every
  // load: concurrency 1 is the sequential run), shares the energy of each span
  // among the queries in flight in it, and hands each query to `settled` once its
  // share is known. The stage's totals (measured, unattributed, conservation) go to
  // the session's record. Returns false when the run must stop (server unreachable,
  // engine dead, interrupt, or `settled` said so); queries cut off are not stored.
  bool run_stage(const StagePlan& plan, std::vector<StageQuery> queries, const SettledFn& settled,
                 ProfileOutcome& out);
  // `ipw proxy` (docs/agents.md): shares the energy of the requests `feed` hands over
  // (each sent at or after t_begin_ns, the stage's start), as run_stage does for its own, and hands each to `settled` once its share is known
  // (ids, tasks and texts as the proxy recorded them); returns when the feed is closed
  // and drained, false if `settled` said stop (the proxy keeps forwarding; nothing more
  // is stored). The stage's totals go to the session's record, as run_stage's do.
  bool observe(ObservedQueries& feed, const StagePlan& plan, std::int64_t t_begin_ns, const SettledFn& settled,
               ProfileOutcome& out);
  // --perplexity: scores `reference` as the reply to req's prompt and stores the result in q.
  // Called once the query has settled, outside the query's energy window; failures are logged and
  // counted, never fatal (after kMaxScoringFailures with no success, scoring stops).
  void score_reference(const inference::Request& req, const std::string& reference, QueryRecord& q);
  // Stores a settled query with the samples taken since the last one: at once when one
  // query is in flight, through the stage's QueryWriter under load (run_stage flushes
  // it before it returns).
  void commit(const QueryRecord& q);
  std::optional<double> live_power_w() const;
  // Stops telemetry, stores the remaining samples and the session's totals.
  ProfileOutcome close(ProfileOutcome out);

 private:
  // The ledger of a stage: its spans shared by `rule` over the selected domains.
  EnergyLedger make_ledger(ShareRule rule);
  // A stage's figures into the session's record (measured, unattributed, discarded and
  // retried energy per domain, conservation, time in flight, the steady-state window).
  void record_stage_totals(const StagePlan& plan, const StageEnergy& t, const std::vector<double>& discarded_j,
                           const std::vector<double>& retry_j);
  std::vector<telemetry::Sample> take_new_samples();
  bool sleep_interruptibly(double seconds) const;
  std::string start_engine();
  // After a failure of `kind`: whether the engine ipw runs has died (waiting a moment
  // after refused or cut connections, which a dying server causes before it is reaped).
  bool engine_died(inference::FailureKind kind) const;

  const ProfileConfig& cfg_;
  RunStore& store_;
  ProgressSink& progress_;
  const std::atomic<bool>& stop_requested_;
  telemetry::Sampler sampler_;
  std::vector<int> selected_;
  std::vector<std::optional<double>> idle_power_w_;
  std::unique_ptr<inference::Engine> engine_;  // set when ipw runs the server itself
  std::unique_ptr<inference::Client> client_;
  std::unique_ptr<QueryWriter> writer_;  // set while a stage with several in flight runs
  std::unique_ptr<inference::ReferenceLikelihood> likelihood_;  // set with --perplexity
  int scored_ = 0, scoring_failures_ = 0;
  std::size_t reported_sampler_errors_ = 0;  // collector failures already logged
  std::string scoring_error_;  // the last failure, for the manifest
  SessionInfo info_;
  nlohmann::json model_info_;  // the manifest's model_info: the run's, the flags', the GGUF's
  std::size_t stored_samples_ = 0;
  bool closed_ = false;
};

}  // namespace ipw::run
