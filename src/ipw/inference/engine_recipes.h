#pragma once
// How ipw starts each engine it can launch (`--engine`, docs/engines.md): where its binary
// is, the command line that serves a model on a loopback port, which endpoint says it is
// ready, the arguments ipw sets itself, and the API its clients speak. llama.cpp serves a
// GGUF file; vLLM and SGLang a Hugging Face model id or folder; Ollama a model name
// (pulled when the server lacks it).
#include <string>
#include <vector>

namespace ipw::inference {

struct EngineOptions;

struct EngineRecipe {
  const char* name;          // as --engine takes it
  const char* display;       // in messages: "llama-server", "vllm", …
  const char* binary_env;    // the variable that names the binary (IPW_VLLM, …)
  const char* binary_name;   // looked up on PATH otherwise
  const char* health_path;   // GET it until 200
  const char* api;           // the client that talks to it: openai | ollama
  bool gguf;                 // the model is a GGUF file ipw reads
  // Engine arguments ipw sets itself, refused in --engine-arg, with why.
  std::vector<std::pair<std::string, const char*>> reserved;
};

// Every engine ipw launches, llama.cpp first.
const std::vector<EngineRecipe>& engine_recipes();
// Throws EngineError naming the known engines for an unknown one.
const EngineRecipe& engine_recipe(const std::string& name);

// The server's command line for these options on 127.0.0.1:port, and the environment it
// adds (Ollama takes its address and parallelism from variables).
struct EngineCommand {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};
EngineCommand engine_command(const EngineRecipe& r, const EngineOptions& o, const std::string& binary, int port);

// Where the binary is: the recipe's variable, then PATH (llama.cpp: find_llama_server()).
// Throws EngineError saying how to install it or which variable to set.
std::string find_engine_binary(const EngineRecipe& r);

}  // namespace ipw::inference
