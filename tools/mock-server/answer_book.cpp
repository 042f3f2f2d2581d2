#include "answer_book.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ipw/workload/source_rows.h"

namespace ipw::mock {
namespace {

std::string text_field(const nlohmann::json& row, const char* name, const std::string& where) {
  auto it = row.find(name);
  if (it == row.end() || it->is_null()) throw std::runtime_error(where + ": missing field '" + name + "'");
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  throw std::runtime_error(where + ": field '" + name + "' must be a string or a number");
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

const std::string& AnswerBook::fixed_reply() {
  static const std::string reply = "This is a scripted reply from the ipw mock server; no answer in its book matched.";
  return reply;
}

AnswerBook AnswerBook::parse(const std::string& jsonl, const std::string& label) {
  workload::BadRowHandler fail = [&](int line, const std::string& problem) {
    throw std::runtime_error(label + ":" + std::to_string(line) + ": " + problem);
  };
  std::vector<Entry> entries;
  try {
    for (const auto& row : workload::parse_jsonl(jsonl, fail)) {
      const std::string where = label + ":" + std::to_string(row.line);
      Entry e{text_field(row.fields, "prompt", where), text_field(row.fields, "answer", where), {}, {}, {}};
      if (auto it = row.fields.find("tool_calls"); it != row.fields.end() && !it->is_null()) {
        if (!it->is_array()) throw std::runtime_error(where + ": field 'tool_calls' must be a list");
        for (const auto& call : *it) {
          if (!call.is_object() || !call.contains("name") || !call["name"].is_string()) {
            throw std::runtime_error(where + ": each tool call needs a \"name\" (and \"arguments\", an object)");
          }
        }
        e.tool_calls = *it;
      }
      if (auto it = row.fields.find("reasoning"); it != row.fields.end() && !it->is_null()) {
        e.reasoning = text_field(row.fields, "reasoning", where);
      }
      if (auto it = row.fields.find("fault"); it != row.fields.end() && !it->is_null()) {
        if (!it->is_string()) throw std::runtime_error(where + ": field 'fault' must be a string");
        try {
          e.fault = parse_fault(it->get<std::string>());
        } catch (const std::invalid_argument& bad) {
          throw std::runtime_error(where + ": " + bad.what());
        }
      }
      // An empty prompt is contained in every request and would shadow all later lines.
      if (e.prompt.empty()) throw std::runtime_error(where + ": empty 'prompt'");
      entries.push_back(std::move(e));
    }
  } catch (const workload::FatalParseError& e) {
    throw std::runtime_error(label + ":" + std::to_string(e.line) + ": " + e.what());
  }
  return AnswerBook(std::move(entries));
}

AnswerBook AnswerBook::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return parse(bytes.str(), path);
}

const AnswerBook::Entry& AnswerBook::entry_for(const std::string& request_text) const {
  static const Entry fixed{"", fixed_reply(), {}, {}, {}};
  for (const Entry& e : entries_) {
    if (request_text.find(e.prompt) != std::string::npos) return e;
  }
  return fixed;
}

std::vector<std::string> split_pieces(const std::string& answer) {
  std::vector<std::string> pieces;
  std::string current;
  bool in_word = false;
  for (char c : answer) {
    if (is_space(c) && in_word && !current.empty()) {
      pieces.push_back(std::move(current));
      current.clear();
      in_word = false;
    }
    if (!is_space(c)) in_word = true;
    current.push_back(c);
  }
  if (in_word) {
    pieces.push_back(std::move(current));
  } else if (!current.empty()) {
    if (pieces.empty()) return {};  // whitespace only: nothing to say
    pieces.back() += current;       // trailing whitespace rides on the last word
  }
  return pieces;
}

int count_words(const std::string& text) {
  int n = 0;
  bool in_word = false;
  for (char c : text) {
    if (!is_space(c) && !in_word) ++n;
    in_word = !is_space(c);
  }
  return n;
}

}  // namespace ipw::mock
