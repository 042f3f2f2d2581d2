#pragma once
// The host facts the reference stream carries (SystemInfo) and its system
// memory figure. Read from /etc/os-release, uname and /proc under a root
// directory that tests point at a fixture tree.
#include <cstdint>
#include <optional>
#include <string>

namespace ipw::monitor {

struct HostFacts {
  std::string os_name;         // os-release NAME, e.g. "Debian GNU/Linux"
  std::string os_version;      // os-release VERSION_ID, e.g. "12"
  std::string kernel_version;  // uname release
  std::string host_name;
  std::uint32_t cpu_count = 0;
  std::string cpu_brand;       // /proc/cpuinfo "model name"
};

// root: "" for the real machine, else a directory holding etc/ and proc/.
// Missing files leave fields empty; never throws.
HostFacts read_host_facts(const std::string& root = "");

// MemTotal - MemAvailable from <root>/proc/meminfo, in MiB; empty if unreadable.
std::optional<double> used_memory_mb(const std::string& root = "");

}  // namespace ipw::monitor
