// Client for Ollama's native API: POST /api/chat or /api/generate, streamed as
// newline-delimited JSON. See docs/clients.md for the fields read.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/usage_error.h"
#include "ipw/inference/client_factories.h"
#include "ipw/inference/ndjson_parser.h"
#include "ipw/inference/streaming_client.h"
#include "ipw/inference/token_recorder.h"
#include "ipw/inference/wire_json.h"

namespace ipw::inference {

namespace {

using nlohmann::json;

// Ollama's final record reports these durations in nanoseconds; they are stored with
// the unit in the name.
constexpr const char* kDurationFields[] = {"total_duration", "load_duration",
                                           "prompt_eval_duration", "eval_duration"};

}  // namespace

json ollama_request_body(const Request& req) {
  json options = {{"temperature", req.temperature}, {"top_p", req.top_p}};
  if (req.max_tokens > 0) options["num_predict"] = req.max_tokens;
  if (req.top_k > 0) options["top_k"] = req.top_k;
  if (req.min_p) options["min_p"] = *req.min_p;
  if (req.seed) options["seed"] = *req.seed;
  if (!req.stop.empty()) options["stop"] = req.stop;
  json body = {{"model", req.model}, {"stream", true}, {"options", options}};
  if (req.chat) {
    body["messages"] = chat_messages(req);
  } else {
    if (!req.system_prompt.empty()) body["system"] = req.system_prompt;
    body["prompt"] = completion_text(req);
  }
  // Ollama has no chat-template arguments; thinking is its `think` field (true/false,
  // or a level for models that have levels, as gpt-oss does).
  if (req.chat_template_kwargs.is_object()) {
    for (auto it = req.chat_template_kwargs.begin(); it != req.chat_template_kwargs.end(); ++it) {
      if (it.key() != "enable_thinking" || !it->is_boolean()) {
        throw UsageError(fmt::format("--chat-template-kwargs {}: Ollama has no equivalent (only a boolean "
                                     "enable_thinking, sent as `think`); use --extra-body for Ollama fields",
                                     it.key()));
      }
      body["think"] = it->get<bool>();
    }
  }
  if (!req.reasoning_effort.empty()) body["think"] = req.reasoning_effort;
  merge_extra_body(body, req.extra_body, req.extra_body_override);
  return body;
}

namespace {

std::optional<int> int_field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

class OllamaDecoder final : public StreamDecoder {
 public:
  OllamaDecoder(TokenRecorder& recorder, bool chat) : rec_(recorder), chat_(chat) {}

  std::string on_bytes(std::string_view bytes, std::int64_t t_ns) override {
    for (const NdjsonRecord& rec : ndjson_.feed(bytes)) {
      if (std::string err = handle(rec, t_ns); !err.empty()) return err;
    }
    return {};
  }

  std::string on_end(std::int64_t t_ns) override {
    if (auto rec = ndjson_.finish()) {
      if (std::string err = handle(*rec, t_ns); !err.empty()) return err;
    }
    if (!done_) return "the stream ended before a record with \"done\": true";
    return {};
  }

 private:
  std::string handle(const NdjsonRecord& rec, std::int64_t t_ns) {
    if (done_) return {};
    if (!rec.ok()) return rec.error;
    const json& j = rec.value;
    if (!j.is_object()) return fmt::format("line {} is not a JSON object", rec.line_no);
    if (auto it = j.find("error"); it != j.end() && !it->is_null()) {
      return fmt::format("server reported an error: {}",
                         wire_excerpt(it->is_string() ? it->get<std::string>() : it->dump()));
    }
    try {
      if (chat_) {
        const json& msg = j.contains("message") ? j["message"] : json::object();
        rec_.reasoning(string_field(msg, "thinking"), t_ns);
        rec_.content(string_field(msg, "content"), t_ns);
      } else {
        rec_.reasoning(string_field(j, "thinking"), t_ns);
        rec_.content(string_field(j, "response"), t_ns);
      }
      if (j.value("done", false)) read_final(j);
    } catch (const std::exception& e) {
      return fmt::format("unexpected record on line {} ({})", rec.line_no, e.what());
    }
    return {};
  }

  void read_final(const json& j) {
    done_ = true;
    Response& r = rec_.response();
    r.finish_reason = string_field(j, "done_reason");
    // Ollama leaves prompt_eval_count out when the whole prompt came from its cache;
    // then the count is unknown, not zero.
    r.input_tokens = int_field(j, "prompt_eval_count");
    r.output_tokens = int_field(j, "eval_count");
    json timings = json::object();
    for (const char* key : kDurationFields) {
      if (auto it = j.find(key); it != j.end() && it->is_number()) {
        timings[std::string(key) + "_ns"] = *it;
      }
    }
    for (const char* key : {"prompt_eval_count", "eval_count"}) {
      if (auto it = j.find(key); it != j.end() && it->is_number()) timings[key] = *it;
    }
    r.server_timings = std::move(timings);
  }

  NdjsonParser ndjson_;
  TokenRecorder& rec_;
  bool chat_;
  bool done_ = false;
};

class OllamaClient final : public StreamingClient<OllamaDecoder> {
 public:
  OllamaClient(const ClientOptions& opts, const Clock& clock)
      : StreamingClient(opts, clock), base_url_(normalise_base_url(opts.base_url)) {}

 private:
  HttpPost http_post(const Request& req) const override {
    return {base_url_ + (req.chat ? "/api/chat" : "/api/generate"),
            ollama_request_body(req).dump(-1, ' ', false, json::error_handler_t::replace), "application/x-ndjson"};
  }

  std::string base_url_;
};

}  // namespace

std::unique_ptr<StreamJob> make_ollama_stream_job(bool chat) {
  return std::make_unique<DecodingJob<OllamaDecoder>>(TokenCallback{}, chat);
}

std::unique_ptr<Client> make_ollama_client(const ClientOptions& opts, const Clock& clock) {
  return std::make_unique<OllamaClient>(opts, clock);
}

}  // namespace ipw::inference
