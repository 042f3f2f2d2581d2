#pragma once
// One streamed chunk from an OpenAI-compatible server (the JSON `data:` of a
// `chat.completion.chunk` or `text_completion` event), reduced to the fields the
// client reads (docs/clients.md). A chunk arrives per token, so the common shape is
// read by simdjson (a `perf record` of a loaded run put nlohmann's DOM parse at
// ~18 % of ipw's CPU); anything else — an error, llama.cpp's `timings`, a field
// of an unexpected type, malformed JSON — is read as an nlohmann DOM, which also
// words the error. The fuzz target `openai_chunk` checks that both readings agree
// wherever the fast one answers.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace simdjson::dom {
class element;
class parser;
}  // namespace simdjson::dom

namespace ipw::inference {

struct OpenAiChoice {
  int index = 0;
  std::string content;            // delta.content (chat)
  std::string reasoning_content;  // delta.reasoning_content (llama.cpp, DeepSeek)
  std::string reasoning;          // delta.reasoning (vLLM and others)
  std::string text;               // text (completions)
  std::string finish_reason;

  void clear();
  bool operator==(const OpenAiChoice&) const = default;
};

struct OpenAiChunk {
  // The first choice with index 0: only it is the answer (ipw asks for n = 1).
  bool has_choice = false;
  OpenAiChoice choice;
  std::optional<int> prompt_tokens, completion_tokens, reasoning_tokens;  // from `usage`
  nlohmann::json server_timings;  // llama.cpp's `timings`; null when absent

  void clear();
  bool operator==(const OpenAiChunk&) const = default;
};

// Reads the chunks of one stream, keeping its buffers from one to the next. `chat`:
// a chat stream's choices carry `delta`, a completion stream's `text`; only that
// one is read (and type-checked).
class OpenAiChunkReader {
 public:
  explicit OpenAiChunkReader(bool chat);
  ~OpenAiChunkReader();

  // Reads data (valid UTF-8) into chunk(); returns "" or what was wrong with it.
  std::string read(std::string_view data);
  const OpenAiChunk& chunk() const { return chunk_; }

  // The two readings, apart, for the differential test. read_fast returns false
  // (chunk() then undefined) for anything but the common shape.
  bool read_fast(std::string_view data);
  std::string read_dom(std::string_view data);

 private:
  // Reads one element of `choices` into current_; false where the DOM reading must judge.
  bool read_choice(const simdjson::dom::element& element);

  bool chat_;
  OpenAiChunk chunk_;
  OpenAiChoice current_;  // the choice being read (fast reading)
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string buffer_;    // the chunk, padded as simdjson reads it
};

}  // namespace ipw::inference
