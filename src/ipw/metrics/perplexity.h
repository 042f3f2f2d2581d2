#pragma once
// Perplexity of the reference answers and the efficiency figures built on it (docs/analysis.md):
//   ppl_q = exp(NLL_q / n_q)      NLL_q: −Σ log p of the reference's n_q tokens (nats)
//   PPW   = 1 / (mean_q ppl_q · mean_q P_q)        (1/W)
//   PPJ   = 1 / (mean_q ppl_q · mean_q E_q)        (1/J)
// Lower perplexity and lower power are both better, so PPW/PPJ grow with efficiency the way
// IPW/IPJ do. The means run over the same queries: successful ones with both a reference score
// and an energy figure (net variants: those with a net figure too).
#include <cstddef>
#include <optional>

#include <nlohmann/json.hpp>

#include "ipw/run/query_record.h"

namespace ipw::metrics {

// exp(NLL / tokens) for a query whose reference was scored (tokens > 0); else empty.
std::optional<double> perplexity(const run::QueryRecord& q);

struct PerplexitySummary {
  std::size_t scored = 0;                  // queries with a reference score
  std::size_t reference_tokens = 0;        // Σ n_q over them
  std::optional<double> mean_perplexity;   // mean_q ppl_q (docs/analysis.md's definition)
  std::optional<double> token_perplexity;  // exp(Σ NLL / Σ n): per-token, long references weigh more
  std::size_t energy_queries = 0;          // scored queries that also have E_q and P_q
  std::optional<double> mean_energy_j, mean_power_w;  // over those queries
  std::optional<double> ppw, ppj;                      // 1/W, 1/J
  std::optional<double> ppw_net, ppj_net;              // with net-of-idle E and P
};

class PerplexityBuilder {
 public:
  void add(const run::QueryRecord& q);
  PerplexitySummary finish() const;

 private:
  std::size_t scored_ = 0, tokens_ = 0;
  double sum_ppl_ = 0, sum_nll_ = 0;
  // Paired sums over scored queries with energy (and with net energy).
  std::size_t n_e_ = 0, n_net_ = 0;
  double ppl_e_ = 0, e_ = 0, p_ = 0, ppl_net_ = 0, e_net_ = 0, p_net_ = 0;
};

nlohmann::json to_json(const PerplexitySummary& s);

}  // namespace ipw::metrics
