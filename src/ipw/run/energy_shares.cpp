#include "ipw/run/energy_shares.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/clock.h"
#include "ipw/common/usage_error.h"

namespace ipw::run {
namespace {

// The fitted model is used once this many spans inform it; before, `tokens`.
constexpr int kMinFitSpans = 8;

// A span's own cost in advance()'s work (its reads of the cumulative energy), in
// units of one open query visited.
constexpr std::size_t kSpanWork = 16;

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Solves the k×k system m·x = v (k ≤ 3) by Gaussian elimination with pivoting.
std::optional<std::vector<double>> solve(std::vector<std::vector<double>> m, std::vector<double> v) {
  const std::size_t k = v.size();
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r) {
      if (std::abs(m[r][c]) > std::abs(m[p][c])) p = r;
    }
    if (std::abs(m[p][c]) < 1e-12 * (1.0 + std::abs(m[c][c]))) return std::nullopt;
    std::swap(m[p], m[c]);
    std::swap(v[p], v[c]);
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = m[r][c] / m[c][c];
      for (std::size_t j = c; j < k; ++j) m[r][j] -= f * m[c][j];
      v[r] -= f * v[c];
    }
  }
  for (std::size_t c = 0; c < k; ++c) v[c] /= m[c][c];
  return v;
}

}  // namespace

const char* to_string(ShareRule r) {
  switch (r) {
    case ShareRule::equal: return "equal";
    case ShareRule::tokens: return "tokens";
    case ShareRule::fitted: return "fitted";
  }
  return "fitted";
}

ShareRule share_rule_from_string(std::string_view name) {
  for (ShareRule r : {ShareRule::equal, ShareRule::tokens, ShareRule::fitted}) {
    if (name == to_string(r)) return r;
  }
  throw UsageError(
      fmt::format("--attribution '{}': expected equal, tokens or fitted (docs/attribution.md)", name));
}

std::optional<std::vector<double>> nonnegative_fit3(const double xx[3][3], const double xy[3], double yy) {
  std::optional<std::vector<double>> best;
  double best_residual = 0;
  for (int mask = 1; mask < 8; ++mask) {
    std::vector<int> idx;
    for (int i = 0; i < 3; ++i) {
      if (mask & (1 << i)) idx.push_back(i);
    }
    std::vector<std::vector<double>> m(idx.size(), std::vector<double>(idx.size()));
    std::vector<double> v(idx.size());
    for (std::size_t r = 0; r < idx.size(); ++r) {
      v[r] = xy[idx[r]];
      for (std::size_t c = 0; c < idx.size(); ++c) m[r][c] = xx[idx[r]][idx[c]];
    }
    const auto sol = solve(m, v);
    if (!sol || std::any_of(sol->begin(), sol->end(), [](double x) { return x < 0; })) continue;
    std::vector<double> beta(3, 0.0);
    for (std::size_t r = 0; r < idx.size(); ++r) beta[static_cast<std::size_t>(idx[r])] = (*sol)[r];
    // ‖y − Xβ‖² = yy − 2βᵀ(Xᵀy) + βᵀ(XᵀX)β
    double residual = yy;
    for (int i = 0; i < 3; ++i) {
      residual -= 2 * beta[static_cast<std::size_t>(i)] * xy[i];
      for (int j = 0; j < 3; ++j) residual += beta[static_cast<std::size_t>(i)] * xx[i][j] * beta[static_cast<std::size_t>(j)];
    }
    if (!best || residual < best_residual - 1e-12 * std::abs(yy)) {
      best = beta;
      best_residual = residual;
    }
  }
  return best;
}

EnergyLedger::EnergyLedger(ShareRule rule, std::size_t domains, CumulativeFn cumulative,
                           std::vector<std::optional<double>> idle_w, SpanKnownFn span_known)
    : rule_(rule),
      domains_(domains),
      cumulative_(std::move(cumulative)),
      span_known_(std::move(span_known)),
      idle_w_(std::move(idle_w)),
      attributed_(domains, 0.0),
      fits_(domains) {
  idle_w_.resize(domains);
  totals_.measured_j.assign(domains, std::nullopt);
  totals_.unattributed_j.assign(domains, 0.0);
}

void EnergyLedger::begin(std::int64_t t_ns) {
  frontier_ns_ = t_ns;
  totals_.t_start_ns = t_ns;
  f_frontier_.clear();  // F(start) is read at the first advance, once telemetry brackets it
  begun_ = true;
}

