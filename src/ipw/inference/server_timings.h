#pragma once
// The engine-reported timings stored verbatim per query (QueryRecord::server_timings_json),
// reduced to the few figures that mean the same thing on every engine, so exports and
// benchmarks can put them beside ipw's own clock without knowing which server ran.
#include <optional>
#include <string_view>

namespace ipw::inference {

struct ServerTimings {
  std::optional<double> prompt_ms;      // prefill time the server measured (ms)
  std::optional<double> predicted_ms;   // decode time the server measured (ms)
  std::optional<int> prompt_tokens;     // prompt tokens the server evaluated (cache hits excluded)
  std::optional<int> predicted_tokens;  // tokens the server generated
  std::optional<int> cache_tokens;      // prompt tokens served from the server's prompt cache
};

// Reads llama.cpp's `timings` (prompt_ms, predicted_ms, prompt_n, predicted_n, cache_n) and
// the `*_ns` durations ipw's Ollama client stores (prompt_eval_duration_ns, eval_duration_ns,
// prompt_eval_count, eval_count). Empty, malformed or unknown JSON gives all-empty fields:
// a missing figure is "not reported", never 0.
ServerTimings parse_server_timings(std::string_view json_text);

}  // namespace ipw::inference
