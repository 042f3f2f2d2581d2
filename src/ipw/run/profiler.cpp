#include "ipw/run/profiler.h"

#include <chrono>
#include <map>
#include <thread>

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/utc_time.h"
#include "ipw/common/version.h"
#include "ipw/inference/client.h"
#include "ipw/inference/engine_launcher.h"
#include "ipw/run/attribution.h"
#include "ipw/run/host_info.h"
#include "ipw/run/manifest_head.h"
#include "ipw/run/model_info.h"
#include "ipw/run/rescore.h"
#include "ipw/run/run_dir.h"
#include "ipw/run/session.h"
#include "ipw/run/store.h"
#include "ipw/run/sweep.h"
#include "ipw/scoring/scorer.h"
#include "ipw/telemetry/registry.h"
#include "ipw/telemetry/sampler.h"
#include "ipw/run/workload_load.h"
#include "ipw/workload/arrivals.h"
#include "ipw/workload/dataset.h"
#include "ipw/workload/prompt.h"
#include "ipw/workload/shard.h"

namespace ipw::run {

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::completed: return "completed";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::failed: return "failed";
  }
  return "failed";
}

namespace {

struct WorkItem {
  int seq = 0;
  int repeat = 0;
  const workload::Item* item = nullptr;
};

// The items a stage still has to run: every (item, repeat) of the run's shard not stored
// for it yet. `seq` stays the item's position in the whole list, so the shards of a
// workload merge into the keys an unsharded run would have had (run/merge.h).
std::vector<WorkItem> plan(const workload::Dataset& ds, const ProfileConfig& cfg, int stage,
                           const std::set<QueryKey>& done) {
  std::vector<WorkItem> out;
  const std::size_t n = cfg.max_queries > 0
                            ? std::min(ds.items.size(), static_cast<std::size_t>(cfg.max_queries))
                            : ds.items.size();
  const workload::Shard shard = workload::parse_shard(cfg.shard);
  for (int r = 0; r < std::max(1, cfg.repeat); ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      const int seq = static_cast<int>(i);
      if (!shard.whole() && workload::shard_of(ds.items[i].id, shard.count) != shard.index) continue;
      if (!done.count({stage, seq, r})) out.push_back({seq, r, &ds.items[i]});
    }
  }
  return out;
}

nlohmann::json shard_json(const workload::Shard& s) {
  if (s.whole()) return nullptr;
  return {{"index", s.index}, {"count", s.count}};
}

nlohmann::json build_manifest(const ProfileRequest& req, const workload::Dataset& ds,
                              const std::string& server_url) {
  const ProfileConfig& c = req.config;
  nlohmann::json m = manifest_head(req.command_line, server_url, c);
  m["workload"] = {{"dataset", c.dataset}, {"format", c.dataset_format}, {"name", ds.name}, {"split", ds.split},
      {"files", ds.files}, {"sha256", ds.content_hash}, {"items", ds.items.size()},
      {"skipped_rows", ds.warnings}, {"notes", ds.notes},
      {"sample", {{"n", c.sample}, {"seed", c.sample_seed}, {"stratify", c.stratify}}},
      {"shard", shard_json(workload::parse_shard(c.shard))}};
  m["decoding"] = {{"max_tokens", c.max_tokens > 0 ? nlohmann::json(c.max_tokens) : nlohmann::json()},
      {"temperature", c.temperature}, {"top_p", c.top_p}, {"top_k", c.top_k},
      {"min_p", c.min_p >= 0 ? nlohmann::json(c.min_p) : nlohmann::json()},
      {"seed", c.seed ? nlohmann::json(*c.seed) : nlohmann::json()}, {"system_prompt", c.system_prompt},
      {"chat_template_kwargs", c.chat_template_kwargs}, {"reasoning_effort", c.reasoning_effort},
      {"stop", c.stop}, {"extra_body", c.extra_body}};
  return m;
}

// A JSON object given as a flag's text ("" for none).
nlohmann::json json_object_flag(const char* flag, const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw UsageError(fmt::format("{} is not JSON ({}): {}", flag, e.what(), text));
  }
  if (!j.is_object()) throw UsageError(fmt::format("{} must be a JSON object, e.g. {{\"key\": true}}; got {}", flag, text));
  return j;
}

