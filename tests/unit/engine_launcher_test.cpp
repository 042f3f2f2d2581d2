// The launcher against fake server binaries (shell scripts), so these run without llama.cpp.
// The real llama-server is exercised by EngineLive (tests/unit/engine_live_test.cpp, run from
// tests/e2e/engine_launcher_test.sh).
#include "ipw/inference/engine_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine_test_gguf.h"
#include "loopback_socket.h"

namespace ipw::inference {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EngineLauncher : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ipw-engine-launcher-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    model_ = (dir_ / "tiny.gguf").string();
    std::ofstream(model_, std::ios::binary) << testing::tiny_llama_gguf();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string fake_server(const std::string& name, const std::string& body) {
    const auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  EngineOptions opts(const std::string& binary) {
    EngineOptions o;
    o.server_binary = binary;
    o.model_path = model_;
    o.log_path = (dir_ / "server.log").string();
    o.startup_timeout_s = 5;
    o.stop_grace_s = 0.3;
    return o;
  }

  static std::string start_error(Engine& e) {
    try {
      e.start();
    } catch (const EngineError& err) {
      return err.what();
    }
    return "start() did not throw";
  }

  fs::path dir_;
  std::string model_;
};

TEST_F(EngineLauncher, MissingModelIsAClearErrorBeforeAnythingStarts) {
  auto o = opts(fake_server("never", "exit 99"));
  o.model_path = (dir_ / "no-such-model.gguf").string();
  Engine e(o);
  EXPECT_THAT(start_error(e), HasSubstr("no-such-model.gguf' does not exist"));
  EXPECT_EQ(e.pid(), 0);
  EXPECT_FALSE(fs::exists(dir_ / "server.log"));  // nothing was spawned
}

TEST_F(EngineLauncher, ANonGgufModelIsRefused) {
  const auto bogus = (dir_ / "bogus.gguf").string();
  std::ofstream(bogus) << "not a model";
  auto o = opts(fake_server("never", "exit 99"));
  o.model_path = bogus;
  Engine e(o);
  EXPECT_THAT(start_error(e), HasSubstr("not a GGUF file"));
}

TEST_F(EngineLauncher, ServerThatExitsDuringLoadReportsStatusAndLogTail) {
  Engine e(opts(fake_server("crash", "echo 'llama_model_load: error loading model: bad tensor' >&2; exit 1")));
  const std::string err = start_error(e);
  EXPECT_THAT(err, HasSubstr("exited with status 1"));
  EXPECT_THAT(err, HasSubstr("error loading model: bad tensor"));
  EXPECT_FALSE(e.alive());
  EXPECT_EQ(e.pid(), 0);
}

TEST_F(EngineLauncher, PassesModelPortAliasAndExtraArgs) {
  auto o = opts(fake_server("args", "echo \"ARGS: $*\"; exit 2"));
  o.extra_args = {"--threads", "2", "-c", "512"};
  o.alias = "my-model";
  Engine e(o);
  const std::string err = start_error(e);
  EXPECT_THAT(err, HasSubstr("--model " + model_));
  EXPECT_THAT(err, HasSubstr("--host 127.0.0.1 --port "));
  EXPECT_THAT(err, HasSubstr("--alias my-model --threads 2 -c 512"));
}

TEST_F(EngineLauncher, AliasDefaultsToTheModelFileStem) {
  Engine e(opts(fake_server("never", "exit 99")));
  EXPECT_EQ(e.model_id(), "tiny");
}

TEST_F(EngineLauncher, ReservedPassThroughArgsAreRefused) {
  for (const char* arg : {"--port", "--host", "-m", "--model=x.gguf", "--alias"}) {
    auto o = opts(fake_server("never", "exit 99"));
    o.extra_args = {arg, "1"};
    EXPECT_THROW(Engine{o}, EngineError) << arg;
  }
}

TEST_F(EngineLauncher, UnknownEngineIsRefused) {
  auto o = opts(fake_server("never", "exit 99"));
  o.engine = "tgi";
  try {
    Engine e(o);
    FAIL() << "no throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("--server URL"));
  }
}

TEST_F(EngineLauncher, HungServerTimesOutAndIsKilledEvenIfItIgnoresSigterm) {
  auto o = opts(fake_server("hang", "trap '' TERM; echo loading; while true; do sleep 0.05; done"));
  o.startup_timeout_s = 0.5;
  Engine e(o);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = start_error(e);
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_THAT(err, HasSubstr("did not become healthy within 0.5 s"));
  // The message ends with the server's log as it was when the server was stopped: ipw's own
  // start line always, the fake's "loading" when it got to run (a stress run's load average of
  // 36 once kept the shell from reaching its echo within the 0.5 s).
  EXPECT_THAT(err, HasSubstr("ipw: starting"));
  std::ifstream log(e.log_path());
  const std::string logged((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  if (logged.find("loading") != std::string::npos) {
    EXPECT_THAT(err, HasSubstr("loading"));
  }
  EXPECT_LT(took_s, 3.0);
  EXPECT_EQ(e.pid(), 0);
  EXPECT_FALSE(e.alive());
}

TEST_F(EngineLauncher, ExplicitPortInUseIsAClearError) {
  const auto [fd, port] = nettest::bind_loopback();
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto o = opts(fake_server("never", "exit 99"));
  o.port = port;
  Engine e(o);
  EXPECT_THAT(start_error(e), HasSubstr(std::to_string(o.port) + " on 127.0.0.1 is already in use"));
  ::close(fd);
}

TEST_F(EngineLauncher, QueriesBeforeStartAreErrors) {
  Engine e(opts(fake_server("never", "exit 99")));
  EXPECT_FALSE(e.alive());
  EXPECT_EQ(e.base_url(), "");
  EXPECT_THROW(e.check_alive(), EngineError);
  EXPECT_THROW(e.process_cpu_time_s(), EngineError);
  EXPECT_THROW(e.warm_up(""), EngineError);
  e.stop();  // idempotent, harmless before start
  e.stop();
}

TEST_F(EngineLauncher, ModelFactsComeFromTheHeaderWithoutAServer) {
  Engine e(opts(fake_server("never", "exit 99")));
  const auto facts = e.model_facts();
  EXPECT_EQ(facts["gguf"]["architecture"], "llama");
  EXPECT_EQ(facts["gguf"]["file_type"], "Q4_K_M");
  EXPECT_EQ(facts["file_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(facts["file_size_bytes"], fs::file_size(model_));
  EXPECT_FALSE(facts.contains("server_props"));  // not running: no server facts invented
}

TEST(EngineServerSearch, ExplicitEnvironmentWinsAlone) {
  ServerSearch s{"/opt/llama-server", "/x", "/y/bin", "/usr/bin"};
  EXPECT_EQ(llama_server_candidates(s), std::vector<std::string>{"/opt/llama-server"});
}

TEST(EngineServerSearch, BuildTreeBeforePath) {
  ServerSearch s{"", "/cache/llama", "/src/ipw/build-x/bin", "/usr/local/bin::/usr/bin"};
  EXPECT_EQ(llama_server_candidates(s),
            (std::vector<std::string>{"/cache/llama/build/bin/llama-server", "/src/ipw/build-x/bin/llama-server",
                                      "/src/ipw/third_party/llama/build/bin/llama-server",
                                      "/src/ipw/build-x/third_party/llama/build/bin/llama-server",
                                      "/usr/local/bin/llama-server", "/usr/bin/llama-server"}));
}

TEST(EngineServerSearch, MissingExplicitBinaryIsNamedInTheError) {
  ::setenv("IPW_LLAMA_SERVER", "/nonexistent/llama-server", 1);
  try {
    find_llama_server();
    ADD_FAILURE() << "no throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("IPW_LLAMA_SERVER='/nonexistent/llama-server'"));
  }
  ::unsetenv("IPW_LLAMA_SERVER");
}

}  // namespace
}  // namespace ipw::inference

namespace ipw::inference {
namespace {

TEST(EngineThreads, ABusyMachineGivesTheServerTheCoresLeftFree) {
  EXPECT_FALSE(threads_for_free_cores(16, 0.3));  // idle: llama-server's own default stands
  EXPECT_FALSE(threads_for_free_cores(2, 0.9));
  EXPECT_EQ(threads_for_free_cores(16, 4.2), 12);
  EXPECT_EQ(threads_for_free_cores(2, 1.0), 1);
  EXPECT_EQ(threads_for_free_cores(2, 4.0), 1);  // never fewer than one
  EXPECT_FALSE(threads_for_free_cores(0, 3.0));  // unknown CPU count: leave it to the server
}

}  // namespace
}  // namespace ipw::inference
