#include "ipw/telemetry/powermetrics_plist.h"

#include <cctype>
#include <cstdlib>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

// A small recursive-descent reader over the plist's XML. Not a general XML
// parser: no namespaces or CDATA, which plists never contain.
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}

  Expected<nlohmann::json, std::string> document() {
    skip_prolog();
    auto open = tag();
    if (!open) return unexpected(open.error());
    if (open->name != "plist") return fail("expected <plist>, found <" + open->name + ">");
    if (open->self_closing) return nlohmann::json(nullptr);
    auto v = value();
    if (!v) return v;
    auto close = tag();
    if (!close || close->name != "/plist") return fail("expected </plist>");
    return v;
  }

 private:
  struct Tag {
    std::string name;  // "dict", "/dict", "true"…
    bool self_closing = false;
  };

  Unexpected<std::string> fail(const std::string& what) const {
    std::size_t line = 1;
    for (std::size_t i = 0; i < pos_ && i < s_.size(); ++i) line += s_[i] == '\n' ? 1 : 0;
    return unexpected("plist line " + std::to_string(line) + ": " + what);
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // Skips <?xml …?>, <!DOCTYPE …> and comments.
  void skip_prolog() {
    while (true) {
      skip_space();
      if (s_.compare(pos_, 2, "<?") == 0) {
        const auto e = s_.find("?>", pos_);
        pos_ = e == std::string::npos ? s_.size() : e + 2;
      } else if (s_.compare(pos_, 4, "<!--") == 0) {
        const auto e = s_.find("-->", pos_);
        pos_ = e == std::string::npos ? s_.size() : e + 3;
      } else if (s_.compare(pos_, 2, "<!") == 0) {
        const auto e = s_.find('>', pos_);
        pos_ = e == std::string::npos ? s_.size() : e + 1;
      } else {
        return;
      }
    }
  }

  Expected<Tag, std::string> tag() {
    skip_prolog();
    if (pos_ >= s_.size() || s_[pos_] != '<') return fail("expected a tag");
    const auto end = s_.find('>', pos_);
    if (end == std::string::npos) return fail("unterminated tag");
    std::string inner = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    Tag t;
    if (!inner.empty() && inner.back() == '/') {
      t.self_closing = true;
      inner.pop_back();
    }
    const auto sp = inner.find_first_of(" \t\r\n");
    t.name = inner.substr(0, sp);  // attributes (version="1.0") are ignored
    return t;
  }

  // Text up to the closing tag </name>, entity-decoded.
  Expected<std::string, std::string> text_until(const std::string& name) {
    const std::string close = "</" + name + ">";
    const auto end = s_.find(close, pos_);
    if (end == std::string::npos) return fail("missing " + close);
    std::string raw = s_.substr(pos_, end - pos_);
    pos_ = end + close.size();
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const auto semi = raw.find(';', i);
      if (semi == std::string::npos) return fail("bad entity in <" + name + ">");
      const std::string ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "amp")
        out += '&';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (!ent.empty() && ent[0] == '#') {
        const long code = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                              ? std::strtol(ent.c_str() + 2, nullptr, 16)
                              : std::strtol(ent.c_str() + 1, nullptr, 10);
        out += code > 0 && code < 128 ? static_cast<char>(code) : '?';
      } else {
        return fail("unknown entity &" + ent + ";");
      }
      i = semi;
    }
    return out;
  }

  Expected<nlohmann::json, std::string> value() {
    auto t = tag();
    if (!t) return unexpected(t.error());
    return value_of(*t);
  }

  Expected<nlohmann::json, std::string> value_of(const Tag& t) {
    if (t.name == "true" || t.name == "false") {
      if (!t.self_closing) {
        auto close = tag();
        if (!close || close->name != "/" + t.name) return fail("expected </" + t.name + ">");
      }
      return nlohmann::json(t.name == "true");
    }
    if (t.name == "dict") return t.self_closing ? nlohmann::json::object() : dict();
    if (t.name == "array") return t.self_closing ? nlohmann::json::array() : array();
    if (t.self_closing) {
      if (t.name == "string" || t.name == "date" || t.name == "data") return nlohmann::json("");
      return fail("empty <" + t.name + "/>");
    }
    auto text = text_until(t.name);
    if (!text) return unexpected(text.error());
    if (t.name == "string" || t.name == "date" || t.name == "data") return nlohmann::json(*text);
    if (t.name == "integer" || t.name == "real") {
      const std::string v = *text;
      char* end = nullptr;
      const char* begin = v.c_str();
      while (std::isspace(static_cast<unsigned char>(*begin))) ++begin;
      if (t.name == "integer") {
        const long long i = std::strtoll(begin, &end, 10);
        if (end == begin || !only_space(end)) return fail("bad <integer> '" + v + "'");
        return nlohmann::json(i);
      }
      const double d = std::strtod(begin, &end);
      if (end == begin || !only_space(end)) return fail("bad <real> '" + v + "'");
      return nlohmann::json(d);
    }
    return fail("unsupported element <" + t.name + ">");
  }

  static bool only_space(const char* p) {
    while (*p != '\0') {
      if (!std::isspace(static_cast<unsigned char>(*p))) return false;
      ++p;
    }
    return true;
  }

  Expected<nlohmann::json, std::string> dict() {
    nlohmann::json out = nlohmann::json::object();
    while (true) {
      auto t = tag();
      if (!t) return unexpected(t.error());
      if (t->name == "/dict") return out;
      if (t->name != "key") return fail("expected <key> in <dict>, found <" + t->name + ">");
      auto key = text_until("key");
      if (!key) return unexpected(key.error());
      auto v = value();
      if (!v) return v;
      out[*key] = std::move(*v);
    }
  }

  Expected<nlohmann::json, std::string> array() {
    nlohmann::json out = nlohmann::json::array();
    while (true) {
      auto t = tag();
      if (!t) return unexpected(t.error());
      if (t->name == "/array") return out;
      auto v = value_of(*t);
      if (!v) return v;
      out.push_back(std::move(*v));
    }
  }

  const std::string& s_;
  std::size_t pos_ = 0;
};

}  // namespace

Expected<nlohmann::json, std::string> parse_plist(const std::string& xml) {
  return Reader(xml).document();
}

void PlistStream::feed(const char* data, std::size_t n) {
  buffer_.append(data, n);
}

std::vector<PlistStream::Chunk> PlistStream::take() {
  std::vector<Chunk> out;
  static const std::string kEnd = "</plist>";
  while (true) {
    const auto first = buffer_.find_first_not_of(std::string(" \t\r\n\0", 5));
    if (first == std::string::npos) {
      buffer_.clear();
      return out;
    }
    buffer_.erase(0, first);
    if (buffer_[0] == '<') {
      // A document ends at </plist> (the NUL after it is optional at stream end).
      const auto end = buffer_.find(kEnd);
      if (end == std::string::npos) return out;
      out.push_back({true, buffer_.substr(0, end + kEnd.size())});
      buffer_.erase(0, end + kEnd.size());
    } else {
      // Stray text, e.g. an error message: complete at a newline or NUL.
      const auto end = buffer_.find_first_of(std::string("\n\0", 2));
      if (end == std::string::npos) return out;
      out.push_back({false, trim(buffer_.substr(0, end))});
      buffer_.erase(0, end + 1);
    }
  }
}

}  // namespace ipw::telemetry
