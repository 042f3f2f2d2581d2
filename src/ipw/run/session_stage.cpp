// Session::run_stage: the one scheduler behind every load shape (docs/load.md).
// A closed loop keeps `concurrency` queries in flight; an open loop sends each
// query at its arrival instant, or as soon as a slot frees when --max-concurrency
// caps it. Sequential profiling is the closed loop at concurrency 1, where the
// edges of each query are also pinned by polling coarse counters (docs/telemetry.md).
//
// Everything runs on this thread: the client's event loop drives every stream,
// and between its wake-ups the scheduler sends, collects and shares energy. A
// finished query is settled (its energy shared out, then scored and stored by the
// caller) once every query that was in flight with it has finished too and
// telemetry brackets its end.
#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/clock.h"
#include "ipw/run/attribution.h"
#include "ipw/run/session.h"
#include "ipw/run/response_record.h"

namespace ipw::run {
namespace {

// The longest the scheduler sleeps in the client's loop before it looks again at
// the clock, Ctrl-C and the telemetry frontier.
constexpr std::int64_t kPollNs = 20'000'000;

// Settling is done in slices between the client's wake-ups, so that a burst of
// finished queries (hundreds finishing together, or a slow query holding the frontier
// back while hundreds finish behind it) never keeps the loop from stamping the tokens
// of the streams still in flight: per wake-up, at most this much ledger work (open
// queries visited by a span, ~0.2 ms), and collecting finished queries and delivering
// settled ones (scoring, storing) for at most this long each, one of each at least.
// With work left, the loop polls without waiting.
constexpr std::size_t kSettleWorkPerWake = 20'000;
constexpr std::int64_t kSettleNsPerWake = 300'000;

// Worth sending again: nothing reached the server, nothing came back from it, or it
// turned the request away before generating anything (408, 429, 5xx with no token),
// as a busy server does.
bool retryable(const inference::Failure& f) {
  using inference::FailureKind;
  if (f.kind == FailureKind::connect || f.kind == FailureKind::timeout_connect) return true;
  if (f.no_reply) return true;  // closed without a byte of reply: a stale kept-alive connection
  if (f.kind != FailureKind::http_status || f.partial.t_first_token_ns > 0) return false;
  return f.http_status == 408 || f.http_status == 429 || f.http_status >= 500;
}

// The wait before retry `attempt` (1, 2, ...): the server's Retry-After when it sent
// one, else 0.5 s doubling per attempt with ±50 % jitter (so queries turned away
// together do not come back together); both capped. The jitter is a pure function of
// the query and the attempt, so a run's schedule is reproducible.
double retry_wait_s(const inference::Failure& f, std::size_t idx, int attempt, double max_wait_s) {
  if (f.retry_after_s) return std::min(*f.retry_after_s, max_wait_s);
  std::minstd_rand rng(static_cast<std::uint32_t>(idx * 1009 + static_cast<std::size_t>(attempt)));
  const double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
  return std::min(0.5 * static_cast<double>(1 << std::min(attempt - 1, 10)) * jitter, max_wait_s);
}

}  // namespace

bool Session::run_stage(const StagePlan& plan, std::vector<StageQuery> queries, const SettledFn& settled,
                        ProfileOutcome& out) {
  const Clock& clock = steady_clock();
  const bool sequential = !plan.open_loop && plan.concurrency == 1;
  EnergyLedger ledger = make_ledger(plan.rule);

  struct Flight {
    std::size_t idx;
    int attempt;
    std::int64_t t_sent;        // stamped just before the client's own t_send: a lower bound of it
    double engine_cpu_s = 0;    // the engine's CPU time at the send (sequential runs)
  };
  struct Waiting {
    std::size_t idx;
    int attempt;
    std::optional<std::int64_t> arrival_ns;  // open loop: when it arrived
    std::int64_t not_before_ns = 0;          // a retry's back-off
  };
  // What becomes of a finished attempt's energy share.
  enum class Fate { store, discard, retry };
  struct Pending {  // a finished attempt whose spans are not all shared yet
    QueryRecord record;
    std::int64_t t_start, t_first, t_end;
    // discard: cut off by an interrupt or the engine's failure (not stored; --resume
    // sends it again); retry: an attempt the server turned away, sent again (overhead).
    Fate fate;
  };
  struct Finished {
    std::uint64_t id;
    inference::Result result;
  };
  std::map<std::uint64_t, Flight> flying;
  std::deque<Waiting> waiting;
  std::deque<Finished> finished;  // ended, not yet collected: still in `flying`, so they hold the frontier
  std::map<std::size_t, Pending> pending;  // by ledger id
  std::deque<QueryShare> settled_shares;   // shared out, not yet delivered
  bool settling_behind = false;            // collecting, sharing or delivering left for the next wake-up
  std::vector<double> discarded_j(selected_.size(), 0.0);  // shares of queries not stored
  std::vector<double> retry_j(selected_.size(), 0.0);      // shares of attempts sent again
  std::uint64_t next_id = 0;
  std::size_t next = 0;
  bool stopping = false, ok = true;

  if (!sequential) writer_ = std::make_unique<QueryWriter>(store_.dir(), info_.id);
  const std::int64_t t0 = clock.now_ns();
  ledger.begin(t0);
  std::int64_t last_end = t0;
  const std::int64_t deadline = plan.duration_s > 0 ? t0 + s_to_ns(plan.duration_s) : 0;
  const std::size_t cap = plan.concurrency > 0 ? static_cast<std::size_t>(plan.concurrency)
                                               : std::numeric_limits<std::size_t>::max();
  const auto arrival_ns = [&](std::size_t i) { return t0 + s_to_ns(queries[i].arrival_s); };

  const auto stop = [&](RunStatus status, std::string message) {
    if (!stopping) {
      out.status = status;
      out.message = std::move(message);
    }
    stopping = true;
    client_->cancel();  // the others in flight end at once (cancelled: not stored)
  };
  const auto send = [&](const Waiting& w) {
    if (sequential) sampler_.sample_latches(1);  // the request goes out just after a latch
    StageQuery& q = queries[w.idx];
    const std::int64_t now = clock.now_ns();
    if (w.arrival_ns) q.record.queue_ns = std::max<std::int64_t>(0, now - *w.arrival_ns);
    const std::uint64_t id = next_id++;
    Flight f{w.idx, w.attempt, now};
    if (sequential && engine_ && engine_->alive()) f.engine_cpu_s = engine_->process_cpu_time_s();
    flying.emplace(id, f);
    client_->start(q.request, [&finished, id](inference::Result r) { finished.push_back({id, std::move(r)}); });
  };
  const auto deliver = [&](const QueryShare& share) {
    auto it = pending.find(share.id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    if (p.fate != Fate::store) {
      std::vector<double>& to = p.fate == Fate::retry ? retry_j : discarded_j;
      for (std::size_t k = 0; k < selected_.size(); ++k) to[k] += share.energy_j[k].value_or(0.0);
      return;
    }
    fill_energy([this](int d, std::int64_t a, std::int64_t b) { return sampler_.energy(d, a, b); }, selected_,
                share, p.t_start, p.t_first, p.t_end, p.record);
    if (!settled(p.record, out)) {
      ok = false;
      stopping = true;
      client_->cancel();
    }
  };
  // One query's end: stored (through the ledger), retried, or the run's end.
  const auto collect = [&](Finished& fin) {
    const Flight f = flying.at(fin.id);
    flying.erase(fin.id);
    if (sequential) {
      sampler_.sample_now();       // the counters at the last byte…
      sampler_.sample_latches(2);  // …and the latches that close the window
    }
    const inference::Result& res = fin.result;
    Fate fate = Fate::store;
    if (!res) {
      const inference::FailureKind kind = res.error().kind;
      if (kind == inference::FailureKind::cancelled || stopping || stop_requested_.load()) {
        if (!stopping) stop(RunStatus::interrupted, "");
        fate = Fate::discard;  // not stored: --resume sends it again
      } else if (engine_died(kind)) {
        // The failure is the engine's, not the query's: --resume runs it on a fresh server.
        std::string why = "the engine stopped during a query";
        try {
          engine_->check_alive();
        } catch (const inference::EngineError& e) {
          why = e.what();
        }
        stop(RunStatus::failed, why);
        fate = Fate::discard;
      } else if (retryable(res.error()) && f.attempt < cfg_.retries) {
        const double wait_s = retry_wait_s(res.error(), f.idx, f.attempt + 1, cfg_.retry_max_wait_s);
        spdlog::warn("{}; retry {}/{} in {:.2f} s", res.error().message, f.attempt + 1, cfg_.retries, wait_s);
        waiting.push_front({f.idx, f.attempt + 1, std::nullopt, clock.now_ns() + s_to_ns(wait_s)});
        fate = Fate::retry;
      } else if (kind == inference::FailureKind::connect) {
        stop(RunStatus::failed, fmt::format("cannot reach the server: {}", res.error().message));
        return;
      }
    }
    const inference::Response& r = res ? res.value() : res.error().partial;
    if (r.t_send_ns <= 0) return;  // never sent
    QueryRecord q = queries[f.idx].record;
    q.attempts = f.attempt + 1;
    if (!res) {
      q.error_kind = inference::to_string(res.error().kind);
      q.error_message = res.error().message;
      if (res.error().http_status) q.error_message += fmt::format(" (HTTP {})", res.error().http_status);
    }
    if (sequential && engine_ && engine_->alive()) q.server_cpu_s = engine_->process_cpu_time_s() - f.engine_cpu_s;
    const std::int64_t origin = info_.t0_monotonic_ns;
    // A failure ends the window when it was detected: a stalled stream's server worked
    // until the timeout, not just until its last byte.
    const std::int64_t t_end = !res && res.error().t_failed_ns > 0 ? res.error().t_failed_ns
                               : r.t_last_byte_ns > 0              ? r.t_last_byte_ns
                                                                    : clock.now_ns();
    record_response(r, t_end, origin, q);
    q.session = info_.id;
    q.stage = plan.stage;
    make_storable(q);  // as the store will hold it, so the run's tallies agree
    QueryActivity a = activity_of(r, t_end, q);
    last_end = std::max(last_end, t_end);
    // One at a time, the query settles before the next is sent: its end must be bracketed.
    if (sequential) sampler_.wait_for_sample_after(t_end, kSampleWaitNs);
    const std::size_t lid = ledger.add(std::move(a));
    pending.emplace(lid, Pending{std::move(q), r.t_send_ns, r.t_first_token_ns, t_end, fate});
  };

  while (true) {
    if (stop_requested_.load() && !stopping) stop(RunStatus::interrupted, "");
    std::int64_t now = clock.now_ns();
    const bool sending = !stopping && (deadline == 0 || now < deadline);
    if (sending) {
      if (plan.open_loop) {
        for (; next < queries.size() && arrival_ns(next) <= now; ++next) waiting.push_back({next, 0, arrival_ns(next), 0});
      }
      while (flying.size() < cap) {
        auto ready = std::find_if(waiting.begin(), waiting.end(), [&](const Waiting& w) { return w.not_before_ns <= now; });
        if (ready != waiting.end()) {
          const Waiting w = *ready;
          waiting.erase(ready);
          send(w);
        } else if (!plan.open_loop && next < queries.size()) {
          send({next++, 0, std::nullopt, 0});
        } else {
          break;
        }
        now = clock.now_ns();
      }
    }
    const bool more = sending && (next < queries.size() || !waiting.empty());
    if (flying.empty() && finished.empty() && !more) break;
    std::int64_t wait = kPollNs;
    if (sending && plan.open_loop && next < queries.size()) wait = std::min(wait, arrival_ns(next) - now);
    // A retry's back-off ending matters only with a slot to send it in (else the wait
    // would be 0 until a slot frees, and the loop would spin).
    if (flying.size() < cap) {
      for (const Waiting& w : waiting) wait = std::min(wait, w.not_before_ns - now);
    }
    if (deadline != 0 && sending) wait = std::min(wait, deadline - now);
    if (settling_behind) wait = 0;
    wait = std::max<std::int64_t>(wait, 0);
    if (flying.empty()) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(wait, kPollNs)));
    } else {
      client_->poll(wait);
    }
    const std::int64_t collect_until = clock.now_ns() + kSettleNsPerWake;
    while (!finished.empty()) {
      Finished fin = std::move(finished.front());  // collect may cancel: callbacks then append
      finished.pop_front();
      collect(fin);
      if (clock.now_ns() >= collect_until) break;
    }
    // Spans before the earliest send still in flight involve finished queries only.
    std::int64_t frontier = std::min(clock.now_ns(), sampler_.read_through_ns());
    // Ids are given in send order, so the first in flight was sent earliest (no scan
    // of every stream on each wake-up: this runs once per token at high concurrency).
    if (!flying.empty()) frontier = std::min(frontier, flying.begin()->second.t_sent);
    for (QueryShare& s : ledger.advance(frontier, kSettleWorkPerWake)) settled_shares.push_back(std::move(s));
    const std::int64_t deliver_until = clock.now_ns() + kSettleNsPerWake;
    while (!settled_shares.empty()) {
      deliver(settled_shares.front());
      settled_shares.pop_front();
      if (clock.now_ns() >= deliver_until) break;
    }
    settling_behind = !finished.empty() || ledger.frontier_ns() < frontier || !settled_shares.empty();
  }

  for (const QueryShare& s : settled_shares) deliver(s);
  sampler_.wait_for_sample_after(last_end, kSampleWaitNs);
  for (const QueryShare& s : ledger.close(last_end)) deliver(s);
  if (writer_) {
    writer_->flush();  // every stored query is committed before the stage's totals
    writer_.reset();
  }
  record_stage_totals(plan, ledger.totals(), discarded_j, retry_j);
  store_.update_session(info_);
  return ok && !stopping;
}

