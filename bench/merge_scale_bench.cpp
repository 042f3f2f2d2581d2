// Merge at scale (docs/BENCHMARKS.md, "Merge"): writes the N shards of a synthetic
// workload of Q queries (default 1,000,000 in 4 shards; each shard with its own 1/N of
// the telemetry), then measures `ipw merge` of them as a child process (median wall
// and CPU time of 3 runs, peak RSS), and checks the merged run holds Q queries.
//
// usage: merge_scale_bench IPW_BIN_DIR WORK_DIR [QUERIES] [SHARDS]
// Existing shards under WORK_DIR are reused (writing them takes minutes at 1 M).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "child_process.h"
#include "ipw/run/store.h"
#include "synthetic_run.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s IPW_BIN_DIR WORK_DIR [QUERIES] [SHARDS]\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const std::string bin = argv[1], work = argv[2];
  const std::size_t n = argc > 3 ? std::stoul(argv[3]) : 1'000'000;
  const int shards = argc > 4 ? std::stoi(argv[4]) : 4;
  std::vector<std::string> cmd = {bin + "/ipw", "merge"};
  double shard_mib = 0;
  for (int i = 0; i < shards; ++i) {
    const std::string dir = fmt::format("{}/shard-{}-of-{}-{}", work, i, shards, n);
    if (!fs::exists(dir + "/run.db")) {
      ipw::synthetic::SyntheticRunSpec spec;
      spec.queries = n;
      spec.seed = 42;
      spec.model = "synthetic-8b";
      spec.sample_period_ns = 1'000'000'000;  // as the analysis benchmark: ~3 M samples at 1 M queries
      spec.shard_index = i;
      spec.shard_count = shards;
      const auto t0 = std::chrono::steady_clock::now();
      const std::size_t samples = ipw::synthetic::write_synthetic_run(dir, spec);
      fmt::print(stderr, "wrote shard {}/{} ({} samples) in {:.1f} s\n", i, shards, samples,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    shard_mib += static_cast<double>(fs::file_size(dir + "/run.db")) / (1 << 20);
    cmd.push_back(dir);
  }
  const std::string out = work + "/merged";
  cmd.insert(cmd.end(), {"-o", out});
  const ipw::bench::Measured m = ipw::bench::median_of_runs(
      3, [&] { return ipw::bench::run_child(cmd, "/dev/null"); }, [&] { fs::remove_all(out); });
  const std::size_t merged = ipw::run::RunStore::open(out, /*read_only=*/true).query_count();
  fmt::print("{} queries in {} shards ({:.0f} MiB of run.db) merged into {} queries ({:.0f} MiB)\n\n", n, shards,
             shard_mib, merged, static_cast<double>(fs::file_size(out + "/run.db")) / (1 << 20));
  fmt::print("| step | wall time (s) | CPU time (s) | peak RSS (MiB) | exit |\n|---|---:|---:|---:|---:|\n");
  fmt::print("| ipw merge ({} shards, median of 3) | {:.2f} | {:.2f} | {:.0f} | {} |\n", shards, m.wall_s, m.cpu_s,
             m.peak_mib, m.status);
  return m.status == 0 && merged == n ? 0 : 1;
}
