// `ipw profile`: run a workload against a server and store a run.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "cli/signals.h"
#include "ipw/common/usage_error.h"
#include "ipw/inference/client.h"
#include "ipw/inference/engine_launcher.h"
#include "ipw/metrics/saturation.h"
#include "ipw/metrics/slo.h"
#include "ipw/metrics/stages.h"
#include "ipw/metrics/summary.h"
#include "ipw/report/run_analysis.h"
#include "ipw/run/profile_resume.h"
#include "ipw/run/profiler.h"
#include "ipw/run/store.h"
#include "ipw/telemetry/registry.h"
#include "ipw/workload/dataset.h"
#include "ipw/workload/presets.h"

namespace ipw::cli {
namespace {

// --stop-on-saturation: the stages stored so far, judged by the rule analyze reports.
std::string saturation_so_far(const run::RunStore& store) {
  metrics::StageMetricsBuilder stages(store.sessions(), {});
  run::RunStore::QueryReadOptions read;
  read.token_times = true;
  store.for_each_query([&](const run::QueryRecord& q) { stages.add(q); }, read);
  const auto sat = metrics::find_saturation(stages.finish());
  if (!sat) return {};
  return fmt::format("stage {} saturated the server (output tokens/s {:+.1f}%, p50 latency {:+.1f}% over stage {})",
                     sat->stage, sat->throughput_gain * 100, sat->p50_latency_growth * 100, sat->previous_stage);
}

struct ProfileFlags {
  run::ProfileConfig cfg;
  std::string resume;
  std::optional<std::int64_t> seed, sample_seed;
  std::string sampling;  // "" or "paper"
  bool list_formats = false;
  std::string command_line;
};

// --system-prompt @FILE: the file's text, read now so that the run stores the text
// itself (--resume needs no file).
std::string read_at_file(const char* flag, const std::string& value) {
  if (value.empty() || value.front() != '@') return value;
  std::ifstream in(value.substr(1), std::ios::binary);
  if (!in) throw UsageError(fmt::format("{} {}: cannot read the file", flag, value));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// On --resume, the stored configuration is the base and only flags given again
// override it: the long names of the options the user actually passed.
std::vector<std::string> given_flags(const CLI::App& app) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() > 0 && !opt->get_lnames().empty()) flags.push_back(opt->get_lnames().front());
  }
  return flags;
}