inference::Request make_request(const ProfileConfig& cfg, const workload::Item& item) {
  inference::Request r;
  r.model = cfg.model;
  r.prompt = workload::render_prompt(item);
  r.context = item.context;
  r.chat = cfg.chat;
  r.max_tokens = cfg.max_tokens;
  r.temperature = cfg.temperature;
  r.top_p = cfg.top_p;
  r.top_k = cfg.top_k;
  if (cfg.min_p >= 0) r.min_p = cfg.min_p;
  r.seed = cfg.seed;
  r.system_prompt = cfg.system_prompt;
  r.chat_template_kwargs = json_object_flag("--chat-template-kwargs", cfg.chat_template_kwargs);
  r.reasoning_effort = cfg.reasoning_effort;
  r.stop = cfg.stop;
  r.extra_body = json_object_flag("--extra-body", cfg.extra_body);
  r.extra_body_override = cfg.extra_body_override;
  return r;
}

void score(const workload::Item& item, QueryRecord& q) {
  if (!q.ok()) {
    q.correct = false;  // no answer is a wrong answer; the error is counted apart too
    q.score_method = "error";
    return;
  }
  const scoring::Scorer* scorer = scoring::scorer_for_kind(item.kind);
  if (!scorer) {
    q.score_method = "none";  // e.g. chat items without a judge: unscored, not wrong
    return;
  }
  const scoring::Score s = scorer->score(item, q.response);
  q.correct = s.correct;
  q.extracted = s.extracted;
  q.score_method = s.method;
}

QueryRecord record_for(const WorkItem& w, const workload::Item& item, const std::string& prompt) {
  QueryRecord q;
  q.seq = w.seq;
  q.repeat = w.repeat;
  q.item_id = item.id;
  q.category = item.category;
  q.source = item.source;
  q.kind = item.kind;
  q.prompt = prompt;
  q.reference = item.answer;
  return q;
}

// A server ipw could never reach, or an engine it could never start, is refused
// before a run directory exists (exit 2, nothing written).
void check_server_inputs(const ProfileConfig& cfg) {
  if (!cfg.engine.empty()) {
    inference::EngineOptions eo;
    eo.engine = cfg.engine;
    eo.model_path = cfg.engine_model_path;
    eo.extra_args = cfg.engine_args;
    try {
      inference::check_engine_options(eo);
    } catch (const inference::EngineError& e) {
      throw UsageError(e.what());
    }
  } else {
    (void)inference::normalise_base_url(cfg.server);
  }
  // The request settings, as every query will send them: bad JSON, an --extra-body key
  // ipw sets itself, a setting the API cannot express.
  workload::Item probe;
  probe.prompt = "probe";
  (void)inference::request_body(cfg.api, make_request(cfg, probe));
}

bool open_loop(const ProfileConfig& cfg) { return cfg.rate > 0 || !cfg.arrival_trace.empty(); }

// One stage's load flags, checked before a run directory exists (exit 2, nothing written).
// Returns the arrival trace when one is given.
std::vector<workload::TraceArrival> check_load_inputs(const ProfileConfig& cfg) {
  if (cfg.concurrency < 1) throw UsageError("--concurrency must be at least 1 (queries kept in flight)");
  if (cfg.rate < 0) throw UsageError("--rate must be > 0 requests per second");
  if (cfg.max_concurrency < 0) throw UsageError("--max-concurrency must be >= 0 (0: no cap)");
  if (cfg.duration_s < 0) throw UsageError("--duration must be >= 0 seconds (0: until the items run out)");
  if (cfg.warmup_s < 0 || cfg.cooldown_s < 0) {
    throw UsageError("--warmup-s and --cooldown-s must be >= 0 seconds");
  }
  (void)share_rule_from_string(cfg.attribution);
  (void)workload::parse_arrival_process(cfg.arrival);
  if (cfg.rate > 0 && !cfg.arrival_trace.empty()) {
    throw UsageError("--rate and --arrival-trace are two arrival schedules; give one of them");
  }
  if (open_loop(cfg) && cfg.concurrency > 1) {
    throw UsageError("--concurrency sets a closed loop; an open loop (--rate, --arrival-trace) is capped "
                                "with --max-concurrency");
  }
  if (!open_loop(cfg) && cfg.max_concurrency > 0) {
    throw UsageError("--max-concurrency caps an open loop: give --rate or --arrival-trace "
                                "(a closed loop's in-flight count is --concurrency)");
  }
  if (cfg.perplexity && (open_loop(cfg) || cfg.concurrency > 1)) {
    throw UsageError("--perplexity scores each reference answer between queries, so it needs one query "
                                "at a time; drop --concurrency/--rate or --perplexity");
  }
  return cfg.arrival_trace.empty() ? std::vector<workload::TraceArrival>{}
                                   : workload::read_arrival_trace(cfg.arrival_trace);
}

