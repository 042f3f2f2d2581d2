#pragma once
// Synthetic run stores for the tests and the benchmarks (a million queries); not
// part of the shipped library (tests/CMakeLists.txt: ipw_test_support). Deterministic for a seed: the same spec writes the same run. Items are
// shared between runs with the same `items` count (ids "syn-<n>"), and each
// item has a fixed difficulty, so runs of different "models" over the same
// synthetic workload disagree the way real models do (coverage, routing).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ipw::synthetic {

struct SyntheticRunSpec {
  std::size_t queries = 1000;
  std::size_t items = 0;     // distinct workload items (0: = queries); queries cycle over them
  std::uint64_t seed = 1;
  std::string model = "synthetic-1b";
  std::string hardware = "Synthetic GPU";
  std::string release_date;  // YYYY-MM-DD written to manifest.model_info (empty: none)
  double parameters = 1e9;   // written to manifest.model_info.parameters
  double skill = 0.6;        // P(correct) on an item of median difficulty
  double idle_power_w = 30;
  double prefill_power_w = 250, decode_power_w = 180;  // above idle
  double prefill_s_per_token = 0.0002, decode_s_per_token = 0.02;
  double error_rate = 0.01;
  std::int64_t sample_period_ns = 100'000'000;  // counter samples (0: none)
  bool token_times = false;  // store per-token times (makes the store ~10x larger)
  bool with_texts = true;    // short prompt/response texts
  std::string energy_source = "counter";
  std::vector<std::string> categories = {"maths", "science", "history", "coding", "chat"};
  // One shard of the workload (ipw profile --shard I/N): the run keeps the queries whose
  // item is in it, each exactly as the unsharded run has it (the rest are made and dropped,
  // so every random draw is the same), its own 1/N of the telemetry samples, and a
  // manifest that says which shard it is.
  int shard_index = 0, shard_count = 1;
};

// Creates `dir` (must not hold a run) and writes the run into it. Returns the
// number of samples written.
std::size_t write_synthetic_run(const std::string& dir, const SyntheticRunSpec& spec);

}  // namespace ipw::synthetic
