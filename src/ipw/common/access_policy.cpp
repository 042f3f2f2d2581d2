#include "ipw/common/access_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "ipw/common/text.h"

namespace ipw {
namespace {

}  // namespace

bool is_loopback_address(const std::string& host_in) {
  std::string host = host_in;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (ascii_lower(host) == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const unsigned char kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(v6.s6_addr, kLoop, 16) == 0) return true;
    // IPv4-mapped ::ffff:127.x.y.z
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, kMapped, 12) == 0 && v6.s6_addr[12] == 127;
  }
  return false;  // a host name other than localhost may resolve anywhere
}

std::string check_bind_policy(const std::string& bind, const std::string& token, bool insecure,
                              const std::string& exposes) {
  if (is_loopback_address(bind) || !token.empty() || insecure) return {};
  return "--bind " + bind + " is not a loopback address: anyone who can reach it could " + exposes + ". "
         "Give --token-file FILE (or --token) so clients must present it, or --insecure to allow "
         "unauthenticated access on purpose";
}

bool bearer_matches(const std::string& authorization, const std::string& token) {
  if (token.empty()) return false;
  static const std::string kScheme = "bearer ";
  if (authorization.size() < kScheme.size() || ascii_lower(authorization.substr(0, kScheme.size())) != kScheme) {
    return false;
  }
  const std::string given = authorization.substr(kScheme.size());
  // Constant time over the token's length; a length mismatch still costs one pass.
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff = static_cast<unsigned char>(diff | (g ^ static_cast<unsigned char>(token[i])));
  }
  return diff == 0;
}

}  // namespace ipw
