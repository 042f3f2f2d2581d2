// The command lines ipw starts each engine with (inference/engine_recipes.h): what every
// engine gets (loopback host, the port, the served name, request slots), and the engine
// arguments ipw sets itself, refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipw/inference/engine_launcher.h"
#include "ipw/inference/engine_recipes.h"

namespace ipw::inference {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

EngineOptions options(const std::string& engine, const std::string& model, int parallel = 1) {
  EngineOptions o;
  o.engine = engine;
  o.model_path = model;
  o.alias = model;
  o.parallel = parallel;
  return o;
}

TEST(EngineRecipes, EachEngineServesTheModelOnLoopbackUnderItsName) {
  EXPECT_THAT(engine_command(engine_recipe("vllm"), options("vllm", "Qwen/Qwen3-4B"), "/bin/vllm", 8001).argv,
              ElementsAre("/bin/vllm", "serve", "Qwen/Qwen3-4B", "--host", "127.0.0.1", "--port", "8001",
                          "--served-model-name", "Qwen/Qwen3-4B"));
  EXPECT_THAT(engine_command(engine_recipe("sglang"), options("sglang", "/models/q"), "/usr/bin/python3", 8002).argv,
              ElementsAre("/usr/bin/python3", "-m", "sglang.launch_server", "--model-path", "/models/q", "--host",
                          "127.0.0.1", "--port", "8002", "--served-model-name", "/models/q"));
  const auto ollama = engine_command(engine_recipe("ollama"), options("ollama", "llama3.2:1b", 4), "/bin/ollama", 8003);
  EXPECT_THAT(ollama.argv, ElementsAre("/bin/ollama", "serve"));
  EXPECT_THAT(ollama.env, ElementsAre("OLLAMA_HOST=127.0.0.1:8003", "OLLAMA_NUM_PARALLEL=4"));
  EXPECT_EQ(engine_recipe("ollama").api, std::string("ollama"));
}

TEST(EngineRecipes, RequestSlotsFollowTheQueriesInFlightUnlessTheUserSetThem) {
  auto llama = options("llama.cpp", "m.gguf", 8);
  EXPECT_THAT(engine_command(engine_recipe("llama.cpp"), llama, "s", 1).argv, ::testing::Contains("--parallel"));
  llama.extra_args = {"-np", "2"};
  const auto given = engine_command(engine_recipe("llama.cpp"), llama, "s", 1).argv;
  EXPECT_EQ(std::count(given.begin(), given.end(), "--parallel"), 0);
  // vLLM batches up to 256 by itself: only more in flight raises it.
  EXPECT_THAT(engine_command(engine_recipe("vllm"), options("vllm", "m", 64), "v", 1).argv,
              ::testing::Not(::testing::Contains("--max-num-seqs")));
  EXPECT_THAT(engine_command(engine_recipe("vllm"), options("vllm", "m", 1024), "v", 1).argv,
              ::testing::Contains("1024"));
}

TEST(EngineRecipes, ArgumentsIpwSetsItselfAreRefused) {
  for (const auto& [engine, arg] : std::vector<std::pair<std::string, std::string>>{
           {"vllm", "--port"}, {"vllm", "--served-model-name=x"}, {"sglang", "--model-path"}, {"sglang", "--host"}}) {
    auto o = options(engine, "m");
    o.extra_args = {arg, "1"};
    try {
      check_engine_options(o);
      ADD_FAILURE() << engine << " " << arg;
    } catch (const EngineError& e) {
      EXPECT_THAT(e.what(), HasSubstr("cannot be given")) << engine << " " << arg;
    }
  }
  auto o = options("ollama", "llama3.2:1b");
  o.extra_args = {"--verbose"};
  EXPECT_THROW(check_engine_options(o), EngineError);
  EXPECT_THROW(check_engine_options(options("vllm", "")), EngineError);
  EXPECT_NO_THROW(check_engine_options(options("vllm", "Qwen/Qwen3-4B")));  // a model id, not a file
}

}  // namespace
}  // namespace ipw::inference
