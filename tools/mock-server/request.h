#pragma once
// What the mock needs from a completion request, whichever API it came through.
#include <optional>
#include <stdexcept>
#include <string>

#include "wire_format.h"

namespace ipw::mock {

struct CompletionRequest {
  std::string model;        // empty: the server's --model
  std::string prompt_text;  // the last user message, or the prompt
  bool stream = false;
  bool include_usage = false;     // OpenAI stream_options.include_usage
  std::optional<int> max_tokens;  // max_tokens / max_completion_tokens / options.num_predict
  bool after_tool = false;        // chat: a tool result follows the last user message
};

struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws BadRequest with a message fit for a 400 reply.
CompletionRequest parse_request(Api api, const std::string& body);

}  // namespace ipw::mock
