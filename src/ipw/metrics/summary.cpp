#include "ipw/metrics/summary.h"

#include <algorithm>

#include "ipw/common/json_null.h"

namespace ipw::metrics {

nlohmann::json to_json(const Distribution& d) {
  return {{"n", d.n}, {"mean", json_or_null(d.mean)}, {"p50", json_or_null(d.p50)}, {"p90", json_or_null(d.p90)},
          {"p99", json_or_null(d.p99)}};
}

int provenance_rank(const std::string& source) {
  if (source == "estimated") return 2;
  if (source == "integrated") return 1;
  return 0;
}

const char* provenance_name(int rank) {
  static const char* const kNames[] = {"counter", "integrated", "estimated"};
  return rank < 0 || rank > 2 ? "none" : kNames[rank];
}

std::optional<double> tpot_s(const run::QueryRecord& q) {
  if (!q.ok() || q.t_first_token_ns == 0 || !q.output_tokens || *q.output_tokens < 2) {
    return std::nullopt;
  }
  return static_cast<double>(q.t_end_ns - q.t_first_token_ns) * 1e-9 / (*q.output_tokens - 1);
}

void SummaryBuilder::add(const run::QueryRecord& q) {
  ++s_.queries;
  if (!q.ok()) ++s_.errors;
  accuracy_.add(q);
  if (!q.finish_reason.empty()) {
    ++s_.finish_known;
    if (q.truncated()) ++s_.truncated;
  }
  if (!q.ok()) {
    if (q.energy_j) failed_energy_j_ = failed_energy_j_.value_or(0.0) + *q.energy_j;
    return;
  }
  latency_.push_back(q.latency_s());
  if (q.reasoning_tokens && *q.reasoning_tokens > 0) ++s_.reasoning_queries;
  if (q.reasoning_tokens && q.output_tokens) {
    reasoning_tokens_ += *q.reasoning_tokens;
    split_tokens_ += *q.output_tokens;
  }
  if (q.reasoning_energy_j && q.decode_energy_j) {
    reasoning_j_ += *q.reasoning_energy_j;
    split_decode_j_ += *q.decode_energy_j;
  }
  if (auto t = q.ttft_s()) ttft_.push_back(*t);
  if (auto t = tpot_s(q)) tpot_.push_back(*t);
  if (q.output_tokens && q.t_end_ns > q.t_start_ns) {
    out_tokens_ += *q.output_tokens;
    decode_s_ += q.latency_s();
  }
  if (!q.energy_j) return;
  ++s_.energy_queries;
  worst_ = std::max(worst_, provenance_rank(q.energy_source));
  energy_.push_back(*q.energy_j);
  // A query without a reasoning figure (no first token, unknown decode energy) keeps
  // its whole energy: nothing of it is known to be thinking.
  energy_without_reasoning_.push_back(*q.energy_j - q.reasoning_energy_j.value_or(0.0));
  if (auto p = q.power_w()) power_.push_back(*p);
  if (q.net_energy_j) {
    net_energy_.push_back(*q.net_energy_j);
    if (q.latency_s() > 0) net_power_.push_back(*q.net_energy_j / q.latency_s());
  }
  if (q.output_tokens && *q.output_tokens > 0) {
    token_energy_j_ += *q.energy_j;
    energy_tokens_ += *q.output_tokens;
  }
}

RunSummary SummaryBuilder::finish() const {
  RunSummary s = s_;
  s.scored = accuracy_.scored;
  s.correct = accuracy_.correct;
  s.accuracy = accuracy_.accuracy();
  s.accuracy_ci95 = accuracy_.ci95();
  s.mean_energy_j = mean(energy_);
  s.mean_power_w = mean(power_);
  s.mean_net_energy_j = mean(net_energy_);
  s.mean_net_power_w = mean(net_power_);
  s.ipw = ratio(s.accuracy, s.mean_power_w);
  s.ipj = ratio(s.accuracy, s.mean_energy_j);
  s.ipw_net = ratio(s.accuracy, s.mean_net_power_w);
  s.ipj_net = ratio(s.accuracy, s.mean_net_energy_j);
  if (!energy_.empty()) {
    double total = 0;
    for (double e : energy_) total += e;
    s.total_energy_j = total;
  }
  s.failed_energy_j = failed_energy_j_;
  if (s.finish_known > 0) s.truncated_share = static_cast<double>(s.truncated) / static_cast<double>(s.finish_known);
  if (split_tokens_ > 0) s.reasoning_token_share = reasoning_tokens_ / split_tokens_;
  if (split_decode_j_ > 0) s.reasoning_energy_share = reasoning_j_ / split_decode_j_;
  if (s.reasoning_queries > 0) s.ipj_without_reasoning = ratio(s.accuracy, mean(energy_without_reasoning_));
  if (energy_tokens_ > 0) s.j_per_output_token = token_energy_j_ / energy_tokens_;
  if (out_tokens_ > 0 && decode_s_ > 0) s.output_tokens_per_s = out_tokens_ / decode_s_;
  s.ttft_s = describe(ttft_);
  s.tpot_s = describe(tpot_);
  s.latency_s = describe(latency_);
  s.energy_source = provenance_name(worst_);
  return s;
}

RunSummary summarize(const std::vector<run::QueryRecord>& queries) {
  SummaryBuilder b;
  for (const auto& q : queries) b.add(q);
  return b.finish();
}

nlohmann::json to_json(const RunSummary& s) {
  nlohmann::json ci;
  if (s.accuracy_ci95) ci = {s.accuracy_ci95->lo, s.accuracy_ci95->hi};
  return {
      {"queries", s.queries},
      {"errors", s.errors},
      {"scored", s.scored},
      {"correct", s.correct},
      {"accuracy", json_or_null(s.accuracy)},
      {"accuracy_ci95", ci},
      {"energy_queries", s.energy_queries},
      {"energy_source", s.energy_source},
      {"mean_energy_j", json_or_null(s.mean_energy_j)},
      {"mean_power_w", json_or_null(s.mean_power_w)},
      {"mean_net_energy_j", json_or_null(s.mean_net_energy_j)},
      {"mean_net_power_w", json_or_null(s.mean_net_power_w)},
      {"ipw", json_or_null(s.ipw)},
      {"ipj", json_or_null(s.ipj)},
      {"ipw_net", json_or_null(s.ipw_net)},
      {"ipj_net", json_or_null(s.ipj_net)},
      {"total_energy_j", json_or_null(s.total_energy_j)},
      {"failed_energy_j", json_or_null(s.failed_energy_j)},
      {"finish_known", s.finish_known},
      {"truncated", s.truncated},
      {"truncated_share", json_or_null(s.truncated_share)},
      {"reasoning_queries", s.reasoning_queries},
      {"reasoning_token_share", json_or_null(s.reasoning_token_share)},
      {"reasoning_energy_share", json_or_null(s.reasoning_energy_share)},
      {"ipj_without_reasoning", json_or_null(s.ipj_without_reasoning)},
      {"j_per_output_token", json_or_null(s.j_per_output_token)},
      {"output_tokens_per_s", json_or_null(s.output_tokens_per_s)},
      {"ttft_s", to_json(s.ttft_s)},
      {"tpot_s", to_json(s.tpot_s)},
      {"latency_s", to_json(s.latency_s)},
  };
}

}  // namespace ipw::metrics
