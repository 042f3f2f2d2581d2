#include <map>

#include "ipw/workload/source_rows.h"

namespace ipw::workload {
namespace {

struct Record {
  int line = 0;  // line where the record starts
  std::vector<std::string> cells;
  std::string problem;  // non-empty: a malformed record, reported in line order with the others
};

// Splits RFC 4180 text into records. A quote inside an unquoted field, or text
// after a closing quote, makes a bad record (the rest of that physical line is
// skipped); an unterminated quote swallows the rest of the file, so it is fatal.
class CsvScanner {
 public:
  explicit CsvScanner(std::string_view text) : text_(text) {}

  std::vector<Record> records() {
    std::vector<Record> out;
    while (pos_ < text_.size()) {
      Record rec;
      scan_record(rec);
      if (!is_blank(rec)) out.push_back(std::move(rec));
    }
    return out;
  }

 private:
  static bool is_blank(const Record& r) { return r.problem.empty() && r.cells.size() == 1 && r.cells[0].empty(); }

  bool at_record_end() const {
    return pos_ >= text_.size() || text_[pos_] == '\n' || (text_[pos_] == '\r' && peek(1) == '\n');
  }
  char peek(std::size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void consume_record_end() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }
  void skip_rest_of_line() {
    while (!at_record_end()) ++pos_;
    consume_record_end();
  }

  void scan_record(Record& rec) {
    rec.line = line_;
    while (true) {
      std::string cell;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        if (!scan_quoted(cell, rec)) return;
      } else {
        while (!at_record_end() && text_[pos_] != ',') {
          if (text_[pos_] == '"') {
            rec.problem = "stray quote inside an unquoted field (quote the whole field and double inner quotes)";
            skip_rest_of_line();
            return;
          }
          cell.push_back(text_[pos_++]);
        }
      }
      rec.cells.push_back(std::move(cell));
      if (at_record_end()) {
        consume_record_end();
        return;
      }
      ++pos_;  // the comma
    }
  }

  bool scan_quoted(std::string& cell, Record& rec) {
    const int opened_at = line_;
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) throw FatalParseError(opened_at, "unterminated quoted field (opened on this line)");
      char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          cell.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      cell.push_back(c);
    }
    if (!at_record_end() && text_[pos_] != ',') {
      rec.problem = "unexpected text after a closing quote";
      skip_rest_of_line();
      return false;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<SourceRow> parse_csv(std::string_view text, const BadRowHandler& bad_row) {
  std::vector<Record> records = CsvScanner(strip_bom(text)).records();
  if (records.empty()) return {};
  const Record& header = records.front();
  if (!header.problem.empty()) throw FatalParseError(header.line, "header row: " + header.problem);
  std::map<std::string, int> seen;
  for (const std::string& name : header.cells) {
    if (name.empty()) throw FatalParseError(header.line, "the header row has an empty column name");
    if (seen[name]++) throw FatalParseError(header.line, "the header row names column '" + name + "' twice");
  }
  std::vector<SourceRow> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const Record& rec = records[r];
    if (!rec.problem.empty()) {
      bad_row(rec.line, rec.problem);
      continue;
    }
    if (rec.cells.size() != header.cells.size()) {
      bad_row(rec.line, "expected " + std::to_string(header.cells.size()) + " fields (as in the header), got " +
                            std::to_string(rec.cells.size()));
      continue;
    }
    SourceRow row{rec.line, nlohmann::json::object(), static_cast<int>(r)};
    for (std::size_t c = 0; c < rec.cells.size(); ++c) row.fields[header.cells[c]] = rec.cells[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace ipw::workload
