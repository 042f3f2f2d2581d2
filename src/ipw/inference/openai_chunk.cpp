#include "ipw/inference/openai_chunk.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "ipw/inference/wire_json.h"

namespace ipw::inference {

namespace {

using nlohmann::json;

namespace dom = simdjson::dom;

// Reads a string field of the fast reading: a string or null (""); false for
// anything else, which the DOM reading words as an error.
bool string_value(dom::element v, std::string& out) {
  std::string_view s;
  if (v.is_null()) {
    out.clear();
    return true;
  }
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}

// An integer as nlohmann's get<int>() converts one (static_cast), or nothing.
std::optional<int> int_value(dom::element v) {
  if (std::int64_t i; !v.get_int64().get(i)) return static_cast<int>(i);
  if (std::uint64_t u; !v.get_uint64().get(u)) return static_cast<int>(u);
  return std::nullopt;
}

// The server's error object ({"error": {"message": ...}} or a string), as text.
std::string error_text(const json& err) {
  if (err.is_object() && err.contains("message") && err["message"].is_string()) {
    return err["message"].get<std::string>();
  }
  if (err.is_string()) return err.get<std::string>();
  return err.dump();
}

}  // namespace

void OpenAiChoice::clear() {
  index = 0;
  content.clear();
  reasoning_content.clear();
  reasoning.clear();
  text.clear();
  finish_reason.clear();
}

void OpenAiChunk::clear() {
  has_choice = false;
  choice.clear();
  prompt_tokens.reset();
  completion_tokens.reset();
  reasoning_tokens.reset();
  server_timings = nullptr;
}

std::string OpenAiChunkReader::read(std::string_view data) {
  if (read_fast(data)) return {};
  return read_dom(data);
}

OpenAiChunkReader::OpenAiChunkReader(bool chat) : chat_(chat), parser_(std::make_unique<simdjson::dom::parser>()) {}
OpenAiChunkReader::~OpenAiChunkReader() = default;

// simdjson's DOM validates the whole chunk, so it accepts what nlohmann accepts; the
// walk below reads the fields in order, so a repeated key's last value counts, as
// in nlohmann's DOM. Whatever the DOM reading would word as an error, or read
// rarely (`error`, `timings`), it leaves to the DOM reading.
bool OpenAiChunkReader::read_fast(std::string_view data) {
  chunk_.clear();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: kept in one buffer per stream.
  buffer_.resize(data.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buffer_.data(), data.data(), data.size());
  dom::object root;
  if (parser_->parse(buffer_.data(), data.size(), false).get(root)) return false;
  for (const dom::key_value_pair field : root) {
    const std::string_view key = field.key;
    if (key == "error" || key == "timings") return false;
    if (key == "choices") {
      chunk_.has_choice = false;
      chunk_.choice.clear();
      dom::array choices;
      if (field.value.get_array().get(choices)) continue;  // ignored, as the DOM reading ignores it
      for (const dom::element element : choices) {
        if (!read_choice(element)) return false;
        if (current_.index == 0 && !chunk_.has_choice) {
          std::swap(chunk_.choice, current_);
          chunk_.has_choice = true;
        }
      }
    } else if (key == "usage") {
      chunk_.prompt_tokens.reset();
      chunk_.completion_tokens.reset();
      chunk_.reasoning_tokens.reset();
      dom::object usage;
      if (field.value.get_object().get(usage)) continue;
      for (const dom::key_value_pair u : usage) {
        if (u.key == "prompt_tokens") {
          chunk_.prompt_tokens = int_value(u.value);
        } else if (u.key == "completion_tokens") {
          chunk_.completion_tokens = int_value(u.value);
        } else if (u.key == "completion_tokens_details") {
          chunk_.reasoning_tokens.reset();
          dom::object details;
          if (u.value.get_object().get(details)) continue;
          for (const dom::key_value_pair d : details) {
            if (d.key == "reasoning_tokens") chunk_.reasoning_tokens = int_value(d.value);
          }
        }
      }
    }
  }
  return true;
}

bool OpenAiChunkReader::read_choice(const simdjson::dom::element& element) {
  current_.clear();
  dom::object choice;
  if (element.get_object().get(choice)) return false;
  for (const dom::key_value_pair field : choice) {
    const std::string_view key = field.key;
    if (key == "index") {
      const std::optional<int> index = int_value(field.value);
      if (!index) return false;
      current_.index = *index;
    } else if (key == "finish_reason") {
      if (!string_value(field.value, current_.finish_reason)) return false;
    } else if (chat_ && key == "delta") {
      current_.content.clear();
      current_.reasoning_content.clear();
      current_.reasoning.clear();
      dom::object delta;
      if (field.value.get_object().get(delta)) continue;
      for (const dom::key_value_pair d : delta) {
        std::string* target = d.key == "content"             ? &current_.content
                              : d.key == "reasoning_content" ? &current_.reasoning_content
                              : d.key == "reasoning"         ? &current_.reasoning
                                                             : nullptr;
        if (target && !string_value(d.value, *target)) return false;
      }
    } else if (!chat_ && key == "text") {
      if (!string_value(field.value, current_.text)) return false;
    }
  }
  return true;
}

std::string OpenAiChunkReader::read_dom(std::string_view data) {
  chunk_.clear();
  json j;
  try {
    j = json::parse(data);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    return fmt::format("malformed JSON in an event ({}): {}", e.what(), wire_excerpt(data));
  }
  if (!j.is_object()) return fmt::format("event is not a JSON object: {}", wire_excerpt(data));
  if (j.contains("error") && !j.at("error").is_null()) {
    return fmt::format("server reported an error: {}", wire_excerpt(error_text(j.at("error"))));
  }
  try {
    if (auto it = j.find("choices"); it != j.end() && it->is_array()) {  // not in the final usage-only chunk
      for (const json& choice : *it) {
        if (choice.value("index", 0) != 0 || chunk_.has_choice) continue;
        OpenAiChoice& c = chunk_.choice;
        if (chat_) {
          const json& delta = choice.contains("delta") ? choice["delta"] : json::object();
          c.content = string_field(delta, "content");
          c.reasoning_content = string_field(delta, "reasoning_content");
          c.reasoning = string_field(delta, "reasoning");
        } else {
          c.text = string_field(choice, "text");
        }
        c.finish_reason = string_field(choice, "finish_reason");
        chunk_.has_choice = true;
      }
    }
    if (auto it = j.find("usage"); it != j.end() && it->is_object()) {
      const UsageCounts counts = usage_counts(*it);
      chunk_.prompt_tokens = counts.prompt_tokens;
      chunk_.completion_tokens = counts.completion_tokens;
      chunk_.reasoning_tokens = counts.reasoning_tokens;
    }
    if (auto it = j.find("timings"); it != j.end() && it->is_object()) chunk_.server_timings = *it;
  } catch (const std::exception& e) {
    return fmt::format("unexpected event ({}): {}", e.what(), wire_excerpt(data));
  }
  return {};
}

}  // namespace ipw::inference
