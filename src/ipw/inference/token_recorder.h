#pragma once
// Internal to the inference clients: builds a Response from decoded stream deltas,
// stamping the first token and every token on the arrival time of the bytes that
// carried them (one clock read per received chunk, taken by the transport).
//
// Reasoning deltas (`reasoning_content` / `reasoning` in OpenAI-compatible streams,
// `thinking` in Ollama's) are generated tokens: they end prefill and occupy decode
// time, so they count for t_first_token and token_times_ns. They are kept out of
// Response::text (the answer scorers read) and collected in Response::reasoning.
// So is thinking streamed inside the content: text between `<think>` and
// `</think>`, and — for chat templates that open the tag in the prompt, as the
// DeepSeek-R1 distills' do — everything before a `</think>` that has no opening tag.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "ipw/inference/client.h"

namespace ipw::inference {

class TokenRecorder {
 public:
  explicit TokenRecorder(TokenCallback on_token) : on_token_(std::move(on_token)) {}

  void content(std::string_view text, std::int64_t t_ns);
  void reasoning(std::string_view text, std::int64_t t_ns);
  // The stream ended (however it ended): text held back as a possible partial tag is
  // the kind it was read in. Idempotent.
  void finish();

  bool any_token() const { return response_.t_first_token_ns != 0; }
  Response& response() { return response_; }

 private:
  void stamp(std::string_view text, std::int64_t t_ns);
  // Appends a stretch of content to the reasoning (inside <think>) or the answer,
  // noting whether answer text, and answer text other than whitespace, was seen.
  void route(std::string_view text, bool& answer_text, bool& answer_nonspace);

  TokenCallback on_token_;  // owned: a request started asynchronously outlives its caller's frame
  Response response_;
  bool in_think_ = false;   // inside <think>…</think> in the content
  std::string carry_;       // the content's tail that may be the start of a tag
};

}  // namespace ipw::inference
