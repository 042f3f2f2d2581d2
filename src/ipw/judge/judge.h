#pragma once
// The LLM judge: one OpenAI-compatible endpoint asked to grade a model's answer
// against the item's reference, with retries on transport errors and 5xx, and
// every judgment cached in (and recorded by) a JudgmentCache — the run store.
#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ipw/inference/client.h"
#include "ipw/judge/prompts.h"
#include "ipw/judge/judgment_record.h"

namespace ipw::judge {

// The environment variable read for the judge's API key when --judge-api-key-env is not given.
inline constexpr const char* kDefaultApiKeyEnv = "IPW_JUDGE_API_KEY";

struct JudgeConfig {
  std::string url;          // base URL of an OpenAI-compatible server
  std::string model;        // the judge model's name on that server
  std::string api_key_env;  // variable holding the key (the key itself is never stored)
  int max_tokens = 1024;    // room for a short justification, or a reasoning judge's thinking
  int retries = 3;          // extra attempts after a transport error, a timeout, HTTP 429 or 5xx
  double backoff_s = 1.0;   // wait before the first retry; doubles for each further one
  double timeout_s = 300.0; // per request
};

// What the manifest records about the judge: no key, only the variable's name.
nlohmann::json to_manifest(const JudgeConfig& cfg);

// An OpenAI client for the judge. Throws ipw::UsageError when an explicitly
// named --judge-api-key-env variable is not set, or the URL is not http(s).
std::unique_ptr<inference::Client> make_judge_client(const JudgeConfig& cfg);

struct JudgeInput {
  Protocol protocol = Protocol::reference;
  std::string question;   // the prompt the model was sent
  std::string answer;     // the model's reply (reasoning blocks are removed before judging)
  std::string reference;  // the item's reference answer
  int seq = -1, repeat = -1;
  int stage = 0;
};

struct JudgeOutcome {
  JudgmentRecord record;  // a cache hit returns the stored row
  bool cache_hit = false;
};

// Cache key of a judgment: SHA-256 over the protocol, the question, the answer
// as sent, the reference, the judge model and the prompt's version and hash.
std::string cache_key(const PromptTemplate& t, const std::string& judge_model, const std::string& question,
                      const std::string& answer, const std::string& reference);

class Judge {
 public:
  // `stop` (may be null) cuts retries and back-off short when the user interrupts.
  Judge(JudgeConfig cfg, std::unique_ptr<inference::Client> client, const std::atomic<bool>* stop = nullptr);
  // Looks the judgment up in the cache; otherwise asks the judge and adds the
  // result — a verdict, or the failure with its error and raw reply.
  JudgeOutcome judge(const JudgeInput& in, JudgmentCache& cache);
  const JudgeConfig& config() const { return cfg_; }

 private:
  JudgmentRecord ask(const PromptTemplate& t, const std::string& prompt);
  bool wait(double seconds) const;
  inference::Result complete(const inference::Request& req);
  JudgeConfig cfg_;
  std::unique_ptr<inference::Client> client_;
  const std::atomic<bool>* stop_;
};

}  // namespace ipw::judge
