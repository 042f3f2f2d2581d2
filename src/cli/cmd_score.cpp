// `ipw score RUN --judge URL --judge-model M`: (re)score a stored run with an LLM
// judge, without profiling again. Energy and latency are untouched; only the
// queries' verdicts change, in one transaction, and summary.json is rewritten.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "ipw/common/redact.h"
#include "ipw/run/rescore.h"
#include "ipw/report/run_analysis.h"
#include "ipw/run/store.h"

namespace ipw::cli {
namespace {

struct ScoreFlags {
  std::string run;
  judge::JudgeConfig judge;
  bool rescore_all = false;
};

std::string accuracy_text(const metrics::RunSummary& s) {
  return s.accuracy ? fmt::format("{:.4f} ({} of {} scored)", *s.accuracy, s.correct, s.scored)
                    : std::string("n/a (nothing scored)");
}

int run_score(const ScoreFlags& f) {
  const auto before = report::analyze_run(f.run).summary;
  const std::atomic<bool>& stop = install_stop_handlers();
  judge::Judge j(f.judge, judge::make_judge_client(f.judge), &stop);
  run::RescoreStats st;
  {
    auto store = run::RunStore::open(f.run);  // migrates a schema-1 store in place
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    st = run::rescore_run(store, j, {f.rescore_all}, stop, [tty](std::size_t done, std::size_t total) {
      if (tty) fmt::print(stderr, "\rjudging {}/{}", done, total);
    });
    if (tty) fmt::print(stderr, "\n");
  }
  const auto analysis = report::analyze_run(f.run);
  report::write_summary_json(analysis);

  fmt::print("judge     {} at {}\n", f.judge.model, redact_url(f.judge.url));
  fmt::print("queries   {} stored, {} for the judge ({} already judged and kept{})\n", st.queries, st.eligible,
             st.kept, f.rescore_all ? "" : "; --rescore-all judges them again");
  fmt::print("judged    {} by the judge, {} from the cache, {} failed (left unscored or locally scored)\n",
             st.judge_calls, st.cache_hits, st.failures);
  fmt::print("tokens    {} in, {} out (judge)\n", st.input_tokens, st.output_tokens);
  fmt::print("changed   {} verdicts\n", st.changed);
  fmt::print("accuracy  {} -> {}\n", accuracy_text(before), accuracy_text(analysis.summary));
  fmt::print("wrote     {}/summary.json\n", f.run);
  if (!st.stopped_because.empty()) {
    fmt::print(stderr, "ipw score: stopped: {}. Check --judge; the verdicts obtained so far are stored.\n",
               st.stopped_because);
    return kExitFailure;
  }
  if (st.interrupted) {
    fmt::print(stderr, "ipw score: interrupted; the verdicts obtained so far are stored. Run the same "
                       "command again to judge the rest.\n");
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace

Handler setup_score(CLI::App& app) {
  auto f = std::make_shared<ScoreFlags>();
  app.footer(
      "Examples:\n"
      "  ipw score runs/<run-id> --judge http://127.0.0.1:8081 --judge-model qwen3-32b\n"
      "  IPW_JUDGE_API_KEY=... ipw score runs/<run-id> --judge https://api.openai.com --judge-model gpt-4o-mini\n"
      "  ipw score runs/<run-id> --judge URL --judge-model M --rescore-all   # replace earlier verdicts\n"
      "Chat items are judged pairwise against their reference (a tie counts as correct); reasoning items,\n"
      "and exact answers with no normalised match, True/False against the reference. See docs/workloads.md.");
  app.add_option("run", f->run, "Run directory")->required()->check(CLI::ExistingDirectory);
  app.add_option("--judge", f->judge.url, "Base URL of the judge's OpenAI-compatible server")->required();
  app.add_option("--judge-model", f->judge.model, "The judge's model name")->required();
  app.add_option("--judge-api-key-env", f->judge.api_key_env,
                 "Environment variable holding the judge's API key (default IPW_JUDGE_API_KEY if set; never stored)");
  app.add_option("--judge-max-tokens", f->judge.max_tokens, "Maximum tokens of a judge reply")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--judge-retries", f->judge.retries, "Retries after a transport error, timeout, HTTP 429 or 5xx")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--judge-timeout", f->judge.timeout_s, "Seconds per judge request")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--rescore-all", f->rescore_all,
               "Judge every query the judge decides, also those judged before (cached verdicts are reused)");
  return [f](const std::string&) { return run_score(*f); };
}

}  // namespace ipw::cli