// The stage's plan: its setting as stored, and how its queries are sent.
StagePlan stage_plan(const ProfileConfig& cfg, int stage) {
  StagePlan p;
  p.stage = stage;
  p.warmup_s = cfg.warmup_s;
  p.cooldown_s = cfg.cooldown_s;
  p.open_loop = open_loop(cfg);
  p.concurrency = p.open_loop ? cfg.max_concurrency : cfg.concurrency;
  p.duration_s = cfg.duration_s;
  p.rule = share_rule_from_string(cfg.attribution);
  if (!cfg.arrival_trace.empty()) {
    p.setting = {{"arrival_trace", cfg.arrival_trace}, {"max_concurrency", cfg.max_concurrency}};
  } else if (p.open_loop) {
    p.setting = {{"rate", cfg.rate}, {"arrival", cfg.arrival}, {"max_concurrency", cfg.max_concurrency},
                 {"seed", cfg.arrival_seed}};
  } else {
    p.setting = {{"concurrency", cfg.concurrency}};
  }
  return p;
}

// The run's counts across its stages: the progress bar's and the failure streak's.
struct Tally {
  std::size_t done = 0, total = 0;
  int consecutive_failures = 0;
};

// Sends one stage's queries and stores each as it settles (scored, and judged right
// away when the stage runs one query at a time).
void run_stage_queries(Session& session, RunStore& store, ProgressSink& progress, judge::Judge* judge,
                       const ProfileConfig& cfg, const StagePlan& stage, const std::vector<WorkItem>& todo,
                       const std::vector<workload::TraceArrival>& trace, Tally& tally, ProfileOutcome& out) {
  const bool one_at_a_time = !stage.open_loop && stage.concurrency == 1;
  std::vector<StageQuery> queries;
  for (const WorkItem& w : todo) {
    StageQuery sq;
    sq.request = make_request(cfg, *w.item);
    sq.record = record_for(w, *w.item, sq.request.prompt);
    queries.push_back(std::move(sq));
  }
  if (!trace.empty()) {
    // A trace's arrivals are taken in order, one per query; the rest of the items wait for another run.
    if (queries.size() > trace.size()) queries.resize(trace.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
      queries[i].arrival_s = trace[i].t_s;
      if (trace[i].output_tokens) queries[i].request.max_tokens = std::max(1, *trace[i].output_tokens);
    }
  } else if (stage.open_loop) {
    const auto offsets = workload::arrival_offsets(workload::parse_arrival_process(cfg.arrival), cfg.rate,
                                                   queries.size(), static_cast<std::uint64_t>(cfg.arrival_seed));
    for (std::size_t i = 0; i < queries.size(); ++i) queries[i].arrival_s = offsets[i];
  }
  std::map<std::pair<int, int>, const workload::Item*> items;
  for (const WorkItem& w : todo) items[{w.seq, w.repeat}] = w.item;
  const SettledFn store_query = [&](QueryRecord& q, ProfileOutcome& o) {
    const workload::Item& item = *items.at({q.seq, q.repeat});
    if (cfg.perplexity) session.score_reference(make_request(cfg, item), workload::reference_reply(item), q);
    score(item, q);
    // One query at a time, the judge is asked right after each query, outside its energy
    // window; under load it runs after the stages (it would stall the streams in flight).
    if (judge && one_at_a_time) judge_query(*judge, q, store);
    session.commit(q);
    ++o.queries_run;
    ++tally.done;
    tally.consecutive_failures = q.ok() ? 0 : tally.consecutive_failures + 1;
    progress.update(tally.done, tally.total, session.live_power_w(), q);
    if (tally.consecutive_failures >= cfg.max_consecutive_failures) {
      o.status = RunStatus::failed;
      o.message = fmt::format("{} queries in a row failed (last: {}: {}); fix the server and "
                              "continue with: ipw profile --resume {}",
                              tally.consecutive_failures, q.error_kind, q.error_message, store.dir());
      return false;
    }
    return true;
  };
  session.run_stage(stage, std::move(queries), store_query, out);
}

}  // namespace

