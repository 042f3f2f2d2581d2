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
  const std::string_view in = ipw::fuzz::as_text(data, size);
  const auto parts = ipw::fuzz::chunks(in);
  if (parts.empty()) return 0;
  const std::string whole(in.substr(1));
  if (parse(parts) != parse({whole})) ipw::fuzz::invariant_failed("SSE events depend on how the stream was split");
  return 0;
}
