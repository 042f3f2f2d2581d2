#pragma once
// A small reader for the header of a GGUF model file (llama.cpp's format): the metadata key/values
// and the tensor table, never the weights. It gives the model facts the run manifest records
// (architecture, parameter count, quantisation, context length) without loading the model.
#include <cstdint>
#include <istream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "ipw/common/expected.h"

namespace ipw::inference {

struct GgufFacts {
  std::uint32_t version = 0;
  std::uint64_t tensor_count = 0;
  std::uint64_t parameter_count = 0;   // sum over tensors of their element counts
  std::string architecture;            // general.architecture, e.g. "llama", "qwen3"
  std::string name;                    // general.name ("" when absent)
  std::string file_type;               // general.file_type as llama.cpp names it ("Q4_K_M", "F32");
                                       // else the most common tensor type ("mostly Q8_0")
  std::int64_t context_length = 0;     // <arch>.context_length (0 when absent)
  std::int64_t embedding_length = 0;   // <arch>.embedding_length
  std::int64_t block_count = 0;        // <arch>.block_count (layers)
  std::int64_t vocab_size = 0;         // tokenizer.ggml.tokens length
  std::map<std::string, std::uint64_t> tensor_types;  // ggml type name -> tensor count
  // Every scalar/string metadata value; arrays appear as {"array_of": type, "length": n} so a
  // 150k-entry token list costs nothing.
  nlohmann::json metadata = nlohmann::json::object();

  nlohmann::json to_json() const;  // the facts above (metadata without the chat template body)
};

// Parses a GGUF header from a stream positioned at its first byte. Errors say what was malformed
// and at which byte offset. Guards every length against `size_limit_bytes` so a corrupt file
// cannot make the reader allocate gigabytes.
Expected<GgufFacts, std::string> read_gguf(std::istream& in, std::uint64_t size_limit_bytes);
Expected<GgufFacts, std::string> read_gguf_file(const std::string& path);

// Names for the enums stored in GGUF files (llama.cpp's llama_ftype and ggml_type).
std::string gguf_file_type_name(std::int64_t ftype);
std::string ggml_type_name(std::uint32_t type);

}  // namespace ipw::inference
