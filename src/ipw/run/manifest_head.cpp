#include "ipw/run/manifest_head.h"

#include "ipw/common/redact.h"
#include "ipw/common/utc_time.h"
#include "ipw/common/version.h"
#include "ipw/run/host_info.h"

namespace ipw::run {

nlohmann::json manifest_head(const std::string& command_line, const std::string& server_url, const ProfileConfig& c) {
  return {
      {"json_schema_version", 1},
      {"ipw_version", kVersion},
      {"git_revision", kGitRevision},
      {"created_utc", utc_now_iso()},
      {"command_line", command_line},
      {"host", host_info()},
      {"server", {{"url", redact_url(server_url)}, {"api", c.api}, {"model", c.model}, {"engine", c.engine}}},
      {"config", to_stored_json(c)},
  };
}

}  // namespace ipw::run
