#include "wire_format.h"

namespace ipw::mock {

std::unique_ptr<WireFormat> make_wire_format(Api api) {
  switch (api) {
    case Api::OpenAiChat:
      return make_openai_format(true);
    case Api::OpenAiCompletions:
      return make_openai_format(false);
    case Api::OllamaChat:
      return make_ollama_format(true);
    case Api::OllamaGenerate:
      return make_ollama_format(false);
  }
  return nullptr;
}

}  // namespace ipw::mock
