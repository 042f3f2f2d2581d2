#include "ipw/metrics/perplexity.h"

#include <cmath>

#include "ipw/common/json_null.h"

namespace ipw::metrics {
namespace {

std::optional<double> inverse_product(double a, double b) {
  if (!(a > 0) || !(b > 0)) return std::nullopt;
  return 1.0 / (a * b);
}

}  // namespace

std::optional<double> perplexity(const run::QueryRecord& q) {
  if (!q.reference_nll_nats || !q.reference_tokens || *q.reference_tokens <= 0) return std::nullopt;
  return std::exp(*q.reference_nll_nats / *q.reference_tokens);
}

void PerplexityBuilder::add(const run::QueryRecord& q) {
  const auto ppl = perplexity(q);
  if (!ppl) return;
  ++scored_;
  tokens_ += static_cast<std::size_t>(*q.reference_tokens);
  sum_ppl_ += *ppl;
  sum_nll_ += *q.reference_nll_nats;
  if (!q.ok() || !q.energy_j) return;
  const auto pw = q.power_w();
  if (!pw) return;
  ++n_e_;
  ppl_e_ += *ppl;
  e_ += *q.energy_j;
  p_ += *pw;
  if (q.net_energy_j) {
    ++n_net_;
    ppl_net_ += *ppl;
    e_net_ += *q.net_energy_j;
    p_net_ += *q.net_energy_j / q.latency_s();
  }
}

PerplexitySummary PerplexityBuilder::finish() const {
  PerplexitySummary s;
  s.scored = scored_;
  s.reference_tokens = tokens_;
  if (scored_ > 0) {
    s.mean_perplexity = sum_ppl_ / static_cast<double>(scored_);
    s.token_perplexity = std::exp(sum_nll_ / static_cast<double>(tokens_));
  }
  s.energy_queries = n_e_;
  if (n_e_ > 0) {
    const double n = static_cast<double>(n_e_);
    s.mean_energy_j = e_ / n;
    s.mean_power_w = p_ / n;
    s.ppw = inverse_product(ppl_e_ / n, p_ / n);
    s.ppj = inverse_product(ppl_e_ / n, e_ / n);
  }
  if (n_net_ > 0) {
    // Net figures can be ≤ 0 (a query below the idle baseline): then there is no ratio.
    const double n = static_cast<double>(n_net_);
    s.ppw_net = inverse_product(ppl_net_ / n, p_net_ / n);
    s.ppj_net = inverse_product(ppl_net_ / n, e_net_ / n);
  }
  return s;
}

nlohmann::json to_json(const PerplexitySummary& s) {
  return {{"scored", s.scored},
          {"reference_tokens", s.reference_tokens},
          {"mean_perplexity", json_or_null(s.mean_perplexity)},
          {"token_perplexity", json_or_null(s.token_perplexity)},
          {"energy_queries", s.energy_queries},
          {"mean_energy_j", json_or_null(s.mean_energy_j)},
          {"mean_power_w", json_or_null(s.mean_power_w)},
          {"ppw", json_or_null(s.ppw)},
          {"ppj", json_or_null(s.ppj)},
          {"ppw_net", json_or_null(s.ppw_net)},
          {"ppj_net", json_or_null(s.ppj_net)}};
}

}  // namespace ipw::metrics
