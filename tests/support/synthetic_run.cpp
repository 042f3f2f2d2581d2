#include "synthetic_run.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "ipw/common/rng.h"
#include "ipw/run/store.h"
#include "ipw/workload/shard.h"

namespace ipw::synthetic {
namespace {

// Per-item properties depend only on the item number, never on the model, so
// every synthetic model sees the same workload.
struct ItemProps {
  double difficulty;  // logit offset
  int input_tokens;
  int category;
  double length_factor;  // how long answers to this item are
};

ItemProps item_props(std::size_t item, std::size_t categories) {
  SplitMix64 r(0xC0FFEEULL + item * 0x9E37ULL);
  ItemProps p;
  p.difficulty = (r.uniform() - 0.5) * 6.0;
  p.input_tokens = 20 + static_cast<int>(r.uniform() * 400);
  p.category = static_cast<int>(r.below(std::max<std::size_t>(categories, 1)));
  p.length_factor = 0.3 + 1.7 * r.uniform();
  return p;
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Emits counter samples every period from `from_ns` (exclusive) to `to_ns`
// (inclusive of the last whole period) for a constant power segment.
struct CounterTrace {
  std::int64_t period_ns = 0;
  std::int64_t next_ns = 0;
  double energy_j = 0;  // cumulative counter at last_t
  std::int64_t last_t = 0;
  std::vector<telemetry::Sample> pending;

  void advance(std::int64_t to_ns, double power_w) {
    while (period_ns > 0 && next_ns <= to_ns) {
      energy_j += power_w * static_cast<double>(next_ns - last_t) * 1e-9;
      last_t = next_ns;
      telemetry::Sample s;
      s.t_ns = next_ns;
      s.domain_index = 0;
      s.energy_j = energy_j;
      s.power_w = power_w;
      pending.push_back(s);
      next_ns += period_ns;
    }
    energy_j += power_w * static_cast<double>(to_ns - last_t) * 1e-9;
    last_t = to_ns;
  }
};

}  // namespace

std::size_t write_synthetic_run(const std::string& dir, const SyntheticRunSpec& spec) {
  std::filesystem::create_directories(dir);
  auto store = run::RunStore::create(dir);
  const std::size_t items = spec.items ? spec.items : spec.queries;
  nlohmann::json model_info = {{"parameters", spec.parameters}};
  if (!spec.release_date.empty()) model_info["release_date"] = spec.release_date;
  store.write_manifest({
      {"json_schema_version", 1},
      {"ipw_version", "synthetic"},
      {"created_utc", "2025-01-01T00:00:00Z"},
      {"command_line", "synthetic"},
      {"host", {{"cpu_model", "Synthetic CPU"}, {"os", "synthetic"}}},
      {"server", {{"url", "synthetic://"}, {"api", "synthetic"}, {"model", spec.model}, {"engine", ""}}},
      {"workload", {{"dataset", "synthetic"}, {"name", "synthetic"},
                    {"sha256", fmt::format("synthetic-{}", items)}, {"items", items}}},
      {"model_info", model_info},
      {"config", {{"shard", spec.shard_count > 1 ? fmt::format("{}/{}", spec.shard_index, spec.shard_count) : ""}}},
      {"telemetry", {{"spec", "synthetic"}, {"selected_domains", {"gpu0"}},
                     {"sample_period_ms", static_cast<double>(spec.sample_period_ns) * 1e-6}}},
  });
  telemetry::DomainInfo gpu{"gpu0", spec.hardware, "gpu",
                            spec.energy_source == "estimated" ? telemetry::EnergySource::estimated
                                                              : telemetry::EnergySource::counter,
                            0.0};
  store.write_domains({{0, gpu, spec.sample_period_ns}});
  const double idle_s = 2.0;
  run::SessionInfo session;
  session.started_utc = "2025-01-01T00:00:00Z";
  session.command_line = "synthetic";
  session.status = "running";
  session.idle = {{"seconds", idle_s}, {"power_w", {{"gpu0", spec.idle_power_w}}},
                  {"total_power_w", spec.idle_power_w}};
  session.id = store.begin_session(session);

  SplitMix64 rng(spec.seed);
  CounterTrace trace;
  trace.period_ns = spec.sample_period_ns;
  trace.next_ns = spec.sample_period_ns;
  std::int64_t t = static_cast<std::int64_t>(idle_s * 1e9);
  trace.advance(t, spec.idle_power_w);
  std::size_t samples = 0;
  // A shard keeps every N-th sample of the trace (its own 1/N of the telemetry), so that
  // N merged shards hold as many samples as the unsharded run, as real shards would.
  std::size_t sample_no = 0;
  const auto keep_shards_samples = [&](std::vector<telemetry::Sample>& pending) {
    if (spec.shard_count <= 1) return;
    std::erase_if(pending, [&](const telemetry::Sample&) {
      return static_cast<int>(sample_no++ % static_cast<std::size_t>(spec.shard_count)) != spec.shard_index;
    });
  };
  constexpr std::size_t kBatch = 5000;
  std::vector<run::QueryRecord> batch;
  run::QueryRecord q;
  for (std::size_t n = 0; n < spec.queries; ++n) {
    const std::size_t item = n % items;
    const ItemProps props = item_props(item, spec.categories.size());
    q = run::QueryRecord();
    q.seq = static_cast<int>(item);
    q.repeat = static_cast<int>(n / items);
    q.session = session.id;
    q.item_id = fmt::format("syn-{}", item);
    q.category = spec.categories.empty() ? "" : spec.categories[static_cast<std::size_t>(props.category)];
    q.source = item % 3 == 0 ? "synthetic-a" : "synthetic-b";
    q.kind = "numeric";
    if (spec.with_texts) {
      q.prompt = fmt::format("Synthetic question {}?", item);
      q.reference = fmt::format("{}", item % 97);
    }
    // Short gap between queries (idle power: overhead energy, no query's).
    const std::int64_t gap = 5'000'000;
    trace.advance(t + gap, spec.idle_power_w);
    t += gap;
    q.t_start_ns = t;
    q.input_tokens = props.input_tokens;
    const bool error = rng.uniform() < spec.error_rate;
    if (error) {
      const std::int64_t dur = 50'000'000;
      trace.advance(t + dur, spec.idle_power_w);
      t += dur;
      q.t_end_ns = t;
      q.error_kind = "http_status";
      q.error_message = "503 synthetic failure";
      q.correct = false;
      q.score_method = "numeric";
    } else {
      const int out = std::max(1, static_cast<int>(props.length_factor * (40 + rng.uniform() * 200)));
      q.output_tokens = out;
      const double prefill_s = 0.015 + spec.prefill_s_per_token * props.input_tokens;
      const double decode_s = spec.decode_s_per_token * out * (0.9 + 0.2 * rng.uniform());
      const double jitter = 0.95 + 0.1 * rng.uniform();
      const double p_pre = spec.idle_power_w + spec.prefill_power_w * jitter;
      const double p_dec = spec.idle_power_w + spec.decode_power_w * jitter;
      const auto pre_ns = static_cast<std::int64_t>(prefill_s * 1e9);
      const auto dec_ns = static_cast<std::int64_t>(decode_s * 1e9);
      const double e0 = trace.energy_j;
      trace.advance(t + pre_ns, p_pre);
      const double e1 = trace.energy_j;
      q.t_first_token_ns = t + pre_ns;
      if (spec.token_times) {
        for (int k = 0; k < out; ++k) q.token_times_ns.push_back(t + pre_ns + dec_ns * k / std::max(1, out - 1));
      }
      trace.advance(t + pre_ns + dec_ns, p_dec);
      t += pre_ns + dec_ns;
      q.t_end_ns = t;
      q.energy_j = trace.energy_j - e0;
      q.prefill_energy_j = e1 - e0;
      q.decode_energy_j = trace.energy_j - e1;
      q.net_energy_j = *q.energy_j - spec.idle_power_w * static_cast<double>(t - q.t_start_ns) * 1e-9;
      q.peak_power_w = std::max(p_pre, p_dec);
      q.energy_source = spec.energy_source;
      q.domains.push_back({0, q.energy_j, q.prefill_energy_j, q.decode_energy_j, spec.energy_source, 0, 0});
      const double p_correct = logistic(std::log(spec.skill / (1 - spec.skill)) - props.difficulty);
      q.correct = rng.uniform() < p_correct;
      q.score_method = "numeric";
      if (spec.with_texts) q.response = *q.correct ? q.reference : "unsure";
      q.extracted = *q.correct ? q.reference : "0";
    }
    if (spec.shard_count > 1 && workload::shard_of(q.item_id, spec.shard_count) != spec.shard_index) continue;
    // Committed in batches: one transaction per query would take most of an
    // hour for a million queries.
    batch.push_back(std::move(q));
    if (batch.size() == kBatch) {
      keep_shards_samples(trace.pending);
      samples += trace.pending.size();
      store.commit_queries(batch, session.id, trace.pending);
      trace.pending.clear();
      batch.clear();
    }
  }
  trace.advance(t + 1'000'000'000, spec.idle_power_w);
  keep_shards_samples(trace.pending);
  samples += trace.pending.size();
  store.commit_queries(batch, session.id, trace.pending);
  session.status = "completed";
  session.totals = {{"t_end_ns", t}, {"energy_j", {{"gpu0", trace.energy_j}}}};
  store.update_session(session);
  return samples;
}

}  // namespace ipw::synthetic
