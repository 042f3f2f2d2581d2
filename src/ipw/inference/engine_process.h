#pragma once
// Process plumbing for the engine launcher: loopback ports, spawning a server in its own process
// group with its output in a log file, reaping it, and reading its CPU time from /proc.
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::inference {

// A port the kernel reports free on 127.0.0.1 right now (bind to port 0, read it back, release
// it). Another process can take it before the server binds; the launcher retries on that.
Expected<int, std::string> pick_free_loopback_port();
// Whether something is listening or bound on 127.0.0.1:port.
bool loopback_port_in_use(int port);

// fork + exec of argv[0] (a path) with stdin from /dev/null and stdout+stderr appended to
// log_path. The child leads its own process group (so the whole group can be signalled and a
// terminal's Ctrl-C reaches ipw, which then stops it in order) and gets SIGTERM if the thread that
// spawned it dies (PR_SET_PDEATHSIG), so a crashed ipw leaves no server behind. `env`
// (KEY=VALUE) is added to ipw's own environment for the child (Ollama's bind address).
Expected<pid_t, std::string> spawn_process(const std::vector<std::string>& argv, const std::string& log_path,
                                           const std::vector<std::string>& env = {});

// "exited with status 1" / "was killed by signal 9 (Killed)" for a waitpid status.
std::string describe_wait_status(int status);

// utime + stime (seconds) from the text of /proc/PID/stat. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after the last ')'.
Expected<double, std::string> parse_proc_stat_cpu_s(std::string_view stat_text, long ticks_per_s);
// Reads <proc_root>/<pid>/stat; proc_root is a seam for tests ("/proc" in production).
Expected<double, std::string> process_cpu_time_s(pid_t pid, const std::string& proc_root = "/proc");

// The last max_bytes of a file, trimmed to start at a line boundary ("" if unreadable).
std::string read_file_tail(const std::string& path, std::size_t max_bytes);

}  // namespace ipw::inference
