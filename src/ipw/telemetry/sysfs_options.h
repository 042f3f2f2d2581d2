#pragma once
// Options shared by every hardware collector factory: where sysfs is, and
// whether (and how) to measure the source's update period at creation.
#include <memory>

#include "ipw/common/clock.h"
#include "ipw/telemetry/sysfs_reader.h"
#include "ipw/telemetry/update_period.h"

namespace ipw::telemetry {

struct HardwareOptions {
  std::shared_ptr<const SysfsReader> fs;  // null: default_sysfs_reader() (IPW_SYSFS_ROOT)
  bool detect_update_period = true;       // measure the real update period at creation
  UpdatePeriodOptions period;
  const Clock* clock = nullptr;           // null: steady_clock()
  Sleeper sleep;                          // null: real_sleeper()

  const Clock& clock_or_default() const { return clock ? *clock : steady_clock(); }
  Sleeper sleep_or_default() const { return sleep ? sleep : real_sleeper(); }
};

}  // namespace ipw::telemetry
