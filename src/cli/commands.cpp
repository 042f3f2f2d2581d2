#include "cli/command.h"

namespace ipw::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"profile", "Run a workload against a server, measuring energy, latency and accuracy", setup_profile},
      {"analyze", "Summarise a run: accuracy, IPW, IPJ, energy and latency", setup_analyze},
      {"score", "Score a stored run with an LLM judge (chat and open answers), without profiling again", setup_score},
      {"merge", "Make one run of the shards of a workload (ipw profile --shard I/N), for analysis as one", setup_merge},
      {"sweep", "Run a plan of profiles (a matrix of models, settings, shards) here or as a Slurm job array", setup_sweep},
      {"export", "Export a run's per-query records as JSONL or CSV, or its telemetry as CSV", setup_export},
      {"report", "Write a self-contained HTML report of one or more runs", setup_report},
      {"compare", "Compare runs: leaderboard, accuracy-vs-energy Pareto frontier, coverage", setup_compare},
      {"route", "Simulate hybrid local/cloud routing and its energy, compute and cost savings", setup_route},
      {"trend", "IPW and IPJ over model release dates, split into model and hardware gains", setup_trend},
      {"proxy", "Measure the requests of agents (or any client) through a reverse proxy to the server", setup_proxy},
      {"agent", "Run the built-in tool-calling agent on a task set, measured per request and per task", setup_agent},
      {"tasks", "The tasks of an agent run: turns, energy in and between requests, outcomes, IPJ per task", setup_tasks},
      {"monitor", "Serve this host's telemetry over gRPC and Prometheus (the telemetry daemon)", setup_monitor},
      {"doctor", "Check which energy sensors this machine has, whether ipw can read them, and how to fix it", setup_doctor},
      {"energy", "Measure live per-domain power and energy (watts, joules) from the energy sources", setup_energy},
  };
  return table;
}

}  // namespace ipw::cli
