// `ipw compare RUN…`: leaderboard, Pareto frontier and coverage across runs.
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/comparison.h"

namespace ipw::cli {

Handler setup_compare(CLI::App& app) {
  struct Flags {
    std::vector<std::string> runs;
    bool json = false, csv = false;
    std::string output, sort = "ipw";
    int bootstrap = 1000;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw compare runs/*\n  ipw compare runs/a runs/b --sort accuracy\n"
      "  ipw compare runs/* --csv -o leaderboard.csv   # pandas.read_csv('leaderboard.csv')");
  app.add_option("runs", f->runs, "Run directories")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", f->json, "Print the comparison as JSON");
  app.add_flag("--csv", f->csv, "Print the leaderboard as CSV (one row per run)");
  app.add_option("--sort", f->sort, "Leaderboard order")
      ->check(CLI::IsMember({"ipw", "ipj", "accuracy", "energy", "label"}))
      ->capture_default_str();
  app.add_option("--bootstrap", f->bootstrap, "Bootstrap replicates for the 95% intervals")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("-o,--output", f->output, "Write to this file instead of stdout");
  return [f](const std::string&) {
    if (f->json && f->csv) {
      fmt::print(stderr, "ipw compare: choose one of --json and --csv\n");
      return kExitUsage;
    }
    report::RunSetOptions opts;
    opts.metrics.bootstrap.replicates = f->bootstrap;
    const auto runs = report::load_runs(f->runs, opts);
    const auto c = report::compare_runs(runs, f->sort);
    std::ofstream file;
    if (!f->output.empty()) {
      file.open(f->output);
      if (!file) throw std::runtime_error(fmt::format("cannot write {}", f->output));
    }
    if (f->csv) {
      std::ostream& out = f->output.empty() ? std::cout : file;
      report::write_leaderboard_csv(c, out);
      out.flush();
      if (!out) throw std::runtime_error("writing the CSV failed (disk full?)");
    } else if (f->json) {
      std::ostream& out = f->output.empty() ? std::cout : file;
      out << report::to_json(c).dump(2) << "\n";
    } else if (!f->output.empty()) {
      file.close();
      std::FILE* fp = std::fopen(f->output.c_str(), "w");
      if (!fp) throw std::runtime_error(fmt::format("cannot write {}", f->output));
      report::print_comparison(fp, c);
      std::fclose(fp);
    } else {
      report::print_comparison(stdout, c);
    }
    return kExitOk;
  };
}

}  // namespace ipw::cli
