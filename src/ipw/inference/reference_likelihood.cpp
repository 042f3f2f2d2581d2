// Reference scoring on llama.cpp's server: /tokenize, then one completion forced by a token-id
// grammar with pre-sampling log-probabilities (see reference_likelihood.h for why this is exact).
#include "ipw/common/utf8.h"
#include "ipw/inference/reference_likelihood.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/inference/client_factories.h"
#include "ipw/inference/engine_http.h"

namespace ipw::inference {
namespace {

using nlohmann::json;

// llama.cpp writes log(0) as the lowest float (JSON has no -inf); anything this low means the
// probability underflowed in single precision and the true value is unknown.
constexpr double kUnderflowLogprob = -1e30;
constexpr std::size_t kExcerptChars = 300;

std::string reply_excerpt(const std::string& s) { return ipw::excerpt(s, kExcerptChars); }

Expected<json, std::string> parse_object(const std::string& body, const char* what) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return unexpected(fmt::format("{}: not a JSON object: {}", what, reply_excerpt(body)));
  return j;
}

class LlamaReferenceLikelihood final : public ReferenceLikelihood {
 public:
  explicit LlamaReferenceLikelihood(const ClientOptions& opts) : opts_(opts) {
    base_ = normalise_base_url(opts.base_url);
    if (base_.ends_with("/v1")) base_.resize(base_.size() - 3);
  }

  Expected<ReferenceScore, std::string> score(const std::string& model, const std::string& prompt,
                                              bool chat, const std::string& continuation) override {
    if (continuation.empty()) return unexpected(std::string("empty reference"));
    auto tok = post("/tokenize", json{{"content", continuation}, {"add_special", false}});
    if (!tok) return unexpected(tok.error());
    auto ids = parse_tokenize_reply(*tok);
    if (!ids) return unexpected(ids.error());
    if (ids->empty()) return unexpected(std::string("the reference has no tokens"));

    json body = {
        {"model", model},
        {"stream", false},
        {"max_tokens", ids->size()},  // exactly the forced tokens: nothing is sampled after them
        {"temperature", 0.0},
        {"grammar", token_sequence_grammar(*ids)},
        {"cache_prompt", true},  // the prompt was just evaluated for the query: reuse its KV cache
    };
    if (chat) {
      body["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
      body["logprobs"] = true;
      body["top_logprobs"] = 1;  // llama.cpp computes no probabilities at all for 0
    } else {
      body["prompt"] = prompt;
      body["logprobs"] = 1;
    }
    auto reply = post(chat ? "/v1/chat/completions" : "/v1/completions", body);
    if (!reply) return unexpected(reply.error());
    return parse_forced_logprobs(*reply, *ids);
  }

 private:
  Expected<std::string, std::string> post(const std::string& path, const json& body) {
    const std::string url = base_ + path;
    auto r = engine_http("POST", url, body.dump(-1, ' ', false, json::error_handler_t::replace),
                         opts_.total_timeout_s, opts_.api_key);
    if (!r) return unexpected(r.error());
    if (r->status == 404 && path == "/tokenize") {
      return unexpected(fmt::format("{} answered 404: the server has no /tokenize endpoint "
                                    "(reference scoring needs llama.cpp's server)", url));
    }
    if (r->status < 200 || r->status >= 300) {
      return unexpected(fmt::format("{} answered HTTP {}: {}", url, r->status, reply_excerpt(r->body)));
    }
    return std::move(r->body);
  }

  ClientOptions opts_;
  std::string base_;
};

}  // namespace

std::string token_sequence_grammar(const std::vector<int>& ids) {
  std::string g = "root ::=";
  for (int id : ids) g += fmt::format(" <[{}]>", id);
  return g;
}

Expected<std::vector<int>, std::string> parse_tokenize_reply(const std::string& body) {
  auto j = parse_object(body, "/tokenize reply");
  if (!j) return unexpected(j.error());
  const auto it = j->find("tokens");
  if (it == j->end() || !it->is_array()) {
    return unexpected(fmt::format("/tokenize reply has no `tokens` array: {}", reply_excerpt(body)));
  }
  std::vector<int> ids;
  for (const json& t : *it) {
    // Plain ids, or {"id": N, "piece": ...} when pieces were asked for.
    const json& id = t.is_object() ? t.value("id", json()) : t;
    if (!id.is_number_integer()) return unexpected(fmt::format("/tokenize: not a token id: {}", t.dump()));
    ids.push_back(id.get<int>());
  }
  return ids;
}

Expected<ReferenceScore, std::string> parse_forced_logprobs(const std::string& body,
                                                            const std::vector<int>& ids) {
  auto j = parse_object(body, "scoring reply");
  if (!j) return unexpected(j.error());
  const json* content = nullptr;
  if (auto c = j->find("choices"); c != j->end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
    const auto lp = (*c)[0].find("logprobs");
    if (lp != (*c)[0].end() && lp->is_object()) {
      const auto ct = lp->find("content");
      if (ct != lp->end() && ct->is_array()) content = &*ct;
    }
  }
  if (content == nullptr) {
    return unexpected(fmt::format("scoring reply has no choices[0].logprobs.content: {}", reply_excerpt(body)));
  }
  if (content->size() != ids.size()) {
    // Typically a reference token the model treats as end-of-generation (it stops there).
    return unexpected(fmt::format("the server generated {} of the {} reference tokens", content->size(),
                                  ids.size()));
  }
  ReferenceScore s;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const json& t = (*content)[i];
    const int id = t.value("id", -1);
    if (id != ids[i]) {
      return unexpected(fmt::format("token {} of the reference: the server generated id {} instead of {} "
                                    "(was the grammar ignored?)", i, id, ids[i]));
    }
    const auto lp = t.find("logprob");
    if (lp == t.end() || !lp->is_number()) {
      return unexpected(fmt::format("token {} of the reference has no logprob", i));
    }
    const double v = lp->get<double>();
    if (v < kUnderflowLogprob || !std::isfinite(v)) {
      return unexpected(fmt::format("token {} of the reference: probability underflowed on the server", i));
    }
    if (v > 1e-6) return unexpected(fmt::format("token {}: logprob {} > 0", i, v));
    s.nll_nats -= v;
  }
  s.tokens = static_cast<int>(ids.size());
  return s;
}

std::unique_ptr<ReferenceLikelihood> make_llama_reference_likelihood(const ClientOptions& opts) {
  return std::make_unique<LlamaReferenceLikelihood>(opts);
}

}  // namespace ipw::inference
