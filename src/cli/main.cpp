// ipw: intelligence per watt. Thin command layer: parse flags, call the library, print.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "ipw/common/redact.h"
#include "ipw/common/usage_error.h"
#include "ipw/common/version.h"
#include "ipw/inference/client.h"
#include "ipw/monitor/grpc_transport.h"
#include "ipw/scoring/scorer.h"
#include "ipw/telemetry/registry.h"

namespace {

using ipw::cli::commands;

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

std::string version_text() {
  return fmt::format(
      "ipw {} (git {})\nclients: {}\ntelemetry: {}\nscorers: {}\ncommands: {}", ipw::kVersion,
      ipw::kGitRevision, join(ipw::inference::client_names()), join(ipw::telemetry::collector_names()),
      join(ipw::scoring::scorer_names()), [] {
        std::vector<std::string> names;
        for (const auto& c : commands()) names.emplace_back(c.name);
        return join(names);
      }());
}

// Unknown first word: suggest the closest command instead of a generic parse error.
int unknown_command(const std::string& word) {
  const ipw::cli::Command* best = nullptr;
  std::size_t best_d = 3;
  for (const auto& c : commands()) {
    const std::size_t d = edit_distance(word, c.name);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  fmt::print(stderr, "ipw: '{}' is not an ipw command.", word);
  if (best) fmt::print(stderr, " Did you mean '{}'?", best->name);
  fmt::print(stderr, " See 'ipw --help'.\n");
  return ipw::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("ipw");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  spdlog::set_pattern("ipw: %^%l%$: %v");
  // `--telemetry remote:HOST:PORT` (profile, energy, doctor) speaks gRPC through the monitor
  // library; the core library only knows the interface (telemetry/remote_transport.h).
  ipw::monitor::install_remote_transport();

  if (argc >= 2 && argv[1][0] != '-' && std::string(argv[1]) != "help") {
    bool known = false;
    for (const auto& c : commands()) known = known || c.name == std::string(argv[1]);
    if (!known) return unknown_command(argv[1]);
  }

  CLI::App app{"ipw: measure the intelligence per watt of local language models.\n"
               "Exit codes: 0 ok, 1 failure, 2 usage, 3 run stopped early (resumable), "
               "130 interrupted (resumable).",
               "ipw"};
  app.footer(
      "Examples:\n"
      "  ipw profile --server http://127.0.0.1:8080 --model qwen3-4b --max-queries 50\n"
      "  ipw analyze runs/<run-id>\n"
      "  ipw export runs/<run-id> --format csv -o queries.csv\n"
      "Run 'ipw COMMAND --help' for a command's flags.");
  app.set_version_flag("--version", version_text());
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details to stderr");
  app.require_subcommand(0, 1);
  CLI::App* help = app.add_subcommand("help", "Show this help; 'ipw help COMMAND' shows a command's flags");
  help->allow_extras();

  std::vector<std::pair<CLI::App*, ipw::cli::Handler>> handlers;
  for (const auto& c : commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    handlers.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ipw::cli::kExitOk : ipw::cli::kExitUsage;
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);
  // Test seam: the command line is parsed and its flags validated, and nothing runs
  // (tests/e2e/docs_commands.py checks every command line the docs show this way).
  if (const char* check = std::getenv("IPW_CHECK_ARGS"); check != nullptr && std::string(check) == "1") {
    return ipw::cli::kExitOk;
  }
  if (help->parsed()) {
    // `ipw help` is the top-level help (with the commands), `ipw help COMMAND` that command's.
    const auto extras = help->remaining();
    for (auto& c : app.get_subcommands({})) {
      if (!extras.empty() && c->get_name() == extras.front() && c != help) {
        std::fputs(c->help(app.get_name()).c_str(), stdout);
        return ipw::cli::kExitOk;
      }
    }
    if (!extras.empty()) return unknown_command(extras.front().c_str());
    // app.help() would show the parsed `help` subcommand's own help.
    std::fputs(app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str(), stdout);
    return ipw::cli::kExitOk;
  }
  std::string command_line = "ipw";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  // Stored in run directories: never with the credentials a URL may carry.
  command_line = ipw::redact_urls(command_line);
  for (auto& [sub, handler] : handlers) {
    if (!sub->parsed()) continue;
    try {
      return handler(command_line);
    } catch (const ipw::UsageError& e) {
      // Exit 2 only for the command line as given (ipw/common/usage_error.h); any other
      // error, an std::invalid_argument from deep in the library included, is a failure.
      fmt::print(stderr, "ipw {}: {}\n", sub->get_name(), e.what());
      return ipw::cli::kExitUsage;
    } catch (const std::exception& e) {
      fmt::print(stderr, "ipw {}: error: {}\n", sub->get_name(), e.what());
      return ipw::cli::kExitFailure;
    }
  }
  std::fputs(app.help().c_str(), stdout);
  return ipw::cli::kExitOk;
}
