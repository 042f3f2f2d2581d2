#include "ipw/cluster/command.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "ipw/common/executable_path.h"

namespace ipw::cluster {

CommandResult run_command(const std::vector<std::string>& argv, const std::string& log_path) {
  CommandResult r;
  int pipe_fd[2] = {-1, -1};
  if (log_path.empty() && ::pipe(pipe_fd) != 0) return {127, ""};
  const int log_fd = log_path.empty() ? -1 : ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (!log_path.empty() && log_fd < 0) return {127, ""};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    } else {
      ::dup2(pipe_fd[1], STDOUT_FILENO);
      ::close(pipe_fd[0]);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  if (pid < 0) {
    for (int fd : pipe_fd) {
      if (fd >= 0) ::close(fd);
    }
    return {127, ""};
  }
  if (pipe_fd[0] >= 0) {
    ::close(pipe_fd[1]);
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(pipe_fd[0], buf, sizeof buf);
      if (n > 0) r.out.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    ::close(pipe_fd[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
  return r;
}

bool on_path(const std::string& name) { return find_on_path(name).has_value(); }

}  // namespace ipw::cluster
