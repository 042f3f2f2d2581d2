#pragma once
// Attribution under overlap (docs/attribution.md, "Queries in flight together"):
// the timeline of a stage is cut into spans at every query's send, first token,
// first answer token and last byte; each span's measured energy is shared by the queries in flight in it,
// and a span with none in flight is the stage's unattributed energy. Span energies
// are differences of one cumulative function per domain, so per domain
//     Σ query shares + unattributed = F(stage end) − F(stage start)
// exactly (to rounding), whatever the sharing rule: conservation is by
// construction, and is still checked and stored.
//
// EnergyLedger works incrementally, so queries are committed while the stage runs:
// spans are shared once every query active in them has finished (`advance`), and a
// query is settled when its last span is.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::run {

// How a span's energy is shared among the queries in flight in it.
//   equal   every query in flight an equal share (a time split);
//   tokens  by tokens processed in the span: prompt tokens spread evenly over the
//           query's prefill, each output piece over the interval before it arrives;
//   fitted  by a model of the stage's power fitted to its spans by least squares,
//           P = c + a·(prompt tokens/s) + b·(output tokens/s), c, a, b ≥ 0: the static
//           part c is shared by time, the rest by each query's prompt and output
//           tokens at their fitted costs (the default; see docs/attribution.md).
// Every rule falls back to `equal` in a span where its weights are all zero.
enum class ShareRule { equal, tokens, fitted };
const char* to_string(ShareRule r);
// Throws ipw::UsageError naming the choices for an unknown name.
ShareRule share_rule_from_string(std::string_view name);

// One query's activity on the monotonic clock.
struct QueryActivity {
  std::int64_t t_start_ns = 0;
  std::int64_t t_first_ns = 0;  // first token; 0 when none arrived (all prefill)
  // First answer token (0: none). Decode before it is reasoning; a reply without
  // thinking has it equal to t_first_ns.
  std::int64_t t_first_answer_ns = 0;
  std::int64_t t_end_ns = 0;
  int prompt_tokens = 0;        // 0 when the server did not say (counted as 1)
  int output_tokens = 0;        // from usage; 0: the streamed pieces are counted
  std::vector<std::int64_t> token_times_ns;  // arrival of each streamed piece, ascending
};

// Energy of one domain since a fixed origin, at t (empty when unknown there).
using CumulativeFn = std::function<std::optional<double>(int domain, std::int64_t t_ns)>;
// Whether F's difference over [t0, t1] is the energy drawn (false, e.g., across a
// counter reset with no power to bridge it): that span's energy is then unknown.
using SpanKnownFn = std::function<bool(int domain, std::int64_t t0_ns, std::int64_t t1_ns)>;

struct QueryShare {
  std::size_t id = 0;  // as returned by EnergyLedger::add
  // Per selected domain, in the order given to the ledger; empty when unknown.
  std::vector<std::optional<double>> energy_j, prefill_j, decode_j, net_j;
  // The part of decode_j before the first answer token (the thinking).
  std::vector<std::optional<double>> reasoning_j;
};

struct StageEnergy {
  std::int64_t t_start_ns = 0, t_end_ns = 0;
  // Per selected domain: F(end) − F(start), the spans with nothing in flight, and
  // |measured − Σ shares − unattributed| (rounding only; stored as the check).
  std::vector<std::optional<double>> measured_j, unattributed_j;
  double conservation_error_j = 0;
  // Seconds with at least one query in flight, and the time-weighted mean number in flight.
  double busy_s = 0, mean_in_flight = 0;
};

class EnergyLedger {
 public:
  // `domains`: how many selected domains F answers for; idle_w[d]: domain d's idle
  // baseline (empty: net figures unknown). Net of idle charges each span's idle
  // energy once, split equally among the queries in flight in it.
  EnergyLedger(ShareRule rule, std::size_t domains, CumulativeFn cumulative,
               std::vector<std::optional<double>> idle_w, SpanKnownFn span_known = {});

  // The stage starts at t_ns (before its first send).
  void begin(std::int64_t t_ns);
  // A finished query; its id is its index in add order.
  std::size_t add(QueryActivity q);
  // Shares every span up to frontier_ns. The caller guarantees that every query
  // active before frontier_ns has been added (none still in flight started before
  // it) and that telemetry brackets it. Returns the queries settled now.
  // With max_work it may stop short, after the span that takes its work past
  // max_work (work: the open queries each span visits, plus a fixed cost a span),
  // so that a caller on an event loop bounds the time of one call; frontier_ns()
  // says how far it got, and the next call goes on from there. Where it stops is a
  // cut it would have made anyway, so the shares are exactly those of one call
  // without the bound.
  std::vector<QueryShare> advance(std::int64_t frontier_ns,
                                  std::size_t max_work = std::numeric_limits<std::size_t>::max());
  // Every span before this instant is shared.
  std::int64_t frontier_ns() const { return frontier_ns_; }
  // Ends the stage at t_ns, or at the frontier or an added query's end where one is
  // later: shares the rest and
  // returns the queries settled by it; totals() then holds the stage's figures.
  std::vector<QueryShare> close(std::int64_t t_ns);
  const StageEnergy& totals() const { return totals_; }
  // Called with every span shared with nothing in flight: its edges and its energy
  // summed over the domains (empty when any domain's is unknown). Tasks' energy
  // between requests is made of these (run/task_energy.h).
  using IdleSpanFn = std::function<void(std::int64_t t0_ns, std::int64_t t1_ns, std::optional<double> energy_j)>;
  void on_idle_span(IdleSpanFn fn) { idle_span_ = std::move(fn); }
  ShareRule rule() const { return rule_; }

 private:
  struct Open;  // a query with spans still to share
  void share_span(std::int64_t a, std::int64_t b);
  double prompt_work(const QueryActivity& q, std::int64_t t) const;
  double output_work(const QueryActivity& q, std::int64_t t) const;
  std::vector<QueryShare> settle(std::int64_t up_to);

  ShareRule rule_;
  std::size_t domains_;
  CumulativeFn cumulative_;
  IdleSpanFn idle_span_;
  SpanKnownFn span_known_;
  std::vector<std::optional<double>> idle_w_;
  std::int64_t frontier_ns_ = 0;
  std::vector<std::optional<double>> f_frontier_;  // F at the frontier, per domain (empty until the first advance)
  std::vector<std::optional<double>> f_start_;     // F at the stage's start
  std::vector<QueryActivity> queries_;
  std::vector<QueryShare> shares_;
  std::vector<std::size_t> open_;  // ids not yet settled, in add order
  std::vector<double> attributed_;  // Σ shares so far, per domain (for the check)
  // Least-squares sums for `fitted`, per domain: x = (seconds, prompt tokens,
  // output tokens) of a span, y its energy.
  struct Fit {
    double xx[3][3] = {};
    double xy[3] = {};
    double yy = 0;
    int spans = 0;
  };
  std::vector<Fit> fits_;
  StageEnergy totals_;
  bool begun_ = false;
  bool added_since_settle_ = false;
};

// Non-negative least squares in three unknowns from accumulated sums (all subsets
// tried; the feasible one with the least residual wins). Empty when no subset is
// solvable. Exposed for tests.
std::optional<std::vector<double>> nonnegative_fit3(const double xx[3][3], const double xy[3], double yy);

}  // namespace ipw::run
