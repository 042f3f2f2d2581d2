#include "ipw/inference/engine_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ipw::inference {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// sockaddr_in -> sockaddr for the socket API, without an old-style cast.
sockaddr* as_sockaddr(sockaddr_in* a) { return reinterpret_cast<sockaddr*>(a); }

}  // namespace

Expected<int, std::string> pick_free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(fmt::format("socket(): {}", std::strerror(errno)));
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, as_sockaddr(&addr), sizeof addr) != 0 || ::getsockname(fd, as_sockaddr(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return unexpected(fmt::format("cannot find a free port on 127.0.0.1: {}", why));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool loopback_port_in_use(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port);
  // No SO_REUSEADDR: a bind that fails with EADDRINUSE means a server (or a fresh TIME_WAIT) holds it.
  const bool in_use = ::bind(fd, as_sockaddr(&addr), sizeof addr) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return in_use;
}

Expected<pid_t, std::string> spawn_process(const std::vector<std::string>& argv, const std::string& log_path,
                                           const std::vector<std::string>& env) {
  if (argv.empty()) return unexpected(std::string("spawn_process: empty argv"));
  if (::access(argv[0].c_str(), X_OK) != 0) {
    return unexpected(fmt::format("'{}' is not an executable file: {}", argv[0], std::strerror(errno)));
  }
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return unexpected(fmt::format("cannot open the engine log '{}': {}", log_path, std::strerror(errno)));
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // The child's environment: ipw's, with `env` replacing variables of the same name.
  std::vector<std::string> env_strings = env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view var(*e);
    const auto name = var.substr(0, var.find('=') + 1);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) { return x.rfind(name, 0) == 0; });
    if (!replaced) env_strings.emplace_back(var);
  }
  std::vector<char*> cenv;
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string why = std::strerror(errno);
    ::close(log_fd);
    return unexpected(fmt::format("fork(): {}", why));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(cargv[0], cargv.data(), cenv.data());
    const char msg[] = "ipw: exec of the engine binary failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we might signal it
  ::close(log_fd);
  return pid;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  return fmt::format("stopped (wait status {:#x})", status);
}

Expected<double, std::string> parse_proc_stat_cpu_s(std::string_view stat_text, long ticks_per_s) {
  const auto close = stat_text.rfind(')');
  if (close == std::string_view::npos || ticks_per_s <= 0) return unexpected(std::string("malformed /proc stat line"));
  // After ") ": field 3 (state) is index 0, so utime (field 14) is index 11 and stime index 12.
  std::istringstream rest{std::string(stat_text.substr(close + 1))};
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 0; i <= 12; ++i) {
    if (!(rest >> field)) return unexpected(std::string("/proc stat line has too few fields"));
    try {
      if (i == 11) utime = std::stoull(field);
      if (i == 12) stime = std::stoull(field);
    } catch (const std::exception&) {
      return unexpected(fmt::format("/proc stat field '{}' is not a number", field));
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(ticks_per_s);
}

Expected<double, std::string> process_cpu_time_s(pid_t pid, const std::string& proc_root) {
  const std::string path = fmt::format("{}/{}/stat", proc_root, pid);
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return unexpected(fmt::format("cannot read {}", path));
  return parse_proc_stat_cpu_s(line, ::sysconf(_SC_CLK_TCK));
}

std::string read_file_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (start > 0) {
    if (auto nl = text.find('\n'); nl != std::string::npos) text.erase(0, nl + 1);
  }
  return text;
}

}  // namespace ipw::inference
