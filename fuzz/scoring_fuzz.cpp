// The number parser and the scorers (scoring/): any model reply against any reference
// is scored or left unscored; nothing crashes, and a verdict's extraction is valid UTF-8
// whenever the reply was.
#include "fuzz_input.h"
#include "ipw/common/utf8.h"
#include "ipw/scoring/number_parse.h"
#include "ipw/scoring/scorer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = ipw::fuzz::as_text(data, size);
  // Reference and reply are split at the first NUL (or the middle).
  std::size_t cut = in.find('\0');
  if (cut == std::string_view::npos) cut = in.size() / 2;
  const std::string reference(in.substr(0, cut)), reply(in.substr(std::min(in.size(), cut + 1)));
  (void)ipw::scoring::find_numbers(reply);
  (void)ipw::scoring::parse_reference_number(reference);
  for (const char* kind : {"mc", "numeric", "exact"}) {
    const ipw::scoring::Scorer* s = ipw::scoring::scorer_for_kind(kind);
    if (s == nullptr) continue;
    ipw::workload::Item item{"fuzz", "question", reference, kind, "", "", {"alpha", "beta", reference}};
    const auto score = s->score(item, reply);
    if (ipw::is_valid_utf8(reply) && !ipw::is_valid_utf8(score.extracted)) {
      ipw::fuzz::invariant_failed("a scorer made invalid UTF-8 of a valid reply");
    }
  }
  return 0;
}
