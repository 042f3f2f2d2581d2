#include "ipw/judge/judge.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/redact.h"
#include "ipw/common/utc_time.h"
#include "ipw/common/utf8.h"
#include "ipw/judge/verdict.h"
#include "ipw/scoring/text_cleanup.h"
#include "ipw/common/sha256.h"
#include "ipw/common/usage_error.h"

namespace ipw::judge {
namespace {

constexpr std::size_t kExcerptChars = 160;

std::string excerpt(const std::string& s) { return ipw::excerpt(s, kExcerptChars); }

// Failures worth another attempt: the server or the network may recover.
// Other 4xx (bad model name, bad key) will fail the same way again.
bool retryable(const inference::Failure& f) {
  switch (f.kind) {
    case inference::FailureKind::cancelled: return false;
    case inference::FailureKind::http_status: return f.http_status == 429 || f.http_status >= 500;
    default: return true;
  }
}

std::string describe(const inference::Failure& f) {
  std::string s = fmt::format("{}: {}", inference::to_string(f.kind), f.message);
  if (f.http_status && f.message.find(fmt::format("HTTP {}", f.http_status)) == std::string::npos) {
    s += fmt::format(" (HTTP {})", f.http_status);
  }
  return s;
}

}  // namespace

nlohmann::json to_manifest(const JudgeConfig& cfg) {
  return {{"url", redact_url(cfg.url)},
          {"model", cfg.model},
          {"api_key_env", cfg.api_key_env},
          {"max_tokens", cfg.max_tokens},
          {"retries", cfg.retries},
          {"temperature", 0.0},
          {"prompts", prompts_manifest()}};
}

std::unique_ptr<inference::Client> make_judge_client(const JudgeConfig& cfg) {
  if (cfg.url.empty()) throw UsageError("--judge needs the judge server's URL");
  if (cfg.model.empty()) throw UsageError("--judge needs --judge-model NAME");
  inference::ClientOptions o;
  o.base_url = cfg.url;
  const std::string env = cfg.api_key_env.empty() ? kDefaultApiKeyEnv : cfg.api_key_env;
  if (const char* key = std::getenv(env.c_str())) {
    o.api_key = key;
  } else if (!cfg.api_key_env.empty()) {
    throw UsageError(
        fmt::format("--judge-api-key-env {}: that environment variable is not set", cfg.api_key_env));
  }
  o.first_token_timeout_s = cfg.timeout_s;
  o.total_timeout_s = cfg.timeout_s;
  return inference::make_client("openai", o);
}

std::string cache_key(const PromptTemplate& t, const std::string& judge_model, const std::string& question,
                      const std::string& answer, const std::string& reference) {
  // Length-prefixed fields, so no two different tuples serialise alike.
  std::string buf;
  for (const std::string* f : {&t.version, &t.sha256, &judge_model, &question, &answer, &reference}) {
    buf += std::to_string(f->size());
    buf += ':';
    buf += *f;
  }
  return sha256_hex(buf);
}

Judge::Judge(JudgeConfig cfg, std::unique_ptr<inference::Client> client, const std::atomic<bool>* stop)
    : cfg_(std::move(cfg)), client_(std::move(client)), stop_(stop) {}

bool Judge::wait(double seconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (stop_ && stop_->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inference::Result Judge::complete(const inference::Request& req) {
  if (!stop_) return client_->complete(req);
  // A Ctrl-C must not wait for a slow judge: a watcher turns it into cancel().
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      if (stop_->load()) {
        client_->cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  inference::Result res = client_->complete(req);
  finished = true;
  watcher.join();
  return res;
}

JudgmentRecord Judge::ask(const PromptTemplate& t, const std::string& prompt) {
  JudgmentRecord r;
  inference::Request req;
  req.model = cfg_.model;
  req.prompt = prompt;
  req.chat = true;
  req.max_tokens = cfg_.max_tokens;
  req.temperature = 0.0;  // a grader should be as repeatable as the server allows
  req.top_p = 1.0;
  req.top_k = 0;  // not sent: the OpenAI API rejects it
  std::optional<inference::Response> reply;
  for (int attempt = 0; attempt <= cfg_.retries; ++attempt) {
    if (attempt > 0 && !wait(cfg_.backoff_s * static_cast<double>(1 << (attempt - 1)))) {
      r.error = "interrupted: " + r.error;
      break;
    }
    if (stop_ && stop_->load()) {
      r.error = "interrupted before the judge was asked";
      break;
    }
    ++r.attempts;
    inference::Result res = complete(req);
    const inference::Response& got = res ? res.value() : res.error().partial;
    // Tokens are counted on every attempt: a failed attempt may still have cost them.
    if (got.input_tokens) r.input_tokens = r.input_tokens.value_or(0) + *got.input_tokens;
    if (got.output_tokens) r.output_tokens = r.output_tokens.value_or(0) + *got.output_tokens;
    if (res) {
      r.error.clear();
      reply = res.value();
      break;
    }
    r.error = describe(res.error());
    if (!retryable(res.error())) break;
    if (attempt < cfg_.retries) {
      spdlog::warn("judge request failed ({}); retry {}/{}", r.error, attempt + 1, cfg_.retries);
    }
  }
  if (!reply) {
    if (r.attempts > 1) r.error += fmt::format(" (after {} attempts)", r.attempts);
    return r;
  }
  r.raw_reply = reply->text;
  const auto v = t.protocol == Protocol::pairwise ? parse_pairwise_verdict(reply->text)
                                                  : parse_reference_verdict(reply->text);
  if (!v) {
    r.error = reply->text.empty()
                  ? fmt::format("the judge returned no text (finish_reason '{}')", reply->finish_reason)
                  : fmt::format("no {} verdict in the judge's reply: \"{}\"", to_string(t.protocol),
                                excerpt(reply->text));
    return r;
  }
  r.verdict = v->label;
  r.correct = v->correct;
  return r;
}

JudgeOutcome Judge::judge(const JudgeInput& in, JudgmentCache& cache) {
  const PromptTemplate& t = prompt_template(in.protocol);
  const std::string answer = scoring::strip_reasoning(in.answer);
  const std::string key = cache_key(t, cfg_.model, in.question, answer, in.reference);
  if (auto cached = cache.cached_judgment(key)) return {std::move(*cached), true};
  JudgmentRecord r = ask(t, render(t, in.question, answer, in.reference));
  r.cache_key = key;
  r.seq = in.seq;
  r.repeat = in.repeat;
  r.stage = in.stage;
  r.protocol = to_string(in.protocol);
  r.judge_model = cfg_.model;
  r.prompt_version = t.version;
  r.t_utc = utc_now_iso();
  cache.add_judgment(r);
  return {std::move(r), false};
}

}  // namespace ipw::judge
