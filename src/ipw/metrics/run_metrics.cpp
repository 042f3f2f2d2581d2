#include "ipw/metrics/run_metrics.h"

#include "ipw/common/json_null.h"

namespace ipw::metrics {

RunMetricsBuilder::RunMetricsBuilder(RunMetricsOptions opts)
    : opts_(opts), itl_rng_(opts.bootstrap.seed ^ 0x1715ULL) {}

void RunMetricsBuilder::add_itl(double gap_s) {
  ++itl_seen_;
  itl_sum_ += gap_s;
  if (itl_.size() < opts_.max_itl_values) {
    itl_.push_back(gap_s);
    return;
  }
  // Reservoir sampling (Algorithm R): every gap seen so far is kept with equal
  // probability, so the percentiles stay unbiased; the mean stays exact.
  const std::size_t j = itl_rng_.below(itl_seen_);
  if (j < itl_.size()) itl_[j] = gap_s;
}

void RunMetricsBuilder::add(const run::QueryRecord& q) {
  summary_.add(q);
  by_category_.add(q.category, q);
  by_source_.add(q.source, q);
  repeats_.add(q);
  perplexity_.add(q);
  EfficiencyPoint p;
  if (q.correct) p.correct = *q.correct ? 1 : 0;
  if (q.ok() && q.energy_j) {
    if (const auto pw = q.power_w()) {
      p.has_energy = true;
      p.energy_j = *q.energy_j;
      p.power_w = *pw;
      if (q.net_energy_j) {
        p.has_net = true;
        p.net_energy_j = *q.net_energy_j;
        p.net_power_w = *q.net_energy_j / q.latency_s();
      }
    }
    if (q.input_tokens && q.output_tokens) fit_.add(*q.input_tokens, *q.output_tokens, *q.energy_j);
    if (q.prefill_energy_j) {
      ++prefill_n_;
      prefill_sum_ += *q.prefill_energy_j;
    }
    if (q.decode_energy_j) {
      ++decode_n_;
      decode_sum_ += *q.decode_energy_j;
    }
  }
  points_.push_back(p);
  if (q.ok()) {
    for (std::size_t i = 1; i < q.token_times_ns.size(); ++i) {
      add_itl(static_cast<double>(q.token_times_ns[i] - q.token_times_ns[i - 1]) * 1e-9);
    }
  }
}

RunMetrics RunMetricsBuilder::finish() const {
  RunMetrics m;
  m.summary = summary_.finish();
  const RunSummary& s = m.summary;
  m.ci95 = bootstrap_efficiency(points_, opts_.bootstrap);
  if (s.queries > 0) m.error_rate = static_cast<double>(s.errors) / static_cast<double>(s.queries);

  std::vector<double> e, p, ne, np;
  for (const auto& pt : points_) {
    if (pt.has_energy) {
      e.push_back(pt.energy_j);
      p.push_back(pt.power_w);
    }
    if (pt.has_net) {
      ne.push_back(pt.net_energy_j);
      np.push_back(pt.net_power_w);
    }
  }
  TrimmedEfficiency& t = m.trimmed;
  t.proportion = opts_.trim_proportion;
  t.mean_energy_j = trimmed_mean(std::move(e), t.proportion);
  t.mean_power_w = trimmed_mean(std::move(p), t.proportion);
  t.mean_net_energy_j = trimmed_mean(std::move(ne), t.proportion);
  t.mean_net_power_w = trimmed_mean(std::move(np), t.proportion);
  t.ipw = ratio(s.accuracy, t.mean_power_w);
  t.ipj = ratio(s.accuracy, t.mean_energy_j);
  t.ipw_net = ratio(s.accuracy, t.mean_net_power_w);
  t.ipj_net = ratio(s.accuracy, t.mean_net_energy_j);

  m.energy_model = fit_.fit();
  if (prefill_n_ > 0) m.mean_prefill_energy_j = prefill_sum_ / static_cast<double>(prefill_n_);
  if (decode_n_ > 0) m.mean_decode_energy_j = decode_sum_ / static_cast<double>(decode_n_);
  m.itl_s = describe(itl_);
  m.itl_s.n = itl_seen_;
  if (itl_seen_ > 0) m.itl_s.mean = itl_sum_ / static_cast<double>(itl_seen_);
  m.itl_sampled = itl_seen_ > itl_.size();
  m.by_category = by_category_.finish();
  m.by_source = by_source_.finish();
  m.repeats = repeats_.finish();
  m.perplexity = perplexity_.finish();
  return m;
}

RunMetrics compute_run_metrics(const std::vector<run::QueryRecord>& queries,
                               const RunMetricsOptions& opts) {
  RunMetricsBuilder b(opts);
  for (const auto& q : queries) b.add(q);
  return b.finish();
}

nlohmann::json to_json(const RunMetrics& m) {
  const TrimmedEfficiency& t = m.trimmed;
  nlohmann::json itl = to_json(m.itl_s);
  itl["sampled"] = m.itl_sampled;
  return {{"ci95", to_json(m.ci95)},
          {"trimmed",
           {{"proportion", t.proportion},
            {"mean_energy_j", json_or_null(t.mean_energy_j)},
            {"mean_power_w", json_or_null(t.mean_power_w)},
            {"mean_net_energy_j", json_or_null(t.mean_net_energy_j)},
            {"mean_net_power_w", json_or_null(t.mean_net_power_w)},
            {"ipw", json_or_null(t.ipw)},
            {"ipj", json_or_null(t.ipj)},
            {"ipw_net", json_or_null(t.ipw_net)},
            {"ipj_net", json_or_null(t.ipj_net)}}},
          {"energy_model", m.energy_model ? to_json(*m.energy_model) : nlohmann::json()},
          {"error_rate", json_or_null(m.error_rate)},
          {"mean_prefill_energy_j", json_or_null(m.mean_prefill_energy_j)},
          {"mean_decode_energy_j", json_or_null(m.mean_decode_energy_j)},
          {"itl_s", itl},
          {"by_category", to_json(m.by_category)},
          {"by_source", to_json(m.by_source)},
          {"repeats", to_json(m.repeats)},
          {"perplexity", to_json(m.perplexity)}};
}

}  // namespace ipw::metrics