std::size_t EnergyLedger::add(QueryActivity q) {
  if (!begun_) throw std::logic_error("EnergyLedger::add before begin");
  if (q.t_start_ns < frontier_ns_ || q.t_end_ns < q.t_start_ns) {
    throw std::logic_error(fmt::format("EnergyLedger::add: query [{}, {}] starts before the shared frontier {}",
                                       q.t_start_ns, q.t_end_ns, frontier_ns_));
  }
  const std::size_t id = queries_.size();
  queries_.push_back(std::move(q));
  added_since_settle_ = true;
  QueryShare s;
  s.id = id;
  s.energy_j.assign(domains_, 0.0);
  s.prefill_j.assign(domains_, 0.0);
  s.decode_j.assign(domains_, 0.0);
  s.reasoning_j.assign(domains_, 0.0);
  s.net_j.assign(domains_, 0.0);
  for (std::size_t d = 0; d < domains_; ++d) {
    if (!idle_w_[d]) s.net_j[d] = std::nullopt;
  }
  shares_.push_back(std::move(s));
  open_.push_back(id);
  return id;
}

double EnergyLedger::prompt_work(const QueryActivity& q, std::int64_t t) const {
  const double total = std::max(q.prompt_tokens, 1);
  // Without a first token the whole window was spent before any output.
  const std::int64_t end = q.t_first_ns > q.t_start_ns ? q.t_first_ns : q.t_end_ns;
  if (end <= q.t_start_ns) return t >= end ? total : 0.0;
  return total * clamp01(static_cast<double>(t - q.t_start_ns) / static_cast<double>(end - q.t_start_ns));
}

double EnergyLedger::output_work(const QueryActivity& q, std::int64_t t) const {
  // Each piece after the first was made in the interval before it arrived (the
  // first ends the prefill), so the work done by t interpolates the piece count.
  const auto& ts = q.token_times_ns;
  if (ts.size() < 2 || t <= ts.front()) return 0.0;
  const double scale = q.output_tokens > 1 ? static_cast<double>(q.output_tokens - 1) / static_cast<double>(ts.size() - 1) : 1.0;
  if (t >= ts.back()) return scale * static_cast<double>(ts.size() - 1);
  const auto it = std::upper_bound(ts.begin(), ts.end(), t);  // first piece after t
  const std::size_t i = static_cast<std::size_t>(it - ts.begin());
  const std::int64_t a = ts[i - 1], b = ts[i];
  const double frac = b > a ? static_cast<double>(t - a) / static_cast<double>(b - a) : 1.0;
  return scale * (static_cast<double>(i - 1) + frac);
}

void EnergyLedger::share_span(std::int64_t a, std::int64_t b) {
  std::vector<std::size_t> in;
  for (std::size_t id : open_) {
    const QueryActivity& q = queries_[id];
    if (q.t_start_ns < b && q.t_end_ns > a) in.push_back(id);
  }
  const double dur = ns_to_s(b - a);
  const double n = static_cast<double>(in.size());
  if (!in.empty()) {
    totals_.busy_s += dur;
    totals_.mean_in_flight += n * dur;  // divided by the stage's duration at close
  }
  std::vector<double> prompt(in.size()), output(in.size());
  double prompt_sum = 0, output_sum = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const QueryActivity& q = queries_[in[i]];
    prompt[i] = prompt_work(q, b) - prompt_work(q, a);
    output[i] = output_work(q, b) - output_work(q, a);
    prompt_sum += prompt[i];
    output_sum += output[i];
  }
  std::optional<double> span_idle_j = 0.0;  // summed over domains, for the idle-span sink
  for (std::size_t d = 0; d < domains_; ++d) {
    const std::optional<double> fb = cumulative_(static_cast<int>(d), b);
    const bool known = !span_known_ || span_known_(static_cast<int>(d), a, b);
    const std::optional<double> energy =
        known && fb && f_frontier_[d] ? std::optional<double>(*fb - *f_frontier_[d]) : std::nullopt;
    f_frontier_[d] = fb;
    if (!energy) {
      for (std::size_t id : in) {
        QueryShare& s = shares_[id];
        s.energy_j[d] = s.prefill_j[d] = s.decode_j[d] = s.reasoning_j[d] = s.net_j[d] = std::nullopt;
      }
      totals_.unattributed_j[d] = std::nullopt;  // the stage's split is no longer whole: no check
      span_idle_j.reset();
      continue;
    }
    Fit& fit = fits_[d];
    const double x[3] = {dur, prompt_sum, output_sum};
    for (int i = 0; i < 3; ++i) {
      fit.xy[i] += x[i] * *energy;
      for (int j = 0; j < 3; ++j) fit.xx[i][j] += x[i] * x[j];
    }
    fit.yy += *energy * *energy;
    ++fit.spans;
    if (in.empty()) {
      if (totals_.unattributed_j[d]) *totals_.unattributed_j[d] += *energy;
      if (span_idle_j) *span_idle_j += *energy;
      continue;
    }
    // Weights by the rule; all zero falls back to an equal split.
    std::vector<double> w(in.size(), 0.0);
    std::optional<std::vector<double>> beta;
    if (rule_ == ShareRule::fitted && fit.spans >= kMinFitSpans) beta = nonnegative_fit3(fit.xx, fit.xy, fit.yy);
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (rule_ == ShareRule::tokens || (rule_ == ShareRule::fitted && !beta)) {
        w[i] = prompt[i] + output[i];
      } else if (rule_ == ShareRule::fitted) {
        w[i] = (*beta)[0] * dur / n + (*beta)[1] * prompt[i] + (*beta)[2] * output[i];
      }
    }
    double sum = 0;
    for (double x_i : w) sum += x_i;
    if (!(sum > 0)) {
      std::fill(w.begin(), w.end(), 1.0);
      sum = n;
    }
    const double idle_j = idle_w_[d].value_or(0.0) * dur / n;  // used only where the baseline is known
    for (std::size_t i = 0; i < in.size(); ++i) {
      QueryShare& s = shares_[in[i]];
      const QueryActivity& q = queries_[in[i]];
      const double part = *energy * w[i] / sum;
      attributed_[d] += part;
      if (s.energy_j[d]) *s.energy_j[d] += part;
      // Spans are cut at the first token and the first answer token, so each lies
      // wholly before or after each.
      const bool decoding = q.t_first_ns > 0 && a >= q.t_first_ns;
      auto& phase = decoding ? s.decode_j[d] : s.prefill_j[d];
      if (phase) *phase += part;
      const bool thinking = decoding && (q.t_first_answer_ns == 0 || a < q.t_first_answer_ns);
      if (thinking && s.reasoning_j[d]) *s.reasoning_j[d] += part;
      if (s.net_j[d]) *s.net_j[d] += part - idle_j;  // net_j is empty without a baseline
    }
  }
  if (in.empty() && idle_span_) idle_span_(a, b, span_idle_j);
}

