#include "ipw/inference/engine_recipes.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ipw/common/executable_path.h"
#include "ipw/inference/engine_launcher.h"

namespace ipw::inference {
namespace {

constexpr const char* kPortWhy = "ipw starts the server on a free loopback port itself";
constexpr const char* kModelWhy = "the model is ipw's --model";
constexpr const char* kAliasWhy = "the served name is ipw's --model";

bool given(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return a == n || a.rfind(std::string(n) + "=", 0) == 0; });
  });
}

}  // namespace

const std::vector<EngineRecipe>& engine_recipes() {
  static const std::vector<EngineRecipe> recipes = {
      {"llama.cpp", "llama-server", "IPW_LLAMA_SERVER", "llama-server", "/health", "openai", true,
       {{"--port", kPortWhy}, {"--host", kPortWhy}, {"-m", kModelWhy}, {"--model", kModelWhy},
        {"--alias", kAliasWhy}, {"-a", kAliasWhy}}},
      {"vllm", "vllm", "IPW_VLLM", "vllm", "/health", "openai", false,
       {{"--port", kPortWhy}, {"--host", kPortWhy}, {"--model", kModelWhy}, {"--served-model-name", kAliasWhy}}},
      {"sglang", "sglang", "IPW_SGLANG_PYTHON", "python3", "/health", "openai", false,
       {{"--port", kPortWhy}, {"--host", kPortWhy}, {"--model-path", kModelWhy}, {"--model", kModelWhy},
        {"--served-model-name", kAliasWhy}}},
      {"ollama", "ollama", "IPW_OLLAMA", "ollama", "/api/version", "ollama", false, {}},
  };
  return recipes;
}

const EngineRecipe& engine_recipe(const std::string& name) {
  for (const EngineRecipe& r : engine_recipes()) {
    if (name == r.name) return r;
  }
  std::vector<std::string> names;
  for (const EngineRecipe& r : engine_recipes()) names.emplace_back(r.name);
  throw EngineError(fmt::format("unknown engine '{}': ipw launches {} itself; for other engines start the server "
                                "and pass --server URL",
                                name, fmt::join(names, ", ")));
}

EngineCommand engine_command(const EngineRecipe& r, const EngineOptions& o, const std::string& binary, int port) {
  EngineCommand c;
  const std::string p = std::to_string(port);
  const std::string name = r.name;
  if (name == "llama.cpp") {
    c.argv = {binary, "--model", o.model_path, "--host", "127.0.0.1", "--port", p, "--alias", o.alias};
  } else if (name == "vllm") {
    c.argv = {binary, "serve", o.model_path, "--host", "127.0.0.1", "--port", p, "--served-model-name", o.alias};
  } else if (name == "sglang") {
    c.argv = {binary, "-m", "sglang.launch_server", "--model-path", o.model_path, "--host", "127.0.0.1", "--port", p,
              "--served-model-name", o.alias};
  } else {  // ollama: `ollama serve` reads its address and slots from the environment
    c.argv = {binary, "serve"};
    c.env = {fmt::format("OLLAMA_HOST=127.0.0.1:{}", port)};
    if (o.parallel > 1) c.env.push_back(fmt::format("OLLAMA_NUM_PARALLEL={}", o.parallel));
  }
  c.argv.insert(c.argv.end(), o.extra_args.begin(), o.extra_args.end());
  // Requests in flight at once: llama-server needs a slot each; vLLM and SGLang batch up
  // to their own (large) defaults, raised when ipw keeps more in flight.
  if (o.parallel > 1) {
    if (name == "llama.cpp" && !given(o.extra_args, {"-np", "--parallel"})) {
      c.argv.insert(c.argv.end(), {"--parallel", std::to_string(o.parallel)});
    } else if (name == "vllm" && o.parallel > 256 && !given(o.extra_args, {"--max-num-seqs"})) {
      c.argv.insert(c.argv.end(), {"--max-num-seqs", std::to_string(o.parallel)});
    } else if (name == "sglang" && !given(o.extra_args, {"--max-running-requests"})) {
      c.argv.insert(c.argv.end(), {"--max-running-requests", std::to_string(std::max(o.parallel, 64))});
    }
  }
  return c;
}

std::string find_engine_binary(const EngineRecipe& r) {
  if (std::string(r.name) == "llama.cpp") return find_llama_server();
  if (const char* env = std::getenv(r.binary_env); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) != 0) throw EngineError(fmt::format("{}={} is not an executable file", r.binary_env, env));
    return env;
  }
  if (auto found = find_on_path(r.binary_name)) return *found;
  throw EngineError(fmt::format("{} not found on PATH: install it (docs/engines.md) or set {} to its binary", r.binary_name,
                                r.binary_env));
}

}  // namespace ipw::inference
