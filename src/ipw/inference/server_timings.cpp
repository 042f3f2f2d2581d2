#include "ipw/inference/server_timings.h"

#include <nlohmann/json.hpp>

namespace ipw::inference {
namespace {

using nlohmann::json;

std::optional<double> number(const json& j, const char* key, double scale = 1.0) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>() * scale;
}

std::optional<int> count(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

}  // namespace

ServerTimings parse_server_timings(std::string_view json_text) {
  ServerTimings t;
  if (json_text.empty()) return t;
  // Stored JSON was written by ipw itself, but a hand-edited or truncated store must
  // not stop an export: no exception escapes, the figures are simply absent.
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return t;
  if (j.contains("prompt_ms") || j.contains("predicted_ms")) {  // llama.cpp
    t.prompt_ms = number(j, "prompt_ms");
    t.predicted_ms = number(j, "predicted_ms");
    t.prompt_tokens = count(j, "prompt_n");
    t.predicted_tokens = count(j, "predicted_n");
    t.cache_tokens = count(j, "cache_n");
  } else {  // Ollama (durations in ns as ipw stores them)
    t.prompt_ms = number(j, "prompt_eval_duration_ns", 1e-6);
    t.predicted_ms = number(j, "eval_duration_ns", 1e-6);
    t.prompt_tokens = count(j, "prompt_eval_count");
    t.predicted_tokens = count(j, "eval_count");
  }
  return t;
}

}  // namespace ipw::inference
