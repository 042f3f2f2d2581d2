// `ipw export RUN`: per-query records as JSONL or CSV, to stdout or a file.
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/query_export.h"
#include "ipw/report/telemetry_export.h"
#include "ipw/run/store.h"

namespace ipw::cli {

Handler setup_export(CLI::App& app) {
  struct Flags {
    std::string run, format = "jsonl", output;
    bool telemetry = false;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw export runs/<run-id> > queries.jsonl\n"
      "  ipw export runs/<run-id> --format csv -o queries.csv   # pandas.read_csv('queries.csv')"
      "\n  ipw export runs/<run-id> --telemetry -o samples.csv");
  app.add_option("run", f->run, "Run directory")->required()->check(CLI::ExistingDirectory);
  app.add_option("--format", f->format, "Output format")->check(CLI::IsMember({"jsonl", "csv", "telemetry-csv"}))->capture_default_str();
  app.add_flag("--telemetry", f->telemetry, "Export the telemetry samples as CSV (same as --format telemetry-csv)");
  app.add_option("-o,--output", f->output, "Output file (default: stdout)");
  return [f](const std::string&) {
    const auto store = run::RunStore::open(f->run, /*read_only=*/true);
    std::ofstream file;
    if (!f->output.empty()) {
      file.open(f->output);
      if (!file) throw std::runtime_error(fmt::format("cannot write {}", f->output));
    }
    std::ostream& out = f->output.empty() ? std::cout : file;
    if (f->telemetry || f->format == "telemetry-csv") {
      std::vector<std::string> selected;
      const auto tel = store.manifest().value("telemetry", nlohmann::json::object());
      for (const auto& d : tel.value("selected_domains", nlohmann::json::array())) selected.push_back(d.get<std::string>());
      report::write_telemetry_csv(store, selected, out);
      out.flush();
      if (!out) throw std::runtime_error("writing the export failed (disk full?)");
      return kExitOk;
    }
    if (f->format == "csv") {
      report::write_csv(store, out);
    } else {
      report::write_jsonl(store, out);
    }
    out.flush();
    if (!out) throw std::runtime_error("writing the export failed (disk full?)");
    return kExitOk;
  };
}

}  // namespace ipw::cli
