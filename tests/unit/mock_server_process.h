#pragma once
// Starts the built ipw-mock-server as a child process for tests: waits for its
// "listening on http://HOST:PORT" line, stops it with SIGTERM, reports its exit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ipw::testing {

class MockServerProcess {
 public:
  static std::string binary() { return std::string(IPW_BIN_DIR) + "/ipw-mock-server"; }

  explicit MockServerProcess(std::vector<std::string> args) {
    if (access(binary().c_str(), X_OK) != 0) {
      throw std::runtime_error(binary() + " is missing: build the ipw-mock-server target before ipw_tests");
    }
    // argv is built before fork: the child may only make async-signal-safe calls.
    std::vector<std::string> all = {binary()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    int err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      close(out[0]);
      close(err[0]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  }
  MockServerProcess(const MockServerProcess&) = delete;
  MockServerProcess& operator=(const MockServerProcess&) = delete;
  ~MockServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    if (stderr_fd_ >= 0) close(stderr_fd_);
  }

  // The port from the "listening on" line; -1 if the process exited or stayed silent.
  int wait_for_port(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char c;
      if (read(stdout_fd_, &c, 1) != 1) return -1;  // EOF: it exited
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      first_line_ = line;
      const auto colon = line.rfind(':');
      if (line.rfind("listening on http://", 0) != 0 || colon == std::string::npos) return -1;
      return std::stoi(line.substr(colon + 1));
    }
    return -1;
  }

  // SIGTERM, then the exit status (or -1 if it did not exit normally within the timeout).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    kill(pid_, SIGTERM);
    return wait_exit(timeout);
  }

  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      usleep(10000);
    }
    return -1;
  }

  std::string stderr_text() {
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(stderr_fd_, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    return text;
  }
  const std::string& first_line() const { return first_line_; }

  // User + system CPU time the server has used so far (from /proc/PID/stat).
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::ostringstream raw;
    raw << in.rdbuf();
    const std::string stat = raw.str();
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool exited_ = false;
  std::string first_line_;
};

}  // namespace ipw::testing
