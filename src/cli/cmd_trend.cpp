// `ipw trend RUN…`: intelligence efficiency over model release dates.
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/trend_report.h"

namespace ipw::cli {

Handler setup_trend(CLI::App& app) {
  struct Flags {
    std::vector<std::string> runs, release, hardware;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw trend runs/* --release-date llama3.2:1b=2024-09-25 --release-date qwen3:4b=2025-04-29\n"
      "  ipw trend runs/* --hardware-date 'NVIDIA A100-SXM4-80GB=2020-05-14' "
      "--hardware-date 'NVIDIA H100 80GB HBM3=2022-09-20'");
  app.add_option("runs", f->runs, "Run directories")->required()->check(CLI::ExistingDirectory);
  app.add_option("--release-date", f->release,
                 "Model release date, NAME=YYYY-MM-DD (default: the manifest's model_info.release_date)");
  app.add_option("--hardware-date", f->hardware,
                 "Accelerator release date, NAME=YYYY-MM-DD (enables the model/hardware split)");
  app.add_flag("--json", f->json, "Print JSON");
  return [f](const std::string&) {
    report::RunSetOptions opts;
    opts.items = false;
    const auto runs = report::load_runs(f->runs, opts);
    const auto t = report::build_trend(runs, report::parse_assignments(f->release, "--release-date"),
                                       report::parse_assignments(f->hardware, "--hardware-date"));
    if (f->json) {
      fmt::print("{}\n", metrics::to_json(t).dump(2));
    } else {
      report::print_trend(stdout, t);
    }
    return kExitOk;
  };
}

}  // namespace ipw::cli
