#include "ipw/run/merge.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/common/usage_error.h"
#include "ipw/common/utc_time.h"
#include "ipw/common/version.h"
#include "ipw/run/profiler.h"
#include "ipw/run/store.h"
#include "ipw/workload/shard.h"

namespace ipw::run {
namespace fs = std::filesystem;

const std::vector<std::string>& per_shard_config_keys() {
  static const std::vector<std::string> keys = {
      // Where the shard ran and how it reached its server and sensors.
      "server", "engine_model_path", "api_key_env", "telemetry", "sample_period_ms", "idle_seconds", "out",
      // How patient it was with them.
      "connect_timeout_s", "first_token_timeout_s", "total_timeout_s", "max_consecutive_failures", "retries",
      "retry_max_wait_s", "warmup",
      // The judge's address and limits (its model is part of the experiment).
      "judge_url", "judge_api_key_env", "judge_max_tokens",
      // Which part of the workload: checked apart (one split, each part once).
      "shard"};
  return keys;
}

namespace {

struct Interrupted {};

struct Source {
  std::string dir;
  RunStore store;
  nlohmann::json manifest;
  workload::Shard shard;
  std::vector<SessionInfo> sessions;
  std::map<int, int> session_ids;  // this run's session id -> the merged run's
  std::map<int, int> domain_ids;   // this run's domain index -> the merged run's
};

std::string last_status(const Source& s) { return s.sessions.empty() ? "empty" : s.sessions.back().status; }

// What one experiment shares: its configuration less the per-shard keys, the workload's
// bytes, the model's name and, when an engine ran, the model file's bytes.
nlohmann::json experiment(const nlohmann::json& manifest) {
  nlohmann::json id = manifest.value("config", nlohmann::json::object());
  for (const std::string& k : per_shard_config_keys()) id.erase(k);
  id["workload sha256"] = manifest.value("workload", nlohmann::json::object()).value("sha256", "");
  const auto model = manifest.value("model", nlohmann::json::object());
  if (model.contains("file_sha256")) id["model file_sha256"] = model["file_sha256"];
  id["server model"] = manifest.value("server", nlohmann::json::object()).value("model", "");
  return id;
}

void check_same_experiment(const std::vector<Source>& src) {
  const nlohmann::json first = experiment(src.front().manifest);
  std::vector<std::string> diffs;
  for (std::size_t i = 1; i < src.size(); ++i) {
    const nlohmann::json other = experiment(src[i].manifest);
    std::set<std::string> keys;
    for (const auto& [k, v] : first.items()) keys.insert(k);
    for (const auto& [k, v] : other.items()) keys.insert(k);
    for (const std::string& k : keys) {
      const nlohmann::json a = first.value(k, nlohmann::json()), b = other.value(k, nlohmann::json());
      if (a != b) diffs.push_back(fmt::format("{}: {} in {}, {} in {}", k, a.dump(), src.front().dir, b.dump(), src[i].dir));
    }
  }
  if (!diffs.empty()) {
    throw UsageError(fmt::format("cannot merge: the runs are not one experiment; they differ in\n  {}\n(only where "
                                 "a shard ran may differ: {})",
                                 fmt::join(diffs, "\n  "), fmt::join(per_shard_config_keys(), ", ")));
  }
}

// Each shard of one split once; missing or unfinished shards only with --partial.
std::vector<int> check_shards(const std::vector<Source>& src, const MergeOptions& opts,
                              std::vector<std::string>& warnings) {
  const int n = src.front().shard.count;
  std::map<int, const Source*> seen;
  for (const Source& s : src) {
    if (s.shard.count != n) {
      throw UsageError(fmt::format("cannot merge: {} is shard {} and {} is shard {}: the shards of one split share N",
                                   src.front().dir, workload::to_string(src.front().shard), s.dir,
                                   workload::to_string(s.shard)));
    }
    if (n > 1 && !seen.emplace(s.shard.index, &s).second) {
      throw UsageError(fmt::format("cannot merge: shard {} is given twice ({} and {})", workload::to_string(s.shard),
                                   seen[s.shard.index]->dir, s.dir));
    }
  }
  std::vector<std::string> problems;
  std::vector<int> missing;
  for (int i = 0; n > 1 && i < n; ++i) {
    if (!seen.count(i)) missing.push_back(i);
  }
  if (!missing.empty()) {
    problems.push_back(fmt::format("shard{} {} of {} missing", missing.size() > 1 ? "s" : "", fmt::join(missing, ", "), n));
  }
  for (const Source& s : src) {
    if (last_status(s) != "completed") {
      problems.push_back(fmt::format("{} did not complete (its last session is {}); finish it with: ipw profile "
                                     "--resume {}",
                                     s.dir, last_status(s), s.dir));
    }
  }
  if (!problems.empty() && !opts.partial) {
    throw UsageError(fmt::format("cannot merge: {}\n(--partial merges what there is, and the merged run says what "
                                 "it lacks)",
                                 fmt::join(problems, "; ")));
  }
  warnings.insert(warnings.end(), problems.begin(), problems.end());
  return missing;
}

// No query may come from two runs: sorted keys of every run, adjacent equals refused.
void check_disjoint(const std::vector<Source>& src) {
  std::vector<std::pair<QueryKey, std::size_t>> keys;
  for (std::size_t i = 0; i < src.size(); ++i) {
    for (const QueryKey& k : src[i].store.completed_keys()) keys.emplace_back(k, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> examples;
  std::size_t repeated = 0;
  for (std::size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].first != keys[i - 1].first) continue;
    ++repeated;
    if (examples.size() < 3) {
      const QueryKey& k = keys[i].first;
      examples.push_back(fmt::format("stage {} seq {} repeat {} in {} and {}", k.stage, k.seq, k.repeat,
                                     src[keys[i - 1].second].dir, src[keys[i].second].dir));
    }
  }
  if (repeated > 0) {
    throw UsageError(fmt::format("cannot merge: {} quer{} stored in more than one run ({}); each query must come "
                                 "from one shard",
                                 repeated, repeated == 1 ? "y is" : "ies are", fmt::join(examples, "; ")));
  }
}

// The union of the runs' domains, matched by what they measure; each run's indices mapped onto it.
std::vector<DomainRow> merge_domains(std::vector<Source>& src) {
  std::vector<DomainRow> merged;
  const auto same = [](const DomainRow& a, const DomainRow& b) {
    return std::tie(a.info.domain, a.info.device, a.info.kind, a.info.source) ==
           std::tie(b.info.domain, b.info.device, b.info.kind, b.info.source);
  };
  for (Source& s : src) {
    for (const DomainRow& d : s.store.domains()) {
      auto it = std::find_if(merged.begin(), merged.end(), [&](const DomainRow& m) { return same(m, d); });
      if (it == merged.end()) {
        merged.push_back(d);
        merged.back().index = static_cast<int>(merged.size()) - 1;
        it = merged.end() - 1;
      }
      s.domain_ids[d.index] = it->index;
    }
  }
  return merged;
}

nlohmann::json merged_manifest(const std::vector<Source>& src, const std::vector<int>& missing, const MergeOptions& opts,
                               const std::vector<std::string>& warnings) {
  nlohmann::json m = src.front().manifest;
  m["config"]["shard"] = "";
  m["workload"]["shard"] = nullptr;
  std::set<std::string> selected;
  nlohmann::json runs = nlohmann::json::array();
  for (const Source& s : src) {
    for (const auto& d : s.manifest.value("telemetry", nlohmann::json::object())
                             .value("selected_domains", nlohmann::json::array())) {
      selected.insert(d.get<std::string>());
    }
    nlohmann::json sessions = nlohmann::json::object();
    for (const auto& [from, to] : s.session_ids) sessions[std::to_string(from)] = to;
    runs.push_back({{"dir", fs::absolute(s.dir).lexically_normal().string()},
                    {"shard", s.shard.whole() ? nlohmann::json() : nlohmann::json(workload::to_string(s.shard))},
                    {"status", last_status(s)},
                    {"created_utc", s.manifest.value("created_utc", "")},
                    {"host", s.manifest.value("host", nlohmann::json())},
                    {"server", s.manifest.value("server", nlohmann::json())},
                    {"telemetry", s.manifest.value("telemetry", nlohmann::json())},
                    {"sessions", sessions}});
  }
  if (!m.contains("telemetry")) m["telemetry"] = nlohmann::json::object();
  m["telemetry"]["selected_domains"] = selected;
  m["merged"] = {{"created_utc", utc_now_iso()},
                 {"ipw_version", kVersion},
                 {"command_line", opts.command_line},
                 {"shard_count", src.front().shard.count},
                 {"missing_shards", missing},
                 {"partial", !warnings.empty()},
                 {"warnings", warnings},
                 {"runs", runs}};
  return m;
}

// Each run copied in one transaction inside SQLite (RunStore::import_run); the bar
// moves a run at a time.
void copy_rows(std::vector<Source>& src, RunStore& out, MergeOutcome& outcome, ProgressSink& progress,
               std::size_t total, const std::atomic<bool>& stop) {
  for (Source& s : src) {
    const auto copied = out.import_run(s.dir, s.session_ids, s.domain_ids, stop);
    if (!copied) throw Interrupted{};
    outcome.queries += copied->queries;
    outcome.samples += copied->samples;
    progress.update(outcome.queries, total, std::nullopt, QueryRecord{});
  }
}

}  // namespace

MergeOutcome merge_runs(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                        const MergeOptions& opts, ProgressSink& progress, const std::atomic<bool>& stop) {
  if (run_dirs.empty()) throw UsageError("ipw merge needs at least one run");
  if (fs::exists(out_dir)) {
    throw UsageError(fmt::format("{} exists: ipw merge writes a new run directory (name another with -o)", out_dir));
  }
  std::vector<Source> src;
  std::size_t total = 0;
  for (const std::string& dir : run_dirs) {
    RunStore store = RunStore::open(dir, /*read_only=*/true);
    for (const Source& s : src) {
      if (fs::equivalent(s.dir, dir)) throw UsageError(fmt::format("cannot merge: {} is given twice", dir));
    }
    nlohmann::json manifest = store.manifest();
    if (manifest.contains("proxy")) {
      throw UsageError(fmt::format(
          "cannot merge {}: it is a run of ipw proxy or ipw agent, whose requests are numbered in the order "
          "they came; ipw merge joins the shards of one profile run (compare such runs with ipw compare)",
          dir));
    }
    const auto shard = workload::parse_shard(manifest.value("config", nlohmann::json::object()).value("shard", ""));
    std::vector<SessionInfo> sessions = store.sessions();
    total += store.query_count();
    src.push_back({dir, std::move(store), std::move(manifest), shard, std::move(sessions), {}, {}});
  }
  MergeOutcome outcome;
  check_same_experiment(src);
  const std::vector<int> missing = check_shards(src, opts, outcome.warnings);
  check_disjoint(src);

  // Written beside the target and renamed when whole: an interrupted or failed merge
  // leaves no run that looks complete.
  const fs::path target = fs::absolute(out_dir).lexically_normal();
  const fs::path partial_dir = target.string() + fmt::format(".merging-{}", ::getpid());
  fs::create_directories(partial_dir);
  try {
    {
      RunStore out = RunStore::create(partial_dir.string());
      const std::vector<DomainRow> domains = merge_domains(src);
      out.write_domains(domains);
      for (Source& s : src) {
        for (const SessionInfo& info : s.sessions) s.session_ids[info.id] = out.begin_session(info);
        outcome.sessions += s.sessions.size();
      }
      out.write_manifest(merged_manifest(src, missing, opts, outcome.warnings));
      progress.begin(total, 0);
      copy_rows(src, out, outcome, progress, total, stop);
      progress.end();
    }
    fs::rename(partial_dir, target);
  } catch (const Interrupted&) {
    fs::remove_all(partial_dir);
    progress.end();
    return outcome;  // dir empty: nothing merged
  } catch (...) {
    std::error_code ec;
    fs::remove_all(partial_dir, ec);
    throw;
  }
  outcome.dir = target.string();
  outcome.runs = src.size();
  return outcome;
}

}  // namespace ipw::run
