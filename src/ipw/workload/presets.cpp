// One entry per public format. Column names are those of the files the projects
// publish (their Hugging Face datasets, GPQA's CSV); docs/workloads.md lists them.
#include "ipw/workload/presets.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <regex>

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
  return prefix + "-" + std::to_string(row.record > 0 ? row.record : row.line);
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

// WildChat: the conversation up to its last user turn that has a reply. That turn
// is the prompt, every turn before it goes in as context, and the reply is the
// reference the judge compares against.
void wildchat(SourceRow& row) {
  const json& conv = column(row, "conversation");
  if (!conv.is_array()) throw RowError("missing required field 'conversation' (a list of turns)");
  std::vector<std::pair<std::string, std::string>> turns;  // role, content
  for (const json& turn : conv) {
    if (turn.is_object()) turns.emplace_back(turn.value("role", ""), text(turn.value("content", json())));
  }
  std::size_t prompt_at = turns.size();
  for (std::size_t i = 0; i + 1 < turns.size(); ++i) {
    if (turns[i].first == "user" && turns[i + 1].first == "assistant") prompt_at = i;
  }
  if (prompt_at == turns.size()) {
    const bool any_user = std::any_of(turns.begin(), turns.end(), [](const auto& t) { return t.first == "user"; });
    throw RowError(any_user ? "'conversation' has no assistant turn right after a user turn"
                            : "'conversation' has no user turn");
  }
  json context = json::array();
  for (std::size_t i = 0; i < prompt_at; ++i) context.push_back({{"role", turns[i].first}, {"content", turns[i].second}});
  const json& hash = column(row, "conversation_hash");
  row.fields["id"] = hash.is_null() ? (column(row, "conversation_id").is_null() ? json(synthetic_id("wildchat", row))
                                                                                : column(row, "conversation_id"))
                                    : hash;
  row.fields["prompt"] = turns[prompt_at].second;
  row.fields["answer"] = turns[prompt_at + 1].second;
  row.fields["context"] = context;
  row.fields["kind"] = "chat";
  const std::string language = trimmed(column(row, "language"));
  row.fields["category"] = language.empty() ? "chat" : language;
  row.fields["source"] = "wildchat";
}

// SimpleQA: short factual questions, judged True/False against the reference (the
// paper's protocol; an exact match would fail "Paris, France" against "Paris").
// The topic is in `metadata`, a Python dict's text in the published files.
void simpleqa(SourceRow& row) {
  row.fields["id"] = synthetic_id("simpleqa", row);
  copy(row, "problem", "prompt");
  copy(row, "answer", "answer");
  row.fields["kind"] = "reasoning";
  const json& meta = column(row, "metadata");
  std::string topic;
  if (meta.is_object()) {
    topic = text(meta.value("topic", json()));
  } else if (meta.is_string()) {
    static const std::regex topic_re(R"(['"]topic['"]\s*:\s*['"]([^'"]*)['"])");
    std::smatch m;
    const std::string s = meta.get<std::string>();
    if (std::regex_search(s, m, topic_re)) topic = m[1].str();
  }
  row.fields["category"] = topic.empty() ? "simpleqa" : topic;
  row.fields["source"] = "simpleqa";
}

// The reference harness's mixed workload (its bundled `mixed_1k_seed1_base`, a
// `save_to_disk` folder): each row names its origin in `dataset_metadata`, a JSON
// text whose config.dataset_name picks the judging protocol, as the harness does.
void ipw_mixed(SourceRow& row) {
  row.fields["id"] = synthetic_id("ipw-mixed", row);
  copy(row, column(row, "problem").is_null() ? "prompt" : "problem", "prompt");
  copy(row, column(row, "answer").is_null() ? "expected_answer" : "answer", "answer");
  const std::string subject = trimmed(column(row, "subject"));
  row.fields["category"] = subject.empty() ? "general" : subject;
  const json& raw = column(row, "dataset_metadata");
  const json meta = raw.is_string() ? json::parse(raw.get<std::string>(), nullptr, false) : raw;
  if (!meta.is_object()) throw RowError("'dataset_metadata' is not a JSON object");
  const json config = meta.value("config", json::object());
  const std::string origin = config.is_object() ? text(config.value("dataset_name", json())) : "";
  static const std::vector<std::array<const char*, 3>> kOrigins = {
      // dataset_name, kind, source
      {"allenai/WildChat", "chat", "wildchat"},
      {"lmsys/lmsys-chat-1m", "chat", "lmsys-chat"},
      {"facebook/natural_reasoning", "reasoning", "natural-reasoning"},
  };
  for (const auto& [name, kind, source] : kOrigins) {
    if (origin == name) {
      row.fields["kind"] = kind;
      row.fields["source"] = source;
      return;
    }
  }
  throw RowError("'dataset_metadata' names the dataset '" + origin +
                 "', which the ipw-mixed layout does not know (allenai/WildChat, lmsys/lmsys-chat-1m, "
                 "facebook/natural_reasoning)");
}

