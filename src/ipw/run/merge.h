#pragma once
// `ipw merge RUN... -o DIR`: one run made of the shards of a workload
// (`ipw profile --shard I/N`, workload/shard.h), so that analyze, compare, report,
// route and trend treat a workload profiled on many machines as one run
// (docs/cluster.md, "Merge").
//
// What makes runs mergeable: the same experiment (workload bytes, model, decoding,
// load and scoring settings; what may differ is where and how each shard ran — its
// server URL, telemetry source, timeouts, output folder) and no query twice. Each
// shard's sessions, telemetry samples and host stay, renumbered, with a record of
// where they came from (manifest `merged`). The rows are copied by SQLite itself, a run
// per transaction (RunStore::import_run): memory stays SQLite's page cache, however large
// the runs.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace ipw::run {

class ProgressSink;

struct MergeOptions {
  // Merge even when shards are missing or did not complete (the result says which);
  // by default such a merge is refused, since its figures would cover part of the workload.
  bool partial = false;
  std::string command_line;  // recorded in the manifest's `merged`
};

struct MergeOutcome {
  std::string dir;
  std::size_t runs = 0, queries = 0, samples = 0, sessions = 0;
  std::vector<std::string> warnings;  // what --partial let through
};

// Writes the merged run into `out_dir`, which must not exist yet; nothing is left
// there unless the merge completes (it is written beside it and renamed at the end).
// Throws ipw::UsageError, before writing anything, when the runs cannot be merged: the
// differing settings listed with each run's value, a shard given twice, overlapping
// queries, shards missing or incomplete (without `partial`). Returns early, leaving
// nothing, when `stop` is set (Ctrl-C).
MergeOutcome merge_runs(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                        const MergeOptions& opts, ProgressSink& progress, const std::atomic<bool>& stop);

// The configuration keys that may differ between the shards of one experiment:
// where and how each shard ran, not what it measured.
const std::vector<std::string>& per_shard_config_keys();

}  // namespace ipw::run
