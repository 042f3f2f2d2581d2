#include "ipw/common/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "ipw/common/text.h"

namespace ipw {
namespace {

constexpr std::string_view kMask = "***";

// Names of query parameters that carry credentials in the APIs users point ipw
// at (OpenAI-compatible gateways, Azure, signed URLs). Matched on the lowered
// name, as a whole word or a `_`/`-` separated part of it (api_key, x-api-key).
constexpr std::array<std::string_view, 12> kSecretWords = {
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "auth", "authorization",
    "signature", "sig", "credential"};

bool secret_name(std::string_view name) {
  const std::string lower = ascii_lower(name);
  std::size_t start = 0;
  while (start <= lower.size()) {
    std::size_t end = lower.find_first_of("_-.", start);
    if (end == std::string::npos) end = lower.size();
    const std::string_view part = std::string_view(lower).substr(start, end - start);
    for (std::string_view w : kSecretWords) {
      if (part == w) return true;
    }
    start = end + 1;
  }
  return false;
}

// The query string [begin, end) of a URL with secret values masked.
std::string redact_query(std::string_view q) {
  std::string out;
  std::size_t i = 0;
  while (i <= q.size()) {
    std::size_t amp = q.find('&', i);
    if (amp == std::string_view::npos) amp = q.size();
    const std::string_view pair = q.substr(i, amp - i);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && secret_name(pair.substr(0, eq)) && eq + 1 < pair.size()) {
      out.append(pair.substr(0, eq + 1)).append(kMask);
    } else {
      out.append(pair);
    }
    if (amp < q.size()) out.push_back('&');
    i = amp + 1;
  }
  return out;
}

bool url_char(char c) {
  return std::isgraph(static_cast<unsigned char>(c)) != 0 && c != '"' && c != '\'' && c != '<' && c != '>';
}

}  // namespace

std::string redact_url(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const std::size_t host = scheme + 3;
  std::size_t authority_end = url.find_first_of("/?#", host);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string out;
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos && at >= host) {
    out.append(url.substr(0, host)).append(kMask).append(url.substr(at, authority_end - at));
  } else {
    out.append(url.substr(0, authority_end));
  }
  const std::size_t query = url.find('?', authority_end);
  if (query == std::string_view::npos) return out.append(url.substr(authority_end));
  std::size_t fragment = url.find('#', query);
  if (fragment == std::string_view::npos) fragment = url.size();
  out.append(url.substr(authority_end, query + 1 - authority_end));
  out.append(redact_query(url.substr(query + 1, fragment - query - 1)));
  return out.append(url.substr(fragment));
}

std::string redact_urls(std::string_view text) {
  std::string out;
  std::size_t done = 0;
  for (std::size_t p = text.find("://"); p != std::string_view::npos; p = text.find("://", p + 3)) {
    std::size_t begin = p;
    while (begin > done && std::isalnum(static_cast<unsigned char>(text[begin - 1])) != 0) --begin;
    std::size_t end = p + 3;
    while (end < text.size() && url_char(text[end])) ++end;
    out.append(text.substr(done, begin - done)).append(redact_url(text.substr(begin, end - begin)));
    done = end;
    p = end > 3 ? end - 3 : end;
  }
  return out.append(text.substr(done));
}

bool url_has_secret(std::string_view url) { return redact_url(url) != url; }

}  // namespace ipw
