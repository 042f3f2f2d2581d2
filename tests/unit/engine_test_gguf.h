#pragma once
// Writes small GGUF files byte by byte for the engine tests, independent of llama.cpp's writer, so
// the reader is checked against the format itself.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ipw::inference::testing {

class GgufBuilder {
 public:
  explicit GgufBuilder(std::uint32_t version = 3) { raw("GGUF", 4); u32(version); }

  // Key/values and tensors are counted, then emitted after the counts by bytes().
  GgufBuilder& kv_string(const std::string& key, const std::string& v) { key_(key, 8); str(kv_, v); return count(); }
  GgufBuilder& kv_u32(const std::string& key, std::uint32_t v) { key_(key, 4); put(kv_, v); return count(); }
  GgufBuilder& kv_i64(const std::string& key, std::int64_t v) { key_(key, 11); put(kv_, v); return count(); }
  GgufBuilder& kv_f32(const std::string& key, float v) { key_(key, 6); put(kv_, v); return count(); }
  GgufBuilder& kv_bool(const std::string& key, bool v) { key_(key, 7); put(kv_, std::uint8_t{v}); return count(); }
  GgufBuilder& kv_strings(const std::string& key, const std::vector<std::string>& vs) {
    key_(key, 9); put(kv_, std::uint32_t{8}); put(kv_, std::uint64_t{vs.size()});
    for (const auto& v : vs) str(kv_, v);
    return count();
  }
  GgufBuilder& kv_f32s(const std::string& key, const std::vector<float>& vs) {
    key_(key, 9); put(kv_, std::uint32_t{6}); put(kv_, std::uint64_t{vs.size()});
    for (float v : vs) put(kv_, v);
    return count();
  }
  GgufBuilder& tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t ggml_type) {
    str(tensors_, name);
    put(tensors_, static_cast<std::uint32_t>(dims.size()));
    for (auto d : dims) put(tensors_, d);
    put(tensors_, ggml_type);
    put(tensors_, std::uint64_t{0});
    ++n_tensors_;
    return *this;
  }

  std::string bytes() const {
    std::string out = head_;
    put(out, n_tensors_);
    put(out, n_kv_);
    return out + kv_ + tensors_ + std::string(32, '\0');  // a little "tensor data" after the header
  }

 private:
  template <typename T>
  static void put(std::string& s, T v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
  static void str(std::string& s, const std::string& v) { put(s, std::uint64_t{v.size()}); s += v; }
  void raw(const char* p, std::size_t n) { head_.append(p, n); }
  void u32(std::uint32_t v) { put(head_, v); }
  void key_(const std::string& key, std::uint32_t type) { str(kv_, key); put(kv_, type); }
  GgufBuilder& count() { ++n_kv_; return *this; }

  std::string head_, kv_, tensors_;
  std::uint64_t n_kv_ = 0, n_tensors_ = 0;
};

// A minimal llama-shaped header: what a fake server binary needs to be handed a "model".
inline std::string tiny_llama_gguf() {
  return GgufBuilder()
      .kv_string("general.architecture", "llama")
      .kv_string("general.name", "unit-test")
      .kv_u32("general.file_type", 15)
      .kv_u32("llama.context_length", 2048)
      .kv_u32("llama.embedding_length", 64)
      .kv_u32("llama.block_count", 2)
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b"})
      .kv_f32s("tokenizer.ggml.scores", {0, 0, 0, -1, -2})
      .kv_string("tokenizer.chat_template", "{{ messages }}")
      .tensor("token_embd.weight", {64, 5}, 12)
      .tensor("blk.0.attn_q.weight", {64, 64}, 12)
      .tensor("blk.0.attn_norm.weight", {64}, 0)
      .tensor("output.weight", {64, 5}, 14)
      .bytes();
}

}  // namespace ipw::inference::testing