std::vector<QueryShare> EnergyLedger::settle(std::int64_t up_to) {
  added_since_settle_ = false;
  std::vector<QueryShare> out;
  std::vector<std::size_t> still;
  for (std::size_t id : open_) {
    if (queries_[id].t_end_ns <= up_to) {
      out.push_back(shares_[id]);
    } else {
      still.push_back(id);
    }
  }
  open_ = std::move(still);
  return out;
}

std::vector<QueryShare> EnergyLedger::advance(std::int64_t frontier_ns, std::size_t max_work) {
  if (!begun_) throw std::logic_error("EnergyLedger::advance before begin");
  // The scheduler calls this on every wake-up: with the frontier where it was, only
  // a query added since can have become settled (one of no length at the frontier).
  if (frontier_ns <= frontier_ns_) return added_since_settle_ ? settle(frontier_ns_) : std::vector<QueryShare>{};
  if (f_frontier_.empty()) {
    for (std::size_t d = 0; d < domains_; ++d) f_frontier_.push_back(cumulative_(static_cast<int>(d), frontier_ns_));
    f_start_ = f_frontier_;
  }
  std::vector<std::int64_t> cuts;
  for (std::size_t id : open_) {
    const QueryActivity& q = queries_[id];
    for (std::int64_t t : {q.t_start_ns, q.t_first_ns, q.t_first_answer_ns, q.t_end_ns}) {
      if (t > frontier_ns_ && t < frontier_ns) cuts.push_back(t);
    }
  }
  cuts.push_back(frontier_ns);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::int64_t a = frontier_ns_;
  std::size_t work = 0;
  for (std::int64_t b : cuts) {
    share_span(a, b);
    a = b;
    work += open_.size() + kSpanWork;
    if (work >= max_work) break;
  }
  frontier_ns_ = a;
  return settle(a);
}

std::vector<QueryShare> EnergyLedger::close(std::int64_t t_ns) {
  // Spans already shared are the stage's whatever t_ns says (`ipw proxy` shares idle
  // spans while it waits for requests, past the last one's end).
  std::int64_t end = std::max(t_ns, frontier_ns_);
  for (std::size_t id : open_) end = std::max(end, queries_[id].t_end_ns);
  std::vector<QueryShare> out = advance(end);
  totals_.t_end_ns = end;
  const double span_s = ns_to_s(end - totals_.t_start_ns);
  totals_.mean_in_flight = span_s > 0 ? totals_.mean_in_flight / span_s : 0.0;
  totals_.conservation_error_j = 0;
  if (f_frontier_.empty()) {  // nothing was ever shared: a stage of no length
    for (std::size_t d = 0; d < domains_; ++d) f_frontier_.push_back(cumulative_(static_cast<int>(d), end));
    f_start_ = f_frontier_;
  }
  for (std::size_t d = 0; d < domains_; ++d) {
    // The same F values the spans used, so the check measures the sharing alone.
    const auto& f0 = f_start_[d];
    const auto& f1 = f_frontier_[d];
    // A span of unknown energy (unattributed_j emptied) leaves the stage's total unknown too.
    if (f0 && f1 && totals_.unattributed_j[d]) totals_.measured_j[d] = *f1 - *f0;
    if (totals_.measured_j[d] && totals_.unattributed_j[d]) {
      totals_.conservation_error_j =
          std::max(totals_.conservation_error_j,
                   std::abs(*totals_.measured_j[d] - attributed_[d] - *totals_.unattributed_j[d]));
    }
  }
  return out;
}

}  // namespace ipw::run
