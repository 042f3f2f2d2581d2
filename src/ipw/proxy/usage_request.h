#pragma once
// Token counts for streamed OpenAI-compatible requests (docs/agents.md). A server
// streams usage only when asked (stream_options.include_usage); many agents do not
// ask. `ipw proxy` asks on their behalf and takes out of the stream what asking adds,
// so the client receives the bytes the server would have sent it otherwise.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipw::proxy {

// The body to send upstream in place of `body` (already parsed as `request`): with
// stream_options.include_usage set, for a streamed request that did not ask for
// usage; empty when the body goes as it is.
std::optional<std::string> with_usage_requested(const nlohmann::json& request, std::string_view body);

// Removes from an event stream what include_usage added: the usage-only chunk (no
// choices) and a `"usage":null` member in the other chunks. Bytes pass at event
// boundaries, each event whole.
class UsageChunkFilter {
 public:
  // The bytes to forward now.
  std::string feed(std::string_view bytes);
  // The end of the stream: whatever is left (an unterminated last event), as it came.
  std::string finish();

 private:
  std::string buffer_;
};

}  // namespace ipw::proxy
