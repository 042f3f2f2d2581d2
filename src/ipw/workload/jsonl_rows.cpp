#include "ipw/workload/source_rows.h"

namespace ipw::workload {

std::vector<SourceRow> parse_jsonl(std::string_view text, const BadRowHandler& bad_row) {
  text = strip_bom(text);
  std::vector<SourceRow> rows;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (line_no == 1 && line[line.find_first_not_of(" \t")] == '[') {
      throw FatalParseError(line_no, "this looks like a JSON array; ipw reads JSONL (one JSON object per line)");
    }
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
      // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the useful part.
      std::string what = e.what();
      if (auto cut = what.find("] "); cut != std::string::npos) what = what.substr(cut + 2);
      bad_row(line_no, "malformed JSON: " + what);
      continue;
    }
    if (!value.is_object()) {
      bad_row(line_no, std::string("expected a JSON object, got ") + value.type_name());
      continue;
    }
    rows.push_back({line_no, std::move(value)});
  }
  return rows;
}

}  // namespace ipw::workload
