#pragma once
// Everything that defines a profiling run. Stored in the manifest so that
// `--resume` can rebuild the run; flags given again on resume override it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::run {

struct ProfileConfig {
  // Inference target: an external server, or an engine ipw starts itself.
  std::string server;           // base URL; empty when `engine` is set
  std::string api = "openai";   // openai | ollama
  std::string model;
  std::string engine;           // "" or "llama.cpp": ipw launches the server
  std::string engine_model_path;
  std::vector<std::string> engine_args;
  // KEY=VALUE facts about the model for the manifest's model_info
  // (parameters=8B, release_date=2025-04-29; run/model_info.h).
  std::vector<std::string> model_info;
  std::string api_key_env;      // name of the env variable holding the key (never the key)
  bool chat = true;

  // Workload.
  std::string dataset = "builtin";
  std::string dataset_format = "auto";  // auto | jsonl | csv | parquet | arrow | a preset (workload/presets.h)
  std::string dataset_split;            // a dataset folder's split ("": its only one)
  std::vector<std::string> fields;      // "ipw-field=column" renames, e.g. "prompt=question"
  bool skip_bad_rows = false;           // warn about (and skip) bad rows instead of failing
  int sample = 0;                       // a deterministic subset of N items (0: all)
  std::int64_t sample_seed = 0;         // which subset (--sample-seed, else --seed, else 0)
  std::string stratify;                 // "" | category | source | kind: keep the shares
  std::string shard;                    // "I/N": only the items whose id hashes to I (workload/shard.h)
  int max_queries = 0;  // 0: all (the first N, after --sample)
  int repeat = 1;
  int warmup = 1;       // warm-up requests before the idle baseline, excluded from results
  bool perplexity = false;  // score each reference answer after its query (llama.cpp servers)

  // Load (docs/load.md). The default, one query at a time, is the paper's batch-1 run.
  int concurrency = 1;          // closed loop: queries kept in flight
  double rate = 0;              // > 0: open loop, arrivals per second
  std::string arrival = "poisson";  // the open loop's process: poisson | gamma:CV | constant
  std::string arrival_trace;    // CSV of arrival instants (t_s), instead of --rate
  int max_concurrency = 0;      // open loop: arrivals beyond this many in flight wait (0: no cap)
  double duration_s = 0;        // stop sending after this many seconds (0: when the items run out)
  std::int64_t arrival_seed = 0;  // the open loop's schedule (--seed, else 0)
  std::string attribution = "fitted";  // how overlapping queries share energy (run/energy_shares.h)
  std::string sweep;            // stages: "concurrency=1,2,4" or "rate=1,2,4" (run/sweep.h; "": one stage)
  bool stop_on_saturation = false;  // end a sweep at the stage that saturates (metrics/saturation.h)
  double warmup_s = 0, cooldown_s = 0;  // a stage's first/last seconds: out of its steady-state figures
  std::string slo;              // "ttft=0.5,tpot=0.05,e2e=10" (s): goodput figures (metrics/slo.h)

  // Decoding (the IPW paper's sampling defaults). max_tokens 0: none sent, so the
  // server's own limit applies and a thinking model is not cut off by ipw
  // (docs/clients.md, "What is sent"); min_p < 0: not sent.
  int max_tokens = 0;
  double temperature = 0.6;
  double top_p = 0.95;
  int top_k = 20;
  double min_p = -1;
  std::optional<std::int64_t> seed;
  // Request settings (docs/clients.md): a system message, chat-template arguments
  // (JSON object text), reasoning effort, stop strings, and extra body fields (JSON
  // object text) merged last; each stored, so --resume sends the same requests.
  std::string system_prompt;
  std::string chat_template_kwargs;
  std::string reasoning_effort;
  std::vector<std::string> stop;
  std::string extra_body;
  bool extra_body_override = false;

  // Telemetry.
  std::string telemetry = "auto";
  std::string domains = "all";
  double sample_period_ms = 10.0;
  double idle_seconds = 10.0;

  // Robustness.
  double connect_timeout_s = 10.0;
  double first_token_timeout_s = 120.0;
  double total_timeout_s = 600.0;
  int max_consecutive_failures = 10;  // then the run stops (resumable)
  // Sends again after a connect failure, an empty reply or a 408/429/5xx before the first token
  // (docs/reliability.md): up to `retries` more attempts, waiting the server's
  // Retry-After or a jittered exponential back-off, never more than retry_max_wait_s.
  int retries = 2;
  double retry_max_wait_s = 30.0;

  std::string out = "runs";

  // LLM judge (empty judge_url: none). Judged right after each query, outside its
  // energy window; the API key is read from judge_api_key_env and never stored.
  std::string judge_url;
  std::string judge_model;
  std::string judge_api_key_env;
  int judge_max_tokens = 1024;
};

nlohmann::json to_json(const ProfileConfig& c);
// to_json as the run directory keeps it: URLs without their credentials
// (ipw::redact_url), which are used to connect and never stored.
nlohmann::json to_stored_json(const ProfileConfig& c);
// Overlays the keys present in `j` onto `base` (unknown keys are an error, so a
// typo in a stored manifest cannot be silently ignored).
ProfileConfig merge_config(ProfileConfig base, const nlohmann::json& j);

}  // namespace ipw::run
