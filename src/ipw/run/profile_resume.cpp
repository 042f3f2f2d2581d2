#include "ipw/run/profile_resume.h"

#include <map>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "ipw/common/usage_error.h"

namespace ipw::run {
namespace {

// Flags whose configuration key is not their name with '-' read as '_'.
const std::map<std::string, std::string>& renamed_flags() {
  static const std::map<std::string, std::string> renamed = {
      {"engine-arg", "engine_args"}, {"completion", "chat"}, {"judge", "judge_url"},
      {"format", "dataset_format"},  {"field", "fields"},       {"split", "dataset_split"},
  };
  return renamed;
}

}  // namespace

nlohmann::json overrides_from_flags(const std::vector<std::string>& flags, const ProfileConfig& cfg) {
  const nlohmann::json all = to_json(cfg);
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& flag : flags) {
    std::string key = flag;
    if (const auto it = renamed_flags().find(flag); it != renamed_flags().end()) {
      key = it->second;
    } else {
      for (char& c : key) {
        if (c == '-') c = '_';
      }
    }
    if (!all.contains(key) && all.contains(key + "_s")) key += "_s";  // --connect-timeout etc.
    if (key == "model" && !cfg.engine_model_path.empty()) out["engine_model_path"] = all["engine_model_path"];
    if (all.contains(key)) out[key] = all[key];
  }
  return out;
}

ProfileConfig resume_config(const nlohmann::json& stored, const nlohmann::json& overrides, const std::string& run_dir) {
  // The items a run covers are fixed when it starts: resuming with another subset would mix two
  // workloads in one run (the dataset's own bytes are checked by hash in the profiler).
  for (const char* key :
       {"dataset_format", "dataset_split", "fields", "skip_bad_rows", "sample", "sample_seed", "stratify", "shard"}) {
    if (overrides.contains(key) && stored.contains(key) && overrides[key] != stored[key]) {
      throw UsageError(fmt::format(
          "--resume: '{}' was {} when {} started and cannot change (it chooses the run's items)", key,
          stored[key].dump(), run_dir));
    }
  }
  ProfileConfig cfg = merge_config(merge_config(ProfileConfig{}, stored), overrides);
  // A new --server on resume replaces an engine the run started itself.
  if (overrides.contains("server") && !overrides.contains("engine")) cfg.engine.clear();
  // The stored URLs lost their credentials (never stored): the user gives them again.
  for (const auto& [url, flag] : {std::pair{cfg.server, "--server"}, {cfg.judge_url, "--judge"}}) {
    if (url.find("***") != std::string::npos) {
      throw UsageError(fmt::format(
          "--resume: the run's {} URL ({}) held credentials, which ipw never stores; give {} URL again", flag, url,
          flag));
    }
  }
  return cfg;
}

}  // namespace ipw::run
