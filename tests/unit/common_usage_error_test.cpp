// Which errors are usage errors (the CLI's exit 2) and which are not: a flag's value
// the user can fix is an ipw::UsageError; an invariant broken deep in the library is
// an std::invalid_argument that is not, so the CLI calls it a failure (exit 1).
#include "ipw/common/usage_error.h"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipw/inference/client.h"
#include "ipw/metrics/slo.h"
#include "ipw/run/energy_shares.h"
#include "ipw/run/model_info.h"
#include "ipw/run/profile_config.h"
#include "ipw/run/sweep.h"
#include "ipw/telemetry/energy_window.h"
#include "ipw/telemetry/latched_counter.h"
#include "ipw/workload/arrivals.h"

namespace ipw {
namespace {

struct Case {
  std::string name;
  std::function<void()> call;
};

// "usage" when the call threw UsageError, "other" for any other invalid_argument.
std::string kind_of(const Case& c) {
  try {
    c.call();
  } catch (const UsageError&) {
    return "usage";
  } catch (const std::invalid_argument&) {
    return "other";
  }
  return "none";
}

TEST(UsageError, FlagValuesTheUserCanFixAreUsageErrors) {
  const std::vector<Case> cases = {
      {"--sweep", [] { run::parse_sweep("batch=1,2"); }},
      {"--slo", [] { metrics::parse_slo("ttft=soon"); }},
      {"--attribution", [] { run::share_rule_from_string("evenly"); }},
      {"--model-info", [] { run::model_info_from_flags({"parameters=many"}); }},
      {"--arrival", [] { workload::parse_arrival_process("burst"); }},
      {"--arrival-trace", [] { workload::parse_arrival_trace_csv("t_s\nsoon\n", "trace.csv"); }},
      {"--api", [] { inference::make_client("grpc", inference::ClientOptions{}); }},
      {"--server", [] { inference::normalise_base_url("ftp://host"); }},
      {"config", [] { run::merge_config(run::ProfileConfig{}, nlohmann::json{{"no_such_flag", 1}}); }},
  };
  for (const auto& c : cases) EXPECT_EQ(kind_of(c), "usage") << c.name;
}

TEST(UsageError, BrokenInvariantsInsideTheLibraryAreNot) {
  const std::vector<Case> cases = {
      {"latched counter period", [] { telemetry::LatchedCounter counter(0); }},
      {"trace window backwards",
       [] {
         telemetry::DomainTrace trace(telemetry::DomainInfo{"gpu0", "test", "gpu"});
         (void)trace.energy_between(2, 1);
       }},
  };
  for (const auto& c : cases) EXPECT_EQ(kind_of(c), "other") << c.name;
}

}  // namespace
}  // namespace ipw
