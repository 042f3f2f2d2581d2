#pragma once
// Nanosecond units for the tests' timestamps: every ipw clock counts nanoseconds.
#include <cstdint>

namespace ipw {

inline constexpr std::int64_t kMs = 1'000'000;
inline constexpr std::int64_t kS = 1'000'000'000;

}  // namespace ipw
