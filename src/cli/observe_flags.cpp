#include "cli/observe_flags.h"

namespace ipw::cli {

void add_observe_flags(CLI::App& app, run::ProfileConfig& c, const char* idle_help) {
  app.add_option("--model", c.model, "Model name for the run's label and manifest");
  app.add_option("--out", c.out, "Directory that receives run directories")->capture_default_str();
  app.add_option("--telemetry", c.telemetry, "Energy sources: auto, estimated, replay:FILE.csv, …")->capture_default_str();
  app.add_option("--domains", c.domains, "Domains in the IPW figures: all, a kind (gpu, cpu) or names")
      ->capture_default_str();
  app.add_option("--sample-period-ms", c.sample_period_ms, "Telemetry sampling period")->capture_default_str();
  app.add_option("--idle-seconds", c.idle_seconds, idle_help)->capture_default_str();
  app.add_option("--attribution", c.attribution, "How requests in flight together share energy: fitted, tokens, equal")
      ->capture_default_str();
}

}  // namespace ipw::cli
