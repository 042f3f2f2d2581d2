// The NDJSON parser (Ollama streams): any bytes, split anywhere, parse without
// crashing; records and errors do not depend on the split.
#include "fuzz_input.h"
#include "ipw/inference/ndjson_parser.h"

namespace {

std::vector<std::string> parse(const std::vector<std::string_view>& parts) {
  ipw::inference::NdjsonParser p;
  std::vector<std::string> out;
  auto add = [&](const ipw::inference::NdjsonRecord& r) { out.push_back(r.ok() ? r.value.dump() : "error: " + r.error); };
  for (std::string_view part : parts) {
    for (const auto& r : p.feed(part)) add(r);
  }
  if (auto last = p.finish()) add(*last);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ipw::fuzz::check_split_invariance(ipw::fuzz::as_text(data, size), parse, "NDJSON records depend on how the stream was split");
  return 0;
}
