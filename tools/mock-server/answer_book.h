#pragma once
// The mock server's script: which answer to give to which prompt.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faults.h"

namespace ipw::mock {

class AnswerBook {
 public:
  struct Entry {
    std::string prompt;
    std::string answer;
    std::string reasoning;  // the line's "reasoning": thinking streamed before the answer
    Fault fault;  // the line's "fault" (faults.h); none when absent
    // The line's "tool_calls": [{"name": …, "arguments": {…}}]. A chat request whose
    // conversation has no tool result after its last user message is answered with
    // these calls; once a tool message follows, with `answer` (docs/mock-server.md).
    nlohmann::json tool_calls;
  };

  // What the server says when no entry matches (or no --answers file was given).
  static const std::string& fixed_reply();

  AnswerBook() = default;
  explicit AnswerBook(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // JSONL lines {"prompt": …, "answer": …, "fault": SPEC?}; other fields are ignored, so
  // ipw's own workload files work. Throws std::runtime_error naming FILE:LINE on a bad line.
  static AnswerBook parse(const std::string& jsonl, const std::string& label);
  static AnswerBook load(const std::string& path);

  // The first entry whose prompt occurs in `request_text` (the fixed reply's entry when none).
  const Entry& entry_for(const std::string& request_text) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

// Splits an answer into streamed pieces: each piece is one whitespace-separated
// word with the whitespace before it, so the pieces concatenate to the answer.
std::vector<std::string> split_pieces(const std::string& answer);
// Whitespace-separated words (the mock's notion of a token, for usage counts).
int count_words(const std::string& text);

}  // namespace ipw::mock
