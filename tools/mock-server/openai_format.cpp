// OpenAI-compatible replies, with llama.cpp's `timings` object added so clients
// that read it (ipw does) can be tested against the mock too.
#include <nlohmann/json.hpp>

#include "wire_format.h"

namespace ipw::mock {
namespace {

using nlohmann::json;

json usage(const ReplyStats& s) {
  json u = {{"prompt_tokens", s.prompt_tokens},
            {"completion_tokens", s.completion_tokens},
            {"total_tokens", s.prompt_tokens + s.completion_tokens}};
  if (s.reasoning_count && s.reasoning_tokens > 0) {
    u["completion_tokens_details"] = {{"reasoning_tokens", s.reasoning_tokens}};
  }
  return u;
}

json timings(const ReplyStats& s) {
  auto per_s = [](int n, double ms) { return ms > 0 ? 1000.0 * n / ms : 0.0; };
  return {{"prompt_n", s.prompt_tokens},
          {"prompt_ms", s.prompt_ms},
          {"prompt_per_second", per_s(s.prompt_tokens, s.prompt_ms)},
          {"predicted_n", s.completion_tokens},
          {"predicted_ms", s.predicted_ms},
          {"predicted_per_second", per_s(s.completion_tokens, s.predicted_ms)}};
}

std::string sse(const json& j) { return "data: " + j.dump() + "\n\n"; }

// The answers line's calls as OpenAI spells them: arguments as a JSON string.
json openai_tool_calls(const json& calls, bool streamed) {
  json out = json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    json c = {{"id", "call_" + std::to_string(i)},
              {"type", "function"},
              {"function", {{"name", calls[i]["name"]}, {"arguments", calls[i].value("arguments", json::object()).dump()}}}};
    if (streamed) c["index"] = i;
    out.push_back(std::move(c));
  }
  return out;
}

class OpenAiFormat : public WireFormat {
 public:
  explicit OpenAiFormat(bool chat) : chat_(chat) {}

  std::string stream_content_type() const override { return "text/event-stream"; }

  std::string stream_begin(const ReplyStats& s) const override {
    if (!chat_) return "";
    return sse(
        chunk(s, {{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"finish_reason", nullptr}}));
  }

  std::string stream_piece(const ReplyStats& s, const std::string& piece, bool thinking) const override {
    // llama.cpp's --reasoning-format deepseek names the field reasoning_content.
    json choice = chat_ ? json{{"index", 0}, {"delta", {{thinking ? "reasoning_content" : "content", piece}}},
                               {"finish_reason", nullptr}}
                        : json{{"index", 0}, {"text", piece}, {"finish_reason", nullptr}};
    return sse(chunk(s, choice));
  }

  std::string stream_tool_calls(const ReplyStats& s) const override {
    return sse(chunk(s, {{"index", 0}, {"delta", {{"tool_calls", openai_tool_calls(s.tool_calls, true)}}},
                         {"finish_reason", nullptr}}));
  }

  std::string stream_end(const ReplyStats& s) const override {
    json choice = chat_ ? json{{"index", 0}, {"delta", json::object()}, {"finish_reason", s.finish_reason}}
                        : json{{"index", 0}, {"text", ""}, {"finish_reason", s.finish_reason}};
    json last = chunk(s, choice);
    last["timings"] = timings(s);
    std::string out = sse(last);
    if (s.include_usage && s.usage) {
      // OpenAI sends usage in one extra chunk with no choices.
      json u = chunk(s, nullptr);
      u["choices"] = json::array();
      u["usage"] = usage(s);
      u["timings"] = timings(s);
      out += sse(u);
    }
    return out + "data: [DONE]\n\n";
  }

  std::string whole(const ReplyStats& s, const std::string& text) const override {
    json choice = chat_ ? json{{"index", 0},
                               {"message", {{"role", "assistant"}, {"content", text}}},
                               {"finish_reason", s.finish_reason}}
                        : json{{"index", 0}, {"text", text}, {"finish_reason", s.finish_reason}};
    if (chat_ && !s.tool_calls.is_null()) {
      choice["message"]["content"] = nullptr;
      choice["message"]["tool_calls"] = openai_tool_calls(s.tool_calls, false);
    }
    json body = {{"id", s.id},
                 {"object", chat_ ? "chat.completion" : "text_completion"},
                 {"created", s.created_unix_s},
                 {"model", s.model},
                 {"choices", json::array({choice})},
                 {"timings", timings(s)}};
    if (s.usage) body["usage"] = usage(s);
    return body.dump();
  }

  std::string stream_raw(const std::string& text) const override { return "data: " + text + "\n\n"; }

  std::string error_body(const std::string& message) const override {
    return json{{"error", {{"message", message}, {"type", "server_error"}, {"code", nullptr}}}}.dump();
  }

 private:
  json chunk(const ReplyStats& s, const json& choice) const {
    json c = {{"id", s.id},
              {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
              {"created", s.created_unix_s},
              {"model", s.model}};
    c["choices"] = choice.is_null() ? json::array() : json::array({choice});
    return c;
  }

  bool chat_;
};

}  // namespace

std::unique_ptr<WireFormat> make_openai_format(bool chat) { return std::make_unique<OpenAiFormat>(chat); }

}  // namespace ipw::mock
