// The OpenAI chunk reader: the fast (DOM-free) reading takes the chunks real servers
// send, declines the rest to the DOM reading, and reads what the DOM reads.
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ipw/inference/openai_chunk.h"

namespace ipw::inference {
namespace {

TEST(OpenAiChunk, FastReadingTakesTheChunksServersSend) {
  // vLLM / OpenAI first chunk, a llama.cpp reasoning delta, vLLM's reasoning field,
  // the finish chunk with usage, the usage-only chunk, a completion stream's text.
  OpenAiChunkReader chat(true);
  ASSERT_TRUE(chat.read_fast(
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}],"usage":null})"));
  EXPECT_TRUE(chat.chunk().has_choice);
  EXPECT_EQ(chat.chunk().choice.content, "Hel");
  EXPECT_FALSE(chat.chunk().prompt_tokens.has_value());

  ASSERT_TRUE(chat.read_fast(R"({"choices":[{"index":0,"delta":{"reasoning_content":"th\u00e9"}}]})"));
  EXPECT_EQ(chat.chunk().choice.reasoning_content, "th\xC3\xA9");
  EXPECT_EQ(chat.chunk().choice.content, "");

  ASSERT_TRUE(chat.read_fast(R"({"choices":[{"index":0,"delta":{"reasoning":"hmm","content":null}}]})"));
  EXPECT_EQ(chat.chunk().choice.reasoning, "hmm");

  ASSERT_TRUE(chat.read_fast(
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":3}}})"));
  EXPECT_EQ(chat.chunk().choice.finish_reason, "stop");
  EXPECT_EQ(chat.chunk().prompt_tokens, 12);
  EXPECT_EQ(chat.chunk().completion_tokens, 7);
  EXPECT_EQ(chat.chunk().reasoning_tokens, 3);

  ASSERT_TRUE(chat.read_fast(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7}})"));
  EXPECT_FALSE(chat.chunk().has_choice);
  EXPECT_EQ(chat.chunk().completion_tokens, 7);
  EXPECT_FALSE(chat.chunk().reasoning_tokens.has_value());

  OpenAiChunkReader completion(false);
  ASSERT_TRUE(completion.read_fast(R"({"object":"text_completion","choices":[{"index":0,"text":" world"}]})"));
  EXPECT_EQ(completion.chunk().choice.text, " world");
}

