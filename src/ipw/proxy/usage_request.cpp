#include "ipw/proxy/usage_request.h"

namespace ipw::proxy {
namespace {

using nlohmann::json;

// The end of the first event in s (just past its blank line), or npos.
std::size_t event_end(std::string_view s) {
  std::size_t best = std::string_view::npos;
  for (std::string_view sep : {"\n\n", "\r\n\r\n", "\r\r"}) {
    const std::size_t at = s.find(sep);
    if (at != std::string_view::npos && (best == std::string_view::npos || at + sep.size() < best)) {
      best = at + sep.size();
    }
  }
  return best;
}

// The event as the client would have received it without include_usage: "" to drop it.
std::string without_usage(std::string event) {
  if (event.find("\"usage\"") == std::string::npos) return event;
  const std::size_t data = event.find("data:");
  if (data != std::string::npos) {
    std::size_t from = data + 5;
    const std::size_t to = event.find_first_of("\r\n", from);
    const json j = json::parse(event.substr(from, to - from), nullptr, false);
    if (j.is_object() && j.contains("choices") && j["choices"].is_array() && j["choices"].empty() &&
        j.contains("usage") && j["usage"].is_object()) {
      return {};  // the chunk include_usage added
    }
  }
  // OpenAI's own API also adds "usage": null to every other chunk.
  for (std::string_view member : {",\"usage\":null", "\"usage\":null,", ", \"usage\": null", "\"usage\": null, "}) {
    if (const std::size_t at = event.find(member); at != std::string::npos) {
      event.erase(at, member.size());
      break;
    }
  }
  return event;
}

}  // namespace

std::optional<std::string> with_usage_requested(const json& request, std::string_view body) {
  if (!request.is_object() || !request.value("stream", false)) return std::nullopt;
  auto so = request.find("stream_options");
  if (so != request.end() && so->is_object() && so->value("include_usage", false)) return std::nullopt;
  // Keep the client's own key order and spelling for everything else.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  if (!j.contains("stream_options") || !j["stream_options"].is_object()) j["stream_options"] = nlohmann::ordered_json::object();
  j["stream_options"]["include_usage"] = true;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string UsageChunkFilter::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::string out;
  std::size_t end;
  while ((end = event_end(buffer_)) != std::string::npos) {
    out += without_usage(buffer_.substr(0, end));
    buffer_.erase(0, end);
  }
  return out;
}

std::string UsageChunkFilter::finish() {
  std::string rest = without_usage(std::move(buffer_));
  buffer_.clear();
  return rest;
}

}  // namespace ipw::proxy
