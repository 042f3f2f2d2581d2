// Ollama's native replies: NDJSON objects, the last with done=true and its
// counters (prompt_eval_count, eval_count, durations in nanoseconds).
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "wire_format.h"

namespace ipw::mock {
namespace {

using nlohmann::json;

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us));
  return std::string(buf) + frac;
}

long long ms_to_ns(double ms) { return static_cast<long long>(ms * 1e6); }

class OllamaFormat : public WireFormat {
 public:
  explicit OllamaFormat(bool chat) : chat_(chat) {}

  std::string stream_content_type() const override { return "application/x-ndjson"; }
  std::string stream_begin(const ReplyStats&) const override { return ""; }

  std::string stream_piece(const ReplyStats& s, const std::string& piece, bool thinking) const override {
    json j = head(s);
    put_text(j, thinking ? "" : piece);
    if (thinking) (chat_ ? j["message"]["thinking"] : j["thinking"]) = piece;
    j["done"] = false;
    return j.dump() + "\n";
  }

  std::string stream_tool_calls(const ReplyStats&) const override { return ""; }  // in the last record
  std::string stream_end(const ReplyStats& s) const override { return final_object(s, "").dump() + "\n"; }

  std::string whole(const ReplyStats& s, const std::string& text) const override {
    return final_object(s, text).dump();
  }

  std::string stream_raw(const std::string& text) const override { return text + "\n"; }

  std::string error_body(const std::string& message) const override { return json{{"error", message}}.dump(); }

 private:
  // --deterministic replies say they were created at the epoch (created_unix_s 0).
  json head(const ReplyStats& s) const {
    return {{"model", s.model}, {"created_at", s.created_unix_s == 0 ? "1970-01-01T00:00:00.000000Z" : rfc3339_now()}};
  }

  void put_text(json& j, const std::string& text) const {
    if (chat_) {
      j["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
      j["response"] = text;
    }
  }

  json final_object(const ReplyStats& s, const std::string& text) const {
    json j = head(s);
    put_text(j, text);
    if (chat_ && !s.tool_calls.is_null()) {
      json calls = json::array();
      for (const json& c : s.tool_calls) {
        calls.push_back({{"function", {{"name", c["name"]}, {"arguments", c.value("arguments", json::object())}}}});
      }
      j["message"]["tool_calls"] = std::move(calls);
    }
    j["done"] = true;
    j["done_reason"] = s.finish_reason;
    j["total_duration"] = ms_to_ns(s.prompt_ms + s.predicted_ms);
    j["load_duration"] = 0;
    j["prompt_eval_duration"] = ms_to_ns(s.prompt_ms);
    j["eval_duration"] = ms_to_ns(s.predicted_ms);
    if (s.usage) {
      j["prompt_eval_count"] = s.prompt_tokens;
      j["eval_count"] = s.completion_tokens;
    }
    return j;
  }

  bool chat_;
};

}  // namespace

std::unique_ptr<WireFormat> make_ollama_format(bool chat) { return std::make_unique<OllamaFormat>(chat); }

}  // namespace ipw::mock
