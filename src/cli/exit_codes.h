#pragma once
// Named exit codes (documented in `ipw --help` and docs/cli.md).
namespace ipw::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the job could not be done (bad input, dead server, …)
inline constexpr int kExitUsage = 2;        // bad flags or arguments
inline constexpr int kExitIncomplete = 3;   // the run stopped early but is resumable
inline constexpr int kExitInterrupted = 130;  // Ctrl-C / SIGTERM; the run is resumable
}  // namespace ipw::cli
