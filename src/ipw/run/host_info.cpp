#include "ipw/run/host_info.h"

#include "ipw/common/host_facts.h"

namespace ipw::run {

nlohmann::json host_info() {
  const HostFacts f = read_host_facts();
  nlohmann::json j;
  if (!f.kernel_version.empty()) {
    j["kernel"] = f.kernel_name + " " + f.kernel_version;
    j["arch"] = f.arch;
    j["hostname"] = f.host_name;
  }
  j["os"] = f.os_pretty_name;
  j["cpu_model"] = f.cpu_brand;
  j["cpu_count"] = f.cpu_count;
  if (f.memory_total_kb) j["memory_kb"] = static_cast<long long>(*f.memory_total_kb);
  return j;
}

}  // namespace ipw::run