ProfileOutcome profile(const ProfileRequest& req, ProgressSink& progress,
                       const std::atomic<bool>& stop_requested) {
  const ProfileConfig& cfg = req.config;
  // Everything that can be wrong with the inputs is checked before a run
  // directory exists, so bad input leaves nothing half-made behind.
  const workload::Dataset ds = load_workload(cfg);
  (void)workload::parse_shard(cfg.shard);  // a bad --shard: nothing written
  if (ds.items.empty()) throw std::runtime_error(fmt::format("dataset {} has no items", cfg.dataset));

  check_server_inputs(cfg);
  const std::vector<ProfileConfig> stage_cfgs = stage_configs(cfg);
  std::vector<workload::TraceArrival> trace;
  for (const ProfileConfig& c : stage_cfgs) trace = check_load_inputs(c);
  (void)model_info_from_flags(cfg.model_info);  // throws for a malformed --model-info
  auto collectors = telemetry::make_collectors(cfg.telemetry);
  {
    std::vector<telemetry::DomainInfo> all;
    for (const auto& c : collectors) all.insert(all.end(), c->domains().begin(), c->domains().end());
    (void)select_domains(all, cfg.domains);  // throws for an unknown --domains name
  }
  std::optional<judge::Judge> judge;  // made now: a bad --judge flag must fail before the run exists
  if (!cfg.judge_url.empty()) {
    judge::JudgeConfig jc;
    jc.url = cfg.judge_url;
    jc.model = cfg.judge_model;
    jc.api_key_env = cfg.judge_api_key_env;
    jc.max_tokens = cfg.judge_max_tokens;
    judge.emplace(jc, judge::make_judge_client(jc), &stop_requested);
  }

  std::optional<RunStore> store;
  std::string dir;
  if (req.resume_dir.empty()) {
    dir = create_run_dir(cfg.out, cfg.model.empty() ? "model" : cfg.model);
    store.emplace(RunStore::create(dir));
  } else {
    dir = req.resume_dir;
    store.emplace(RunStore::open(dir));
    const auto old = store->manifest();
    const std::string old_hash = old.value("workload", nlohmann::json::object()).value("sha256", "");
    if (!old_hash.empty() && old_hash != ds.content_hash) {
      throw std::runtime_error(fmt::format(
          "dataset {} changed since run {} started (sha256 {} vs {}); resume needs the same workload",
          cfg.dataset, dir, ds.content_hash.substr(0, 12), old_hash.substr(0, 12)));
    }
  }
  const std::set<QueryKey> done_keys = store->completed_keys();
  std::vector<std::vector<WorkItem>> todo;
  Tally tally;
  tally.done = tally.total = store->query_count();
  for (std::size_t k = 0; k < stage_cfgs.size(); ++k) {
    todo.push_back(plan(ds, cfg, static_cast<int>(k), done_keys));
    tally.total += todo.back().size();
  }

  Session session(cfg, *store, progress, stop_requested, std::move(collectors));
  session.open(req.resume_dir.empty() ? build_manifest(req, ds, cfg.server) : nlohmann::json(),
               req.command_line);
  if (judge) {
    nlohmann::json manifest = store->manifest();
    manifest["judge"] = judge::to_manifest(judge->config());
    store->write_manifest(manifest);
  }
  ProfileOutcome out;
  out.run_dir = dir;
  if (!session.prepare(ds.items.front(), out)) return session.close(out);

  progress.begin(tally.total, tally.done);
  bool judge_after = false;  // some stage ran under load: its answers are judged at the end
  for (std::size_t k = 0; k < stage_cfgs.size() && out.status == RunStatus::completed; ++k) {
    const ProfileConfig& sc = stage_cfgs[k];
    const StagePlan stage = stage_plan(sc, static_cast<int>(k));
    if (!todo[k].empty()) {
      const bool one_at_a_time = !stage.open_loop && stage.concurrency == 1;
      judge_after = judge_after || !one_at_a_time;
      if (stage_cfgs.size() > 1) progress.note(fmt::format("stage {}: {}", k, stage.setting.dump()));
      try {
        run_stage_queries(session, *store, progress, judge ? &*judge : nullptr, sc, stage, todo[k], trace, tally, out);
      } catch (const SQLite::Exception& e) {
        // A full disk: what was stored is consistent (transactions); say what to do.
        if (e.getErrorCode() != SQLITE_FULL) throw;
        throw StoreError(fmt::format("cannot store results in {}: {}. Free space on that disk, then finish the run "
                                     "with: ipw profile --resume {}",
                                     dir, e.what(), dir));
      }
    }
    if (out.status != RunStatus::completed || !cfg.stop_on_saturation || k == 0 || !req.sweep_saturated) continue;
    if (const std::string why = req.sweep_saturated(*store); !why.empty()) {
      progress.note(why + ": --stop-on-saturation ends the sweep");
      break;
    }
  }
  if (judge && judge_after && out.status != RunStatus::interrupted) {
    progress.note("judging the load stages' answers");
    (void)rescore_run(*store, *judge, {}, stop_requested);
  }
  progress.end();
  return session.close(out);
}

}  // namespace ipw::run