// A column of the preset's layout: {"name"} or {"a", "b"} alternatives.
PresetColumn need(std::vector<std::string> names, const char* field = "") { return {std::move(names), true, field}; }
PresetColumn maybe(std::vector<std::string> names, const char* field = "") { return {std::move(names), false, field}; }

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = {
      {"mmlu-pro", "jsonl", "TIGER-Lab/MMLU-Pro", "multiple choice, up to 10 options; the letter, else from answer_index",
       {need({"question_id"}, "id"), need({"question"}, "prompt"), need({"options"}, "options"),
        need({"answer", "answer_index"}, "answer"), maybe({"category"}, "category")},
       mmlu_pro},
      {"supergpqa", "jsonl", "m-a-p/SuperGPQA", "multiple choice; answer_letter, else the answer's option text",
       {need({"uuid"}, "id"), need({"question"}, "prompt"), need({"options"}, "options"),
        need({"answer_letter", "answer"}, "answer"), maybe({"discipline"}, "category")},
       supergpqa},
      {"gpqa", "csv", "Idavidrein/gpqa (GPQA Diamond, Main, Extended)",
       "multiple choice of 4, shuffled per Record ID so the answer is not always A",
       {need({"Question"}, "prompt"), need({"Correct Answer"}), need({"Incorrect Answer 1"}),
        need({"Incorrect Answer 2"}), need({"Incorrect Answer 3"}), maybe({"Record ID"}, "id"),
        maybe({"High-level domain"}, "category")},
       gpqa},
      {"math500", "jsonl", "HuggingFaceH4/MATH-500", "numeric when the answer is a plain number, else exact match",
       {need({"unique_id"}, "id"), need({"problem"}, "prompt"), need({"answer"}, "answer"),
        maybe({"subject"}, "category")},
       math500},
      {"natural-reasoning", "jsonl", "facebook/natural_reasoning", "open questions, judged against the reference answer",
       {need({"question"}, "prompt"), need({"reference_answer"}, "answer"), maybe({"id"}, "id")}, natural_reasoning},
      {"wildchat", "jsonl", "allenai/WildChat",
       "the last user turn with a reply is the prompt, earlier turns its context, the reply the judge's reference",
       {need({"conversation"}), maybe({"conversation_hash", "conversation_id"}, "id"), maybe({"language"}, "category")},
       wildchat},
      {"simpleqa", "csv", "basicv8vc/SimpleQA (OpenAI simple_qa_test_set.csv)",
       "short factual questions, judged against the reference; the topic from metadata",
       {need({"problem"}, "prompt"), need({"answer"}, "answer"), maybe({"metadata"}, "category")}, simpleqa},
      {"ipw-mixed", "arrow", "the reference harness's mixed workload (mixed_1k_seed1_base)",
       "WildChat and LMSYS rows judged pairwise, NaturalReasoning rows against the reference",
       {need({"problem", "prompt"}, "prompt"), need({"answer", "expected_answer"}, "answer"),
        need({"dataset_metadata"}), maybe({"subject"}, "category")},
       ipw_mixed},
  };
  return table;
}

std::string describe(const PresetColumn& c) {
  std::string out;
  for (const std::string& n : c.names) out += (out.empty() ? "'" : " or '") + n + "'";
  return c.required ? out : out + " (optional)";
}

std::string format_listing() {
  std::string out =
      "File formats (--format, or auto by extension): jsonl (.jsonl .ndjson .json), csv (.csv), parquet (.parquet, "
      "through DuckDB's library), arrow (.arrow .feather: Arrow IPC).\n"
      "A folder of a dataset's files is read too: a Hugging Face download (one split, --split) or a save_to_disk "
      "folder.\n\nPresets (--format NAME): a public benchmark's own columns, in any file format.\n";
  for (const Preset& p : presets()) {
    out += "\n" + p.name + "  " + p.origin + "\n  " + p.summary + "\n  columns:";
    std::string cols;
    for (const PresetColumn& c : p.columns) cols += (cols.empty() ? " " : ", ") + describe(c);
    out += cols + "\n";
  }
  return out;
}

const Preset* find_preset(const std::string& name) {
  for (const Preset& p : presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace ipw::workload
