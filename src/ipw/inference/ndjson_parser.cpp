#include "ipw/inference/ndjson_parser.h"

#include <fmt/format.h>

#include "ipw/common/utf8.h"

namespace ipw::inference {

namespace {
constexpr std::size_t kErrorExcerptChars = 120;

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}
}  // namespace

std::vector<NdjsonRecord> NdjsonParser::feed(std::string_view bytes) {
  std::vector<NdjsonRecord> out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t eol = bytes.find('\n', i);
    if (eol == std::string_view::npos) {
      line_.append(bytes.substr(i));
      break;
    }
    line_.append(bytes.substr(i, eol - i));
    i = eol + 1;
    if (auto rec = parse_line()) out.push_back(std::move(*rec));
  }
  return out;
}

std::optional<NdjsonRecord> NdjsonParser::finish() {
  if (line_.empty()) return std::nullopt;
  return parse_line();
}

std::optional<NdjsonRecord> NdjsonParser::parse_line() {
  ++line_no_;
  std::string line = std::move(line_);
  line_.clear();
  if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF line endings
  if (is_blank(line)) return std::nullopt;
  make_valid_utf8(line);  // invalid UTF-8 from a server becomes U+FFFD (docs/reliability.md)
  NdjsonRecord rec;
  rec.line_no = line_no_;
  try {
    rec.value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    const bool cut = line.size() > kErrorExcerptChars;
    rec.error = fmt::format("line {} is not JSON ({}): {}{}", line_no_, e.what(),
                            line.substr(0, kErrorExcerptChars), cut ? "..." : "");
  }
  return rec;
}

}  // namespace ipw::inference
