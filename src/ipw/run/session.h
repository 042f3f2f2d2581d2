#pragma once
// One profiling session of a run (a run has several when it is resumed): the
// telemetry sampler, the inference client, the idle baseline, and the store
// bookkeeping that makes every finished query durable at once.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/inference/client.h"
#include "ipw/inference/engine_launcher.h"
#include "ipw/inference/reference_scorer.h"
#include "ipw/run/profile_config.h"
#include "ipw/run/profiler.h"
#include "ipw/run/store.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/sampler.h"
#include "ipw/workload/item.h"

namespace ipw::run {

// Indices of the domains named by a --domains spec: "all", a kind ("gpu",
// "cpu", …) or a comma list of domain names. Throws std::invalid_argument for a
// name no collector reports.
std::vector<int> select_domains(const std::vector<telemetry::DomainInfo>& domains,
                                const std::string& spec);

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
  // Sends one query and attributes its energy. Returns false when the run must
  // stop without recording this query (server unreachable, user interrupt).
  bool run_query(const inference::Request& req, QueryRecord& q, ProfileOutcome& out);
  // --perplexity: scores `reference` as the reply to req's prompt and stores the result in q.
  // Called after run_query, outside the query's energy window; failures are logged and
  // counted, never fatal (after kMaxScoringFailures with no success, scoring stops).
  void score_reference(const inference::Request& req, const std::string& reference, QueryRecord& q);
  void commit(const QueryRecord& q);
  std::optional<double> live_power_w() const;
  // Stops telemetry, stores the remaining samples and the session's totals.
  ProfileOutcome close(ProfileOutcome out);

 private:
  std::vector<telemetry::Sample> take_new_samples();
  bool sleep_interruptibly(double seconds) const;
  std::string start_engine();

  const ProfileConfig& cfg_;
  RunStore& store_;
  ProgressSink& progress_;
  const std::atomic<bool>& stop_requested_;
  telemetry::Sampler sampler_;
  std::vector<int> selected_;
  std::vector<std::optional<double>> idle_power_w_;
  std::unique_ptr<inference::Engine> engine_;  // set when ipw runs the server itself
  std::unique_ptr<inference::Client> client_;
  std::unique_ptr<inference::ReferenceScorer> scorer_;  // set with --perplexity
  int scored_ = 0, scoring_failures_ = 0;
  std::size_t reported_sampler_errors_ = 0;  // collector failures already logged
  std::string scoring_error_;  // the last failure, for the manifest
  SessionInfo info_;
  std::size_t stored_samples_ = 0;
  bool closed_ = false;
};

}  // namespace ipw::run
