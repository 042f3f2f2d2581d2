#include "ipw/common/utc_time.h"

#include <chrono>
#include <ctime>

namespace ipw {

std::string utc_now(const char* pattern) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, pattern, &tm);
  return buf;
}

std::string utc_now_iso() { return utc_now("%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace ipw
