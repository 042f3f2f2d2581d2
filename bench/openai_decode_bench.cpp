// CPU cost of decoding one streamed token from an OpenAI-compatible server
// (docs/BENCHMARKS.md, "Load: the client at scale"): the SSE framing of a reply's
// events, then each event's JSON read by the DOM-free reading ipw uses or by a
// full nlohmann DOM, as before. The events are shaped as vLLM sends them.
//
// usage: openai_decode_bench [google-benchmark flags]
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "ipw/inference/openai_chunk.h"
#include "ipw/inference/sse_parser.h"

namespace {

using ipw::inference::OpenAiChunkReader;

// One reply of `tokens` content events, a finish event with usage, and [DONE].
std::string reply(int tokens) {
  std::string out;
  for (int i = 0; i < tokens; ++i) {
    out += fmt::format(
        "data: {{\"id\":\"chatcmpl-7f3a\",\"object\":\"chat.completion.chunk\",\"created\":1764950400,"
        "\"model\":\"qwen3-8b\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" tok{}\"}},"
        "\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
        i);
  }
  out += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
         "\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":200}}\n\ndata: [DONE]\n\n";
  return out;
}

template <bool kFast>
void BM_DecodeReply(benchmark::State& state) {
  const int tokens = 200;
  const std::string bytes = reply(tokens);
  std::size_t chars = 0;
  for (auto _ : state) {
    ipw::inference::SseParser sse;
    OpenAiChunkReader reader(true);
    for (const auto& ev : sse.feed(bytes)) {
      if (ev.data == "[DONE]") continue;
      if constexpr (kFast) {
        benchmark::DoNotOptimize(reader.read(ev.data));
      } else {
        benchmark::DoNotOptimize(reader.read_dom(ev.data));
      }
      chars += reader.chunk().choice.content.size();
    }
  }
  benchmark::DoNotOptimize(chars);
  // Items are tokens: the reported time per item is the decode cost per token.
  state.SetItemsProcessed(state.iterations() * tokens);
}

void BM_DecodeReplyFast(benchmark::State& state) { BM_DecodeReply<true>(state); }
void BM_DecodeReplyDom(benchmark::State& state) { BM_DecodeReply<false>(state); }
BENCHMARK(BM_DecodeReplyFast);
BENCHMARK(BM_DecodeReplyDom);

}  // namespace

BENCHMARK_MAIN();
