// One entry per public format. Column names are those of the files the projects
// publish (Hugging Face datasets exported as JSONL, GPQA's CSV).
#include "ipw/workload/presets.h"

#include <algorithm>
#include <cstdint>

#include "ipw/common/text.h"
#include "ipw/workload/row_to_item.h"

namespace ipw::workload {
namespace {

using nlohmann::json;

const json& column(const SourceRow& row, const char* name) {
  static const json kNull;
  auto it = row.fields.find(name);
  return it == row.fields.end() ? kNull : *it;
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

std::string trimmed(const json& v) { return trim(text(v)); }

void copy(SourceRow& row, const char* from, const char* to) {
  const json& v = column(row, from);
  if (!v.is_null()) row.fields[to] = v;
}

std::string synthetic_id(const std::string& prefix, const SourceRow& row) {
  return prefix + "-" + std::to_string(row.line);
}

// A stable pseudo-random order for GPQA's options, from the record id (FNV-1a),
// so the correct answer is not always A and a rerun shows the same letters.
std::vector<std::size_t> stable_order(const std::string& key, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  for (std::size_t i = n; i > 1; --i) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    std::swap(order[i - 1], order[h % i]);
  }
  return order;
}

// MATH answers are LaTeX; only plain numbers go to the numeric scorer.
bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  std::string rest = s;
  for (const char* strip : {"\\dfrac", "\\frac", "{", "}", "$", "\\!", ","}) {
    for (std::size_t at; (at = rest.find(strip)) != std::string::npos;) rest.erase(at, std::string(strip).size());
  }
  if (rest.empty()) return false;
  return std::all_of(rest.begin(), rest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/' || c == ' '; }) &&
         std::any_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void mmlu_pro(SourceRow& row) {
  copy(row, "question_id", "id");
  copy(row, "question", "prompt");
  copy(row, "options", "options");
  copy(row, "category", "category");
  if (!column(row, "answer").is_null()) {
    copy(row, "answer", "answer");
  } else if (column(row, "answer_index").is_number_integer()) {
    row.fields["answer"] = std::string(1, static_cast<char>('A' + column(row, "answer_index").get<int>()));
  }
  row.fields["kind"] = "mc";
  row.fields["source"] = "mmlu-pro";
}

void supergpqa(SourceRow& row) {
  copy(row, "uuid", "id");
  copy(row, "question", "prompt");
  copy(row, "options", "options");
  copy(row, "discipline", "category");
  // answer_letter when present; otherwise "answer" holds the option text, which
  // the loader turns into its letter.
  copy(row, column(row, "answer_letter").is_null() ? "answer" : "answer_letter", "answer");
  row.fields["kind"] = "mc";
  row.fields["source"] = "supergpqa";
}

void gpqa(SourceRow& row) {
  const std::string correct = trimmed(column(row, "Correct Answer"));
  if (correct.empty()) throw RowError("missing required field 'Correct Answer'");
  std::vector<std::string> answers = {correct};
  for (const char* col : {"Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"}) {
    const std::string wrong = trimmed(column(row, col));
    if (wrong.empty()) throw RowError(std::string("missing required field '") + col + "'");
    answers.push_back(wrong);
  }
  std::string id = trimmed(column(row, "Record ID"));
  if (id.empty()) id = synthetic_id("gpqa", row);
  const std::vector<std::size_t> order = stable_order(id, answers.size());
  json options = json::array();
  std::string letter;
  for (std::size_t i = 0; i < order.size(); ++i) {
    options.push_back(answers[order[i]]);
    if (order[i] == 0) letter = std::string(1, static_cast<char>('A' + i));
  }
  row.fields["id"] = id;
  copy(row, "Question", "prompt");
  row.fields["options"] = options;
  row.fields["answer"] = letter;
  copy(row, "High-level domain", "category");
  row.fields["kind"] = "mc";
  row.fields["source"] = "gpqa";
}

void math500(SourceRow& row) {
  copy(row, "unique_id", "id");
  copy(row, "problem", "prompt");
  copy(row, "answer", "answer");
  copy(row, "subject", "category");
  row.fields["kind"] = looks_numeric(trimmed(column(row, "answer"))) ? "numeric" : "exact";
  row.fields["source"] = "math500";
}

// Kind "reasoning": judged True/False against the reference answer (the paper's
// NaturalReasoning protocol), where "chat" is judged pairwise (WildChat).
void natural_reasoning(SourceRow& row) {
  row.fields["id"] = column(row, "id").is_null() ? json(synthetic_id("nr", row)) : column(row, "id");
  copy(row, "question", "prompt");
  copy(row, "reference_answer", "answer");
  row.fields["kind"] = "reasoning";
  row.fields["category"] = "reasoning";
  row.fields["source"] = "natural-reasoning";
}

// WildChat: the first user turn is the prompt, the first assistant turn after it the reference.
void wildchat(SourceRow& row) {
  const json& conv = column(row, "conversation");
  if (!conv.is_array()) throw RowError("missing required field 'conversation' (a list of turns)");
  std::string prompt, reference;
  for (const json& turn : conv) {
    if (!turn.is_object()) continue;
    const std::string role = turn.value("role", "");
    const std::string content = text(turn.value("content", json()));
    if (prompt.empty() && role == "user") {
      prompt = content;
    } else if (!prompt.empty() && role == "assistant") {
      reference = content;
      break;
    }
  }
  if (prompt.empty()) throw RowError("'conversation' has no user turn");
  if (reference.empty()) throw RowError("'conversation' has no assistant turn after the first user turn");
  const json& hash = column(row, "conversation_hash");
  row.fields["id"] = hash.is_null() ? (column(row, "conversation_id").is_null() ? json(synthetic_id("wildchat", row))
                                                                                : column(row, "conversation_id"))
                                    : hash;
  row.fields["prompt"] = prompt;
  row.fields["answer"] = reference;
  row.fields["kind"] = "chat";
  const std::string language = trimmed(column(row, "language"));
  row.fields["category"] = language.empty() ? "chat" : language;
  row.fields["source"] = "wildchat";
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = {
      {"mmlu-pro", "jsonl", "TIGER-Lab/MMLU-Pro: question, options[], answer (letter) | answer_index, category",
       mmlu_pro},
      {"supergpqa", "jsonl", "m-a-p/SuperGPQA: uuid, question, options[], answer_letter | answer (text), discipline",
       supergpqa},
      {"gpqa", "csv",
       "Idavidrein/gpqa CSV: Question, Correct Answer, Incorrect Answer 1-3 (shuffled per Record ID), "
       "High-level domain",
       gpqa},
      {"math500", "jsonl", "HuggingFaceH4/MATH-500: problem, answer, subject, unique_id (numeric or exact)", math500},
      {"natural-reasoning", "jsonl", "facebook/natural_reasoning: question, reference_answer (judged)",
       natural_reasoning},
      {"wildchat", "jsonl", "allenai/WildChat: conversation[] (first user turn, first reply as reference)", wildchat},
  };
  return table;
}

const Preset* find_preset(const std::string& name) {
  for (const Preset& p : presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace ipw::workload
