// Analysis at scale (docs/BENCHMARKS.md): writes a synthetic run store of N
// queries (default 1,000,000), then measures, each as a child process with its
// wall time and peak RSS (wait4):
//   ipw analyze RUN --json        ipw report RUN -o report.html
//   ipw export RUN --format csv   (setup for pandas, reported but not compared)
//   python3 bench/pandas_aggregate.py queries.csv   (the same aggregation in pandas)
// and prints a Markdown table with the analyze/pandas ratio.
//
// usage: analysis_scale_bench IPW_BIN_DIR SOURCE_DIR WORK_DIR [QUERIES]
// An existing WORK_DIR/run is reused (generation takes minutes at 1M).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "child_process.h"
#include "synthetic_run.h"

using ipw::bench::Measured;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s IPW_BIN_DIR SOURCE_DIR WORK_DIR [QUERIES]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1], src = argv[2], work = argv[3];
  const std::size_t n = argc > 4 ? std::stoul(argv[4]) : 1'000'000;
  const std::string run_dir = work + "/run";
  std::filesystem::create_directories(work);
  if (!std::filesystem::exists(run_dir + "/run.db")) {
    ipw::synthetic::SyntheticRunSpec spec;
    spec.queries = n;
    spec.seed = 42;
    spec.model = "synthetic-8b";
    spec.sample_period_ns = 1'000'000'000;  // 1 s counter samples: ~3 M rows at 1 M queries
    spec.with_texts = true;
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t samples = ipw::synthetic::write_synthetic_run(run_dir, spec);
    fmt::print(stderr, "generated {} queries, {} samples in {:.1f} s\n", n, samples,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const std::string ipw = bin + "/ipw";
  // Each step runs kRuns times and reports the median wall and CPU time (the first run also pays
  // for reading run.db or the CSV from disk; users analyse a run they just wrote) and the
  // largest peak RSS.
  constexpr int kRuns = 3;
  const auto median_of = [&](const std::vector<std::string>& cmd, const std::string& out) {
    return ipw::bench::median_of_runs(kRuns, [&] { return ipw::bench::run_child(cmd, out); });
  };
  const Measured analyze = median_of({ipw, "analyze", run_dir, "--json"}, work + "/analyze.json");
  const Measured report = median_of({ipw, "report", run_dir, "-o", work + "/report.html"}, "/dev/null");
  const Measured exp = ipw::bench::run_child({ipw, "export", run_dir, "--format", "csv", "-o", work + "/queries.csv"}, "");
  // Same replicate count as ipw used at this size (BootstrapOptions' work cap).
  const std::size_t reps = std::min<std::size_t>(1000, std::max<std::size_t>(200, 200'000'000 / n));
  const Measured pandas = median_of({"/usr/bin/python3", src + "/bench/pandas_aggregate.py",
                                     work + "/queries.csv", std::to_string(reps)},
                                    work + "/pandas.json");
  const auto db_mib = static_cast<double>(std::filesystem::file_size(run_dir + "/run.db")) / (1 << 20);
  const auto html_mib = std::filesystem::exists(work + "/report.html")
                            ? static_cast<double>(std::filesystem::file_size(work + "/report.html")) / (1 << 20)
                            : 0.0;
  fmt::print("queries: {}  run.db: {:.0f} MiB  report.html: {:.1f} MiB  bootstrap replicates: {}\n\n", n, db_mib,
             html_mib, reps);
  fmt::print("medians of {} runs per step (export: one run)\n\n", kRuns);
  fmt::print("| step | wall time (s) | CPU time (s) | peak RSS (MiB) | exit |\n|---|---:|---:|---:|---:|\n");
  auto row = [](const char* name, const Measured& m) {
    fmt::print("| {} | {:.2f} | {:.2f} | {:.0f} | {} |\n", name, m.wall_s, m.cpu_s, m.peak_mib, m.status);
  };
  row("ipw analyze --json", analyze);
  row("ipw report (HTML)", report);
  row("ipw export --format csv (pandas input, one run)", exp);
  row("pandas: read_csv + same aggregation", pandas);
  if (analyze.wall_s > 0 && analyze.cpu_s > 0) {
    fmt::print("\npandas / ipw analyze: {:.1f}x wall time, {:.1f}x CPU time, {:.1f}x peak memory\n",
               pandas.wall_s / analyze.wall_s, pandas.cpu_s / analyze.cpu_s, pandas.peak_mib / analyze.peak_mib);
  }
  return analyze.status == 0 && report.status == 0 && pandas.status == 0 ? 0 : 1;
}
