// `ipw report RUN… [-o file.html]`: the self-contained HTML report.
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/html_report.h"

namespace ipw::cli {

Handler setup_report(CLI::App& app) {
  struct Flags {
    std::vector<std::string> runs;
    std::string output, cloud, title, sort = "ipw";
    int bootstrap = 1000;
    std::size_t timeline_points = 2000;
    double cloud_in = 0, cloud_out = 0, kwh = 0;
    std::optional<double> cloud_j_per_token;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw report runs/<run-id>                  # writes runs/<run-id>/report.html\n"
      "  ipw report runs/* -o comparison.html\n"
      "  ipw report runs/local-* --cloud runs/cloud --cloud-price-in 1.25 --cloud-price-out 10 -o hybrid.html\n"
      "The file is self-contained: it opens offline in any browser.");
  app.add_option("runs", f->runs, "Run directories")->required()->check(CLI::ExistingDirectory);
  app.add_option("-o,--output", f->output,
                 "Output file (default: RUN/report.html for one run, ./report.html for several)");
  app.add_option("--cloud", f->cloud, "A cloud run: adds the routing section")->check(CLI::ExistingDirectory);
  app.add_option("--cloud-price-in", f->cloud_in, "Cloud price, USD per million input tokens")->capture_default_str();
  app.add_option("--cloud-price-out", f->cloud_out, "Cloud price, USD per million output tokens")->capture_default_str();
  app.add_option("--usd-per-kwh", f->kwh, "Electricity price for local energy")->capture_default_str();
  app.add_option("--cloud-j-per-token", f->cloud_j_per_token, "Assumed cloud energy per token where unmeasured");
  app.add_option("--title", f->title, "Page title");
  app.add_option("--sort", f->sort, "Leaderboard order")
      ->check(CLI::IsMember({"ipw", "ipj", "accuracy", "energy", "label"}))
      ->capture_default_str();
  app.add_option("--bootstrap", f->bootstrap, "Bootstrap replicates for the 95% intervals")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--timeline-points", f->timeline_points, "Points of the down-sampled power timeline")
      ->check(CLI::Range(100, 100000))
      ->capture_default_str();
  return [f](const std::string&) {
    report::RunSetOptions load;
    load.metrics.bootstrap.replicates = f->bootstrap;
    // Per-item outcomes feed coverage and routing only; one run needs neither.
    load.items = f->runs.size() > 1 || !f->cloud.empty();
    const auto runs = report::load_runs(f->runs, load);
    std::optional<report::LoadedRun> cloud;
    if (!f->cloud.empty()) cloud = report::load_run(f->cloud, load);
    report::HtmlReportOptions opts;
    opts.sort_key = f->sort;
    opts.figures.timeline_points = f->timeline_points;
    opts.routing.cloud_usd_per_mtok_in = f->cloud_in;
    opts.routing.cloud_usd_per_mtok_out = f->cloud_out;
    opts.routing.usd_per_kwh = f->kwh;
    opts.routing.cloud_j_per_token = f->cloud_j_per_token;
    const std::string title = !f->title.empty() ? f->title
                              : runs.size() == 1 ? "ipw report — " + runs.front().label
                                                 : fmt::format("ipw report — {} runs", runs.size());
    const std::string html = report::render_html(report::report_data(runs, cloud ? &*cloud : nullptr, opts), title);
    std::filesystem::path out = f->output;
    if (out.empty()) out = runs.size() == 1 ? std::filesystem::path(f->runs.front()) / "report.html" : "report.html";
    // Written to a temporary name and renamed, so a reader never sees half a report.
    const auto tmp = out.string() + ".tmp";
    {
      std::ofstream file(tmp, std::ios::binary);
      file << html;
      file.flush();
      if (!file) throw std::runtime_error(fmt::format("cannot write {}", tmp));
    }
    std::filesystem::rename(tmp, out);
    fmt::print("wrote {} ({:.1f} MB)\n", out.string(), static_cast<double>(html.size()) / 1e6);
    return kExitOk;
  };
}

}  // namespace ipw::cli