TEST(OpenAiChunk, ErrorsTimingsAndWrongTypesAreReadAsADom) {
  OpenAiChunkReader r(true);
  const std::string error = R"({"error":{"message":"model not loaded","code":503}})";
  EXPECT_FALSE(r.read_fast(error));
  EXPECT_EQ(r.read(error), "server reported an error: model not loaded");

  const std::string timings = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"timings":{"prompt_n":5}})";
  EXPECT_FALSE(r.read_fast(timings));
  EXPECT_EQ(r.read(timings), "");
  EXPECT_EQ(r.chunk().server_timings["prompt_n"], 5);
  EXPECT_EQ(r.chunk().choice.finish_reason, "stop");

  const std::string wrong = R"({"choices":[{"index":0,"delta":{"content":5}}]})";
  EXPECT_FALSE(r.read_fast(wrong));
  EXPECT_NE(r.read(wrong).find("field `content` is not a string"), std::string::npos);
  EXPECT_NE(r.read("[1]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(r.read(R"({"choices":)").find("malformed JSON"), std::string::npos);
}

TEST(OpenAiChunk, RepeatedKeysAndSeveralChoicesReadAsTheDomReadsThem) {
  // The last of a repeated key counts; the first choice with index 0 is the answer.
  for (const char* data : {
           R"({"choices":[{"index":1,"delta":{"content":"b"}},{"delta":{"content":"a"},"index":0},{"index":0,"delta":{"content":"c"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"a"},"delta":{"reasoning":"b"}}],"usage":{"prompt_tokens":1},"usage":null})",
           R"({"choices":[{"index":0,"delta":{"content":"a"}}],"choices":[{"index":2}]})",
           R"({"choices":[{"index":0,"index":3,"finish_reason":"stop","finish_reason":null}]})",
           R"({"usage":{"completion_tokens_details":{"reasoning_tokens":4},"completion_tokens_details":7}})",
           R"({"choices":[{"index":0,"delta":{"cont\u0065nt":"\ud83d\ude00"}}]})",
       }) {
    OpenAiChunkReader fast(true), dom(true);
    ASSERT_TRUE(fast.read_fast(data)) << data;
    ASSERT_EQ(dom.read_dom(data), "") << data;
    EXPECT_EQ(fast.chunk(), dom.chunk()) << data;
  }
  // Escapes nlohmann refuses (lone surrogates) and numbers it reads otherwise are
  // left to it: the fast reading must not accept what the DOM reading refuses.
  for (const char* data : {
           R"({"choices":[{"index":0,"delta":{"content":"\ud800"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"\udc00"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"\ud800\u0041"}}]})",
           R"({"choices":[{"index":184467440737095516150}]})",
           R"({"choices":[{"index":1e400}]})",
       }) {
    OpenAiChunkReader fast(true), dom(true);
    const std::string err = dom.read_dom(data);
    if (fast.read_fast(data)) {
      EXPECT_EQ(err, "") << data;
      EXPECT_EQ(fast.chunk(), dom.chunk()) << data;
    }
  }
  OpenAiChunkReader r(true);
  ASSERT_TRUE(r.read_fast(R"({"choices":[{"index":1,"delta":{"content":"b"}},{"delta":{"content":"a"},"index":0}]})"));
  EXPECT_EQ(r.chunk().choice.content, "a");
}

// Random chunks near the shape servers send: at each place, mostly the expected
// type, sometimes anything; keys from the ones the reader knows, repeated at times.
class ChunkWriter {
 public:
  explicit ChunkWriter(unsigned seed) : rng_(seed) {}

  std::string chunk() { return object(kRoot, 0); }

 private:
  enum Place { kRoot, kChoice, kDelta, kUsage, kDetails, kOther };

  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  template <class T, std::size_t N>
  const T& pick(const T (&xs)[N]) {
    return xs[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng_)];
  }

  std::string object(Place place, int depth) {
    static const char* const root[] = {"choices", "usage", "id", "object", "model", "choices"};
    static const char* const choice[] = {"index", "delta", "text", "finish_reason", "logprobs", "delta"};
    static const char* const delta[] = {"content", "reasoning_content", "reasoning", "role", "content"};
    static const char* const usage[] = {"prompt_tokens", "completion_tokens", "completion_tokens_details", "total_tokens"};
    std::string out = "{";
    const int keys = std::uniform_int_distribution<int>(0, 4)(rng_);
    for (int i = 0; i < keys; ++i) {
      std::string key;
      switch (place) {
        case kRoot: key = pick(root); break;
        case kChoice: key = pick(choice); break;
        case kDelta: key = pick(delta); break;
        case kUsage: key = pick(usage); break;
        case kDetails: key = chance(70) ? "reasoning_tokens" : "x"; break;
        case kOther: key = pick(delta); break;
      }
      if (i) out += ',';
      out += '"' + key + "\":" + value_for(key, depth + 1);
    }
    return out + '}';
  }

  std::string value_for(const std::string& key, int depth) {
    if (depth > 5 || chance(12)) return any(depth);
    if (key == "choices") {
      std::string out = "[";
      const int n = std::uniform_int_distribution<int>(0, 3)(rng_);
      for (int i = 0; i < n; ++i) out += (i ? "," : "") + (chance(95) ? object(kChoice, depth + 1) : any(depth + 1));
      return out + ']';
    }
    if (key == "usage") return chance(80) ? object(kUsage, depth) : "null";
    if (key == "delta") return object(kDelta, depth);
    if (key == "completion_tokens_details") return object(kDetails, depth);
    if (key == "index") return chance(70) ? "0" : pick(kIndexes);
    if (key.ends_with("tokens")) return std::to_string(std::uniform_int_distribution<int>(0, 5000)(rng_));
    return chance(80) ? string() : "null";
  }

  std::string any(int depth) {
    switch (std::uniform_int_distribution<int>(0, depth > 5 ? 5 : 7)(rng_)) {
      case 0: return "null";
      case 1: return chance(50) ? "true" : "false";
      case 2: return pick(kIndexes);
      case 3: return "1.5e3";
      case 4:
      case 5: return string();
      case 6: return object(kOther, depth + 1);
      default: return "[" + any(depth + 1) + "," + any(depth + 1) + "]";
    }
  }

  std::string string() {
    static const char* const texts[] = {"\"\"", "\"a\"", "\" the\"", "\"stop\"", "\"\\u00e9\\n\"", "\"<think>\""};
    return pick(texts);
  }

  static constexpr const char* kIndexes[] = {"0", "1", "-0", "4294967296", "9223372036854775807", "18446744073709551615"};
  std::mt19937 rng_;
};

TEST(OpenAiChunk, TheFastReadingAgreesWithTheDomOnRandomChunks) {
  for (bool chat : {true, false}) {
    ChunkWriter writer(chat ? 20261205 : 20261206);
    int answered = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const std::string data = writer.chunk();
      OpenAiChunkReader fast(chat), dom(chat);
      const std::string err = dom.read_dom(data);
      if (!fast.read_fast(data)) continue;
      ++answered;
      ASSERT_EQ(err, "") << data;
      ASSERT_EQ(fast.chunk(), dom.chunk()) << data;
    }
    // Most of them are of the common shape: the fast reading must take those.
    EXPECT_GT(answered, n / 3) << "chat=" << chat;
  }
}

}  // namespace
}  // namespace ipw::inference
