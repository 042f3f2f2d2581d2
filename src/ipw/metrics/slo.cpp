#include "ipw/metrics/slo.h"

#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/number.h"
#include "ipw/common/usage_error.h"
#include "ipw/metrics/summary.h"

namespace ipw::metrics {

Slo parse_slo(const std::string& spec) {
  Slo slo;
  if (spec.empty()) return slo;
  const auto bad = [&](const std::string& why) {
    return UsageError(fmt::format(
        "--slo '{}': {} (expected KEY=SECONDS,… with keys ttft, tpot and e2e, e.g. --slo ttft=0.5,tpot=0.05,e2e=10)",
        spec, why));
  };
  std::istringstream in(spec);
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) throw bad(fmt::format("'{}' has no '='", part));
    const std::string key = part.substr(0, eq);
    const auto v = parse_finite(part.substr(eq + 1));
    if (!v || *v <= 0) throw bad(fmt::format("{} is not a number of seconds > 0", part.substr(eq + 1)));
    std::optional<double>* slot = key == "ttft" ? &slo.ttft_s : key == "tpot" ? &slo.tpot_s
                                  : key == "e2e" ? &slo.e2e_s : nullptr;
    if (slot == nullptr) throw bad(fmt::format("unknown key '{}'", key));
    if (*slot) throw bad(fmt::format("'{}' given twice", key));
    *slot = *v;
  }
  if (slo.empty()) throw bad("no objectives");
  return slo;
}

bool meets(const Slo& slo, const run::QueryRecord& q) {
  if (!q.ok()) return false;
  if (slo.ttft_s) {
    const auto ttft = q.ttft_s();
    if (!ttft || *ttft > *slo.ttft_s) return false;
  }
  if (slo.tpot_s) {
    const auto tpot = tpot_s(q);
    if (tpot && *tpot > *slo.tpot_s) return false;
  }
  return !slo.e2e_s || q.latency_s() <= *slo.e2e_s;
}

nlohmann::json to_json(const Slo& slo) {
  if (slo.empty()) return nullptr;
  nlohmann::json j = nlohmann::json::object();
  if (slo.ttft_s) j["ttft_s"] = *slo.ttft_s;
  if (slo.tpot_s) j["tpot_s"] = *slo.tpot_s;
  if (slo.e2e_s) j["e2e_s"] = *slo.e2e_s;
  return j;
}

}  // namespace ipw::metrics
