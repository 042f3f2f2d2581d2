// Client for OpenAI-compatible servers (vLLM, llama.cpp server, SGLang, LM Studio,
// TGI, the OpenAI API): POST /v1/chat/completions or /v1/completions with
// `stream: true`, read as Server-Sent Events. See docs/clients.md for the fields read.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/utf8.h"
#include "ipw/inference/client_factories.h"
#include "ipw/inference/openai_chunk.h"
#include "ipw/inference/sse_parser.h"
#include "ipw/inference/streaming_client.h"
#include "ipw/inference/token_recorder.h"
#include "ipw/inference/wire_json.h"

namespace ipw::inference {

namespace {

using nlohmann::json;

}  // namespace

json openai_request_body(const Request& req) {
  json body = {
      {"model", req.model},
      {"stream", true},
      // Without this the server sends no usage, and token counts must never be guessed.
      {"stream_options", {{"include_usage", true}}},
      {"temperature", req.temperature},
      {"top_p", req.top_p},
  };
  if (req.max_tokens > 0) body["max_tokens"] = req.max_tokens;
  if (req.chat) {
    body["messages"] = chat_messages(req);
  } else {
    // The completion endpoint has no roles: the system prompt leads the text.
    body["prompt"] = req.system_prompt.empty() ? completion_text(req) : req.system_prompt + "\n\n" + completion_text(req);
  }
  if (req.top_k > 0) body["top_k"] = req.top_k;
  if (req.min_p) body["min_p"] = *req.min_p;
  if (req.seed) body["seed"] = *req.seed;
  if (!req.stop.empty()) body["stop"] = req.stop;
  // vLLM, SGLang and llama.cpp's server pass these to the chat template.
  if (!req.chat_template_kwargs.is_null()) body["chat_template_kwargs"] = req.chat_template_kwargs;
  if (!req.reasoning_effort.empty()) body["reasoning_effort"] = req.reasoning_effort;
  merge_extra_body(body, req.extra_body, req.extra_body_override);
  return body;
}

namespace {

class OpenAiDecoder final : public StreamDecoder {
 public:
  OpenAiDecoder(TokenRecorder& recorder, bool chat) : rec_(recorder), chat_(chat), chunks_(chat) {}

  std::string on_bytes(std::string_view bytes, std::int64_t t_ns) override {
    for (const SseEvent& ev : sse_.feed(bytes)) {
      if (std::string err = handle(ev, t_ns); !err.empty()) return err;
    }
    return {};
  }

  std::string on_end(std::int64_t t_ns) override {
    if (auto ev = sse_.finish()) {
      if (std::string err = handle(*ev, t_ns); !err.empty()) return err;
    }
    // Either end marker will do: some servers omit [DONE], but a stream with neither
    // was cut off.
    if (!done_ && rec_.response().finish_reason.empty()) {
      return "the event stream ended without [DONE] or a finish_reason";
    }
    return {};
  }

 private:
  std::string handle(const SseEvent& ev, std::int64_t t_ns) {
    if (done_) return {};  // nothing after [DONE] is part of the answer
    if (is_done(ev)) {
      done_ = true;
      return {};
    }
    // Invalid UTF-8 from a server becomes U+FFFD here, so every stored text exports
    // (copied only when needed: this runs once per token).
    std::string fixed;
    std::string_view data = ev.data;
    if (!is_valid_utf8(data)) data = fixed = valid_utf8(data);
    if (ev.event == "error") return fmt::format("server sent an error event: {}", wire_excerpt(data));
    if (std::string err = chunks_.read(data); !err.empty()) return err;
    apply(chunks_.chunk(), t_ns);
    return {};
  }

  void apply(const OpenAiChunk& chunk, std::int64_t t_ns) {
    Response& r = rec_.response();
    if (chunk.has_choice) {
      const OpenAiChoice& c = chunk.choice;
      if (chat_) {
        // llama.cpp and DeepSeek say reasoning_content; vLLM and others say reasoning.
        rec_.reasoning(c.reasoning_content, t_ns);
        rec_.reasoning(c.reasoning, t_ns);
        rec_.content(c.content, t_ns);
      } else {
        rec_.content(c.text, t_ns);
      }
      if (!c.finish_reason.empty()) r.finish_reason = c.finish_reason;
    }
    if (chunk.prompt_tokens) r.input_tokens = *chunk.prompt_tokens;
    if (chunk.completion_tokens) r.output_tokens = *chunk.completion_tokens;
    // vLLM, SGLang and the OpenAI API count the thinking apart (llama.cpp does not).
    if (chunk.reasoning_tokens) r.reasoning_tokens = *chunk.reasoning_tokens;
    // llama.cpp's server adds its own prefill/decode timings to the last chunk.
    if (!chunk.server_timings.is_null()) r.server_timings = chunk.server_timings;
  }

  SseParser sse_;
  TokenRecorder& rec_;
  bool chat_;
  OpenAiChunkReader chunks_;
  bool done_ = false;
};

class OpenAiClient final : public StreamingClient<OpenAiDecoder> {
 public:
  OpenAiClient(const ClientOptions& opts, const Clock& clock) : StreamingClient(opts, clock) {
    std::string base = normalise_base_url(opts.base_url);
    // Users often paste the OpenAI-style base URL that already ends in /v1.
    if (base.ends_with("/v1")) base.resize(base.size() - 3);
    base_url_ = std::move(base);
  }

 private:
  HttpPost http_post(const Request& req) const override {
    return {base_url_ + (req.chat ? "/v1/chat/completions" : "/v1/completions"),
            openai_request_body(req).dump(-1, ' ', false, json::error_handler_t::replace), "text/event-stream"};
  }

  std::string base_url_;
};

}  // namespace

std::unique_ptr<StreamJob> make_openai_stream_job(bool chat) {
  return std::make_unique<DecodingJob<OpenAiDecoder>>(TokenCallback{}, chat);
}

std::unique_ptr<Client> make_openai_client(const ClientOptions& opts, const Clock& clock) {
  return std::make_unique<OpenAiClient>(opts, clock);
}

}  // namespace ipw::inference
