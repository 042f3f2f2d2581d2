#pragma once
// Wall-clock UTC for what people read (manifests, run directory names, the report's
// date). Never for measuring: durations use the one monotonic clock (clock.h).
#include <string>

namespace ipw {

// UTC now through strftime's `pattern`.
std::string utc_now(const char* pattern);

// UTC now as ISO-8601 ("2026-11-25T13:14:15Z").
std::string utc_now_iso();

}  // namespace ipw
