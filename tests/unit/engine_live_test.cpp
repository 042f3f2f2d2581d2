// The launcher against the real llama-server on the generated model. These need the artefacts of
// scripts/build-llama.sh and scripts/make-model.sh, so they are DISABLED_ in the hermetic unit run
// and run by tests/e2e/engine_launcher_test.sh (ctest e2e.engine_launcher_test), which fails (never
// skips) when llama-server or the model is missing. Environment: IPW_LLAMA_SERVER (else the usual
// search), IPW_ENGINE_MODEL (else <source>/third_party/models/ipw-tiny.gguf).
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine_test_gguf.h"
#include "ipw/inference/client.h"
#include "ipw/inference/engine_gguf.h"
#include "ipw/inference/engine_http.h"
#include "ipw/inference/engine_launcher.h"
#include "ipw/inference/engine_process.h"

namespace ipw::inference {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string model_path() {
  if (const char* m = std::getenv("IPW_ENGINE_MODEL")) return m;
  return std::string(IPW_SOURCE_DIR) + "/third_party/models/ipw-tiny.gguf";
}

bool process_exists(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

class EngineLive : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ipw-engine-live-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  EngineOptions opts() {
    EngineOptions o;
    o.model_path = model_path();
    o.log_path = (dir_ / "server.log").string();
    o.extra_args = {"--threads", "1"};
    o.startup_timeout_s = 60;
    o.stop_grace_s = 5;
    return o;
  }

  static nlohmann::json chat(const std::string& url, int max_tokens) {
    const nlohmann::json body = {{"messages", {{{"role", "user"}, {"content", "What is 2 + 3?"}}}},
                                 {"max_tokens", max_tokens},
                                 {"ignore_eos", true},
                                 {"temperature", 0.0}};
    auto reply = engine_http("POST", url + "/v1/chat/completions", body.dump(), 60);
    if (!reply) throw std::runtime_error(reply.error());
    if (reply->status != 200) throw std::runtime_error("HTTP " + std::to_string(reply->status) + ": " + reply->body);
    return nlohmann::json::parse(reply->body);
  }

  fs::path dir_;
};

TEST_F(EngineLive, DISABLED_StartsServesReportsAndStops) {
  Engine e(opts());
  const std::string url = e.start();
  EXPECT_THAT(url, ::testing::StartsWith("http://127.0.0.1:"));
  ASSERT_TRUE(e.alive());
  const int pid = e.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::getpgid(pid), pid);  // its own process group

  e.warm_up("");
  const double cpu_before_s = e.process_cpu_time_s();
  const auto reply = chat(url, 200);
  EXPECT_EQ(reply["usage"]["completion_tokens"], 200);
  EXPECT_GT(reply["timings"]["predicted_ms"].get<double>(), 0.0);
  const double cpu_after_s = e.process_cpu_time_s();
  EXPECT_GT(cpu_after_s, cpu_before_s) << "200 tokens of decode must cost the server CPU time";

