#pragma once
// Replies ipw did not ask for itself: `ipw proxy` (docs/agents.md) reads the bytes of
// each completion reply as they pass through it, with the decoders of ipw's own
// clients, so that a proxied request is timed, counted and stored as a profiled query
// is. It also counts the tool calls a reply asks for.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ipw/inference/client.h"
#include "ipw/inference/ndjson_parser.h"
#include "ipw/inference/sse_parser.h"

namespace ipw::inference {

class StreamJob;

enum class WireApi { openai_chat, openai_completions, ollama_chat, ollama_generate };

// The completion API a request path speaks (/v1/chat/completions, /v1/completions,
// /api/chat, /api/generate; a query string is ignored); empty for every other path.
std::optional<WireApi> completion_api(std::string_view path);
bool is_ollama(WireApi api);

class ReplyReader {
 public:
  // `streamed`: the body is an event stream (SSE) or NDJSON; else one JSON document.
  ReplyReader(WireApi api, bool streamed);
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  // Bytes of the (2xx) body as they arrive; t_ns: their arrival on the monotonic clock.
  void on_bytes(std::string_view bytes, std::int64_t t_ns);
  // The body ended at t_ns: "" or what was wrong with it (the first problem seen).
  std::string on_end(std::int64_t t_ns);

  // What was read (its t_send_ns is the caller's to set). A reply that was not streamed
  // has no token times: its first token is unknown, not its last byte.
  Response& response();
  // How many tool calls the reply asked for (OpenAI `tool_calls`, by index; Ollama's
  // message.tool_calls).
  int tool_calls() const { return tool_calls_; }

 private:
  void count_openai_tool_calls(std::string_view json_text);

  WireApi api_;
  bool streamed_;
  std::unique_ptr<StreamJob> job_;  // the decoder of the API's own client
  std::string whole_;               // OpenAI, not streamed: the body, read at the end
  std::string error_;
  SseParser sse_;                   // OpenAI streams, for tool calls
  NdjsonParser ndjson_;             // Ollama, for tool calls
  int tool_calls_ = 0;
  int max_tool_index_ = -1;         // OpenAI streams name each call by index across chunks
};

}  // namespace ipw::inference
