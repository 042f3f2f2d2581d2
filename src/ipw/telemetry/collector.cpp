#include "ipw/telemetry/collector.h"

namespace ipw::telemetry {

const char* to_string(EnergySource s) {
  switch (s) {
    case EnergySource::counter:
      return "counter";
    case EnergySource::integrated:
      return "integrated";
    case EnergySource::estimated:
      return "estimated";
  }
  return "unknown";  // unreachable for valid enum values; keeps -Wreturn-type quiet
}

}  // namespace ipw::telemetry
