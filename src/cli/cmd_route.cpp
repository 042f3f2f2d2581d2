// `ipw route LOCAL… --cloud CLOUD`: hybrid local/cloud routing savings.
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/report/routing_report.h"
#include "ipw/run/model_info.h"
#include "ipw/workload/arrivals.h"

namespace ipw::cli {

Handler setup_route(CLI::App& app) {
  struct Flags {
    std::vector<std::string> locals, params;
    std::string cloud, trace;
    bool json = false;
    double cloud_in = 0, cloud_out = 0, local_in = 0, local_out = 0, kwh = 0;
    std::optional<double> cloud_j_per_token, rate;
    std::vector<double> levels = {0.5, 0.6, 0.7, 0.8, 0.9};
    std::size_t arrivals = 1000;
    double max_queue_s = 30;
    std::uint64_t seed = 1;
  };
  auto f = std::make_shared<Flags>();
  app.footer(
      "Examples:\n  ipw route runs/qwen3-4b runs/gpt-oss-20b --cloud runs/big-model \\\n"
      "      --cloud-price-in 1.25 --cloud-price-out 10 --params qwen3-4b=4B --params big-model=400B\n"
      "  ipw route runs/local --cloud runs/cloud --arrival-rate 0.5 --arrivals 5000\n"
      "  ipw route runs/local --cloud runs/cloud --arrival-trace arrivals.csv --json");
  app.add_option("locals", f->locals, "Local run directories")->required()->check(CLI::ExistingDirectory);
  app.add_option("--cloud", f->cloud, "The cloud run (the fallback and the baseline)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--params", f->params, "Parameter count per model, NAME=COUNT (8B, 70e9); "
                 "default: the manifest's model_info.parameters");
  app.add_option("--cloud-price-in", f->cloud_in, "Cloud price, USD per million input tokens")->capture_default_str();
  app.add_option("--cloud-price-out", f->cloud_out, "Cloud price, USD per million output tokens")->capture_default_str();
  app.add_option("--local-price-in", f->local_in, "Local price, USD per million input tokens")->capture_default_str();
  app.add_option("--local-price-out", f->local_out, "Local price, USD per million output tokens")->capture_default_str();
  app.add_option("--usd-per-kwh", f->kwh, "Electricity price charged for local energy")->capture_default_str();
  app.add_option("--cloud-j-per-token", f->cloud_j_per_token,
                 "Assumed cloud energy per token where the cloud run has none");
  app.add_option("--accuracy-levels", f->levels, "Router accuracies p to simulate")
      ->delimiter(',')
      ->capture_default_str();
  auto* rate = app.add_option("--arrival-rate", f->rate, "Poisson arrivals per second for the load simulation");
  app.add_option("--arrivals", f->arrivals, "Number of Poisson arrivals")->capture_default_str();
  app.add_option("--arrival-trace", f->trace, "CSV of arrival times in seconds (column arrival_s or t_s)")
      ->check(CLI::ExistingFile)
      ->excludes(rate);
  app.add_option("--max-queue-s", f->max_queue_s, "Local wait beyond which a query overflows to the cloud")
      ->capture_default_str();
  app.add_option("--seed", f->seed, "Seed of the load simulation")->capture_default_str();
  app.add_flag("--json", f->json, "Print JSON");
  return [f](const std::string&) {
    for (double p : f->levels) {
      if (!(p >= 0 && p <= 1)) {
        fmt::print(stderr, "ipw route: --accuracy-levels takes values in [0, 1], got {}\n", p);
        return kExitUsage;
      }
    }
    std::vector<std::string> dirs = f->locals;
    dirs.push_back(f->cloud);
    const auto runs = report::load_runs(dirs);
    metrics::RoutingOptions opts;
    opts.accuracy_levels = f->levels;
    opts.cloud_usd_per_mtok_in = f->cloud_in;
    opts.cloud_usd_per_mtok_out = f->cloud_out;
    opts.local_usd_per_mtok_in = f->local_in;
    opts.local_usd_per_mtok_out = f->local_out;
    opts.usd_per_kwh = f->kwh;
    opts.cloud_j_per_token = f->cloud_j_per_token;
    const auto params = report::parse_assignments(f->params, "--params");
    for (const auto& r : runs) {
      const std::string v = report::lookup(params, r);
      if (v.empty()) {
        opts.parameters.emplace_back();
        continue;
      }
      const auto n = run::parse_parameters(v);
      if (!n) {
        fmt::print(stderr, "ipw route: --params {}: '{}' is not a parameter count (e.g. 8B, 7e9)\n", r.model, v);
        return kExitUsage;
      }
      opts.parameters.push_back(n);
    }
    std::optional<metrics::LoadOptions> load;
    std::string model;
    if (f->rate) {
      load.emplace();
      load->arrivals_s = metrics::poisson_arrivals(*f->rate, f->arrivals, f->seed);
      model = fmt::format("Poisson {:g}/s x {}", *f->rate, f->arrivals);
    } else if (!f->trace.empty()) {
      std::ifstream in(f->trace);
      std::stringstream text;
      text << in.rdbuf();
      load.emplace();
      load->arrivals_s = workload::parse_arrival_instants(text.str());
      model = fmt::format("trace {} ({} arrivals)", f->trace, load->arrivals_s.size());
    }
    if (load) {
      load->max_queue_s = f->max_queue_s;
      load->seed = f->seed;
    }
    const auto r = report::build_routing_report(runs, opts, load, model);
    if (f->json) {
      fmt::print("{}\n", report::to_json(r).dump(2));
    } else {
      report::print_routing(stdout, r);
    }
    return kExitOk;
  };
}

}  // namespace ipw::cli
