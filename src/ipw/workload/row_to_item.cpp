#include "ipw/workload/row_to_item.h"

#include <algorithm>
#include <cctype>

#include "ipw/common/text.h"
#include "ipw/workload/dataset.h"
#include "ipw/workload/prompt.h"

namespace ipw::workload {
namespace {

constexpr std::size_t kMaxOptions = 10;  // letters A..J

// The dataset's value for an ipw field, after the field map; null when absent.
class MappedRow {
 public:
  MappedRow(const SourceRow& row, const std::map<std::string, std::string>* field_map) {
    for (const auto& [column, value] : row.fields.items()) fields_[column] = {value, column};
    if (!field_map) return;
    for (const auto& [column, field] : *field_map) {
      auto it = row.fields.find(column);
      // A mapped column replaces a same-named unmapped one; a missing mapped column
      // must not let an unrelated same-named column stand in for it.
      fields_[field] = {it == row.fields.end() ? nlohmann::json() : *it, column};
    }
  }
  const nlohmann::json& value(const std::string& field) const {
    static const nlohmann::json kNull;
    auto it = fields_.find(field);
    return it == fields_.end() ? kNull : it->second.value;
  }
  // How to name the field in a message: "'answer'" or "'answer' (column 'answer_text')".
  std::string describe(const std::string& field) const {
    auto it = fields_.find(field);
    if (it == fields_.end() || it->second.column == field) return "'" + field + "'";
    return "'" + field + "' (column '" + it->second.column + "')";
  }

 private:
  struct Entry {
    nlohmann::json value;
    std::string column;
  };
  std::map<std::string, Entry> fields_;
};

std::string scalar_text(const MappedRow& row, const std::string& field) {
  const nlohmann::json& v = row.value(field);
  if (v.is_null()) return "";
  if (v.is_string()) return trim(v.get<std::string>());
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float() || v.is_boolean()) return v.dump();
  throw RowError("field " + row.describe(field) + " must be a string or a number, got " + v.type_name());
}

std::string required_text(const MappedRow& row, const std::string& field) {
  if (row.value(field).is_null()) throw RowError("missing required field " + row.describe(field));
  std::string text = scalar_text(row, field);
  if (text.empty()) throw RowError("field " + row.describe(field) + " is empty");
  return text;
}

// JSON array of strings/numbers, or (in CSV cells) a JSON array's text or "a | b | c".
std::vector<std::string> options_of(const MappedRow& row) {
  nlohmann::json v = row.value("options");
  if (v.is_null()) return {};
  if (v.is_string()) {
    std::string text = trim(v.get<std::string>());
    if (text.empty()) return {};
    if (text.front() == '[') {
      try {
        v = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception&) {  // parse_error, or out_of_range (1e400)
        throw RowError("field " + row.describe("options") + " starts with '[' but is not a JSON array");
      }
    } else {
      std::vector<std::string> parts;
      std::size_t start = 0;
      while (true) {
        std::size_t bar = text.find('|', start);
        parts.push_back(trim(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start)));
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      v = parts;
    }
  }
  if (!v.is_array()) throw RowError("field " + row.describe("options") + " must be a list, got " + v.type_name());
  std::vector<std::string> options;
  for (const auto& o : v) {
    if (o.is_string()) {
      options.push_back(trim(o.get<std::string>()));
    } else if (o.is_number()) {
      options.push_back(o.dump());
    } else {
      throw RowError("field " + row.describe("options") + " must hold strings, got " + o.type_name());
    }
    if (options.back().empty()) {
      throw RowError("option " + std::to_string(options.size()) + " of " + row.describe("options") + " is empty");
    }
  }
  return options;
}

// Multiple-choice answers are stored as one capital letter: the dataset may give
// "c", "(C)", "C." or the text of the correct option.
std::string mc_answer_letter(const std::string& answer, const std::vector<std::string>& options) {
  std::string core = answer;
  if (core.size() == 3 && core.front() == '(' && core.back() == ')') core = core.substr(1, 1);
  if (core.size() == 2 && (core.back() == '.' || core.back() == ')')) core.pop_back();
  if (core.size() == 1 && std::isalpha(static_cast<unsigned char>(core[0]))) {
    std::size_t index = static_cast<std::size_t>(std::toupper(static_cast<unsigned char>(core[0])) - 'A');
    if (index < options.size()) return option_letter(index);
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i] == answer) return option_letter(i);
  }
  throw RowError("answer '" + answer + "' is neither a letter A.." + option_letter(options.size() - 1) +
                 " nor the text of one of the " + std::to_string(options.size()) + " options");
}

// Earlier turns of a conversation: a list of {"role": user|assistant|system, "content": text}.
std::vector<ChatTurn> context_of(const MappedRow& row) {
  const nlohmann::json& v = row.value("context");
  if (v.is_null()) return {};
  if (!v.is_array()) throw RowError("field " + row.describe("context") + " must be a list of turns, got " + v.type_name());
  std::vector<ChatTurn> turns;
  for (const nlohmann::json& t : v) {
    const nlohmann::json role = t.is_object() ? t.value("role", nlohmann::json()) : nlohmann::json();
    const nlohmann::json content = t.is_object() ? t.value("content", nlohmann::json()) : nlohmann::json();
    if (!role.is_string() || !content.is_string()) {
      throw RowError("turn " + std::to_string(turns.size() + 1) + " of " + row.describe("context") +
                     " must be an object with string 'role' and 'content'");
    }
    const std::string r = role.get<std::string>();
    if (r != "user" && r != "assistant" && r != "system") {
      throw RowError("turn " + std::to_string(turns.size() + 1) + " of " + row.describe("context") + " has role '" + r +
                     "' (expected user, assistant or system)");
    }
    turns.push_back({r, content.get<std::string>()});
  }
  return turns;
}

}  // namespace

Item row_to_item(const SourceRow& row_in, const RowContext& ctx) {
  MappedRow row(row_in, ctx.field_map);
  Item item;
  item.id = required_text(row, "id");
  item.prompt = required_text(row, "prompt");
  item.answer = required_text(row, "answer");
  item.options = options_of(row);
  item.context = context_of(row);

  item.kind = ascii_lower(scalar_text(row, "kind"));
  if (item.kind.empty()) item.kind = item.options.empty() ? "exact" : "mc";
  const auto& kinds = item_kinds();
  if (std::find(kinds.begin(), kinds.end(), item.kind) == kinds.end()) {
    std::string known;
    for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k;
    throw RowError("unknown kind '" + item.kind + "' (expected one of " + known + ")");
  }
  if (item.kind == "mc") {
    if (item.options.size() < 2 || item.options.size() > kMaxOptions) {
      throw RowError("a multiple-choice item needs 2 to " + std::to_string(kMaxOptions) + " options, got " +
                     std::to_string(item.options.size()));
    }
    item.answer = mc_answer_letter(item.answer, item.options);
  }

  item.category = scalar_text(row, "category");
  if (item.category.empty()) item.category = "uncategorised";
  item.source = scalar_text(row, "source");
  if (item.source.empty()) item.source = ctx.default_source;
  return item;
}

}  // namespace ipw::workload
