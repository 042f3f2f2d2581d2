#include "ipw/inference/wire_json.h"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/common/usage_error.h"
#include "ipw/common/utf8.h"
#include "ipw/inference/client.h"

namespace ipw::inference {

nlohmann::json chat_messages(const Request& req) {
  nlohmann::json messages = nlohmann::json::array();
  if (!req.system_prompt.empty()) messages.push_back({{"role", "system"}, {"content", req.system_prompt}});
  for (const ChatTurn& t : req.context) messages.push_back({{"role", t.role}, {"content", t.content}});
  messages.push_back({{"role", "user"}, {"content", req.prompt}});
  return messages;
}

std::string completion_text(const Request& req) {
  std::string text;
  for (const ChatTurn& t : req.context) text += t.role + ": " + t.content + "\n\n";
  return text + req.prompt;
}

std::string wire_excerpt(std::string_view s) { return excerpt(s, kWireExcerptChars); }

std::string string_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) {
    throw std::runtime_error(fmt::format("field `{}` is not a string: {}", key, wire_excerpt(it->dump())));
  }
  return it->get<std::string>();
}

UsageCounts usage_counts(const nlohmann::json& usage) {
  const auto count = [](const nlohmann::json& obj, const char* key) -> std::optional<int> {
    if (auto it = obj.find(key); it != obj.end() && it->is_number_integer()) return it->get<int>();
    return std::nullopt;
  };
  UsageCounts u;
  if (!usage.is_object()) return u;
  u.prompt_tokens = count(usage, "prompt_tokens");
  u.completion_tokens = count(usage, "completion_tokens");
  if (auto d = usage.find("completion_tokens_details"); d != usage.end() && d->is_object()) {
    u.reasoning_tokens = count(*d, "reasoning_tokens");
  }
  return u;
}

void merge_extra_body(nlohmann::json& body, const nlohmann::json& extra, bool override) {
  if (extra.is_null()) return;
  if (!extra.is_object()) throw UsageError(fmt::format("--extra-body must be a JSON object, got {}", wire_excerpt(extra.dump())));
  std::vector<std::string> clashes;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (body.contains(it.key())) clashes.push_back(it.key());
  }
  if (!clashes.empty() && !override) {
    throw UsageError(fmt::format("--extra-body sets {}, which ipw sets itself; give the matching ipw flag, or "
                                 "--extra-body-override to replace ipw's value",
                                 fmt::join(clashes, ", ")));
  }
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = *it;
}

}  // namespace ipw::inference
