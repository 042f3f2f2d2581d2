#include "ipw/run/host_info.h"

#include <fstream>
#include <string>
#include <thread>

#include <sys/utsname.h>
#include <unistd.h>

namespace ipw::run {
namespace {

std::string value_after_colon(const std::string& line) {
  const auto pos = line.find(':');
  if (pos == std::string::npos) return {};
  const auto start = line.find_first_not_of(" \t", pos + 1);
  return start == std::string::npos ? std::string() : line.substr(start);
}

std::string first_matching(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return value_after_colon(line);
  }
  return {};
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

}  // namespace

nlohmann::json host_info() {
  nlohmann::json j;
  utsname u{};
  if (::uname(&u) == 0) {
    j["kernel"] = std::string(u.sysname) + " " + u.release;
    j["arch"] = u.machine;
    j["hostname"] = u.nodename;
  }
  j["os"] = os_pretty_name();
  j["cpu_model"] = first_matching("/proc/cpuinfo", "model name");
  j["cpu_count"] = std::thread::hardware_concurrency();
  const std::string mem = first_matching("/proc/meminfo", "MemTotal");
  if (!mem.empty()) j["memory_kb"] = std::stoll(mem);
  return j;
}

}  // namespace ipw::run
