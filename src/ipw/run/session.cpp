#include "ipw/run/session.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/clock.h"
#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/utc_time.h"
#include "ipw/run/attribution.h"
#include "ipw/run/model_info.h"
#include "ipw/run/sweep.h"

namespace ipw::run {
namespace {

// How long a killed engine may take, after its sockets closed, to become reapable.
constexpr auto kEngineExitGrace = std::chrono::milliseconds(500);
constexpr int kMaxScoringFailures = 3;  // with no success at all: the server cannot score
constexpr const char* kScoringMethod = "llama.cpp: /tokenize + token-id grammar + pre-sampling logprobs";

std::int64_t period_ns(const ProfileConfig& cfg) {
  return static_cast<std::int64_t>(cfg.sample_period_ms * 1e6);
}

inference::ClientOptions client_options(const ProfileConfig& cfg, const std::string& url) {
  inference::ClientOptions o;
  o.base_url = url;
  if (!cfg.api_key_env.empty()) {
    const char* key = std::getenv(cfg.api_key_env.c_str());
    if (!key) {
      throw UsageError(fmt::format("--api-key-env {}: that environment variable is not set",
                                              cfg.api_key_env));
    }
    o.api_key = key;
  }
  o.connect_timeout_s = cfg.connect_timeout_s;
  o.first_token_timeout_s = cfg.first_token_timeout_s;
  o.total_timeout_s = cfg.total_timeout_s;
  return o;
}

}  // namespace

std::vector<int> select_domains(const std::vector<telemetry::DomainInfo>& domains,
                                const std::string& spec) {
  std::vector<int> out;
  if (spec.empty() || spec == "all") {
    for (std::size_t i = 0; i < domains.size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = spec.find(',', start);
    const std::string name = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    bool found = false;
    for (std::size_t i = 0; i < domains.size(); ++i) {
      if (domains[i].domain == name || domains[i].kind == name) {
        out.push_back(static_cast<int>(i));
        found = true;
      }
    }
    if (!found) {
      std::string known;
      for (const auto& d : domains) known += (known.empty() ? "" : ", ") + d.domain + " (" + d.kind + ")";
      throw UsageError(fmt::format("--domains: no telemetry domain or kind '{}'; available: {}",
                                              name, known.empty() ? "none" : known));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Session::Session(const ProfileConfig& cfg, RunStore& store, ProgressSink& progress,
                 const std::atomic<bool>& stop_requested,
                 std::vector<std::unique_ptr<telemetry::Collector>> collectors)
    : cfg_(cfg),
      store_(store),
      progress_(progress),
      stop_requested_(stop_requested),
      sampler_(std::move(collectors), period_ns(cfg)) {
  selected_ = select_domains(sampler_.domains(), cfg.domains);
  idle_power_w_.assign(sampler_.domains().size(), std::nullopt);  // until --idle-seconds measures it
}

Session::~Session() {
  if (!closed_) {
    try {
      ProfileOutcome ignored;
      ignored.status = RunStatus::failed;
      close(ignored);
    } catch (const std::exception& e) {
      spdlog::error("closing the session failed: {}", e.what());
    }
  }
}

void Session::open(nlohmann::json manifest, const std::string& command_line) {
  const auto& domains = sampler_.domains();
  std::vector<DomainRow> rows;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    rows.push_back({static_cast<int>(i), domains[i], sampler_.period_ns(static_cast<int>(i))});
  }
  if (manifest.is_null()) {
    // Resume: the domain set must match what the earlier sessions recorded, or
    // per-domain sums across sessions would mix different things.
    const auto old = store_.domains();
    bool same = old.size() == rows.size();
    for (std::size_t i = 0; same && i < old.size(); ++i) same = old[i].info.domain == rows[i].info.domain;
    if (!same) {
      throw std::runtime_error("the telemetry domains differ from the run's earlier sessions; resume "
                               "with the same --telemetry as the original run");
    }
    manifest = store_.manifest();
    manifest["resumed_utc"].push_back(utc_now_iso());
    // A --server given again on resume is the server from now on (an engine's
    // URL is written when it starts).
    if (cfg_.engine.empty()) {
      manifest["server"]["url"] = redact_url(cfg_.server);
      manifest["server"]["engine"] = "";
    }
  } else {
    store_.write_domains(rows);
  }
  nlohmann::json sel = nlohmann::json::array();
  for (int d : selected_) sel.push_back(domains[static_cast<std::size_t>(d)].domain);
  manifest["telemetry"] = {{"spec", cfg_.telemetry}, {"selected_domains", sel},
                           {"sample_period_ms", cfg_.sample_period_ms},
                           {"collectors", sampler_.describe()}};
  manifest["config"] = to_stored_json(cfg_);
  // What the user said of the model. On resume what the run recorded stays (the
  // GGUF's facts among it) and a --model-info given again replaces its keys;
  // start_engine adds what the GGUF file says.
  model_info_ = manifest.value("model_info", nlohmann::json::object());
  if (!model_info_.is_object()) model_info_ = nlohmann::json::object();
  const nlohmann::json given = model_info_from_flags(cfg_.model_info);
  for (const auto& [key, value] : given.items()) model_info_[key] = value;
  manifest["model_info"] = model_info_;
  store_.write_manifest(manifest);
  info_.started_utc = utc_now_iso();
  info_.command_line = command_line;
  info_.status = "running";
  info_.id = store_.begin_session(info_);
}

bool Session::sleep_interruptibly(double seconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (stop_requested_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string Session::start_engine() {
  inference::EngineOptions eo;
  eo.engine = cfg_.engine;
  eo.model_path = cfg_.engine_model_path;
  eo.extra_args = cfg_.engine_args;
  eo.alias = cfg_.model;
  eo.parallel = engine_slots(cfg_);  // as many server slots as queries in flight
  eo.log_path = store_.dir() + "/engine-session" + std::to_string(info_.id) + ".log";
  engine_ = std::make_unique<inference::Engine>(eo);
  progress_.note(fmt::format("starting {} on {} (log: {})", cfg_.engine, cfg_.engine_model_path, eo.log_path));
  const std::string url = engine_->start();
  nlohmann::json manifest = store_.manifest();
  manifest["server"]["url"] = url;
  manifest["server"]["engine"] = cfg_.engine;
  manifest["server"]["engine_pid"] = engine_->pid();
  manifest["model"] = engine_->model_facts();
  model_info_ = model_info_with_gguf(model_info_, manifest["model"]["gguf"]);
  manifest["model_info"] = model_info_;
  store_.write_manifest(manifest);
  return url;
}

bool Session::prepare(const workload::Item& warmup_item, ProfileOutcome& out) {
  std::string url = cfg_.server;
  if (!cfg_.engine.empty()) {
    try {
      url = start_engine();
    } catch (const inference::EngineError& e) {
      out.status = RunStatus::failed;
      out.message = fmt::format("the {} engine did not start: {}", cfg_.engine, e.what());
      return false;
    }
  }
  client_ = inference::make_client(cfg_.api, client_options(cfg_, url));
  if (cfg_.perplexity) {
    if (cfg_.api == "openai") {
      likelihood_ = inference::make_llama_reference_likelihood(client_options(cfg_, url));
    } else {
      spdlog::warn("--perplexity: reference scoring is implemented for llama.cpp's server only; "
                   "this run stores no perplexity");
    }
  }
  sampler_.start();
  info_.t0_monotonic_ns = sampler_.t0_ns();
  store_.update_session(info_);
  if (cfg_.warmup > 0) progress_.note(fmt::format("warming up the server ({} request(s))", cfg_.warmup));
  for (int i = 0; i < cfg_.warmup; ++i) {
    inference::Request r;
    r.model = cfg_.model;
    r.prompt = warmup_item.prompt;
    r.chat = cfg_.chat;
    r.max_tokens = cfg_.max_tokens > 0 ? std::min(cfg_.max_tokens, 16) : 16;
    auto res = client_->complete(r);
    if (!res && res.error().kind == inference::FailureKind::connect) {
      out.status = RunStatus::failed;
      out.message = fmt::format("cannot reach the server: {}", res.error().message);
      return false;
    }
    if (!res) spdlog::warn("warm-up request failed: {}", res.error().message);
  }
  if (cfg_.idle_seconds > 0) {
    progress_.note(fmt::format("measuring idle power for {:.0f} s (--idle-seconds)", cfg_.idle_seconds));
    const std::int64_t t_a = steady_clock().now_ns();
    if (!sleep_interruptibly(cfg_.idle_seconds)) {
      out.status = RunStatus::interrupted;
      return false;
    }
    const std::int64_t t_b = steady_clock().now_ns();
    sampler_.wait_for_sample_after(t_b, kSampleWaitNs);
    nlohmann::json per_domain = nlohmann::json::object();
    double total_w = 0;
    for (int d : selected_) {
      const auto w = sampler_.energy(d, t_a, t_b);
      if (!w.energy_j) continue;
      const double p = *w.energy_j / ns_to_s(t_b - t_a);
      idle_power_w_[static_cast<std::size_t>(d)] = p;
      per_domain[sampler_.domains()[static_cast<std::size_t>(d)].domain] = p;
      total_w += p;
    }
    info_.idle = {{"seconds", ns_to_s(t_b - t_a)}, {"t_start_ns", t_a - info_.t0_monotonic_ns},
                  {"t_end_ns", t_b - info_.t0_monotonic_ns}, {"power_w", per_domain},
                  {"total_power_w", total_w}};
    store_.update_session(info_);
  }
  return true;
}

bool Session::engine_died(inference::FailureKind kind) const {
  if (!engine_) return false;
  // A killed server closes its sockets before the kernel lets its parent reap it, so
  // a query can fail (connection refused or cut mid-stream) while the engine still
  // looks alive: on a loaded machine that window is milliseconds wide. After the
  // failures a dying server causes, give it that long.
  const bool dying_kind = kind == inference::FailureKind::connect || kind == inference::FailureKind::protocol;
  const auto until = std::chrono::steady_clock::now() + (dying_kind ? kEngineExitGrace : std::chrono::milliseconds(0));
  while (engine_->alive()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<telemetry::Sample> Session::take_new_samples() {
  std::vector<telemetry::Sample> fresh = sampler_.samples(stored_samples_);
  stored_samples_ += fresh.size();
  for (auto& s : fresh) s.t_ns -= info_.t0_monotonic_ns;
  return fresh;
}

void Session::score_reference(const inference::Request& req, const std::string& reference,
                              QueryRecord& q) {
  if (!likelihood_ || !q.ok() || reference.empty()) return;
  auto s = likelihood_->score(req.model, req.prompt, req.chat, reference);
  if (s) {
    ++scored_;
    q.reference_nll_nats = s->nll_nats;
    q.reference_tokens = s->tokens;
    return;
  }
  ++scoring_failures_;
  scoring_error_ = s.error();
  spdlog::warn("--perplexity: query {} not scored: {}", q.item_id, s.error());
  if (scored_ == 0 && scoring_failures_ >= kMaxScoringFailures) {
    spdlog::warn("--perplexity: {} failures and no success; reference scoring is off for this session",
                 scoring_failures_);
    likelihood_.reset();
  }
}

void Session::commit(const QueryRecord& q) {
  if (writer_) {
    writer_->push(q, take_new_samples());
  } else {
    store_.commit_query(q, info_.id, take_new_samples());
  }
  // A sensor that disappears mid-run (a driver unloaded, a file gone) is no longer read; its
  // windows are flagged from then on. Say so once, when it happens, not only in the manifest.
  const auto errors = sampler_.errors();
  for (; reported_sampler_errors_ < errors.size(); ++reported_sampler_errors_) {
    spdlog::error("telemetry: {} (no longer read; later queries' energy is flagged or unknown)",
                  errors[reported_sampler_errors_]);
  }
}

std::optional<double> Session::live_power_w() const {
  std::optional<double> sum;
  for (int d : selected_) {
    if (auto p = sampler_.latest_power_w(d)) sum = sum.value_or(0) + *p;
  }
  return sum;
}

ProfileOutcome Session::close(ProfileOutcome out) {
  if (closed_) return out;
  closed_ = true;
  sampler_.stop();
  if (engine_) engine_->stop();
  store_.append_samples(info_.id, take_new_samples());
  if (info_.t0_monotonic_ns != 0) {
    const std::int64_t t_end = steady_clock().now_ns();
    nlohmann::json energy = nlohmann::json::object();
    for (int d : selected_) {
      const auto w = sampler_.energy(d, info_.t0_monotonic_ns, t_end);
      if (w.energy_j) energy[sampler_.domains()[static_cast<std::size_t>(d)].domain] = *w.energy_j;
    }
    // Set key by key: run_stage has put each stage's totals here already.
    info_.totals["t_end_ns"] = t_end - info_.t0_monotonic_ns;
    info_.totals["energy_j"] = energy;
    info_.totals["collector_errors"] = sampler_.errors();
  }
  info_.status = to_string(out.status);
  store_.update_session(info_);
  if (cfg_.perplexity) {
    // Per session: a resumed run may score on a different server.
    nlohmann::json manifest = store_.manifest();
    manifest["perplexity"]["method"] = kScoringMethod;
    manifest["perplexity"]["sessions"][std::to_string(info_.id)] = {
        {"scored", scored_}, {"failed", scoring_failures_}, {"last_error", scoring_error_}};
    store_.write_manifest(manifest);
  }
  return out;
}

}  // namespace ipw::run
