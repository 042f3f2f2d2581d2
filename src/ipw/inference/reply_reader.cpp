#include "ipw/inference/reply_reader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/inference/client_factories.h"
#include "ipw/inference/token_recorder.h"
#include "ipw/inference/wire_json.h"

namespace ipw::inference {
namespace {

using nlohmann::json;

// An OpenAI reply that was not streamed: one document, its message (chat) or text.
std::string read_openai_whole(std::string_view body, bool chat, TokenRecorder& rec, std::int64_t t_ns) {
  const json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fmt::format("the reply is not a JSON object: {}", wire_excerpt(body));
  Response& r = rec.response();
  try {
    if (auto c = j.find("choices"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
      const json& choice = (*c)[0];
      if (chat) {
        const json& msg = choice.contains("message") ? choice["message"] : json::object();
        rec.reasoning(string_field(msg, "reasoning_content"), t_ns);
        rec.reasoning(string_field(msg, "reasoning"), t_ns);
        rec.content(string_field(msg, "content"), t_ns);
      } else {
        rec.content(string_field(choice, "text"), t_ns);
      }
      r.finish_reason = string_field(choice, "finish_reason");
    }
    if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
      const UsageCounts counts = usage_counts(*u);
      r.input_tokens = counts.prompt_tokens;
      r.output_tokens = counts.completion_tokens;
      r.reasoning_tokens = counts.reasoning_tokens;
    }
    if (auto t = j.find("timings"); t != j.end() && t->is_object()) r.server_timings = *t;
  } catch (const std::exception& e) {
    return fmt::format("unexpected reply ({})", e.what());
  }
  return {};
}

int tool_calls_in(const json& message) {
  auto it = message.find("tool_calls");
  return it != message.end() && it->is_array() ? static_cast<int>(it->size()) : 0;
}

// Ollama sends each call whole, in a record's message.
int ollama_tool_calls(const NdjsonRecord& rec) {
  if (!rec.ok() || !rec.value.is_object()) return 0;
  auto m = rec.value.find("message");
  return m != rec.value.end() && m->is_object() ? tool_calls_in(*m) : 0;
}

}  // namespace

std::optional<WireApi> completion_api(std::string_view path) {
  path = path.substr(0, path.find('?'));
  if (path == "/v1/chat/completions" || path == "/chat/completions") return WireApi::openai_chat;
  if (path == "/v1/completions" || path == "/completions") return WireApi::openai_completions;
  if (path == "/api/chat") return WireApi::ollama_chat;
  if (path == "/api/generate") return WireApi::ollama_generate;
  return std::nullopt;
}

bool is_ollama(WireApi api) { return api == WireApi::ollama_chat || api == WireApi::ollama_generate; }

ReplyReader::ReplyReader(WireApi api, bool streamed) : api_(api), streamed_(streamed) {
  const bool chat = api == WireApi::openai_chat || api == WireApi::ollama_chat;
  // Ollama's whole reply is its stream's last record, so one decoder reads both.
  job_ = is_ollama(api) ? make_ollama_stream_job(chat) : make_openai_stream_job(chat);
}

ReplyReader::~ReplyReader() = default;

Response& ReplyReader::response() { return job_->recorder().response(); }

void ReplyReader::count_openai_tool_calls(std::string_view text) {
  if (text.find("tool_calls") == std::string_view::npos) return;  // the common case, unparsed
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto c = j.find("choices");
  if (c == j.end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return;
  const json& choice = (*c)[0];
  if (!streamed_) {
    if (auto m = choice.find("message"); m != choice.end() && m->is_object()) tool_calls_ += tool_calls_in(*m);
    return;
  }
  // A stream sends each call in pieces, all with the call's index.
  auto d = choice.find("delta");
  if (d == choice.end() || !d->is_object()) return;
  auto calls = d->find("tool_calls");
  if (calls == d->end() || !calls->is_array()) return;
  for (const json& call : *calls) {
    const int index = call.is_object() && call.contains("index") && call["index"].is_number_integer()
                          ? call["index"].get<int>()
                          : max_tool_index_ + 1;
    if (index > max_tool_index_) {
      tool_calls_ += index - max_tool_index_;
      max_tool_index_ = index;
    }
  }
}

void ReplyReader::on_bytes(std::string_view bytes, std::int64_t t_ns) {
  if (!streamed_ && !is_ollama(api_)) {
    whole_.append(bytes);
    return;
  }
  if (is_ollama(api_)) {
    for (const NdjsonRecord& rec : ndjson_.feed(bytes)) tool_calls_ += ollama_tool_calls(rec);
  } else {
    for (const SseEvent& ev : sse_.feed(bytes)) count_openai_tool_calls(ev.data);
  }
  if (!error_.empty()) return;
  error_ = job_->decoder().on_bytes(bytes, t_ns);
}

std::string ReplyReader::on_end(std::int64_t t_ns) {
  Response& r = response();
  if (!streamed_ && !is_ollama(api_)) {
    if (error_.empty()) error_ = read_openai_whole(whole_, api_ == WireApi::openai_chat, job_->recorder(), t_ns);
    count_openai_tool_calls(whole_);
  } else {
    if (is_ollama(api_)) {
      if (auto rec = ndjson_.finish()) tool_calls_ += ollama_tool_calls(*rec);
    } else if (auto ev = sse_.finish()) {
      count_openai_tool_calls(ev->data);
    }
    if (error_.empty()) error_ = job_->decoder().on_end(t_ns);
  }
  job_->recorder().finish();
  r.t_last_byte_ns = t_ns;
  if (!streamed_) {
    // One document: when its tokens were made is not observable from here.
    r.t_first_token_ns = 0;
    r.t_first_answer_ns = 0;
    r.token_times_ns.clear();
  }
  return error_;
}

}  // namespace ipw::inference
