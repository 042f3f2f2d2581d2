// The OpenAI chunk reader (inference/openai_chunk.h): wherever its fast, DOM-free
// reading answers, the DOM reading must accept the chunk and read the same fields,
// in chat and in completion streams; neither may crash on any bytes.
#include "fuzz_input.h"
#include "ipw/inference/openai_chunk.h"

namespace {

void check(bool chat, std::string_view data) {
  ipw::inference::OpenAiChunkReader fast(chat);
  ipw::inference::OpenAiChunkReader dom(chat);
  const bool answered = fast.read_fast(data);
  const std::string err = dom.read_dom(data);
  if (!answered) return;
  if (!err.empty()) ipw::fuzz::invariant_failed("the fast reading accepted a chunk the DOM reading refuses");
  if (!(fast.chunk() == dom.chunk())) ipw::fuzz::invariant_failed("the fast and DOM readings of a chunk differ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = ipw::fuzz::as_text(data, size);
  check(true, in);
  check(false, in);
  return 0;
}
