#include "ipw/inference/engine_gguf.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine_test_gguf.h"
#include "ipw/common/sha256.h"

namespace ipw::inference {
namespace {

using testing::GgufBuilder;
using testing::tiny_llama_gguf;

Expected<GgufFacts, std::string> parse(const std::string& bytes) {
  std::istringstream in(bytes);
  return read_gguf(in, bytes.size());
}

TEST(EngineGguf, ReadsTheFactsOfALlamaHeader) {
  auto f = parse(tiny_llama_gguf());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->version, 3u);
  EXPECT_EQ(f->architecture, "llama");
  EXPECT_EQ(f->name, "unit-test");
  EXPECT_EQ(f->file_type, "Q4_K_M");
  EXPECT_EQ(f->context_length, 2048);
  EXPECT_EQ(f->embedding_length, 64);
  EXPECT_EQ(f->block_count, 2);
  EXPECT_EQ(f->vocab_size, 5);
  EXPECT_EQ(f->tensor_count, 4u);
  EXPECT_EQ(f->parameter_count, 64u * 5 + 64u * 64 + 64 + 64u * 5);
  EXPECT_EQ(f->tensor_types.at("Q4_K"), 2u);
  EXPECT_EQ(f->tensor_types.at("F32"), 1u);
  EXPECT_EQ(f->tensor_types.at("Q6_K"), 1u);
  EXPECT_EQ(f->metadata["tokenizer.ggml.tokens"]["length"], 5);
  EXPECT_EQ(f->metadata["tokenizer.ggml.tokens"]["array_of"], "string");
}

TEST(EngineGguf, JsonHidesTheChatTemplateBodyButKeepsItsSize) {
  auto f = parse(tiny_llama_gguf());
  ASSERT_TRUE(f) << f.error();
  const auto j = f->to_json();
  EXPECT_EQ(j["metadata"]["tokenizer.chat_template"], "<14 characters>");
  EXPECT_EQ(j["parameter_count"], f->parameter_count);
  EXPECT_EQ(j["file_type"], "Q4_K_M");
}

TEST(EngineGguf, WithoutFileTypeNamesTheMostCommonTensorType) {
  auto f = parse(GgufBuilder()
                     .kv_string("general.architecture", "qwen3")
                     .tensor("a", {4, 4}, 8)
                     .tensor("b", {4, 4}, 8)
                     .tensor("n", {4}, 0)
                     .bytes());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->file_type, "mostly Q8_0");
  EXPECT_EQ(f->context_length, 0);  // absent, not invented
  EXPECT_EQ(f->parameter_count, 36u);
}

TEST(EngineGguf, ScalarTypesAreKeptInMetadata) {
  auto f = parse(GgufBuilder().kv_i64("x.big", -5).kv_f32("x.eps", 0.5f).kv_bool("x.flag", true).bytes());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->metadata["x.big"], -5);
  EXPECT_DOUBLE_EQ(f->metadata["x.eps"].get<double>(), 0.5);
  EXPECT_EQ(f->metadata["x.flag"], true);
  EXPECT_TRUE(f->architecture.empty());
}

TEST(EngineGguf, RejectsAFileThatIsNotGguf) {
  auto f = parse("PK\x03\x04 this is a zip file, not a model");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("not a GGUF file"), std::string::npos) << f.error();
}

TEST(EngineGguf, RejectsBigEndianAndAncientVersions) {
  auto be = parse(GgufBuilder(0x03000000).bytes());
  ASSERT_FALSE(be);
  EXPECT_NE(be.error().find("big-endian"), std::string::npos) << be.error();
  auto v1 = parse(GgufBuilder(1).bytes());
  ASSERT_FALSE(v1);
  EXPECT_NE(v1.error().find("too old"), std::string::npos) << v1.error();
}

TEST(EngineGguf, EveryTruncationIsAnErrorNeverACrash) {
  const std::string full = tiny_llama_gguf();
  const std::size_t header_end = full.size() - 32;  // the builder appends 32 bytes of "data"
  for (std::size_t n = 0; n < header_end; ++n) {
    auto f = parse(full.substr(0, n));
    EXPECT_FALSE(f) << "prefix of " << n << " bytes parsed";
  }
}

TEST(EngineGguf, ACorruptLengthIsRefusedWithoutAllocatingIt) {
  std::string bytes = GgufBuilder().kv_string("general.name", "abc").bytes();
  // The key's length field sits right after magic, version and the two counts (4+4+8+8 bytes).
  const std::uint64_t huge = 1ull << 60;
  std::memcpy(bytes.data() + 24, &huge, sizeof huge);
  auto f = parse(bytes);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("exceeds the file size"), std::string::npos) << f.error();
}

TEST(EngineGguf, ReadsAFileFromDisk) {
  const auto path = std::filesystem::temp_directory_path() / "ipw-engine-gguf-test.gguf";
  { std::ofstream(path, std::ios::binary) << tiny_llama_gguf(); }
  auto f = read_gguf_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->architecture, "llama");
  auto missing = read_gguf_file("/nonexistent/ipw/model.gguf");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/ipw/model.gguf"), std::string::npos);
}

TEST(EngineGguf, NamesTypes) {
  EXPECT_EQ(gguf_file_type_name(0), "F32");
  EXPECT_EQ(gguf_file_type_name(7), "Q8_0");
  EXPECT_EQ(gguf_file_type_name(32), "BF16");
  EXPECT_EQ(gguf_file_type_name(5), "unknown(5)");
  EXPECT_EQ(ggml_type_name(30), "BF16");
  EXPECT_EQ(ggml_type_name(31), "type31");
}

TEST(EngineSha256, MatchesTheFipsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(EngineSha256, HashesAFile) {
  const auto path = std::filesystem::temp_directory_path() / "ipw-engine-sha-test.bin";
  { std::ofstream(path, std::ios::binary) << "abc"; }
  auto h = sha256_file_hex(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(h) << h.error();
  EXPECT_EQ(*h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(sha256_file_hex("/nonexistent/ipw/file"));
}

}  // namespace
}  // namespace ipw::inference