// The default model made by scripts/make-model.sh: IPW_DEFAULT_MODEL, else
// third_party/models/ipw-tiny.gguf of the source tree this ipw was built in.
std::string default_model_path() {
  if (const char* env = std::getenv("IPW_DEFAULT_MODEL")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto candidate = exe.parent_path() / "../../third_party/models/ipw-tiny.gguf";
  if (!ec && std::filesystem::exists(candidate)) return std::filesystem::weakly_canonical(candidate).string();
  throw UsageError(
      "no --server given and the default model is missing (third_party/models/ipw-tiny.gguf); "
      "run scripts/setup.sh to build llama.cpp and the model, or give --server URL / --engine llama.cpp --model FILE.gguf");
}

// The paths a run keeps are absolute, so `--resume RUN` works from any working
// directory; the stored command line keeps what the user typed.
std::string absolute_path(const std::string& p) {
  return p.empty() ? p : std::filesystem::absolute(p).lexically_normal().string();
}

std::string absolute_telemetry(const std::string& spec) {
  std::string out;
  bool first = true;
  for (std::string part : telemetry::telemetry_spec_entries(spec)) {
    if (part.rfind("replay:", 0) == 0 && part.size() > 7) part = "replay:" + absolute_path(part.substr(7));
    out += (first ? "" : ",") + part;
    first = false;
  }
  return out;
}

void make_paths_absolute(run::ProfileConfig& c) {
  if (!c.dataset.empty() && c.dataset != "builtin" && c.dataset.rfind("builtin:", 0) != 0) {
    c.dataset = absolute_path(c.dataset);
  }
  c.telemetry = absolute_telemetry(c.telemetry);
  // A GGUF file, or a model folder on disk; a model id (Qwen/Qwen3-4B, llama3.2:1b) stays as it is.
  std::error_code ec;
  if (c.engine == "llama.cpp" || std::filesystem::exists(c.engine_model_path, ec)) {
    c.engine_model_path = absolute_path(c.engine_model_path);
  }
  c.arrival_trace = absolute_path(c.arrival_trace);
}

// More truncated replies than this share earns a warning at the end of a run.
constexpr double kTruncatedWarnShare = 0.05;

// The embedded demo model's reply cap (docs/clients.md, "What is sent").
constexpr int kDemoMaxTokens = 256;

int run_profile(CLI::App& app, ProfileFlags& f) {
  if (f.list_formats) {
    std::fputs(workload::format_listing().c_str(), stdout);
    return kExitOk;
  }
  if (f.seed) f.cfg.seed = f.seed;
  if (f.sample_seed || f.seed) f.cfg.sample_seed = f.sample_seed ? *f.sample_seed : *f.seed;
  if (f.seed) f.cfg.arrival_seed = *f.seed;
  f.cfg.system_prompt = read_at_file("--system-prompt", f.cfg.system_prompt);
  if (f.sampling == "paper") {
    for (const char* flag : {"--temperature", "--top-p", "--top-k", "--min-p"}) {
      if (app.count(flag) > 0) throw UsageError(fmt::format("--sampling paper sets {}; give one of them", flag));
    }
    // The IPW paper's decoding: temperature 0.6, top-p 0.95, top-k 20, min-p 0.
    f.cfg.temperature = 0.6;
    f.cfg.top_p = 0.95;
    f.cfg.top_k = 20;
    f.cfg.min_p = 0;
  }
  bool demo = false;  // the embedded demo model: its figures are not a model's
  if (f.resume.empty() && f.cfg.server.empty() && f.cfg.engine.empty()) {
    // No server named: profile the embedded default (llama.cpp on ipw's own model).
    f.cfg.engine = "llama.cpp";
    demo = f.cfg.model.empty();
    if (f.cfg.model.empty()) f.cfg.model = default_model_path();
    // Its weights are random: it would write until its context is full. A real model
    // stops by itself, so only the demo gets a cap it did not ask for.
    if (app.count("--max-tokens") == 0) f.cfg.max_tokens = kDemoMaxTokens;
  }
  if (!f.cfg.engine.empty()) {
    // llama.cpp serves a GGUF file under the file's name; vLLM, SGLang and Ollama serve a model
    // id (or folder) under the id as given, and Ollama speaks its own API.
    f.cfg.engine_model_path = f.cfg.model;
    if (f.cfg.engine == "llama.cpp") f.cfg.model = std::filesystem::path(f.cfg.model).stem().string();
    if (f.cfg.engine == "ollama" && app.count("--api") == 0) f.cfg.api = "ollama";
  }
  make_paths_absolute(f.cfg);
  run::ProfileRequest req;
  req.command_line = f.command_line;
  if (!f.resume.empty()) {
    const auto store = run::RunStore::open(f.resume, /*read_only=*/true);
    const auto stored = store.manifest().value("config", nlohmann::json::object());
    req.config = run::resume_config(stored, run::overrides_from_flags(given_flags(app), f.cfg), f.resume);
    req.resume_dir = f.resume;
  } else {
    if (!f.cfg.engine.empty() && f.cfg.engine_model_path.empty()) {
      throw UsageError("--engine llama.cpp needs --model FILE.gguf");
    }
    req.config = f.cfg;
  }
  if (req.config.model.empty()) req.config.model = "default";
  (void)metrics::parse_slo(req.config.slo);  // a bad --slo is a usage error: nothing written
  req.sweep_saturated = saturation_so_far;

  const std::atomic<bool>& stop = install_stop_handlers();
  ProgressBar bar(stdout, ::isatty(STDOUT_FILENO) != 0);
  const run::ProfileOutcome out = run::profile(req, bar, stop);

  const auto analysis = report::analyze_run(out.run_dir);
  report::write_summary_json(analysis);
  // A run that stored nothing (the server could not be reached, Ctrl-C before the first
  // answer) has no figures: the error and the resume hint say all there is.
  if (analysis.summary.queries > 0) {
    std::fputs("\n", stdout);
    report::print_analysis(stdout, analysis);
  }
  // A thinking model cut off mid-thought is scored wrong and nothing else says so.
  const metrics::RunSummary& s = analysis.summary;
  if (s.truncated_share && *s.truncated_share > kTruncatedWarnShare) {
    fmt::print(stderr,
               "\nipw profile: warning: {} of {} replies ({:.1f}%) stopped at the token limit and were scored on what "
               "they had said; raise --max-tokens (docs/analysis.md, \"Reasoning and truncation\")\n",
               s.truncated, s.finish_known, *s.truncated_share * 100);
  }
  if (demo && analysis.summary.queries > 0) {
    fmt::print("\nnote: this was ipw's embedded demo model, whose weights are random: its accuracy is near 0 by "
               "design. Profile a real model with --server URL --model NAME (docs/clients.md), or "
               "--engine llama.cpp --model FILE.gguf (docs/engines.md).\n");
  }
  switch (out.status) {
    case run::RunStatus::completed:
      fmt::print("\nrun complete: {}\n", out.run_dir);
      return kExitOk;
    case run::RunStatus::interrupted:
      fmt::print(stderr, "\nipw profile: interrupted; {} queries stored. Continue with: ipw profile --resume {}\n",
                 analysis.summary.queries, out.run_dir);
      return kExitInterrupted;
    case run::RunStatus::failed:
      fmt::print(stderr, "\nipw profile: {}\nThe run is stored in {}; continue with: ipw profile --resume {}\n",
                 out.message, out.run_dir, out.run_dir);
      return analysis.summary.queries > 0 ? kExitIncomplete : kExitFailure;
  }
  return kExitFailure;
}

}  // namespace

