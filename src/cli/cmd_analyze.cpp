// `ipw analyze RUN`: the run's accuracy, IPW family, energy and latency.
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/run_analysis.h"

namespace ipw::cli {

Handler setup_analyze(CLI::App& app) {
  struct Flags {
    std::string run;
    bool json = false;
    std::string slo;
  };
  auto f = std::make_shared<Flags>();
  app.footer("Examples:\n  ipw analyze runs/<run-id>\n  ipw analyze runs/<run-id> --json | jq .summary.ipw\n"
             "  ipw analyze runs/<run-id> --slo ttft=0.5,e2e=10   # goodput per stage");
  app.add_option("run", f->run, "Run directory")->required()->check(CLI::ExistingDirectory);
  app.add_flag("--json", f->json, "Print JSON (the summary.json document) instead of a table");
  app.add_option("--slo", f->slo,
                 "Latency objectives for the stages' goodput, e.g. ttft=0.5,tpot=0.05,e2e=10 (default: the run's --slo)");
  return [f](const std::string&) {
    const auto a = report::analyze_run(f->run, f->slo);
    if (f->json) {
      fmt::print("{}\n", report::to_json(a).dump(2));
    } else {
      report::print_analysis(stdout, a);
    }
    return kExitOk;
  };
}

}  // namespace ipw::cli
