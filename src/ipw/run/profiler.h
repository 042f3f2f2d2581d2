#pragma once
// The profiler drives workload x client x telemetry: it sends each query, lets
// the sampler run underneath, attributes energy, scores the answer and commits
// the query (with its samples) to the run store as soon as it ends.
#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "ipw/run/profile_config.h"
#include "ipw/run/query_record.h"

namespace ipw::run {

// Where the profiler reports progress; the CLI plugs in a terminal progress bar.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void begin(std::size_t total, std::size_t already_done) = 0;
  virtual void update(std::size_t done, std::size_t total, std::optional<double> power_w,
                      const QueryRecord& last) = 0;
  virtual void note(const std::string& message) = 0;  // phase changes: warm-up, idle baseline
  virtual void end() = 0;
};

enum class RunStatus { completed, interrupted, failed };
const char* to_string(RunStatus s);

struct ProfileOutcome {
  std::string run_dir;
  RunStatus status = RunStatus::completed;
  std::string message;          // why a run stopped early, and what to do
  std::size_t queries_run = 0;  // in this session
};

class RunStore;

struct ProfileRequest {
  ProfileConfig config;
  std::string command_line;
  std::string resume_dir;  // non-empty: continue this run
  // --stop-on-saturation: asked after each stage but the first with the stages stored
  // so far; a non-empty answer (why) ends the sweep. The caller brings the rule
  // (`ipw profile` brings analyze's, metrics/saturation.h): the run layer computes no
  // metrics of its own.
  std::function<std::string(const RunStore&)> sweep_saturated;
};

// Runs (or resumes) a profile. Throws for problems found before a run directory
// exists (bad dataset, bad telemetry spec) and for store corruption; failures of
// individual queries are data, and a run that cannot go on returns `failed`.
ProfileOutcome profile(const ProfileRequest& req, ProgressSink& progress,
                       const std::atomic<bool>& stop_requested);

}  // namespace ipw::run