Handler setup_profile(CLI::App& app) {
  auto f = std::make_shared<ProfileFlags>();
  run::ProfileConfig& c = f->cfg;
  app.footer(
      "Examples:\n"
      "  ipw profile --server http://127.0.0.1:8080 --model qwen3-4b\n"
      "  ipw profile --server http://127.0.0.1:11434 --api ollama --model llama3.2:1b --max-queries 100\n"
      "  ipw profile --server http://127.0.0.1:8080 --telemetry replay:trace.csv --idle-seconds 0\n"
      "  ipw profile --server http://127.0.0.1:8080 --concurrency 8   # 8 queries in flight\n"
      "  ipw profile --server http://127.0.0.1:8080 --sweep concurrency=1,4,16 --stop-on-saturation\n"
      "  ipw profile --server http://127.0.0.1:8080 --rate 4 --arrival gamma:2 --max-concurrency 32\n"
      "  ipw profile --resume runs/20261125T120000Z-qwen3-4b-1a2b   # finish an interrupted run");
  app.add_option("--server", c.server, "Base URL of an OpenAI-compatible or Ollama server");
  app.add_option("--api", c.api, "Server API")->check(CLI::IsMember(inference::client_names()))->capture_default_str();
  app.add_option("--model", c.model, "Model name sent to the server (with --engine: the GGUF file)");
  app.add_option("--engine", c.engine,
                 "Start this engine instead of using --server: llama.cpp (--model FILE.gguf), vllm or sglang (--model "
                 "a Hugging Face id or folder), ollama (--model NAME, pulled if missing); docs/engines.md")
      ->check(CLI::IsMember(inference::engine_names()));
  app.add_option("--engine-arg", c.engine_args, "Extra argument passed to the engine (repeatable)");
  app.add_option("--model-info", c.model_info,
                 "KEY=VALUE fact about the model for trend and route, e.g. parameters=8B, "
                 "release_date=2025-04-29 (repeatable; the engine's GGUF fills in what it knows)");
  app.add_option("--api-key-env", c.api_key_env, "Environment variable holding the API key (never stored)");
  app.add_option("--dataset", c.dataset,
                 "Workload: 'builtin', a JSONL, CSV, Parquet or .arrow file, or a dataset's folder")
      ->capture_default_str();
  app.add_option("--split", c.dataset_split, "The split of a dataset folder to read, e.g. test (default: its only one)");
  app.add_flag("--list-formats", f->list_formats, "Print the dataset formats and presets with their columns, then exit");
  const std::vector<std::string> formats = workload::dataset_formats();
  app.add_option("--format", c.dataset_format,
                 fmt::format("Dataset format: auto (by extension), {}",
                             fmt::join(std::vector<std::string>(formats.begin() + 1, formats.end()), ", ")))
      ->check(CLI::IsMember(formats))
      ->capture_default_str();
  app.add_option("--field", c.fields, "Take an ipw field from a dataset column, IPW_FIELD=COLUMN (repeatable)");
  app.add_flag("--skip-bad-rows", c.skip_bad_rows, "Warn about and skip bad dataset rows (default: the first one is fatal)");
  app.add_option("--sample", c.sample, "Profile a deterministic subset of N items (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--sample-seed", f->sample_seed, "Which subset --sample picks (default: --seed, else 0)");
  app.add_option("--stratify", c.stratify, "With --sample: keep each group's share")
      ->check(CLI::IsMember({"category", "source", "kind"}));
  app.add_option("--shard", c.shard,
                 "Run one part of the workload, I/N (0 <= I < N), chosen by a stable hash of the item id; "
                 "the N parts merge with ipw merge (docs/cluster.md)");
  app.add_option("--max-queries", c.max_queries, "Use only the first N items (after --sample; 0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--repeat", c.repeat, "Run every query N times")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup", c.warmup, "Warm-up requests before measuring (excluded)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_flag("--perplexity", c.perplexity,
               "After each query, score its reference answer's log-probabilities for perplexity, "
               "PPW and PPJ (llama.cpp servers; outside the query's energy window)");
  app.add_option("--out", c.out, "Directory that receives run directories")->capture_default_str();
  app.add_option("--concurrency", c.concurrency,
                 "Closed loop: keep N queries in flight (1: one at a time, the paper's batch-1 run)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--rate", c.rate, "Open loop: R arrivals per second, whatever is in flight")
      ->check(CLI::PositiveNumber);
  app.add_option("--arrival", c.arrival,
                 "The open loop's arrival process: poisson, gamma:CV (CV > 1 is burstier) or constant")
      ->capture_default_str();
  app.add_option("--arrival-trace", c.arrival_trace,
                 "Open loop from a CSV of arrival instants (t_s; optional output_tokens sets max_tokens)")
      ->check(CLI::ExistingFile);
  app.add_option("--max-concurrency", c.max_concurrency,
                 "Open loop: arrivals beyond K in flight wait for a slot (their wait is stored as queue_s)")
      ->check(CLI::PositiveNumber);
  app.add_option("--duration", c.duration_s, "Stop sending after S seconds (in-flight queries finish)")
      ->check(CLI::PositiveNumber);
  app.add_option("--attribution", c.attribution,
                 "How queries in flight together share energy: fitted, tokens or equal (docs/attribution.md)")
      ->check(CLI::IsMember({"fitted", "tokens", "equal"}))->capture_default_str();
  app.add_option("--sweep", c.sweep,
                 "Stages in one run: concurrency=1,2,4,8 (closed loops) or rate=1,2,4 (open loops), the workload "
                 "once per value");
  app.add_flag("--stop-on-saturation", c.stop_on_saturation,
               "End a --sweep at the stage whose output tokens/s gains < 5% while its p50 latency grows > 50%");
  app.add_option("--warmup-s", c.warmup_s,
                 "Leave each stage's first S seconds out of its steady-state figures (the queries stay stored)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cooldown-s", c.cooldown_s,
                 "Leave each stage's last S seconds out of its steady-state figures (the queries stay stored)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--slo", c.slo,
                 "Latency objectives in seconds, e.g. ttft=0.5,tpot=0.05,e2e=10: share within them and goodput IPJ "
                 "(correct and within, per joule) per stage");
  app.add_option("--judge", c.judge_url,
                 "OpenAI-compatible server of an LLM judge for chat/reasoning items (judged after each query)");
  app.add_option("--judge-model", c.judge_model, "The judge's model name (with --judge)");
  app.add_option("--judge-api-key-env", c.judge_api_key_env,
                 "Environment variable holding the judge's API key (default IPW_JUDGE_API_KEY if set; never stored)");
  app.add_option("--judge-max-tokens", c.judge_max_tokens, "Maximum tokens of a judge reply")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--resume", f->resume, "Finish an interrupted run (its stored flags apply unless given again)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--telemetry", c.telemetry, "Energy sources: auto, estimated, replay:FILE.csv, …")
      ->capture_default_str();
  app.add_option("--domains", c.domains, "Domains in the IPW figures: all, a kind (gpu, cpu) or names")
      ->capture_default_str();
  app.add_option("--sample-period-ms", c.sample_period_ms, "Telemetry sampling period")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--idle-seconds", c.idle_seconds, "Idle baseline before the first query (0: off)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--max-tokens", c.max_tokens,
                 "Maximum output tokens (default: none sent, the server's own limit; the paper capped reasoning "
                 "sets at 32768)")
      ->check(CLI::PositiveNumber);
  app.add_option("--temperature", c.temperature, "Sampling temperature")->capture_default_str();
  app.add_option("--top-p", c.top_p, "Nucleus sampling p")->capture_default_str();
  app.add_option("--top-k", c.top_k, "Top-k sampling")->capture_default_str();
  app.add_option("--min-p", c.min_p, "Min-p sampling (default: not sent)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--sampling", f->sampling,
                 "A sampling preset: paper (temperature 0.6, top-p 0.95, top-k 20, min-p 0, as in the IPW paper)")
      ->check(CLI::IsMember({"paper"}));
  app.add_option("--system-prompt", c.system_prompt, "A system message before each prompt: TEXT, or @FILE");
  app.add_option("--chat-template-kwargs", c.chat_template_kwargs,
                 "JSON object passed to the server's chat template, e.g. '{\"enable_thinking\": true}' "
                 "(Ollama: think)");
  app.add_option("--reasoning-effort", c.reasoning_effort, "Reasoning effort of thinking models (Ollama: think)")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  app.add_option("--stop", c.stop, "A stop string (repeatable)");
  app.add_option("--extra-body", c.extra_body,
                 "JSON object merged into every request body (a key ipw sets itself is an error)");
  app.add_flag("--extra-body-override", c.extra_body_override,
               "Let --extra-body replace the values ipw sets itself");
  app.add_option("--seed", f->seed, "Sampling seed sent to the server");
  // A function, not a negated flag: CLI11 shows those as "--completion{false}" in --help.
  app.add_flag_function(
      "--completion", [&c](std::int64_t) { c.chat = false; }, "Use the completion endpoint instead of chat");
  app.add_option("--connect-timeout", c.connect_timeout_s, "Seconds to connect")->capture_default_str();
  app.add_option("--first-token-timeout", c.first_token_timeout_s, "Seconds to the first token")->capture_default_str();
  app.add_option("--total-timeout", c.total_timeout_s, "Seconds per query")->capture_default_str();
  app.add_option("--retries", c.retries,
                 "Send a query again up to N times after a connect failure, an empty reply or a 408/429/5xx before its first token")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--retry-max-wait", c.retry_max_wait_s,
                 "Longest wait before a retry, in seconds (caps the server's Retry-After and the back-off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-consecutive-failures", c.max_consecutive_failures,
                 "Stop (resumably) after this many failed queries in a row")->capture_default_str();
  return [&app, f](const std::string& command_line) {
    f->command_line = command_line;
    return run_profile(app, *f);
  };
}

}  // namespace ipw::cli
