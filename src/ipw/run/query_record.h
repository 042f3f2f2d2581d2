#pragma once
// One profiled query as stored in run.db and read back by metrics and exports.
// Times are nanoseconds since the session's time origin (the instant its sampler
// started, t=0 of a replay trace); energies are joules summed over the run's
// selected domains (per-domain figures are in DomainEnergy rows).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipw::run {

struct DomainEnergy {
  int domain_index = 0;
  std::optional<double> energy_j, prefill_energy_j, decode_energy_j;
  std::string source;  // counter | integrated | estimated
  std::uint32_t flags = 0;
  int samples = 0;
};

// What identifies a stored query: the load stage it ran in (0 without --sweep), its
// position in the workload and its repeat. Ordered as the store orders its rows.
struct QueryKey {
  int stage = 0, seq = 0, repeat = 0;
  auto operator<=>(const QueryKey&) const = default;
};

struct QueryRecord {
  int seq = 0;              // position in the workload (0-based); unique with `repeat` and `stage`
  int repeat = 0;
  int session = 0;          // which profiling session (1 + number of resumes) ran it
  std::string item_id, category, source, kind;
  std::string prompt, reference, response, extracted;
  std::optional<bool> correct;  // empty: not scored (no scorer / judge for this kind)
  std::string score_method;
  std::optional<int> input_tokens, output_tokens;
  std::int64_t t_start_ns = 0, t_first_token_ns = 0, t_end_ns = 0;  // 0 first token: none
  std::vector<std::int64_t> token_times_ns;
  std::string error_kind, error_message;  // empty when the query succeeded
  std::optional<double> energy_j, prefill_energy_j, decode_energy_j, net_energy_j;
  std::optional<double> peak_power_w, mean_temperature_c, max_memory_mb;
  std::string energy_source;  // weakest provenance among the summed domains
  std::uint32_t energy_flags = 0;
  std::string server_timings_json;  // engine-reported timings, verbatim JSON
  std::optional<double> server_cpu_s;  // CPU time of an ipw-launched server in the window
  // --perplexity: the reference answer scored under the model after the query (off its
  // energy window): −Σ log p of its tokens (nats) and how many tokens. Empty when not scored.
  std::optional<double> reference_nll_nats;
  std::optional<int> reference_tokens;
  // Load runs (docs/load.md): the stage the query ran in (0 without stages), and for an
  // open-loop arrival how long it waited for a free slot (empty: it never queued).
  int stage = 0;
  std::optional<std::int64_t> queue_ns;
  // How many times it was sent (1 + retries; docs/reliability.md). Its window and
  // energy are the last attempt's; earlier attempts' energy is the stage's retry_energy_j.
  int attempts = 1;
  // Reasoning models (docs/analysis.md, "Reasoning and truncation"). Why the reply
  // ended, as the server said ("stop", "length", …; "" when it did not), the thinking
  // text (kept out of `response`, which the scorers read), and how the output tokens
  // split into reasoning and answer. token_source says where the counts came from:
  // "usage" (the server's usage, with its reasoning count where there was thinking),
  // "usage+stream" (the total from usage, the split from the streamed pieces), "stream"
  // (no usage: the streamed pieces counted, never re-tokenised); "" none arrived.
  std::string finish_reason, reasoning, token_source;
  std::optional<int> reasoning_tokens, answer_tokens;
  std::int64_t t_first_answer_token_ns = 0;  // 0: no answer token arrived
  // The decode energy split at the first answer token: the thinking before it, the
  // answer after (empty when the decode energy is).
  std::optional<double> reasoning_energy_j, answer_energy_j;
  // Requests recorded by `ipw proxy` (docs/agents.md): the task the request belongs to
  // ("" for a profiled query), its turn in the task (1, 2, … in arrival order), and how
  // many tool calls the reply asked for (empty: not a proxied request).
  std::string task;
  std::optional<int> turn, tool_calls;
  std::vector<DomainEnergy> domains;

  QueryKey key() const { return {stage, seq, repeat}; }
  bool ok() const { return error_kind.empty(); }
  // The server stopped it at the token limit (--max-tokens or its own).
  bool truncated() const { return finish_reason == "length"; }
  double latency_s() const { return static_cast<double>(t_end_ns - t_start_ns) * 1e-9; }
  std::optional<double> queue_s() const {
    if (!queue_ns) return std::nullopt;
    return static_cast<double>(*queue_ns) * 1e-9;
  }
  std::optional<double> ttft_s() const {
    if (t_first_token_ns == 0) return std::nullopt;
    return static_cast<double>(t_first_token_ns - t_start_ns) * 1e-9;
  }
  // Mean power over the query's window, P_q = E_q / tau_q (the IPW denominator).
  std::optional<double> power_w() const {
    if (!energy_j || t_end_ns <= t_start_ns) return std::nullopt;
    return *energy_j / latency_s();
  }
};

// What the store will hold of a query: texts made valid UTF-8 (U+FFFD for what was
// not), and impossible timings (a first token before the send, an end before the
// start or the first token) turned into a `protocol` error saying so, so that no
// negative TTFT or latency reaches a figure. Idempotent; the store applies it to
// every query it writes (docs/reliability.md).
void make_storable(QueryRecord& q);

}  // namespace ipw::run
