#include "request.h"

#include <nlohmann/json.hpp>

namespace ipw::mock {
namespace {

using nlohmann::json;

// Message content is a string, or (OpenAI vision-style) a list of parts.
std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
        text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
      }
    }
    return text;
  }
  throw BadRequest("message content must be a string or a list of parts");
}

std::string last_user_message(const json& body) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array()) throw BadRequest("'messages' must be a list");
  for (auto m = it->rbegin(); m != it->rend(); ++m) {
    if (m->is_object() && m->value("role", "") == "user" && m->contains("content"))
      return content_text((*m)["content"]);
  }
  throw BadRequest("'messages' has no user message");
}

std::string prompt_of(const json& body) {
  auto it = body.find("prompt");
  if (it == body.end()) throw BadRequest("'prompt' is required");
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array() && !it->empty() && (*it)[0].is_string()) return (*it)[0].get<std::string>();
  throw BadRequest("'prompt' must be a string (or a list of strings)");
}

std::optional<int> limit(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw BadRequest(std::string("'") + key + "' must be an integer");
  const int n = it->get<int>();
  return n < 0 ? std::nullopt : std::optional<int>(n);  // Ollama: -1 means unlimited
}

}  // namespace

CompletionRequest parse_request(Api api, const std::string& raw) {
  json body;
  try {
    body = json::parse(raw);
  } catch (const json::parse_error& e) {
    throw BadRequest(std::string("request body is not JSON: ") + e.what());
  }
  if (!body.is_object()) throw BadRequest("request body must be a JSON object");
  CompletionRequest r;
  if (body.contains("model") && body["model"].is_string()) r.model = body["model"].get<std::string>();
  const bool ollama = api == Api::OllamaChat || api == Api::OllamaGenerate;
  // Ollama streams unless told not to; OpenAI only when asked.
  auto stream = body.find("stream");
  r.stream = stream != body.end() && stream->is_boolean() ? stream->get<bool>() : ollama;
  r.prompt_text = api == Api::OpenAiChat || api == Api::OllamaChat ? last_user_message(body) : prompt_of(body);
  if (auto m = body.find("messages"); m != body.end() && m->is_array()) {
    for (auto it = m->rbegin(); it != m->rend() && it->is_object() && it->value("role", "") != "user"; ++it) {
      if (it->value("role", "") == "tool") r.after_tool = true;
    }
  }
  if (ollama) {
    if (body.contains("options") && body["options"].is_object()) r.max_tokens = limit(body["options"], "num_predict");
  } else {
    r.max_tokens = limit(body, "max_completion_tokens");
    if (!r.max_tokens) r.max_tokens = limit(body, "max_tokens");
    auto so = body.find("stream_options");
    r.include_usage = so != body.end() && so->is_object() && so->value("include_usage", false);
  }
  return r;
}

}  // namespace ipw::mock
