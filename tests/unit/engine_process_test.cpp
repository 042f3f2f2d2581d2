#include "ipw/inference/engine_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ipw::inference {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("ipw-engine-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(EngineProcess, ParsesCpuTimeAfterTheLastParenthesis) {
  // comm "(llama) (server)" holds spaces and parentheses; utime=250, stime=50 ticks.
  const std::string stat =
      "4242 ((llama) (server)) S 1 4242 4242 0 -1 4194304 500 0 0 0 250 50 0 0 20 0 9 0 100 1000 10";
  auto cpu = parse_proc_stat_cpu_s(stat, 100);
  ASSERT_TRUE(cpu) << cpu.error();
  EXPECT_DOUBLE_EQ(*cpu, 3.0);
}

TEST(EngineProcess, RejectsMalformedStatLines) {
  EXPECT_FALSE(parse_proc_stat_cpu_s("4242 no parenthesis 1 2 3", 100));
  EXPECT_FALSE(parse_proc_stat_cpu_s("4242 (x) S 1 2 3", 100));
  EXPECT_FALSE(parse_proc_stat_cpu_s("4242 (x) S 1 2 3 4 5 6 7 8 9 10 ten 12", 100));
  EXPECT_FALSE(parse_proc_stat_cpu_s("4242 (x) S 1 2 3 4 5 6 7 8 9 10 11 12", 0));
}

TEST(EngineProcess, ReadsStatFromAnInjectedProcRoot) {
  const auto root = fresh_dir("proc");
  fs::create_directories(root / "77");
  std::ofstream(root / "77" / "stat") << "77 (srv) R 1 77 77 0 -1 0 0 0 0 0 " << 3 * ::sysconf(_SC_CLK_TCK) << " "
                                      << ::sysconf(_SC_CLK_TCK) << " 0 0\n";
  auto cpu = process_cpu_time_s(77, root.string());
  ASSERT_TRUE(cpu) << cpu.error();
  EXPECT_DOUBLE_EQ(*cpu, 4.0);
  EXPECT_FALSE(process_cpu_time_s(78, root.string()));
  fs::remove_all(root);
}

TEST(EngineProcess, OwnCpuTimeFromTheRealProcIsPlausible) {
  auto cpu = process_cpu_time_s(::getpid());
  ASSERT_TRUE(cpu) << cpu.error();
  EXPECT_GE(*cpu, 0.0);
  EXPECT_LT(*cpu, 3600.0);
}

TEST(EngineProcess, PicksAPortThatIsFreeAndDetectsOneInUse) {
  auto port = pick_free_loopback_port();
  ASSERT_TRUE(port) << port.error();
  EXPECT_GT(*port, 0);
  EXPECT_FALSE(loopback_port_in_use(*port));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(*port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_TRUE(loopback_port_in_use(*port));
  ::close(fd);
}

TEST(EngineProcess, SpawnsInItsOwnGroupWithOutputInTheLog) {
  const auto dir = fresh_dir("spawn");
  const auto log = (dir / "out.log").string();
  auto pid = spawn_process({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"}, log);
  ASSERT_TRUE(pid) << pid.error();
  int status = 0;
  ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
  EXPECT_EQ(describe_wait_status(status), "exited with status 3");
  const std::string text = read_file_tail(log, 1000);
  EXPECT_NE(text.find("to-stdout"), std::string::npos) << text;
  EXPECT_NE(text.find("to-stderr"), std::string::npos) << text;
  fs::remove_all(dir);
}

TEST(EngineProcess, ChildLeadsItsOwnProcessGroup) {
  const auto dir = fresh_dir("pgrp");
  auto pid = spawn_process({"/bin/sleep", "30"}, (dir / "log").string());
  ASSERT_TRUE(pid) << pid.error();
  EXPECT_EQ(::getpgid(*pid), *pid);
  ::kill(-*pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
  EXPECT_EQ(describe_wait_status(status).rfind("was killed by signal 9", 0), 0u) << describe_wait_status(status);
  fs::remove_all(dir);
}

TEST(EngineProcess, RefusesANonExecutable) {
  auto pid = spawn_process({"/nonexistent/llama-server"}, "/dev/null");
  ASSERT_FALSE(pid);
  EXPECT_NE(pid.error().find("/nonexistent/llama-server"), std::string::npos);
}

TEST(EngineProcess, FileTailStartsAtALineBoundary) {
  const auto dir = fresh_dir("tail");
  const auto path = (dir / "f").string();
  std::ofstream(path) << "first line\nsecond line\nthird\n";
  EXPECT_EQ(read_file_tail(path, 14), "third\n");
  EXPECT_EQ(read_file_tail(path, 1000), "first line\nsecond line\nthird\n");
  EXPECT_EQ(read_file_tail((dir / "missing").string(), 10), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ipw::inference
