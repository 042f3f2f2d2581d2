#include "ipw/run/profile_config.h"

#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"

namespace ipw::run {

// One list of fields drives both directions, so a new flag cannot be stored but
// not restored (or the reverse).
#define IPW_CONFIG_FIELDS(X)                                                               \
  X(server) X(api) X(model) X(engine) X(engine_model_path) X(engine_args) X(api_key_env)  \
  X(chat) X(dataset) X(max_queries) X(repeat) X(warmup) X(max_tokens) X(temperature)      \
  X(top_p) X(top_k) X(telemetry) X(domains) X(sample_period_ms) X(idle_seconds)           \
  X(connect_timeout_s) X(first_token_timeout_s) X(total_timeout_s)                        \
  X(max_consecutive_failures) X(retries) X(retry_max_wait_s) X(out) X(judge_url) X(judge_model)       \
  X(judge_api_key_env) X(judge_max_tokens) X(perplexity) X(dataset_format) X(dataset_split) X(fields) \
  X(skip_bad_rows) X(sample) X(sample_seed) X(stratify) X(model_info) X(concurrency) X(rate)    \
  X(arrival) X(arrival_trace) X(max_concurrency) X(duration_s) X(arrival_seed) X(attribution) \
  X(sweep) X(stop_on_saturation) X(warmup_s) X(cooldown_s) X(slo) X(min_p) X(system_prompt)  \
  X(chat_template_kwargs) X(reasoning_effort) X(stop) X(extra_body) X(extra_body_override) X(shard)

nlohmann::json to_json(const ProfileConfig& c) {
  nlohmann::json j;
#define IPW_TO(f) j[#f] = c.f;
  IPW_CONFIG_FIELDS(IPW_TO)
#undef IPW_TO
  j["seed"] = c.seed ? nlohmann::json(*c.seed) : nlohmann::json();
  return j;
}

nlohmann::json to_stored_json(const ProfileConfig& c) {
  nlohmann::json j = to_json(c);
  j["server"] = redact_url(c.server);
  j["judge_url"] = redact_url(c.judge_url);
  return j;
}

ProfileConfig merge_config(ProfileConfig base, const nlohmann::json& j) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    try {
      if (key == "connect_retries") {  // manifests before schema 6 (connect failures only)
        base.retries = it->get<int>();
        continue;
      }
      if (key == "seed") {
        base.seed = it->is_null() ? std::nullopt : std::optional<std::int64_t>(it->get<std::int64_t>());
        continue;
      }
#define IPW_FROM(f)                          \
  if (key == #f) {                           \
    base.f = it->get<decltype(base.f)>();    \
    continue;                                \
  }
      IPW_CONFIG_FIELDS(IPW_FROM)
#undef IPW_FROM
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(fmt::format("config field '{}': {}", key, e.what()));
    }
    throw UsageError(fmt::format("unknown config field '{}'", key));
  }
  return base;
}

}  // namespace ipw::run
