// The SSE parser (inference/sse_parser.h): any bytes, split anywhere, parse without
// crashing, and the events do not depend on where the stream was split.
#include "fuzz_input.h"
#include "ipw/inference/sse_parser.h"

namespace {

std::vector<ipw::inference::SseEvent> parse(const std::vector<std::string_view>& parts) {
  ipw::inference::SseParser p;
  std::vector<ipw::inference::SseEvent> events;
  for (std::string_view part : parts) {
    for (auto& e : p.feed(part)) events.push_back(std::move(e));
  }
  if (auto last = p.finish()) events.push_back(std::move(*last));
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ipw::fuzz::check_split_invariance(ipw::fuzz::as_text(data, size), parse, "SSE events depend on how the stream was split");
  return 0;
}
