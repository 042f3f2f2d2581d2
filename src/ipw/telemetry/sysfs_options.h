#pragma once
// Options shared by every hardware collector factory: where sysfs is, and
// whether (and how) to measure the source's update period at creation.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "ipw/common/clock.h"
#include "ipw/telemetry/sysfs_reader.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

struct HardwareOptions {
  std::shared_ptr<const SysfsReader> fs;  // null: default_sysfs_reader() (IPW_SYSFS_ROOT)
  bool detect_update_period = true;       // measure the real update period at creation
  UpdatePeriodOptions period;
  const Clock* clock = nullptr;  // null: steady_clock()
  Sleeper sleep;                 // null: real_sleeper()

  const Clock& clock_or_default() const { return clock ? *clock : steady_clock(); }
  Sleeper sleep_or_default() const { return sleep ? sleep : real_sleeper(); }
};

// GPU selection for a registry spec: the spec's argument with '+' read as ','
// ("nvml:0+2" -> "0,2"), else env IPW_DEVICES, else none.
inline std::optional<std::string> devices_from_spec(const std::string& arg) {
  if (!arg.empty()) {
    std::string s = arg;
    std::replace(s.begin(), s.end(), '+', ',');
    return s;
  }
  if (const char* env = std::getenv("IPW_DEVICES"); env != nullptr && *env != '\0')
    return std::string(env);
  return std::nullopt;
}

}  // namespace ipw::telemetry
