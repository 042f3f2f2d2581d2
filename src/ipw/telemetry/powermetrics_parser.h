#pragma once
// One powermetrics sample (a parsed plist) → per-domain power and energy.
// Units in the plist: *_power in mW (mean over the sample interval),
// *_energy in mJ (over the interval), elapsed_ns in ns. Apple Silicon reports
// processor.{cpu,gpu,ane,combined}_power; Intel Macs processor.package_joules /
// package_watts (J, W). A sample with none of these is an error, not 0 W.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

struct PowermetricsRail {
  std::optional<double> power_w;   // mean power over the interval
  std::optional<double> energy_j;  // energy over the interval (energy field, else power × elapsed)
};

struct PowermetricsSample {
  std::int64_t elapsed_ns = 0;               // length of the interval this sample covers
  PowermetricsRail cpu, gpu, ane, combined;  // combined = CPU+GPU+ANE (Apple Silicon)
  std::string hw_model;                      // "Mac14,6"
};

Expected<PowermetricsSample, std::string> powermetrics_sample(const nlohmann::json& plist);

// The user-facing reason for text powermetrics printed instead of a plist
// ("must be invoked as the superuser" → run with sudo), and how to fix it.
struct PowermetricsError {
  std::string reason;
  std::string how_to_fix;
};
PowermetricsError explain_powermetrics_text(const std::string& text);

}  // namespace ipw::telemetry
