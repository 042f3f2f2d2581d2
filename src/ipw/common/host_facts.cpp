#include "ipw/common/host_facts.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace ipw {
namespace {

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

std::string os_release(const std::string& root, const std::string& key) {
  std::ifstream in(root + "/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return unquote(line.substr(key.size() + 1));
  }
  return {};
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<double> meminfo_kb(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    try {
      return std::stod(line.substr(key.size() + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

HostFacts read_host_facts(const std::string& root) {
  HostFacts f;
  f.os_name = os_release(root, "NAME");
  f.os_version = os_release(root, "VERSION_ID");
  f.os_pretty_name = os_release(root, "PRETTY_NAME");
  f.memory_total_kb = meminfo_kb(read_all(root + "/proc/meminfo"), "MemTotal");
  {
    std::ifstream in(root + "/proc/cpuinfo");
    std::string line;
    std::uint32_t processors = 0;
    while (std::getline(in, line)) {
      if (line.rfind("processor", 0) == 0) ++processors;
      if (f.cpu_brand.empty() && line.rfind("model name", 0) == 0) {
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          const auto start = line.find_first_not_of(" \t", colon + 1);
          if (start != std::string::npos) f.cpu_brand = line.substr(start);
        }
      }
    }
    f.cpu_count = processors;
  }
  if (root.empty()) {
    utsname u{};
    if (::uname(&u) == 0) {
      f.kernel_name = u.sysname;
      f.kernel_version = u.release;
      f.arch = u.machine;
      f.host_name = u.nodename;
    }
    if (f.cpu_count == 0) f.cpu_count = std::thread::hardware_concurrency();
  } else {
    std::ifstream k(root + "/proc/sys/kernel/osrelease");
    std::getline(k, f.kernel_version);
    std::ifstream h(root + "/proc/sys/kernel/hostname");
    std::getline(h, f.host_name);
  }
  return f;
}

std::optional<double> used_memory_mb(const std::string& root) {
  const std::string text = read_all(root + "/proc/meminfo");
  const auto total = meminfo_kb(text, "MemTotal");
  const auto avail = meminfo_kb(text, "MemAvailable");
  if (!total || !avail) return std::nullopt;
  return (*total - *avail) / 1024.0;
}

}  // namespace ipw
