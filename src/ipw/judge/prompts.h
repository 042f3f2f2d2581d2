#pragma once
// The two judge protocols and their prompt templates. A template is a file in
// data/judge/ named <protocol>-v<N>.txt; its version string ("pairwise-v1") and
// SHA-256 go into the manifest and into every judgment's cache key, so editing a
// prompt can never reuse verdicts given to the old text.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipw::judge {

enum class Protocol {
  reference,  // True/False against a reference answer (NaturalReasoning style)
  pairwise,   // five-way comparison with a reference reply, tie = correct (WildChat style)
};
const char* to_string(Protocol p);

struct PromptTemplate {
  Protocol protocol = Protocol::reference;
  std::string version;  // "reference-v1"
  std::string text;     // with {{question}}, {{reference}}, {{answer}} placeholders
  std::string sha256;   // of `text`
};

// The current template of a protocol (the highest version embedded).
const PromptTemplate& prompt_template(Protocol p);

// Fills the placeholders in one pass, so a placeholder written inside the
// model's answer is sent as text and never expanded.
std::string render(const PromptTemplate& t, std::string_view question, std::string_view answer,
                   std::string_view reference);

// {"reference": {"version", "sha256"}, "pairwise": {…}} for the manifest.
nlohmann::json prompts_manifest();

}  // namespace ipw::judge
