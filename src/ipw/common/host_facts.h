#pragma once
// What machine this is: the run manifest's `host` (run/host_info.h) and the
// monitor's SystemInfo and memory figure. Read from /etc/os-release, uname and
// /proc under a root directory that tests point at a fixture tree.
#include <cstdint>
#include <optional>
#include <string>

namespace ipw {

struct HostFacts {
  std::string os_name;         // os-release NAME, e.g. "Debian GNU/Linux"
  std::string os_version;      // os-release VERSION_ID, e.g. "12"
  std::string os_pretty_name;  // os-release PRETTY_NAME, e.g. "Debian GNU/Linux 12 (bookworm)"
  std::string kernel_name;     // uname sysname, e.g. "Linux" (the real machine only)
  std::string kernel_version;  // uname release
  std::string arch;            // uname machine, e.g. "x86_64" (the real machine only)
  std::string host_name;
  std::uint32_t cpu_count = 0;
  std::string cpu_brand;       // /proc/cpuinfo "model name"
  std::optional<double> memory_total_kb;  // /proc/meminfo MemTotal
};

// root: "" for the real machine, else a directory holding etc/ and proc/.
// Missing files leave fields empty; never throws.
HostFacts read_host_facts(const std::string& root = "");

// MemTotal - MemAvailable from <root>/proc/meminfo, in MiB; empty if unreadable.
std::optional<double> used_memory_mb(const std::string& root = "");

}  // namespace ipw
