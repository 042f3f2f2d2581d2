#pragma once
// Apple's `powermetrics -f plist` writes one XML property list per sample,
// each followed by a NUL byte. This file splits such a byte stream into
// documents and parses the plist subset powermetrics uses (dict, array, key,
// string, integer, real, true/false, date, data) into JSON. Anything outside
// a plist that is not whitespace (e.g. "powermetrics must be invoked as the
// superuser") is reported as an error, never skipped: a silent stream must
// not turn into 0 W.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

// Parses one plist document (text); the error names what and where.
Expected<nlohmann::json, std::string> parse_plist(const std::string& xml);

// Incremental splitter: feed bytes as they arrive, take complete documents.
class PlistStream {
 public:
  struct Chunk {
    bool is_plist = false;
    std::string text;  // the document, or the stray non-plist text (trimmed)
  };
  void feed(const char* data, std::size_t n);
  void feed(const std::string& s) { feed(s.data(), s.size()); }
  // Complete chunks so far (documents ended by NUL or </plist>, and stray text
  // ended by a newline or NUL); removed from the buffer.
  std::vector<Chunk> take();
  // Whatever is left when the stream ends (a truncated document or text).
  std::string pending() const { return buffer_; }

 private:
  std::string buffer_;
};

}  // namespace ipw::telemetry
