#pragma once
// Service-level objectives for goodput (docs/load.md): `--slo ttft=0.5,tpot=0.05,e2e=10`,
// in seconds. A query meets them when it succeeded and every objective given holds.
// A query with no first token fails a TTFT objective; one with a single output token has
// no TPOT and meets a TPOT objective vacuously.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ipw/run/query_record.h"

namespace ipw::metrics {

struct Slo {
  std::optional<double> ttft_s, tpot_s, e2e_s;
  bool empty() const { return !ttft_s && !tpot_s && !e2e_s; }
};

// "" is no objective. Throws ipw::UsageError naming the accepted form for an
// unknown key, a repeated key, or a value that is not a number > 0.
Slo parse_slo(const std::string& spec);
bool meets(const Slo& slo, const run::QueryRecord& q);
nlohmann::json to_json(const Slo& slo);  // {"ttft_s": 0.5, …}; null for none

}  // namespace ipw::metrics
