#pragma once
// The JSON of both clients: the messages a request sends, fields of what a server
// streams that must have a type or be absent, and the excerpt of a reply an error
// message quotes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipw::inference {

struct Request;

// A chat request's messages: the system prompt, the context turns, then the prompt
// as the user's message.
nlohmann::json chat_messages(const Request& req);
// A completion request's text: the context turns as "role: content" lines, then the
// prompt. The system prompt is not in it (each API places that itself).
std::string completion_text(const Request& req);

// How much of a server's reply an error message quotes.
inline constexpr std::size_t kWireExcerptChars = 200;
std::string wire_excerpt(std::string_view s);

// A string field, or "" when absent or null; any other type throws std::runtime_error
// naming the field (a protocol error).
std::string string_field(const nlohmann::json& obj, const char* key);

// The token counts of an OpenAI `usage` object; each unset when absent or not an integer.
struct UsageCounts {
  std::optional<int> prompt_tokens, completion_tokens, reasoning_tokens;
};
UsageCounts usage_counts(const nlohmann::json& usage);

// Merges extra (an object, or null for none) into body at the top level. A key body
// already has is replaced only with `override`; otherwise throws ipw::UsageError
// naming every such key.
void merge_extra_body(nlohmann::json& body, const nlohmann::json& extra, bool override);

}  // namespace ipw::inference
