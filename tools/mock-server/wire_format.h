#pragma once
// How each API spells a reply: OpenAI chat/completions (SSE when streaming) and
// Ollama chat/generate (NDJSON). Pure text builders; the handlers do the pacing.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace ipw::mock {

enum class Api { OpenAiChat, OpenAiCompletions, OllamaChat, OllamaGenerate };

// Everything about a finished (or truncated) reply that the final chunk reports.
struct ReplyStats {
  std::string model;
  std::string id;                      // "chatcmpl-mock-7"
  long long created_unix_s = 0;        // wall clock at request receipt
  int prompt_tokens = 0;               // whitespace words of the prompt
  int completion_tokens = 0;           // pieces sent
  int reasoning_tokens = 0;            // of them, thinking pieces (sent as reasoning deltas)
  bool reasoning_count = true;         // report reasoning_tokens in usage details
  bool usage = true;                   // report usage at all (--no-usage)
  std::string finish_reason = "stop";  // or "length" when max_tokens cut the answer
  double prompt_ms = 0;                // request receipt -> first token
  double predicted_ms = 0;             // first token -> last token
  bool include_usage = false;          // OpenAI stream_options.include_usage
  nlohmann::json tool_calls;           // the calls the reply makes instead of answering (null: none)
};

class WireFormat {
 public:
  virtual ~WireFormat() = default;
  virtual std::string stream_content_type() const = 0;
  virtual std::string stream_begin(const ReplyStats& s) const = 0;  // may be empty
  // `thinking`: the piece is reasoning, sent the way the API streams thinking.
  virtual std::string stream_piece(const ReplyStats& s, const std::string& piece, bool thinking) const = 0;
  // The reply's tool calls as streamed ("" where the API sends them in the last chunk).
  virtual std::string stream_tool_calls(const ReplyStats& s) const = 0;
  virtual std::string stream_end(const ReplyStats& s) const = 0;
  virtual std::string whole(const ReplyStats& s, const std::string& text) const = 0;  // application/json
  virtual std::string error_body(const std::string& message) const = 0;
  // `text` framed as one event of the stream (an SSE `data:` event, an NDJSON line),
  // whatever it holds: for the error-event and malformed-event faults.
  virtual std::string stream_raw(const std::string& text) const = 0;
};

std::unique_ptr<WireFormat> make_wire_format(Api api);
std::unique_ptr<WireFormat> make_openai_format(bool chat);  // openai_format.cpp
std::unique_ptr<WireFormat> make_ollama_format(bool chat);  // ollama_format.cpp

}  // namespace ipw::mock
