#include "faults.h"

#include <stdexcept>
#include <vector>

namespace ipw::mock {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

long long number(const std::string& spec, const std::string& text, long long lo, long long hi) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi) {
    throw std::invalid_argument("fault '" + spec + "': '" + text + "' is not a number in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  }
  return v;
}

}  // namespace

Fault parse_fault(const std::string& spec) {
  const std::vector<std::string> p = split(spec, ':');
  const std::string& name = p[0];
  Fault f;
  const auto args = [&](std::size_t lo, std::size_t hi) {
    if (p.size() - 1 < lo || p.size() - 1 > hi) {
      throw std::invalid_argument("fault '" + spec + "': '" + name + "' takes " +
                                  (lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi)) +
                                  " argument(s) after ':' (see ipw-mock-server --help)");
    }
  };
  const auto after = [&](Fault::Kind k) {
    args(1, 1);
    f.kind = k;
    f.after_tokens = static_cast<int>(number(spec, p[1], 0, 1'000'000));
  };
  if (name == "stall") {
    after(Fault::Kind::stall);
  } else if (name == "reset") {
    after(Fault::Kind::reset);
  } else if (name == "invalid_utf8") {
    after(Fault::Kind::invalid_utf8);
  } else if (name == "malformed") {
    after(Fault::Kind::malformed);
  } else if (name == "error_event") {
    after(Fault::Kind::error_event);
  } else if (name == "status") {
    args(1, 2);
    f.kind = Fault::Kind::status;
    f.status = static_cast<int>(number(spec, p[1], 400, 599));
    if (p.size() == 3) f.retry_after_s = static_cast<int>(number(spec, p[2], 0, 86400));
  } else if (name == "html") {
    args(0, 0);
    f.kind = Fault::Kind::html;
  } else if (name == "slow_headers") {
    args(1, 1);
    f.kind = Fault::Kind::slow_headers;
    f.delay_ms = static_cast<double>(number(spec, p[1], 0, 3'600'000));
  } else if (name == "huge_token") {
    args(1, 1);
    f.kind = Fault::Kind::huge_token;
    f.bytes = static_cast<std::size_t>(number(spec, p[1], 1, 1LL << 30));
  } else {
    throw std::invalid_argument("unknown fault '" + spec +
                                "' (stall:K, reset:K, invalid_utf8:K, malformed:K, error_event:K, status:CODE[:S], "
                                "html, slow_headers:MS, huge_token:BYTES)");
  }
  return f;
}

}  // namespace ipw::mock
