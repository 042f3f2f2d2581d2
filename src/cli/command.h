#pragma once
// The subcommand table: one entry per `ipw` subcommand. `ipw help`, `--help`
// and "did you mean" suggestions are all driven from it.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ipw::cli {

// Runs the parsed subcommand; command_line is the whole invocation (for the manifest).
using Handler = std::function<int(const std::string& command_line)>;

struct Command {
  const char* name;
  const char* summary;
  // Declares the subcommand's flags on `app` and returns the handler that runs it
  // (the handler reads the variables the flags were bound to).
  Handler (*setup)(CLI::App& app);
};

const std::vector<Command>& commands();

Handler setup_profile(CLI::App& app);
Handler setup_analyze(CLI::App& app);
Handler setup_export(CLI::App& app);
Handler setup_compare(CLI::App& app);
Handler setup_report(CLI::App& app);
Handler setup_route(CLI::App& app);
Handler setup_trend(CLI::App& app);
Handler setup_monitor(CLI::App& app);
Handler setup_proxy(CLI::App& app);
Handler setup_tasks(CLI::App& app);
Handler setup_agent(CLI::App& app);
Handler setup_score(CLI::App& app);
Handler setup_merge(CLI::App& app);
Handler setup_sweep(CLI::App& app);
Handler setup_doctor(CLI::App& app);
Handler setup_energy(CLI::App& app);

}  // namespace ipw::cli