  const auto facts = e.model_facts();
  EXPECT_EQ(facts["gguf"]["architecture"], "llama");
  EXPECT_EQ(facts["gguf"]["file_type"], "F32");
  EXPECT_GT(facts["gguf"]["parameter_count"].get<std::uint64_t>(), 100000u);
  EXPECT_EQ(facts["file_sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(facts["server_props"].contains("default_generation_settings")) << facts["server_props"].dump();
  EXPECT_EQ(facts["server_models"]["data"][0]["id"], e.model_id());
  // ipw's own GGUF reader agrees with what llama.cpp loaded.
  const auto& meta = facts["server_models"]["data"][0]["meta"];
  EXPECT_EQ(facts["gguf"]["parameter_count"], meta["n_params"]);
  EXPECT_EQ(facts["gguf"]["vocab_size"], meta["n_vocab"]);
  EXPECT_EQ(facts["gguf"]["context_length"], meta["n_ctx_train"]);
  EXPECT_EQ(facts["gguf"]["embedding_length"], meta["n_embd"]);
  EXPECT_THAT(e.log_tail(), HasSubstr("ipw: starting"));

  e.stop();
  EXPECT_FALSE(e.alive());
  EXPECT_EQ(e.pid(), 0);
  EXPECT_FALSE(process_exists(pid));
  EXPECT_FALSE(loopback_port_in_use(port_of(url)));
  e.stop();  // idempotent
}

TEST_F(EngineLive, DISABLED_TheProjectClientStreamsFromTheLaunchedServer) {
  Engine e(opts());
  ClientOptions copts;
  copts.base_url = e.start();
  e.warm_up("");
  auto client = make_client("openai", copts);
  Request req;
  req.model = e.model_id();
  req.prompt = "What is the capital of France?";
  req.max_tokens = 16;
  auto res = client->complete(req);
  ASSERT_TRUE(res) << res.error().message;
  ASSERT_TRUE(res->output_tokens.has_value());
  EXPECT_GT(*res->output_tokens, 0);
  EXPECT_GT(*res->input_tokens, 0);
  EXPECT_GT(res->t_first_token_ns, res->t_send_ns);
  EXPECT_GE(res->t_last_byte_ns, res->t_first_token_ns);
  EXPECT_TRUE(res->server_timings.contains("predicted_ms")) << res->server_timings.dump();
}

TEST_F(EngineLive, DISABLED_DestructorStopsTheServer) {
  int pid = 0;
  {
    Engine e(opts());
    e.start();
    pid = e.pid();
    ASSERT_TRUE(process_exists(pid));
  }
  EXPECT_FALSE(process_exists(pid));
}

TEST_F(EngineLive, DISABLED_KilledServerIsAClearError) {
  Engine e(opts());
  e.start();
  const int pid = e.pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  for (int i = 0; i < 100 && e.alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(e.alive());
  try {
    e.check_alive();
    FAIL() << "check_alive() did not throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("was killed by signal 9"));
    EXPECT_THAT(err.what(), HasSubstr(e.log_path()));
  }
  EXPECT_THROW(e.warm_up(""), EngineError);
  e.stop();
  EXPECT_EQ(e.pid(), 0);
}

TEST_F(EngineLive, DISABLED_BadModelPathIsAClearError) {
  auto o = opts();
  o.model_path = (dir_ / "missing.gguf").string();
  Engine e(o);
  try {
    e.start();
    FAIL() << "start() did not throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("missing.gguf' does not exist"));
  }
}

TEST_F(EngineLive, DISABLED_UnloadableModelReportsTheServerLog) {
  // A valid GGUF header whose tensors are missing: ipw's reader accepts it, llama-server must not.
  auto o = opts();
  o.model_path = (dir_ / "broken.gguf").string();
  std::ofstream(o.model_path, std::ios::binary) << testing::tiny_llama_gguf();
  Engine e(o);
  try {
    e.start();
    FAIL() << "start() did not throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("llama-server failed to start"));
    EXPECT_THAT(err.what(), HasSubstr("exited with status"));
    EXPECT_THAT(err.what(), ::testing::ContainsRegex("(failed to load|error loading) model"));
  }
  EXPECT_EQ(e.pid(), 0);
}

TEST_F(EngineLive, DISABLED_PortInUseIsAClearErrorAndTwoEnginesGetTwoPorts) {
  Engine first(opts());
  const std::string url = first.start();
  auto o = opts();
  o.log_path = (dir_ / "second.log").string();
  o.port = port_of(url);
  Engine clash(o);
  try {
    clash.start();
    FAIL() << "start() on a taken port did not throw";
  } catch (const EngineError& err) {
    EXPECT_THAT(err.what(), HasSubstr("already in use"));
  }
  o.port = 0;
  Engine second(o);
  const std::string url2 = second.start();
  EXPECT_NE(url2, url);
  EXPECT_TRUE(first.alive());
  EXPECT_TRUE(second.alive());
}

TEST_F(EngineLive, DISABLED_ExtraArgsReachTheServer) {
  auto o = opts();
  o.extra_args = {"--threads", "1", "--ctx-size", "256", "--parallel", "1"};
  Engine e(o);
  e.start();
  const auto facts = e.model_facts();
  EXPECT_EQ(facts["server_props"]["default_generation_settings"]["n_ctx"], 256) << facts["server_props"].dump();
}

TEST_F(EngineLive, DISABLED_GgufReaderReadsLlamaCppsOwnVocabFiles) {
  // Vocabulary-only GGUF files shipped in the llama.cpp source tree that scripts/build-llama.sh cloned.
  const char* dir_env = std::getenv("IPW_LLAMA_DIR");
  const fs::path models = fs::path(dir_env ? dir_env : std::string(IPW_SOURCE_DIR) + "/third_party/llama") / "src/models";
  auto spm = read_gguf_file((models / "ggml-vocab-llama-spm.gguf").string());
  ASSERT_TRUE(spm) << spm.error();
  EXPECT_EQ(spm->architecture, "llama");
  EXPECT_EQ(spm->vocab_size, 32000);
  EXPECT_EQ(spm->metadata["tokenizer.ggml.model"], "llama");
  int read = 0;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (entry.path().extension() != ".gguf") continue;
    auto f = read_gguf_file(entry.path().string());
    EXPECT_TRUE(f) << entry.path() << ": " << f.error();
    if (f) {
      EXPECT_GT(f->vocab_size, 0) << entry.path();
    }
    ++read;
  }
  EXPECT_GE(read, 10);
}

TEST_F(EngineLive, DISABLED_SignalHandlerHookTerminatesRunningEngines) {
  Engine e(opts());
  e.start();
  const int pid = e.pid();
  terminate_engines_from_signal_handler();
  for (int i = 0; i < 250 && e.alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(e.alive());
  e.stop();
  EXPECT_FALSE(process_exists(pid));
}

}  // namespace
}  // namespace ipw::inference
