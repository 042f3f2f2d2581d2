// Session::observe: the energy of requests another program makes (`ipw proxy`,
// docs/agents.md), shared out exactly as run_stage shares the profiler's own: spans
// cut at every request's send, first token and last byte, each span's energy shared by
// the requests in flight in it, a span with none the stage's unattributed energy.
#include <algorithm>
#include <map>

#include "ipw/run/attribution.h"
#include "ipw/run/response_record.h"
#include "ipw/run/session.h"
#include "ipw/run/task_energy.h"

namespace ipw::run {
namespace {

// How long the loop waits for an ended request before it looks again at the frontier.
constexpr std::int64_t kObservePollNs = 20'000'000;

}  // namespace

bool Session::observe(ObservedQueries& feed, const StagePlan& plan, std::int64_t t_begin_ns, const SettledFn& settled,
                      ProfileOutcome& out) {
  EnergyLedger ledger = make_ledger(plan.rule);
  IdleSpans idle;
  ledger.on_idle_span([&idle](std::int64_t a, std::int64_t b, std::optional<double> e) { idle.add({a, b, e}); });
  std::map<std::string, TaskLifetime> lifetimes;
  struct Pending {
    QueryRecord record;
    std::int64_t t_start, t_first, t_end;
  };
  std::map<std::size_t, Pending> pending;  // by ledger id
  bool ok = true;
  writer_ = std::make_unique<QueryWriter>(store_.dir(), info_.id);
  ledger.begin(t_begin_ns);
  std::int64_t last_end = t_begin_ns;
  const auto deliver = [&](const QueryShare& share) {
    auto it = pending.find(share.id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    fill_energy([this](int d, std::int64_t a, std::int64_t b) { return sampler_.energy(d, a, b); }, selected_, share,
                p.t_start, p.t_first, p.t_end, p.record);
    if (ok && !settled(p.record, out)) ok = false;
  };
  while (true) {
    // Drained is read before taking: whatever ended before it is taken in this round.
    const bool drained = feed.drained();
    for (ObservedQuery& o : feed.take(drained ? 0 : kObservePollNs)) {
      QueryRecord q = std::move(o.record);
      record_response(o.response, o.t_end_ns, info_.t0_monotonic_ns, q);
      q.session = info_.id;
      q.stage = plan.stage;
      make_storable(q);
      last_end = std::max(last_end, o.t_end_ns);
      if (!q.task.empty()) {
        auto [it, fresh] = lifetimes.try_emplace(q.task, TaskLifetime{q.task, o.response.t_send_ns, o.t_end_ns});
        if (!fresh) {
          it->second.t_start_ns = std::min(it->second.t_start_ns, o.response.t_send_ns);
          it->second.t_end_ns = std::max(it->second.t_end_ns, o.t_end_ns);
        }
      }
      const std::size_t id = ledger.add(activity_of(o.response, o.t_end_ns, q));
      pending.emplace(id, Pending{std::move(q), o.response.t_send_ns, o.response.t_first_token_ns, o.t_end_ns});
    }
    if (drained) break;
    const std::int64_t frontier = std::min(feed.frontier_ns(), sampler_.read_through_ns());
    for (const QueryShare& s : ledger.advance(frontier)) deliver(s);
  }
  sampler_.wait_for_sample_after(last_end, kSampleWaitNs);
  for (const QueryShare& s : ledger.close(last_end)) deliver(s);
  writer_->flush();
  writer_.reset();
  std::vector<TaskLifetime> tasks;
  for (auto& [name, t] : lifetimes) tasks.push_back(std::move(t));
  const std::vector<std::optional<double>> between = between_requests_j(tasks, idle.spans());
  std::vector<TaskRecord> rows;
  for (std::size_t i = 0; i < tasks.size(); ++i) rows.push_back({tasks[i].task, between[i], {}, {}});
  store_.write_task_energies(rows);
  const std::vector<double> none(selected_.size(), 0.0);
  record_stage_totals(plan, ledger.totals(), none, none);
  store_.update_session(info_);
  return ok;
}

}  // namespace ipw::run