EnergyLedger Session::make_ledger(ShareRule rule) {
  std::vector<std::optional<double>> idle;
  for (int d : selected_) idle.push_back(idle_power_w_[static_cast<std::size_t>(d)]);
  return EnergyLedger(
      rule, selected_.size(),
      [this](int k, std::int64_t t) { return sampler_.cumulative_j(selected_[static_cast<std::size_t>(k)], t); },
      idle,
      [this](int k, std::int64_t a, std::int64_t b) {
        return sampler_.span_known(selected_[static_cast<std::size_t>(k)], a, b);
      });
}

void Session::record_stage_totals(const StagePlan& plan, const StageEnergy& t, const std::vector<double>& discarded_j,
                                  const std::vector<double>& retry_j) {
  nlohmann::json measured = nlohmann::json::object(), unattributed = nlohmann::json::object(),
                 discarded = nlohmann::json::object(), retried = nlohmann::json::object();
  for (std::size_t k = 0; k < selected_.size(); ++k) {
    const std::string& name = sampler_.domains()[static_cast<std::size_t>(selected_[k])].domain;
    measured[name] = t.measured_j[k] ? nlohmann::json(*t.measured_j[k]) : nlohmann::json();
    unattributed[name] = t.unattributed_j[k] ? nlohmann::json(*t.unattributed_j[k]) : nlohmann::json();
    discarded[name] = discarded_j[k];
    retried[name] = retry_j[k];
  }
  info_.totals["stages"].push_back({{"stage", plan.stage},
                                    {"setting", plan.setting},
                                    {"attribution", to_string(plan.rule)},
                                    {"t_start_ns", t.t_start_ns - info_.t0_monotonic_ns},
                                    {"t_end_ns", t.t_end_ns - info_.t0_monotonic_ns},
                                    {"measured_energy_j", measured},
                                    {"unattributed_energy_j", unattributed},
                                    {"discarded_energy_j", discarded},
                                    {"retry_energy_j", retried},
                                    {"conservation_error_j", t.conservation_error_j},
                                    {"busy_s", t.busy_s},
                                    {"mean_in_flight", t.mean_in_flight}});
  if (plan.warmup_s > 0 || plan.cooldown_s > 0) {
    // An empty window (the stage was shorter than its warm-up and cool-down) is kept
    // as such: the steady-state figures are then unknown, never the whole stage's.
    const std::int64_t a = std::min(t.t_start_ns + s_to_ns(plan.warmup_s), t.t_end_ns);
    const std::int64_t b = std::max(a, t.t_end_ns - s_to_ns(plan.cooldown_s));
    nlohmann::json steady_j = nlohmann::json::object();
    for (std::size_t k = 0; k < selected_.size(); ++k) {
      const int d = selected_[k];
      const auto fa = sampler_.cumulative_j(d, a), fb = sampler_.cumulative_j(d, b);
      const std::string& name = sampler_.domains()[static_cast<std::size_t>(d)].domain;
      steady_j[name] = fa && fb && b > a && sampler_.span_known(d, a, b) ? nlohmann::json(*fb - *fa) : nlohmann::json();
    }
    info_.totals["stages"].back()["steady"] = {{"t_start_ns", a - info_.t0_monotonic_ns},
                                               {"t_end_ns", b - info_.t0_monotonic_ns},
                                               {"warmup_s", plan.warmup_s},
                                               {"cooldown_s", plan.cooldown_s},
                                               {"measured_energy_j", steady_j}};
  }
}

}  // namespace ipw::run
